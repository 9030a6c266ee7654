"""The keeper's view of the chain: every account's risk with exact ES, as the contract
would compute it.

A screen reads the chain at one block: the current risk epoch (rebuilt from its
published events and checked against its root), the accounts, their positions and the
oracle marks. What every account shares (each market's indices, each collateral asset's
haircut, every asset's oracle price and vol, the block's timestamp) is read once, and the
accounts' views in JSON-RPC batches (``Chain.call_many``): a few round trips for the
whole screen, not one per view. The accounts are then valued together with the exact
batch engine (``assess_all``: one book of sizes, the unit P&L of its instruments once,
``offchain/batch_expected_shortfall.py``), exactly as the contract would value each; an
account whose certified MM (from the bound of its ceil(k) worst scenarios) exceeds its
equity is liquidatable. The service that
submits the liquidations is ``offchain/keeper_service.py``.
"""

from collections.abc import Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from web3.types import BlockIdentifier, TxReceipt

from offchain.chain import Call, TransactionReverted, emitted
from offchain.deployment import Deployment
from offchain.fixedpoint import WAD, Rounding, mul_wad
from offchain.keeper_state import accounts_named
from offchain.margin import InitialMarginParameters, margin_from_expected_shortfall
from offchain.options import OptionSeries
from offchain.portfolio import (
    Account,
    MarketIndex,
    Marks,
    OptionPosition,
    Position,
    SpotCollateral,
    equity,
    position_value,
)
from offchain.scenario_pnl import book, exact_unit_pnl
from offchain.scenario_registry import PublishedScenarioSet, read_scenario_set
from offchain.sharding import sharded_exact_tail_risk
from proofs.certificate import LiquidationCertificate


@dataclass(frozen=True)
class AccountRisk:
    """An account's margin at one block, all WAD.

    ``expected_shortfall`` is the exact ES (rounded up, negative when every tail scenario
    is a gain) and ``maintenance_margin`` the MM it makes (MM factor x max(ES, 0), rounded
    up); ``certified_maintenance_margin`` is what the best certificate proves on-chain: MM
    from the lower bound of its ``witnesses``, the ceil(k) worst scenarios (increasing
    indices, ties to the lower one), floored at 0 and rounded down as the contract does
    (``offchain.margin.margin_from_expected_shortfall``).
    """

    account: Account
    equity: int
    expected_shortfall: int
    maintenance_margin: int
    certified_maintenance_margin: int
    witnesses: tuple[int, ...]
    position_value: int

    @property
    def liquidatable(self) -> bool:
        """The contract's condition for the best certificate: certified MM > equity."""
        return self.certified_maintenance_margin > self.equity


@dataclass(frozen=True)
class LiquidationParameters:
    """The clearinghouse's close-factor rule (WAD): close at most ``close_factor`` of every
    position unless health = equity / MM is below ``full_liquidation_health`` or the
    positions are worth at most ``dust_value``."""

    close_factor: int
    full_liquidation_health: int
    dust_value: int


def max_liquidation_fraction(
    rule: LiquidationParameters, equity: int, maintenance_margin: int, value: int
) -> int:
    """The largest fraction (WAD) a liquidation may close, as
    ``Clearinghouse.maxLiquidationFraction`` computes it from the certified MM."""
    threshold = mul_wad(rule.full_liquidation_health, maintenance_margin, Rounding.FLOOR)
    return WAD if equity < threshold or value <= rule.dust_value else rule.close_factor


@dataclass(frozen=True)
class Liquidation:
    """A liquidation the keeper landed, with what the contract emitted. ``bad_debt`` is
    what the BadDebt event wrote off (0 without one), and the waterfall's split of it:
    ``covered_by_insurance``, ``socialized`` over open interest and
    ``absorbed_by_backstop``."""

    account: str
    certificate: LiquidationCertificate
    fraction: int
    tx_hash: str
    block: int
    gas_used: int
    equity: int
    expected_shortfall_lower_bound: int
    maintenance_margin: int
    keeper_reward: int
    insurance_fee: int
    bad_debt: int
    covered_by_insurance: int
    socialized: int
    absorbed_by_backstop: int


def known_accounts(deployment: Deployment, block: BlockIdentifier = "latest") -> list[str]:
    """Every address that deposited cash or collateral or traded, in order of first
    appearance, scanned from the deployment's first block (``offchain/keeper_state.py``
    keeps the same list incrementally)."""
    named = accounts_named(deployment, deployment.start_block, block)
    return list(dict.fromkeys(address for _, address in named))


ClearinghouseView = tuple[Any, ...]
"""A clearinghouse view and its arguments: ``("positionOf", address, asset)``."""
SERIES_VIEWS = ("series", "settlementPrice")
"""The views of ``ClearinghouseView`` that its series registry answers."""


@dataclass(frozen=True)
class OracleMarks:
    """Every asset's oracle spot price and implied vol at one block (WAD), each as the
    oracle answered it: the value, or the TransactionReverted its read raised (a stale,
    missing or unusable feed); and the block's timestamp (unix seconds)."""

    spot: tuple[int | TransactionReverted, ...]
    vol: tuple[int | TransactionReverted, ...]
    now: int

    def marks(self, *accounts: Account) -> Marks:
        """The spot marks and implied vols ``accounts`` need (0 for the others), as the
        contract reads them; raises the TransactionReverted of the first one that did not
        read, spot before vol."""
        spot = [0] * len(self.spot)
        vol = [0] * len(self.vol)
        for asset in sorted(set().union(*(account.assets for account in accounts))):
            spot[asset] = _answer(self.spot[asset])
        for asset in sorted(set().union(*(account.option_assets for account in accounts))):
            vol[asset] = _answer(self.vol[asset])
        return Marks(spot=spot, vol=vol, now=self.now)


def _answer(read: int | TransactionReverted) -> int:
    """The value an oracle read returned; raises the revert it raised."""
    if isinstance(read, TransactionReverted):
        raise read
    return read


def _block_number(deployment: Deployment, block: BlockIdentifier) -> int:
    """The number of ``block`` (a number already, or a tag such as "latest")."""
    if isinstance(block, int):
        return block
    return deployment.chain.w3.eth.get_block(block)["number"]


def read_oracle(deployment: Deployment, block: BlockIdentifier) -> OracleMarks:
    """Every asset's oracle spot price and implied vol at ``block``, in one batch, with the
    block's timestamp; a mark that cannot be read is kept as its revert (see OracleMarks)."""
    chain, oracle = deployment.chain, deployment.oracle
    header = chain.w3.eth.get_block(block)
    assets = range(len(deployment.assets))
    calls = [Call(oracle, "price", (asset,)) for asset in assets]
    calls += [Call(oracle, "volatility", (asset,)) for asset in assets]
    reads = chain.try_call_many(calls, header["number"])
    return OracleMarks(
        spot=tuple(reads[: len(assets)]), vol=tuple(reads[len(assets) :]), now=header["timestamp"]
    )


def read_marks(deployment: Deployment, account: Account, block: BlockIdentifier) -> Marks:
    """Oracle spot marks and implied vols that ``account`` needs, at ``block``, as the
    contract reads them (0 for the others), with the block's timestamp: see
    ``OracleMarks.marks``."""
    return read_oracle(deployment, block).marks(account)


def _read_views(
    deployment: Deployment, views: Iterable[ClearinghouseView], block: int
) -> dict[ClearinghouseView, Any]:
    """Each distinct clearinghouse view in ``views`` mapped to its result at ``block``, read
    in JSON-RPC batches (``series`` and ``settlementPrice`` from the series registry); a
    revert raises TransactionReverted."""
    distinct = list(dict.fromkeys(views))
    calls = [
        Call(
            deployment.series_registry if view[0] in SERIES_VIEWS else deployment.clearinghouse,
            view[0],
            view[1:],
        )
        for view in distinct
    ]
    return dict(zip(distinct, deployment.chain.call_many(calls, block), strict=True))


def read_accounts(
    deployment: Deployment, addresses: Sequence[str], block: BlockIdentifier
) -> list[Account]:
    """Each account's cash, perps, options and spot collateral, and the indices of every
    market, at ``block``, in two rounds of batches: every market's and collateral asset's
    state and every account's cash, held series, collateral and perps; then the held
    series, their settlement prices and the accounts' option positions."""
    number = _block_number(deployment, block)
    assets = range(len(deployment.assets))
    views = _read_views(
        deployment,
        [
            *(("markets", asset) for asset in assets),
            *(("collateralAssets", asset) for asset in assets),
            *(view for address in addresses for view in _holdings(address, assets)),
        ],
        number,
    )
    views |= _read_views(
        deployment,
        [
            view
            for address in addresses
            for series_id in views["heldSeries", address]
            for view in (
                ("series", series_id),
                ("settlementPrice", series_id),
                ("optionPositionOf", address, series_id),
            )
        ],
        number,
    )
    return [_account(address, assets, views) for address in addresses]


def read_account(deployment: Deployment, address: str, block: BlockIdentifier) -> Account:
    """One account, as ``read_accounts`` reads it."""
    (account,) = read_accounts(deployment, [address], block)
    return account


def _holdings(address: str, assets: range) -> list[ClearinghouseView]:
    """The views of what ``address`` holds: cash, series, and per asset collateral and perp."""
    views: list[ClearinghouseView] = [("cash", address), ("heldSeries", address)]
    views += [("collateralBalance", address, asset) for asset in assets]
    views += [("positionOf", address, asset) for asset in assets]
    return views


def _account(address: str, assets: range, views: dict[ClearinghouseView, Any]) -> Account:
    """The account at ``address`` from the views ``read_accounts`` read."""
    markets = {}
    collateral = {}
    positions = {}
    for asset in assets:
        funding, loss, _, _ = views["markets", asset]
        markets[asset] = MarketIndex(funding=funding, loss=loss)
        held = views["collateralBalance", address, asset]
        if held != 0:
            _, _, haircut = views["collateralAssets", asset]
            collateral[asset] = SpotCollateral(balance=held, haircut=haircut)
        position = Position(*views["positionOf", address, asset])
        if position.size != 0:
            positions[asset] = position
    options = []
    for series_id in views["heldSeries", address]:
        asset, strike, expiry, is_call = views["series", series_id]
        options.append(
            OptionPosition(
                series_id=series_id,
                series=OptionSeries(asset=asset, strike=strike, expiry=expiry, is_call=is_call),
                position=Position(*views["optionPositionOf", address, series_id]),
                settlement_price=views["settlementPrice", series_id],
            )
        )
    return Account(
        address=address,
        cash=views["cash", address],
        positions=positions,
        options=tuple(options),
        markets=markets,
        collateral=collateral,
    )


def assess_all(
    accounts: Sequence[Account],
    marks: Marks,
    scenarios: PublishedScenarioSet,
    mm_factor: int,
    executor: Executor | None = None,
    shards: int = 1,
) -> list[AccountRisk]:
    """Equity, exact ES, MM and certified MM of every account at ``marks`` (every asset an
    account holds marked): one book of sizes, the unit P&L of its instruments once, and the
    batch engine (``exact_tail_risk``, in ``shards`` tasks on ``executor`` if given)."""
    held = book(accounts, len(scenarios.spot_returns[0]))
    unit_pnl = exact_unit_pnl(held.instruments, marks, scenarios.spot_returns, scenarios.vol_shifts)
    tail = sharded_exact_tail_risk(held.sizes, unit_pnl, scenarios.alpha_bps, executor, shards)
    return [
        AccountRisk(
            account=account,
            equity=equity(account, marks),
            expected_shortfall=es,
            maintenance_margin=margin_from_expected_shortfall(mm_factor, es, Rounding.CEIL),
            certified_maintenance_margin=margin_from_expected_shortfall(
                mm_factor, bound, Rounding.FLOOR
            ),
            witnesses=tuple(witnesses.tolist()),
            position_value=position_value(account, marks),
        )
        for account, es, bound, witnesses in zip(
            accounts, tail.expected_shortfall, tail.lower_bound, tail.witnesses, strict=True
        )
    ]


def assess(
    account: Account, marks: Marks, scenarios: PublishedScenarioSet, mm_factor: int
) -> AccountRisk:
    """Equity, exact ES, MM and certified MM of ``account`` at ``marks``."""
    return assess_all([account], marks, scenarios, mm_factor)[0]


def screen(
    deployment: Deployment,
    block: int,
    accounts: list[str] | None = None,
    executor: Executor | None = None,
    shards: int = 1,
) -> tuple[PublishedScenarioSet, list[AccountRisk]]:
    """The current epoch and the risk of ``accounts`` (default: every known account,
    scanned from the chain), all read at ``block``; the batch ES in ``shards`` tasks on
    ``executor`` if given (``offchain/sharding.py``)."""
    chain = deployment.chain
    epoch = chain.call(deployment.registry.functions.currentEpoch(), block)
    scenarios = read_scenario_set(chain, deployment.registry, epoch)
    mm_factor = chain.call(deployment.clearinghouse.functions.maintenanceMarginFactor(), block)
    addresses = known_accounts(deployment, block) if accounts is None else accounts
    held = read_accounts(deployment, addresses, block)
    marks = read_oracle(deployment, block).marks(*held)
    return scenarios, assess_all(held, marks, scenarios, mm_factor, executor, shards)


def read_initial_margin_parameters(
    deployment: Deployment, block: BlockIdentifier = "latest"
) -> InitialMarginParameters:
    """The IM factor, ES level and liquidity add-on at ``block``."""
    chain, clearinghouse = deployment.chain, deployment.clearinghouse
    return InitialMarginParameters(
        factor=chain.call(clearinghouse.functions.initialMarginFactor(), block),
        alpha_bps=chain.call(clearinghouse.functions.initialMarginAlphaBps(), block),
        liquidity_add_on=chain.call(clearinghouse.functions.liquidityAddOn(), block),
    )


def read_liquidation_parameters(
    deployment: Deployment, block: BlockIdentifier = "latest"
) -> LiquidationParameters:
    """The close-factor rule at ``block``."""
    clearinghouse = deployment.clearinghouse
    return LiquidationParameters(
        *deployment.chain.call(clearinghouse.functions.liquidationParameters(), block)
    )


def liquidation_from_receipt(deployment: Deployment, receipt: TxReceipt) -> Liquidation:
    """The liquidation a mined transaction made: its call decoded from the transaction's
    input and the amounts from the events the clearinghouse emitted."""
    clearinghouse = deployment.clearinghouse
    transaction = deployment.chain.w3.eth.get_transaction(receipt["transactionHash"])
    _, call = clearinghouse.decode_function_input(transaction["input"])
    event = emitted(clearinghouse, "Liquidated", receipt)[0]

    def total(event_name: str, field: str) -> int:
        return sum(args[field] for args in emitted(clearinghouse, event_name, receipt))

    return Liquidation(
        account=event["account"],
        certificate=LiquidationCertificate.from_abi(call["certificate"]),
        fraction=call["fraction"],
        tx_hash=receipt["transactionHash"].to_0x_hex(),
        block=receipt["blockNumber"],
        gas_used=receipt["gasUsed"],
        equity=event["equity"],
        expected_shortfall_lower_bound=event["expectedShortfallLowerBound"],
        maintenance_margin=event["maintenanceMargin"],
        keeper_reward=event["keeperReward"],
        insurance_fee=event["insuranceFee"],
        bad_debt=total("BadDebt", "badDebt"),
        covered_by_insurance=total("BadDebtCoveredByInsurance", "amount"),
        socialized=total("LossSocialized", "amount"),
        absorbed_by_backstop=total("BadDebtAbsorbedByBackstop", "amount"),
    )

"""The keeper's view of the chain: every account's risk with exact ES, as the contract
would compute it.

A screen reads the chain at one block: the current risk epoch (rebuilt from its
published events and checked against its root), the accounts, their positions and the
oracle marks, in JSON-RPC batches (``offchain/chain/reads.py``). The accounts are then
valued together with the exact batch engine (``assess_all``: one book of sizes, the unit
P&L of its instruments once, ``offchain/risk/batch_expected_shortfall.py``), exactly as
the contract would value each; an account whose certified MM (from the bound of its
ceil(k) worst scenarios) exceeds its equity is liquidatable. The service that submits
the liquidations is ``offchain/keeper/service.py``."""

from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

from eth_typing import HexStr
from web3.types import BlockIdentifier, TxReceipt

from vmargin.chain.client import TransactionReverted, emitted
from vmargin.chain.deployment import Deployment
from vmargin.chain.reads import read_accounts, read_oracle
from vmargin.chain.scenario_registry import PublishedScenarioSet, read_scenario_set
from vmargin.keeper.state import accounts_named
from vmargin.numerics.fixedpoint import WAD, Rounding, mul_wad
from vmargin.numerics.margin import margin_from_expected_shortfall
from vmargin.numerics.portfolio import Account, Marks, equity, position_value
from vmargin.proofs.certificate import LiquidationCertificate
from vmargin.risk.scenario_pnl import book, exact_unit_pnl
from vmargin.risk.sharding import sharded_exact_tail_risk


@dataclass(kw_only=True, frozen=True)
class AccountRisk:
    """An account's margin at one block, all WAD.

    ``expected_shortfall`` is the exact ES (rounded up, negative when every tail scenario
    is a gain) and ``maintenance_margin`` the MM it makes (MM factor x max(ES, 0), rounded
    up); ``certified_maintenance_margin`` is what the best certificate proves on-chain: MM
    from the lower bound of its ``witnesses``, the ceil(k) worst scenarios (increasing
    indices, ties to the lower one), floored at 0 and rounded down as the contract does
    (``vmargin.numerics.margin.margin_from_expected_shortfall``).
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


@dataclass(kw_only=True, frozen=True)
class Liquidation:
    """A liquidation the keeper landed, with what the contract emitted. ``bad_debt`` is
    what the BadDebt event wrote off (0 without one), and the waterfall's split of it:
    ``covered_by_insurance``, ``socialized`` over open interest and
    ``absorbed_by_backstop``."""

    account: str
    certificate: LiquidationCertificate
    fraction: int
    tx_hash: HexStr
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
    appearance, scanned from the deployment's first block (``offchain/keeper/state.py``
    keeps the same list incrementally)."""
    named = accounts_named(deployment, deployment.start_block, block)
    return list(dict.fromkeys(address for _, address in named))


def assess_all(
    accounts: Sequence[Account],
    marks: Marks,
    scenarios: PublishedScenarioSet,
    *,
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
    return assess_all([account], marks, scenarios, mm_factor=mm_factor)[0]


@dataclass(frozen=True)
class Screen:
    """A screen at one block: the current scenario set, the risk of every account whose
    marks read, and the accounts whose marks did not (an oracle refused a price or vol they
    need: stale, missing, non-positive), each with the revert its read raised. One account's
    unreadable mark never stops the others' screen."""

    scenarios: PublishedScenarioSet
    risks: list[AccountRisk]
    unreadable: dict[str, TransactionReverted]


def screen(
    deployment: Deployment,
    block: int,
    accounts: list[str] | None = None,
    executor: Executor | None = None,
    shards: int = 1,
) -> Screen:
    """The current epoch and the risk of ``accounts`` (default: every known account,
    scanned from the chain) but the backstop, which ``liquidate`` refuses
    (``BackstopNotLiquidatable``), all read at ``block``; the batch ES in ``shards`` tasks on
    ``executor`` if given (``offchain/risk/sharding.py``)."""
    chain = deployment.chain
    epoch = chain.call(deployment.registry.functions.currentEpoch(), block)
    scenarios = read_scenario_set(chain, deployment.registry, epoch)
    mm_factor = chain.call(deployment.clearinghouse.functions.maintenanceMarginFactor(), block)
    addresses = known_accounts(deployment, block) if accounts is None else accounts
    held = read_accounts(
        deployment, [address for address in addresses if address != deployment.backstop], block
    )
    oracle = read_oracle(deployment, block)
    readable: list[Account] = []
    unreadable: dict[str, TransactionReverted] = {}
    for account in held:
        try:
            oracle.marks(account)
        except TransactionReverted as refusal:
            unreadable[account.address] = refusal
        else:
            readable.append(account)
    risks = assess_all(
        readable,
        oracle.marks(*readable),
        scenarios,
        mm_factor=mm_factor,
        executor=executor,
        shards=shards,
    )
    return Screen(scenarios=scenarios, risks=risks, unreadable=unreadable)


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
        tx_hash=HexStr(receipt["transactionHash"].to_0x_hex()),
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

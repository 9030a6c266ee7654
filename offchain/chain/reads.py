"""The clearinghouse's accounts and the oracle's marks, read at one block as the contract
sees them: what the keeper, the auditor's replay, the settler and the operators share.

Reads go in JSON-RPC batches (``Chain.call_many``): what every account shares (each
market's indices, each collateral asset's haircut, every asset's oracle price and vol, the
block's timestamp) once, and the accounts' views a few round trips for all of them.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from web3.types import BlockIdentifier

from vmargin.chain.client import Call, TransactionReverted
from vmargin.chain.deployment import Deployment
from vmargin.numerics.margin import InitialMarginParameters
from vmargin.numerics.option_valuation import OptionSeries
from vmargin.numerics.portfolio import (
    Account,
    MarketIndex,
    Marks,
    OptionPosition,
    Position,
    SpotCollateral,
)

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

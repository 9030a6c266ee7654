"""Account valuation at oracle marks, the Python twin of the Clearinghouse's position
bookkeeping (``_fill``, ``_charges``, ``_portfolio``) and of the MarginEngine's views.

Units: sizes in units of the instrument, prices, cash and values in quote units, all
WAD. A position's ``cost_basis`` is the cost of its open part: its trades' ``size *
price / WAD`` (rounded up), less the share realized by reductions. A perp's unit value
is the spot mark; an option's its Black-Scholes value
(``offchain/numerics/option_valuation.py``). Each formula below states where and which
way it rounds (equity down, losses and charges up: margin is never understated), and
each int256 bound is checked where the contract's checked arithmetic is."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from vmargin.errors import InputError
from vmargin.numerics.fixedpoint import WAD, Rounding, int256, mul_div, mul_wad
from vmargin.numerics.option_valuation import (
    OptionSeries,
    intrinsic_value,
    option_value,
    shocked_value,
)


class AssetNotInScenarioSet(InputError):
    """The account holds an asset that the scenario's returns do not cover."""


@dataclass(frozen=True)
class Position:
    """A position: ``size`` (WAD, negative = short), its ``cost_basis`` (WAD) and the
    market's funding and socialized-loss indices when its charges were last settled."""

    size: int
    cost_basis: int
    funding_index: int = 0
    loss_index: int = 0


@dataclass(frozen=True)
class MarketIndex:
    """A market's cumulative funding a long pays per unit and socialized loss every
    position pays per unit of absolute size (WAD quote per WAD unit)."""

    funding: int = 0
    loss: int = 0


def charges(position: Position, funding_index: int, loss_index: int) -> int:
    """What ``position`` owes since its snapshots (WAD, negative = receives): funding
    ``size * (F - F0) / WAD`` plus socialized loss ``|size| * (L - L0) / WAD``, each rounded
    up. Options pass ``funding_index`` 0: they pay no funding."""
    size = position.size
    if size == 0:
        return 0
    funding = mul_div(size, funding_index - position.funding_index, WAD, Rounding.CEIL)
    loss = mul_div(abs(size), loss_index - position.loss_index, WAD, Rounding.CEIL)
    return int256(funding + loss)


def fill(position: Position, size: int, cost: int) -> tuple[Position, int]:
    """``position`` after adding ``size`` at total ``cost``, and the PnL realized into cash.

    The part of ``size`` that reduces the position realizes its proceeds (its share of
    ``cost``, rounded toward zero, on a flip) less the closed share of the cost basis
    (rounded toward zero; all of it when the position closes or flips); the rest of
    ``cost`` adds to the basis. The snapshots are the caller's to move.
    """
    before = position.size
    after = before + size
    if before == 0 or (before > 0) == (size > 0):
        return replace(position, size=after, cost_basis=position.cost_basis + cost), 0
    flips = after != 0 and (after > 0) != (before > 0)
    closed_cost = mul_div(cost, -before, size, Rounding.TRUNC) if flips else cost
    closed_basis = (
        position.cost_basis
        if after == 0 or flips
        else mul_div(position.cost_basis, -size, before, Rounding.TRUNC)
    )
    basis = position.cost_basis + cost - closed_cost - closed_basis
    return replace(position, size=after, cost_basis=basis), -closed_cost - closed_basis


@dataclass(frozen=True)
class OptionPosition:
    """A position in one option series; ``settlement_price`` is the series' fixed settlement
    price once an expired series has been settled once (WAD), else 0."""

    series_id: int
    series: OptionSeries
    position: Position
    settlement_price: int = 0

    def unit_value(self, marks: "Marks") -> int:
        """One option's value: intrinsic at the settlement price once fixed, else
        Black-Scholes at the marks (intrinsic at the mark from expiry on)."""
        if self.settlement_price:
            return intrinsic_value(self.series, self.settlement_price)
        asset = self.series.asset
        return option_value(self.series, marks.spot[asset], marks.vol[asset], marks.now)


@dataclass(frozen=True)
class SpotCollateral:
    """A spot collateral balance (WAD units of the asset) and the asset's haircut (WAD)."""

    balance: int
    haircut: int

    @property
    def haircut_units(self) -> int:
        """balance * (1 - haircut) / WAD, rounded down: the units equity counts."""
        return mul_wad(self.balance, WAD - self.haircut, Rounding.FLOOR)


@dataclass(kw_only=True, frozen=True)
class Account:
    """A margin account: cash (WAD), perps by asset number, options in holding order, spot
    collateral by asset number, and the current indices of the markets it holds
    (``markets[asset]``, default zero)."""

    address: str
    cash: int
    positions: Mapping[int, Position] = field(default_factory=dict)
    options: tuple[OptionPosition, ...] = ()
    markets: Mapping[int, MarketIndex] = field(default_factory=dict)
    collateral: Mapping[int, SpotCollateral] = field(default_factory=dict)

    def market(self, asset: int) -> MarketIndex:
        """The indices of ``asset``'s market."""
        return self.markets.get(asset, MarketIndex())

    @property
    def spot_exposure(self) -> dict[int, int]:
        """Per asset, the units whose value moves one for one with the spot: the perp size
        plus the haircut collateral (the MarginEngine's ``spotExposure``); nonzero only."""
        exposure = {asset: c.haircut_units for asset, c in self.collateral.items()}
        for asset, position in self.positions.items():
            exposure[asset] = exposure.get(asset, 0) + position.size
        return {asset: units for asset, units in sorted(exposure.items()) if units != 0}

    @property
    def assets(self) -> set[int]:
        """The assets whose spot mark the account's value depends on."""
        return set(self.spot_exposure) | {option.series.asset for option in self.options}

    @property
    def option_assets(self) -> set[int]:
        """The assets whose implied vol the account's value depends on."""
        return {option.series.asset for option in self.options}


@dataclass(frozen=True)
class Marks:
    """Oracle spot prices and implied vols by asset number (WAD; 0 where not needed) and
    the block timestamp they are read at (unix seconds)."""

    spot: Sequence[int]
    vol: Sequence[int]
    now: int


def balance(account: Account) -> int:
    """cash - sum of cost bases - charges owed (WAD): the Clearinghouse's
    ``portfolioOf(account).balance``, what equity adds the positions' value to."""
    total = account.cash
    for asset, position in sorted(account.positions.items()):
        market = account.market(asset)
        total = int256(
            total - (position.cost_basis + charges(position, market.funding, market.loss))
        )
    for option in account.options:
        market = account.market(option.series.asset)
        total = int256(
            total - (option.position.cost_basis + charges(option.position, 0, market.loss))
        )
    return total


def equity(account: Account, marks: Marks) -> int:
    """balance + (sum units * unit value) / WAD, the division rounded down; a perp's and
    spot collateral's unit value is the spot mark."""
    value = 0
    for asset, units in account.spot_exposure.items():
        value = int256(value + int256(units * marks.spot[asset]))
    for option in account.options:
        value = int256(value + int256(option.position.size * option.unit_value(marks)))
    return int256(balance(account) + mul_div(value, 1, WAD, Rounding.FLOOR))


def position_value(account: Account, marks: Marks) -> int:
    """Sum of |size * unit value / WAD| (each rounded down before the absolute value): the
    value the close-factor rule compares with the dust value."""
    total = 0
    for asset, position in sorted(account.positions.items()):
        total += abs(mul_wad(position.size, marks.spot[asset], Rounding.FLOOR))
    for option in account.options:
        total += abs(mul_wad(option.position.size, option.unit_value(marks), Rounding.FLOOR))
    return int256(total)


def gross_notional(account: Account, marks: Marks) -> int:
    """Sum over spot exposures and options of |units| * spot / WAD, rounded up once: the
    notional of the underlying the liquidity add-on of initial margin is charged on."""
    units = sum(abs(u) * marks.spot[asset] for asset, u in account.spot_exposure.items())
    units += sum(abs(o.position.size) * marks.spot[o.series.asset] for o in account.options)
    return int256((units + WAD - 1) // WAD)  # units >= 0: this is the ceiling


def scenario_loss(
    account: Account, marks: Marks, spot_returns: Sequence[int], vol_shifts: Sequence[int]
) -> int:
    """Loss (WAD, positive = loss) if each asset's spot moves by its simple return and its
    implied vol by its shift.

    Spot exposure (perps and haircut collateral): ``units * mul_wad(mark, r, FLOOR)``;
    options: ``size * (shocked value - value)``, nothing once a settlement price is fixed;
    the sum divided by WAD rounded up once per account and scenario. Raises
    AssetNotInScenarioSet if the account holds an asset the scenario omits.
    """
    pnl = 0
    for asset, units in account.spot_exposure.items():
        _require_covered(account, asset, len(spot_returns))
        unit_move = mul_wad(marks.spot[asset], spot_returns[asset], Rounding.FLOOR)
        pnl = int256(pnl + int256(units * unit_move))
    for option in account.options:
        asset = option.series.asset
        _require_covered(account, asset, len(spot_returns))
        _require_covered(account, asset, len(vol_shifts))
        if option.settlement_price:
            continue
        spot, vol = marks.spot[asset], marks.vol[asset]
        move = shocked_value(
            option.series,
            spot=spot,
            vol=vol,
            spot_return=spot_returns[asset],
            vol_shift=vol_shifts[asset],
            now=marks.now,
        ) - option_value(option.series, spot, vol, marks.now)
        pnl = int256(pnl + int256(option.position.size * move))
    return mul_div(int256(-pnl), 1, WAD, Rounding.CEIL)


def _require_covered(account: Account, asset: int, covered: int) -> None:
    if asset >= covered:
        raise AssetNotInScenarioSet(
            f"{account.address} holds asset {asset}; the scenarios cover {covered}"
        )


def scenario_losses(
    account: Account,
    marks: Marks,
    spot_returns: Sequence[Sequence[int]],
    vol_shifts: Sequence[Sequence[int]],
) -> list[int]:
    """``scenario_loss`` for every scenario, in scenario order."""
    return [
        scenario_loss(account, marks, returns, shifts)
        for returns, shifts in zip(spot_returns, vol_shifts, strict=True)
    ]

"""Account valuation at oracle marks, the Python twin of the Clearinghouse views.

Units: sizes in units of the instrument, prices, cash and values in quote units, all
WAD. A position's ``cost_basis`` is the sum of ``size * price / WAD`` (rounded up)
over its trades. A perp's unit value is the spot mark; an option's its Black-Scholes
value (``offchain/options.py``). Each formula below states where and which way it
rounds (equity down, losses up: margin is never understated), and each int256 bound is
checked where the contract's checked arithmetic is.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from offchain.fixedpoint import WAD, Rounding, int256, mul_div, mul_wad
from offchain.options import OptionSeries, option_value, shocked_value


class AssetNotInScenarioSet(ValueError):
    """The account holds an asset that the scenario's returns do not cover."""


@dataclass(frozen=True)
class Position:
    """A position: ``size`` (WAD, negative = short) and its ``cost_basis`` (WAD)."""

    size: int
    cost_basis: int


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
            return option_value(self.series, self.settlement_price, 0, marks.now)
        asset = self.series.asset
        return option_value(self.series, marks.spot[asset], marks.vol[asset], marks.now)


@dataclass(frozen=True)
class Account:
    """A margin account: cash (WAD), perps by asset number, options in holding order."""

    address: str
    cash: int
    positions: Mapping[int, Position] = field(default_factory=dict)
    options: tuple[OptionPosition, ...] = ()

    @property
    def assets(self) -> set[int]:
        """The assets whose spot mark the account's value depends on."""
        return set(self.positions) | {option.series.asset for option in self.options}

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


def equity(account: Account, marks: Marks) -> int:
    """cash + (sum size * unit value) / WAD - sum cost_basis, the division rounded down."""
    value = 0
    cost_basis = 0
    for asset, position in account.positions.items():
        value = int256(value + int256(position.size * marks.spot[asset]))
        cost_basis = int256(cost_basis + position.cost_basis)
    for option in account.options:
        value = int256(value + int256(option.position.size * option.unit_value(marks)))
        cost_basis = int256(cost_basis + option.position.cost_basis)
    return int256(int256(account.cash + mul_div(value, 1, WAD, Rounding.FLOOR)) - cost_basis)


def scenario_loss(
    account: Account, marks: Marks, spot_returns: Sequence[int], vol_shifts: Sequence[int]
) -> int:
    """Loss (WAD, positive = loss) if each asset's spot moves by its simple return and its
    implied vol by its shift.

    Perps: ``size * mul_wad(mark, r, FLOOR)``; options: ``size * (shocked value - value)``,
    nothing once a settlement price is fixed; the sum divided by WAD rounded up once per
    account and scenario. Raises
    AssetNotInScenarioSet if the account holds an asset the scenario omits.
    """
    pnl = 0
    for asset, position in sorted(account.positions.items()):
        _require_covered(account, asset, len(spot_returns))
        unit_move = mul_wad(marks.spot[asset], spot_returns[asset], Rounding.FLOOR)
        pnl = int256(pnl + int256(position.size * unit_move))
    for option in account.options:
        asset = option.series.asset
        _require_covered(account, asset, len(spot_returns))
        _require_covered(account, asset, len(vol_shifts))
        if option.settlement_price:
            continue
        spot, vol = marks.spot[asset], marks.vol[asset]
        move = shocked_value(
            option.series, spot, vol, spot_returns[asset], vol_shifts[asset], marks.now
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

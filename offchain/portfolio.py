"""Account valuation at oracle marks, the Python twin of the Clearinghouse views.

Units: sizes in asset units, prices, cash and values in quote units, all WAD.
A position's ``cost_basis`` is the sum of ``size * price / WAD`` (rounded up) over
its trades. Each formula below states where and which way it rounds (equity
down, losses up: margin is never understated), and each int256 bound is checked
where the contract's checked arithmetic is.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from offchain.fixedpoint import WAD, Rounding, int256, mul_div, mul_wad


class AssetNotInScenarioSet(ValueError):
    """The account holds an asset that the scenario's returns do not cover."""


@dataclass(frozen=True)
class Position:
    """A perp position: ``size`` (WAD, negative = short) and its ``cost_basis`` (WAD)."""

    size: int
    cost_basis: int


@dataclass(frozen=True)
class Account:
    """A margin account: its cash (WAD) and its open positions by asset number."""

    address: str
    cash: int
    positions: Mapping[int, Position] = field(default_factory=dict)


def equity(account: Account, marks: Sequence[int]) -> int:
    """cash + (sum size * mark) / WAD - sum cost_basis, the division rounded down."""
    value = 0
    cost_basis = 0
    for asset, position in account.positions.items():
        value = int256(value + int256(position.size * marks[asset]))
        cost_basis = int256(cost_basis + position.cost_basis)
    return int256(int256(account.cash + mul_div(value, 1, WAD, Rounding.FLOOR)) - cost_basis)


def scenario_loss(account: Account, marks: Sequence[int], spot_returns: Sequence[int]) -> int:
    """Loss (WAD, positive = loss) if each asset moves by its simple return from its mark.

    ``-(sum size * (mark * r / WAD)) / WAD``: the per-unit move ``mark * r / WAD`` is
    rounded down once per asset and scenario, the loss up once per account and scenario.
    Raises AssetNotInScenarioSet if the account holds an asset ``spot_returns`` omits.
    """
    pnl = 0
    for asset, position in sorted(account.positions.items()):
        if asset >= len(spot_returns):
            raise AssetNotInScenarioSet(
                f"{account.address} holds asset {asset}; the scenarios cover {len(spot_returns)}"
            )
        unit_move = mul_wad(marks[asset], spot_returns[asset], Rounding.FLOOR)
        pnl = int256(pnl + int256(position.size * unit_move))
    return mul_div(int256(-pnl), 1, WAD, Rounding.CEIL)


def scenario_losses(
    account: Account, marks: Sequence[int], scenarios: Sequence[Sequence[int]]
) -> list[int]:
    """``scenario_loss`` for every scenario, in scenario order."""
    return [scenario_loss(account, marks, spot_returns) for spot_returns in scenarios]

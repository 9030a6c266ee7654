"""Account equity and scenario losses on small hand-computed portfolios."""

from dataclasses import replace

import pytest

from vmargin.numerics.fixedpoint import INT256_MAX, WAD, FixedPointOverflow
from vmargin.numerics.option_valuation import OptionSeries
from vmargin.numerics.portfolio import (
    Account,
    Marks,
    OptionPosition,
    Position,
    equity,
    scenario_loss,
    scenario_losses,
)

ETH, SOL = 0, 1


def long_eth_short_sol() -> Account:
    """Long 2 ETH bought at 1500, short 10 SOL sold at 20, 1000 cash."""
    return Account(
        address="0xabc",
        cash=1000 * WAD,
        positions={
            ETH: Position(size=2 * WAD, cost_basis=2 * 1500 * WAD),
            SOL: Position(size=-10 * WAD, cost_basis=-10 * 20 * WAD),
        },
    )


MARKS = [1600 * WAD, 25 * WAD]


def at(spot: list[int]) -> Marks:
    """Spot marks with no vols (perps only) at time 0."""
    return Marks(spot=spot, vol=[0] * len(spot), now=0)


def flat(returns: list[int]) -> list[int]:
    """No vol shift for each asset of ``returns``."""
    return [0] * len(returns)


def test_equity_without_positions_is_cash() -> None:
    assert equity(Account(address="0x1", cash=-7 * WAD), at(MARKS)) == -7 * WAD


def test_equity_long_and_short_several_assets() -> None:
    # value 2 * 1600 - 10 * 25 = 2950; cost basis 3000 - 200 = 2800; equity 1000 + 2950 - 2800.
    assert equity(long_eth_short_sol(), at(MARKS)) == 1150 * WAD


def test_equity_single_long_gains_single_short_loses() -> None:
    long = Account(
        address="0x2", cash=0, positions={ETH: Position(size=WAD, cost_basis=1500 * WAD)}
    )
    short = Account(
        address="0x3", cash=0, positions={ETH: Position(size=-WAD, cost_basis=-1500 * WAD)}
    )
    assert equity(long, at(MARKS)) == 100 * WAD
    assert equity(short, at(MARKS)) == -100 * WAD


def test_equity_rounds_down_never_overstating() -> None:
    # size * mark = -3 * WAD/2 = -1.5 WAD wei; / WAD rounds down to -2.
    account = Account(address="0x4", cash=10, positions={ETH: Position(size=-3, cost_basis=0)})
    assert equity(account, at([WAD // 2])) == 10 - 2
    # +1.5 wei rounds down to 1.
    account = Account(address="0x4", cash=10, positions={ETH: Position(size=3, cost_basis=0)})
    assert equity(account, at([WAD // 2])) == 10 + 1


def test_equity_rounds_once_per_account_not_per_position() -> None:
    # Each position alone is worth 0.5 wei, which rounds down to 0; together they are 1 wei.
    account = Account(
        address="0x5",
        cash=0,
        positions={ETH: Position(size=1, cost_basis=0), SOL: Position(size=1, cost_basis=0)},
    )
    assert equity(account, at([WAD // 2, WAD // 2])) == 1


def test_scenario_loss_long_and_short_several_assets() -> None:
    # ETH -10%: long 2 loses 2 * 160 = 320. SOL +20%: short 10 loses 10 * 5 = 50. Loss 370.
    returns = [-WAD // 10, 2 * WAD // 10]
    assert scenario_loss(long_eth_short_sol(), at(MARKS), returns, flat(returns)) == 370 * WAD


def test_scenario_loss_is_negative_when_the_account_gains() -> None:
    # ETH +10%: long gains 320. SOL -20%: short gains 50. Loss -370.
    returns = [WAD // 10, -2 * WAD // 10]
    assert scenario_loss(long_eth_short_sol(), at(MARKS), returns, flat(returns)) == -370 * WAD


def test_scenario_loss_zero_returns_is_zero() -> None:
    assert scenario_loss(long_eth_short_sol(), at(MARKS), [0, 0], flat([0, 0])) == 0


def test_scenario_loss_rounds_the_per_unit_move_down() -> None:
    # mark 3 wei, return -50%: unit move -1.5 wei -> -2 (down); 1 unit loses 2 wei.
    account = Account(address="0x6", cash=0, positions={ETH: Position(size=WAD, cost_basis=0)})
    assert scenario_loss(account, at([3]), [-WAD // 2], flat([-WAD // 2])) == 2
    # +50%: unit move +1.5 wei -> 1; 1 unit gains 1 wei.
    assert scenario_loss(account, at([3]), [WAD // 2], flat([WAD // 2])) == -1


def test_scenario_loss_rounds_the_loss_up() -> None:
    # 3 wei of size, mark 1, +50%: pnl = 1.5 WAD wei; loss -1.5 wei -> -1 (up, never understated).
    account = Account(address="0x7", cash=0, positions={ETH: Position(size=3, cost_basis=0)})
    assert scenario_loss(account, at([WAD]), [WAD // 2], flat([WAD // 2])) == -1
    # -50%: loss +1.5 wei -> 2.
    assert scenario_loss(account, at([WAD]), [-WAD // 2], flat([-WAD // 2])) == 2


def test_scenario_losses_in_scenario_order() -> None:
    scenarios = [[0, 0], [-WAD // 10, 2 * WAD // 10], [WAD // 10, -2 * WAD // 10]]
    assert scenario_losses(
        long_eth_short_sol(), at(MARKS), scenarios, [flat(r) for r in scenarios]
    ) == [0, 370 * WAD, -370 * WAD]


def test_equity_overflow_raises() -> None:
    whale = Account(address="0x8", cash=0, positions={ETH: Position(size=2**200, cost_basis=0)})
    with pytest.raises(FixedPointOverflow):
        equity(whale, at([2**60]))


def test_equity_cash_overflow_raises() -> None:
    account = Account(
        address="0x9", cash=INT256_MAX, positions={ETH: Position(size=WAD, cost_basis=0)}
    )
    with pytest.raises(FixedPointOverflow):
        equity(account, at([WAD]))


def test_scenario_loss_overflow_raises() -> None:
    whale = Account(address="0xa", cash=0, positions={ETH: Position(size=2**200, cost_basis=0)})
    with pytest.raises(FixedPointOverflow):
        scenario_loss(whale, at([2**120]), [WAD // 2], flat([WAD // 2]))


def test_a_settled_option_is_worth_its_intrinsic_value_and_no_scenario_moves_it() -> None:
    series = OptionSeries(asset=0, strike=2000 * WAD, expiry=100, is_call=True)
    settled = OptionPosition(0, series, Position(size=2 * WAD, cost_basis=0), 2300 * WAD)
    account = Account(address="0x9", cash=0, options=(settled,))
    # Marks after expiry (now > expiry) at a different spot: the fixed 2300 still counts.
    marks = Marks(spot=[2000 * WAD], vol=[WAD], now=200)
    assert equity(account, marks) == 600 * WAD
    assert scenario_loss(account, marks, [-WAD // 2], [WAD]) == 0
    # Unsettled after expiry: intrinsic at the mark, which scenarios move.
    unsettled = Account(address="0xa", cash=0, options=(replace(settled, settlement_price=0),))
    assert equity(unsettled, marks) == 0
    assert scenario_loss(unsettled, marks, [WAD // 10], [0]) == -400 * WAD

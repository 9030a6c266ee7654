"""The account-level initial-margin rule (issue 19, attack 1), as the settler applies it:
``vmargin.numerics.margin.needs_initial_margin`` on the account after the trade
(``vmargin.settlement.after_perp_trade`` / ``after_option_trade``), the twin of
``Clearinghouse._book``. Each attack of ``contracts/test/InitialMarginBypass.t.sol`` is a
side that needs a certificate; only a scale-down of the account's only exposure does not."""

from collections.abc import Callable

import pytest

from vmargin.numerics.fixedpoint import WAD
from vmargin.numerics.margin import needs_initial_margin, scales_down
from vmargin.numerics.option_valuation import OptionSeries
from vmargin.numerics.portfolio import Account, OptionPosition, Position, SpotCollateral
from vmargin.settlement import after_option_trade, after_perp_trade

ETH, BTC = 0, 1
CALL_2000, PUT_2000, CALL_2200 = 0, 1, 2
SERIES = {
    CALL_2000: OptionSeries(asset=ETH, strike=2000 * WAD, expiry=10**9, is_call=True),
    PUT_2000: OptionSeries(asset=ETH, strike=2000 * WAD, expiry=10**9, is_call=False),
    CALL_2200: OptionSeries(asset=ETH, strike=2200 * WAD, expiry=10**9, is_call=True),
}


def account(
    perps: dict[int, int] | None = None,
    options: dict[int, int] | None = None,
    collateral: int = 0,
) -> Account:
    """An account holding the given perps and options (sizes in units) and ETH collateral."""
    return Account(
        address="0xa11ce",
        cash=10_000 * WAD,
        positions={a: Position(size * WAD, size * 2000 * WAD) for a, size in (perps or {}).items()},
        options=tuple(
            OptionPosition(s, SERIES[s], Position(size * WAD, size * 100 * WAD))
            for s, size in (options or {}).items()
        ),
        collateral={ETH: SpotCollateral(collateral * WAD, WAD // 5)} if collateral else {},
    )


def perp_side(before: Account, asset: int, size: int) -> bool:
    """Whether the side adding ``size`` units of ``asset``'s perp at 2000 needs IM."""
    held = before.positions.get(asset, Position(0, 0)).size
    after = after_perp_trade(before, asset, size * WAD, size * 2000 * WAD)
    return needs_initial_margin(after, held, held + size * WAD)


def option_side(before: Account, series_id: int, size: int) -> bool:
    """Whether the side adding ``size`` options of ``series_id`` at 100 needs IM."""
    held = {o.series_id: o.position.size for o in before.options}.get(series_id, 0)
    after = after_option_trade(before, series_id, SERIES[series_id], size * WAD, size * 100 * WAD)
    return needs_initial_margin(after, held, held + size * WAD)


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (10, 4, True),
        (10, 0, True),
        (-10, -1, True),
        (10, 10, False),
        (10, -10, False),
        (10, -1, False),
        (0, 1, False),
        (10, 11, False),
    ],
)
def test_scales_down_is_toward_zero_without_a_flip(before: int, after: int, expected: bool) -> None:
    assert scales_down(before, after) is expected


def test_scaling_down_or_closing_the_only_position_needs_nothing() -> None:
    assert not perp_side(account(perps={ETH: 2}), ETH, -1)
    assert not perp_side(account(perps={ETH: -2}), ETH, 2)
    assert not option_side(account(options={CALL_2000: 10}), CALL_2000, -4)
    assert not option_side(account(options={CALL_2000: -10}), CALL_2000, 10)


@pytest.mark.parametrize(
    ("name", "side"),
    [
        ("perp flip, long 2 sold 4", lambda: perp_side(account(perps={ETH: 2}), ETH, -4)),
        (
            "option flip, long 10 calls sold 20",
            lambda: option_side(account(options={CALL_2000: 10}), CALL_2000, -20),
        ),
        (
            "call spread, long leg sold",
            lambda: option_side(account(options={CALL_2000: 10, CALL_2200: -10}), CALL_2000, -10),
        ),
        (
            "call spread, short leg bought back",
            lambda: option_side(account(options={CALL_2000: 10, CALL_2200: -10}), CALL_2200, 10),
        ),
        (
            "short straddle, put bought back",
            lambda: option_side(account(options={CALL_2000: -10, PUT_2000: -10}), PUT_2000, 10),
        ),
        (
            "short straddle, call bought back",
            lambda: option_side(account(options={CALL_2000: -10, PUT_2000: -10}), CALL_2000, 10),
        ),
        (
            "option roll, protective leg sold first",
            lambda: option_side(account(options={CALL_2000: -10, CALL_2200: 10}), CALL_2200, -10),
        ),
        (
            "put-hedged perp, puts sold",
            lambda: option_side(account(perps={ETH: 10}, options={PUT_2000: 10}), PUT_2000, -10),
        ),
        (
            "cross-asset hedge bought back",
            lambda: perp_side(account(perps={ETH: 1, BTC: -1}), BTC, 1),
        ),
        (
            "short perp hedging spot collateral, partly closed",
            lambda: perp_side(account(perps={ETH: -8}, collateral=10), ETH, 4),
        ),
        (
            "short perp hedging spot collateral, closed",
            lambda: perp_side(account(perps={ETH: -8}, collateral=10), ETH, 8),
        ),
        (
            "one of two positions reduced",
            lambda: option_side(account(options={CALL_2000: 10, PUT_2000: 10}), CALL_2000, -4),
        ),
        ("a new position", lambda: perp_side(account(), ETH, 1)),
        ("a position grown", lambda: perp_side(account(perps={ETH: 1}), ETH, 1)),
    ],
)
def test_every_other_side_needs_initial_margin(name: str, side: Callable[[], bool]) -> None:
    assert side(), name

"""The batch ES engines against the Python-int reference, bit for bit.

The reference is the one-account code path: losses ``mul_div(-(sum_i s_i * d_is), 1, WAD,
CEIL)`` (``portfolio.scenario_loss``'s formula), then ``expected_shortfall``,
``worst_scenarios`` and ``weighted_lower_bound``. Magnitudes go to the engine's domain edge
(``I * max|size| * max|unit P&L|`` up to 2^253), instrument counts to 300, and the scenario
sets include exact ties, so both the exact engine's fast path (exactly ceil(k) candidates
per account) and its ranked path (more candidates than witnesses) are compared.
"""

import random

import numpy as np
import pytest

from vmargin.chain.scenario_registry import PublishedScenarioSet
from vmargin.keeper.screen import assess_all
from vmargin.numerics.expected_shortfall import (
    expected_shortfall,
    tail_weight,
    weighted_lower_bound,
    worst_scenarios,
)
from vmargin.numerics.fixedpoint import WAD, Rounding, mul_div
from vmargin.numerics.option_valuation import OptionSeries
from vmargin.numerics.portfolio import (
    Account,
    Marks,
    OptionPosition,
    Position,
    SpotCollateral,
    equity,
    scenario_losses,
)
from vmargin.proofs.scenario_commitment import scenario_tree
from vmargin.risk import exact_products
from vmargin.risk.batch_expected_shortfall import (
    OutsideEngineDomain,
    exact_tail_risk,
    may_be_liquidatable,
    screened_tail_risk,
)
from vmargin.risk.exact_products import exact_losses
from vmargin.risk.scenario_pnl import book, float_unit_pnl


def reference_losses(sizes: list[list[int]], unit_pnl: list[list[int]]) -> list[list[int]]:
    """Every account's losses, one Python int at a time."""
    scenarios = len(unit_pnl[0])
    return [
        [
            mul_div(
                -sum(s * d[n] for s, d in zip(row, unit_pnl, strict=True)), 1, WAD, Rounding.CEIL
            )
            for n in range(scenarios)
        ]
        for row in sizes
    ]


def reference_tail(losses: list[int], alpha_bps: int) -> tuple[int, int, int, list[int]]:
    """ES, certificate lower bound, VaR (ceil(k)-th largest loss) and witnesses."""
    tail = tail_weight(len(losses), alpha_bps)
    witnesses = worst_scenarios(losses, tail.witness_count)
    return (
        expected_shortfall(losses, alpha_bps),
        weighted_lower_bound([losses[i] for i in witnesses], tail),
        sorted(losses, reverse=True)[tail.witness_count - 1],
        witnesses,
    )


def random_case(
    rng: random.Random,
    *,
    accounts: int,
    instruments: int,
    scenarios: int,
    size_bits: int,
    pnl_bits: int,
) -> tuple[list[list[int]], list[list[int]]]:
    """Random sizes and unit P&L up to the given bit lengths, with the extremes included:
    an account at +max in every instrument, one at -max, one flat; a scenario at +max and
    one at -max in every instrument."""
    sizes = [
        [rng.randint(-(2**size_bits) + 1, 2**size_bits - 1) for _ in range(instruments)]
        for _ in range(accounts)
    ]
    sizes[0] = [2**size_bits - 1] * instruments
    sizes[1] = [-(2**size_bits) + 1] * instruments
    sizes[2] = [0] * instruments
    unit_pnl = [
        [rng.randint(-(2**pnl_bits) + 1, 2**pnl_bits - 1) for _ in range(scenarios)]
        for _ in range(instruments)
    ]
    for row in unit_pnl:
        row[0] = 2**pnl_bits - 1
        row[-1] = -(2**pnl_bits) + 1
    return sizes, unit_pnl


def with_ties(unit_pnl: list[list[int]]) -> list[list[int]]:
    """The same scenarios with the second half a copy of the first: every loss appears at
    least twice, so witnesses are chosen among exactly equal losses by index."""
    half = len(unit_pnl[0]) // 2
    return [row[:half] + row[:half] + row[2 * half :] for row in unit_pnl]


CASES = [
    # accounts, instruments, scenarios, size bits, unit P&L bits, alpha (bps)
    (40, 10, 250, 80, 76, 9750),
    (30, 10, 1000, 90, 80, 9750),
    (25, 3, 100, 120, 125, 9900),
    (20, 300, 40, 100, 140, 9000),
    (20, 64, 60, 120, 126, 5000),
    (15, 2, 33, 1, 240, 9999),
    (15, 1, 7, 10, 10, 0),
    (12, 5, 1, 60, 60, 9750),
]


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize(
    ("accounts", "instruments", "scenarios", "size_bits", "pnl_bits", "alpha"), CASES
)
def test_exact_engines_equal_python_ints(
    *,
    accounts: int,
    instruments: int,
    scenarios: int,
    size_bits: int,
    pnl_bits: int,
    alpha: int,
    ties: bool,
) -> None:
    rng = random.Random(f"{accounts}-{instruments}-{scenarios}-{size_bits}-{pnl_bits}-{ties}")
    sizes, unit_pnl = random_case(
        rng,
        accounts=accounts,
        instruments=instruments,
        scenarios=scenarios,
        size_bits=size_bits,
        pnl_bits=pnl_bits,
    )
    if ties:
        unit_pnl = with_ties(unit_pnl)
    losses = reference_losses(sizes, unit_pnl)
    assert (
        exact_losses(np.array(sizes, dtype=object), np.array(unit_pnl, dtype=object)).tolist()
        == losses
    )
    risk = exact_tail_risk(sizes, unit_pnl, alpha)
    for account, account_losses in enumerate(losses):
        got = (
            risk.expected_shortfall[account],
            risk.lower_bound[account],
            risk.value_at_risk[account],
            risk.witnesses[account].tolist(),
        )
        assert got == reference_tail(account_losses, alpha), f"account {account}"


def test_exact_tail_risk_takes_both_paths_across_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of 4 accounts: some blocks have a tie at the ceil(k)-th loss (ranked path),
    the others exactly ceil(k) candidates (fast path); the result is still exact."""
    monkeypatch.setattr(exact_products, "BLOCK_ENTRIES", 4 * 200)
    rng = random.Random(7)
    sizes, unit_pnl = random_case(
        rng, accounts=40, instruments=4, scenarios=200, size_bits=70, pnl_bits=70
    )
    for row in sizes[20:24]:
        row[1:] = [0] * 3
    for row in unit_pnl[1:]:
        row[150] = row[3]
    unit_pnl[0][150] = unit_pnl[0][3]
    risk = exact_tail_risk(sizes, unit_pnl, 9750)
    for account, losses in enumerate(reference_losses(sizes, unit_pnl)):
        assert risk.expected_shortfall[account] == expected_shortfall(losses, 9750)
        assert risk.witnesses[account].tolist() == worst_scenarios(losses, 5)


def test_exact_tail_risk_of_no_accounts() -> None:
    risk = exact_tail_risk(np.empty((0, 2), dtype=object), [[1, 2, 3], [4, 5, 6]], 9000)
    assert risk.expected_shortfall == () and risk.witnesses.shape == (0, 1)


def test_engines_refuse_bad_input_by_name() -> None:
    with pytest.raises(OutsideEngineDomain, match="can overflow int256"):
        exact_tail_risk([[2**130]], [[2**125]], 9750)
    with pytest.raises(ValueError, match="sizes have 2 instruments, unit P&L has 1"):
        exact_tail_risk([[1, 2]], [[3, 4]], 9750)
    with pytest.raises(ValueError, match="sizes must hold integers"):
        exact_tail_risk([[1.5]], [[3]], 9750)
    with pytest.raises(ValueError, match="unit P&L must be a matrix"):
        exact_tail_risk([[1]], [3, 4], 9750)
    with pytest.raises(ValueError, match="alpha must be in"):
        exact_tail_risk([[1]], [[3, 4]], 10_000)


@pytest.mark.parametrize(("size_bits", "pnl_bits"), [(80, 76), (120, 120), (20, 20)])
def test_screened_bound_is_never_below_exact_es(size_bits: int, pnl_bits: int) -> None:
    """The float ES is close to the exact one, and its integer bound never below it, even
    when the float unit P&L is off by up to the error it declares."""
    rng = random.Random(size_bits)
    sizes, unit_pnl = random_case(
        rng, accounts=60, instruments=10, scenarios=500, size_bits=size_bits, pnl_bits=pnl_bits
    )
    declared = np.array([float(2 ** (pnl_bits - 30))] * 10)
    perturbed = np.array(unit_pnl, dtype=np.float64) + declared[:, None] * np.array(
        [[rng.choice((-1.0, 1.0)) for _ in range(500)] for _ in range(10)]
    )
    exact = exact_tail_risk(sizes, unit_pnl, 9750)
    for unit_pnl_float, error in (
        (np.array(unit_pnl, dtype=np.float64), np.zeros(10)),
        (perturbed, declared),
    ):
        screened = screened_tail_risk(
            np.array(sizes, dtype=np.float64), unit_pnl_float, error, 9750
        )
        for account, es in enumerate(exact.expected_shortfall):
            assert screened.expected_shortfall_bound[account] >= es
            assert (
                abs(screened.expected_shortfall[account] - es)
                <= 1e-9 * abs(es) + 2 + (np.abs(sizes[account]) @ error) / WAD
            )


def test_assess_all_equals_one_account_at_a_time() -> None:
    """Accounts with perps, haircut collateral, calls and puts on two assets and a settled
    series: ``assess_all`` gives each the ES, certified MM and witnesses that
    ``scenario_losses`` and the one-account functions give."""
    rng = random.Random(11)
    now = 1_800_000_000
    marks = Marks(spot=[3_000 * WAD, 60_000 * WAD], vol=[WAD * 7 // 10, WAD // 2], now=now)
    returns = tuple(
        (rng.randint(-WAD // 4, WAD // 4), rng.randint(-WAD // 3, WAD // 3)) for _ in range(120)
    )
    shifts = tuple(
        (rng.randint(-WAD // 10, WAD // 10), rng.randint(-WAD // 10, 0)) for _ in returns
    )
    scenarios = PublishedScenarioSet(
        epoch=1,
        alpha_bps=9750,
        spot_returns=returns,
        vol_shifts=shifts,
        tree=scenario_tree(returns, shifts),
    )
    series = [
        OptionSeries(asset=0, strike=3_300 * WAD, expiry=now + 30 * 86_400, is_call=True),
        OptionSeries(asset=1, strike=50_000 * WAD, expiry=now + 7 * 86_400, is_call=False),
        OptionSeries(asset=0, strike=2_000 * WAD, expiry=now - 86_400, is_call=True),
    ]
    accounts = []
    for number in range(12):
        options = tuple(
            OptionPosition(
                series_id=i,
                series=series[i],
                position=Position(size=rng.randint(-50 * WAD, 50 * WAD), cost_basis=0),
                settlement_price=2_500 * WAD if i == 2 else 0,
            )
            for i in rng.sample(range(3), rng.randint(0, 3))
        )
        accounts.append(
            Account(
                address=f"0x{number:040x}",
                cash=rng.randint(0, 10**6 * WAD),
                positions={
                    asset: Position(size=rng.randint(-20 * WAD, 20 * WAD), cost_basis=0)
                    for asset in rng.sample(range(2), rng.randint(0, 2))
                },
                options=options,
                collateral={1: SpotCollateral(balance=rng.randint(0, 3 * WAD), haircut=WAD // 10)}
                if number % 3 == 0
                else {},
            )
        )
    risks = assess_all(accounts, marks, scenarios, mm_factor=WAD * 12 // 10)
    tail = scenarios.tail
    for account, risk in zip(accounts, risks, strict=True):
        losses = scenario_losses(account, marks, returns, shifts)
        witnesses = worst_scenarios(losses, tail.witness_count)
        bound = weighted_lower_bound([losses[i] for i in witnesses], tail)
        assert risk.expected_shortfall == expected_shortfall(losses, 9750)
        assert risk.witnesses == tuple(witnesses)
        assert risk.certified_maintenance_margin == mul_div(
            WAD * 12 // 10, max(bound, 0), WAD, Rounding.FLOOR
        )
        assert risk.equity == equity(account, marks)


def test_an_account_whose_every_scenario_is_a_gain_owes_no_margin() -> None:
    """Long 1 ETH bought at 2000 under scenarios that all raise the price (+1% to +8%):
    every loss is negative, and so are ES and the certificate's bound. MM, certified MM and
    the screen's MM are 0, not negative, so the account is liquidatable, and flagged by the
    screen, exactly when its equity (here its cash) is negative."""
    returns = tuple((WAD * percent // 100,) for percent in range(1, 9))
    shifts = tuple((0,) for _ in returns)
    scenarios = PublishedScenarioSet(
        epoch=1,
        alpha_bps=7500,
        spot_returns=returns,
        vol_shifts=shifts,
        tree=scenario_tree(returns, shifts),
    )
    marks = Marks(spot=[2_000 * WAD], vol=[0], now=1_800_000_000)
    accounts = [
        Account(
            address=f"0x{number:040x}",
            cash=cash,
            positions={0: Position(size=WAD, cost_basis=2_000 * WAD)},
        )
        for number, cash in enumerate((-WAD, WAD))
    ]
    mm_factor = WAD * 12 // 10
    risks = assess_all(accounts, marks, scenarios, mm_factor=mm_factor)
    assert [risk.equity for risk in risks] == [-WAD, WAD]
    for risk in risks:
        assert risk.expected_shortfall == -30 * WAD  # the two smallest gains, 20 and 40
        assert (risk.maintenance_margin, risk.certified_maintenance_margin) == (0, 0)
    assert [risk.liquidatable for risk in risks] == [True, False]

    held = book(accounts, 1)
    unit_pnl, error = float_unit_pnl(held.instruments, marks, returns, shifts)
    screened = screened_tail_risk(held.sizes.astype(np.float64), unit_pnl, error, 7500)
    assert all(bound < 0 for bound in screened.expected_shortfall_bound)
    assert may_be_liquidatable(screened, [-WAD, WAD], mm_factor).tolist() == [True, False]

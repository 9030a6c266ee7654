"""Exact Expected Shortfall against an independent Rockafellar-Uryasev reference."""

import math
import random
from decimal import Decimal
from fractions import Fraction

import pytest

from vmargin.numerics.expected_shortfall import (
    TailWeight,
    expected_shortfall,
    rockafellar_uryasev_bound,
    tail_weight,
    weighted_lower_bound,
    worst_scenarios,
)
from vmargin.numerics.fixedpoint import WAD


def reference_es(losses: list[int], alpha_bps: int) -> Fraction:
    """min over sample values t of t + (1/k) * sum(max(L - t, 0)), exactly.

    The Rockafellar-Uryasev objective is convex and piecewise linear with kinks at the sample
    values, so its minimum is attained at one of them. It shares no code with the
    Acerbi-Tasche implementation under test.
    """
    k = Fraction(len(losses) * (10_000 - alpha_bps), 10_000)
    ordered = sorted(losses)
    # excess[i] = sum(max(L - ordered[i], 0)): every loss before position i is <= ordered[i]
    # and contributes 0, every loss from i on is >= ordered[i]. Suffix sums make this O(N).
    suffix = [0] * (len(ordered) + 1)
    for i in range(len(ordered) - 1, -1, -1):
        suffix[i] = suffix[i + 1] + ordered[i]
    excess = [suffix[i] - (len(ordered) - i) * t for i, t in enumerate(ordered)]
    # With k = k_num / 10_000 > 0: t + e / k = (k_num * t + 10_000 * e) / k_num. Minimise the
    # integer numerator, then divide once, exactly.
    pairs = zip(ordered, excess, strict=True)
    numerator = min(k.numerator * t + k.denominator * e for t, e in pairs)
    return Fraction(numerator, k.numerator)


def brute_force_excess(losses: list[int], t: int) -> int:
    return sum(max(loss - t, 0) for loss in losses)


def random_losses(rng: random.Random, n: int) -> list[int]:
    """Signed losses of one random magnitude class: tiny (many ties), WAD-scale, or huge."""
    kind = rng.choice(["tiny", "wad", "huge", "mixed"])
    if kind == "tiny":
        return [rng.randint(-3, 3) for _ in range(n)]
    if kind == "wad":
        return [rng.randint(-50 * WAD, 50 * WAD) for _ in range(n)]
    if kind == "huge":
        return [rng.randint(-(2**200), 2**200) for _ in range(n)]
    pool = [rng.randint(-5, 5), rng.randint(-(10**24), 10**24), -(2**190), 2**190]
    return [
        rng.choice(pool) if rng.random() < 0.3 else rng.randint(-(10**6), 10**6) for _ in range(n)
    ]


def random_alpha(rng: random.Random) -> int:
    return rng.choice([rng.randint(0, 9999), rng.randint(9000, 9999), 0, 9999, 9750, 9900, 9500])


def test_reference_matches_the_literal_definition_on_small_samples() -> None:
    # Guard for the reference itself: the O(N) evaluation equals the literal O(N^2) sum.
    rng = random.Random(1)
    for _ in range(300):
        losses = random_losses(rng, rng.randint(1, 40))
        alpha_bps = random_alpha(rng)
        k = Fraction(len(losses) * (10_000 - alpha_bps), 10_000)
        literal = min(t + Fraction(brute_force_excess(losses, t)) / k for t in losses)
        assert reference_es(losses, alpha_bps) == literal


# --- tail_weight -----------------------------------------------------------------------------


def test_tail_weight_for_1000_scenarios_at_97_5_percent() -> None:
    tail = tail_weight(1000, 9750)
    assert tail == TailWeight(n=1000, alpha_bps=9750, k_num=250_000, whole=25, frac=0)
    assert tail.witness_count == 25


def test_float_k_would_pick_one_scenario_too_many() -> None:
    # Why k is computed in integers: in binary floating point 1 - 0.975 is a bit above 0.025.
    assert math.ceil(1000 * (1 - 0.975)) == 26
    assert tail_weight(1000, 9750).witness_count == 25


def test_tail_weight_fractional_k() -> None:
    tail = tail_weight(250, 9900)  # k = 2.5
    assert (tail.k_num, tail.whole, tail.frac) == (25_000, 2, 5_000)
    assert tail.witness_count == 3


def test_tail_weight_k_below_one_and_k_equal_n() -> None:
    small = tail_weight(3, 9999)  # k = 0.0003
    assert (small.whole, small.frac, small.witness_count) == (0, 3, 1)
    full = tail_weight(7, 0)  # k = N
    assert (full.k_num, full.whole, full.frac, full.witness_count) == (70_000, 7, 0, 7)


@pytest.mark.parametrize("n", [0, -1])
def test_tail_weight_rejects_non_positive_n(n: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        tail_weight(n, 9750)


@pytest.mark.parametrize("alpha_bps", [-1, 10_000, 12_000])
def test_tail_weight_rejects_alpha_outside_range(alpha_bps: int) -> None:
    with pytest.raises(ValueError, match="alpha"):
        tail_weight(100, alpha_bps)


# --- expected_shortfall ----------------------------------------------------------------------


def test_expected_shortfall_small_hand_examples() -> None:
    # k = 2: mean of the two largest.
    assert expected_shortfall([1, 9, 3, 7, 5, 0, 0, 0, 0, 0], 8000) == 8
    # k = 2.5 over N = 10 (alpha 75%): (9 + 7 + 0.5 * 5) / 2.5 = 7.4 -> 8 (margin rounds up).
    assert expected_shortfall([1, 9, 3, 7, 5, 0, 0, 0, 0, 0], 7500) == 8
    # Up means toward +infinity, also for a negative ES: -(1 + 2 + 0.5*3) / 2.5 = -1.8 -> -1.
    assert expected_shortfall([-1, -2, -3, -4, -5, -6, -7, -8, -9, -10], 7500) == -1
    # alpha = 0: the plain mean.
    assert expected_shortfall([4 * WAD, -2 * WAD, WAD], 0) == WAD


def test_expected_shortfall_matches_rockafellar_uryasev_reference() -> None:
    rng = random.Random(97_500)
    fractional = whole = 0
    for _ in range(3000):
        n = rng.randint(1, 300)
        losses = random_losses(rng, n)
        alpha_bps = random_alpha(rng)
        if tail_weight(n, alpha_bps).frac:
            fractional += 1
        else:
            whole += 1
        assert expected_shortfall(losses, alpha_bps) == math.ceil(
            reference_es(losses, alpha_bps)
        ), (alpha_bps, losses)
    assert fractional > 500 and whole > 100  # both kinds of k were exercised


def test_expected_shortfall_does_not_depend_on_scenario_order() -> None:
    rng = random.Random(3)
    losses = [rng.randint(-WAD, WAD) for _ in range(101)]
    shuffled = losses[:]
    rng.shuffle(shuffled)
    assert expected_shortfall(losses, 9750) == expected_shortfall(shuffled, 9750)


def test_expected_shortfall_domain_errors() -> None:
    with pytest.raises(ValueError, match="positive"):
        expected_shortfall([], 9750)
    with pytest.raises(ValueError, match="alpha"):
        expected_shortfall([1, 2, 3], 10_000)
    with pytest.raises(ValueError, match="alpha"):
        expected_shortfall([1, 2, 3], -1)


# --- worst_scenarios -------------------------------------------------------------------------


def test_worst_scenarios_picks_largest_sorted_by_index() -> None:
    assert worst_scenarios([5, 1, 9, 3, 7], 3) == [0, 2, 4]
    assert worst_scenarios([5, 1, 9, 3, 7], 1) == [2]
    assert worst_scenarios([5, 1, 9, 3, 7], 5) == [0, 1, 2, 3, 4]


def test_worst_scenarios_ties_go_to_the_lower_index() -> None:
    assert worst_scenarios([4, 4, 4, 4], 2) == [0, 1]
    assert worst_scenarios([1, 8, 3, 8, 8], 2) == [1, 3]
    assert worst_scenarios([0, 5, 2, 2, 2], 3) == [1, 2, 3]


@pytest.mark.parametrize("count", [0, -1, 4])
def test_worst_scenarios_rejects_bad_count(count: int) -> None:
    with pytest.raises(ValueError, match="cannot pick"):
        worst_scenarios([1, 2, 3], count)


# --- weighted_lower_bound --------------------------------------------------------------------


def test_weighted_lower_bound_at_worst_scenarios_is_es_rounded_down_and_others_never_exceed() -> (
    None
):
    rng = random.Random(2718)
    for _ in range(1500):
        n = rng.randint(1, 120)
        losses = random_losses(rng, n)
        alpha_bps = random_alpha(rng)
        tail = tail_weight(n, alpha_bps)
        es = reference_es(losses, alpha_bps)

        witnesses = worst_scenarios(losses, tail.witness_count)
        assert weighted_lower_bound([losses[s] for s in witnesses], tail) == math.floor(es)

        for _ in range(3):
            other = rng.sample(range(n), tail.witness_count)
            assert weighted_lower_bound([losses[s] for s in other], tail) <= es


def test_weighted_lower_bound_hand_example() -> None:
    losses = [1, 9, 3, 7, 5, 0, 0, 0, 0, 0]
    tail = tail_weight(10, 7500)  # k = 2.5, three witnesses, the smallest at weight 0.5
    assert weighted_lower_bound([9, 7, 5], tail) == 7  # 18.5 / 2.5 = 7.4, rounded down
    assert weighted_lower_bound([9, 3, 1], tail) == 5  # (9 + 3 + 0.5 * 1) / 2.5 = 5
    assert weighted_lower_bound([1, 9, 3], tail) == 5  # the smallest carries 0.5, wherever it is
    assert weighted_lower_bound([-1, -2, -3], tail) == -2  # -1.8 rounded down: toward -infinity
    assert expected_shortfall(losses, 7500) == 8


def test_weighted_lower_bound_rejects_wrong_witness_count() -> None:
    tail = tail_weight(10, 7500)  # needs 3
    with pytest.raises(ValueError, match="names 3 scenarios, got 2"):
        weighted_lower_bound([9, 7], tail)
    with pytest.raises(ValueError, match="names 3 scenarios, got 4"):
        weighted_lower_bound([9, 7, 5, 3], tail)


# --- rockafellar_uryasev_bound ----------------------------------------------------------------


def test_rockafellar_uryasev_bound_is_es_at_the_boundary_loss_and_above_it_elsewhere() -> None:
    rng = random.Random(1_000)
    for _ in range(1500):
        n = rng.randint(1, 120)
        losses = random_losses(rng, n)
        alpha_bps = random_alpha(rng)
        tail = tail_weight(n, alpha_bps)
        es = expected_shortfall(losses, alpha_bps)
        boundary = sorted(losses, reverse=True)[tail.witness_count - 1]
        assert rockafellar_uryasev_bound(losses, boundary, alpha_bps) == es
        for threshold in (rng.choice(losses), rng.randint(min(losses) - 5, max(losses) + 5)):
            assert rockafellar_uryasev_bound(losses, threshold, alpha_bps) >= es


def test_rockafellar_uryasev_bound_hand_example() -> None:
    losses = [1, 9, 3, 7, 5, 0, 0, 0, 0, 0]  # k = 2.5 at 75%
    assert rockafellar_uryasev_bound(losses, 5, 7500) == 8  # 5 + (4 + 2) / 2.5 = 7.4 -> 8
    assert rockafellar_uryasev_bound(losses, 0, 7500) == 10  # 0 + 25 / 2.5 = 10
    assert rockafellar_uryasev_bound(losses, 9, 7500) == 9  # 9 + 0


@pytest.mark.parametrize(
    ("n", "alpha_bps", "expected"),
    [(100, 9750, "99.2"), (250, 9900, "249.2"), (250, 9750, "247.36")],
)
def test_known_es_vectors(n: int, alpha_bps: int, expected: str) -> None:
    # Losses 1..n in whole units: the published values of the issue, exactly.
    losses = [i * WAD for i in range(1, n + 1)]
    assert expected_shortfall(losses, alpha_bps) == int(Decimal(expected) * WAD)
    witnesses = worst_scenarios(losses, tail_weight(n, alpha_bps).witness_count)
    bound = weighted_lower_bound([losses[i] for i in witnesses], tail_weight(n, alpha_bps))
    assert bound == int(Decimal(expected) * WAD)

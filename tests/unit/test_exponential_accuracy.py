"""exp_wad, ln_wad and pow_wad against mpmath (50 digits), and their documented bounds.

The accuracy bounds asserted are the ones measured by benchmarks/accuracy_exponential.py,
with a little margin. The same functions against Exponential.sol on Anvil are in
``tests/node/test_exponential.py``."""

import random

import pytest
from mpmath import mp, mpf

from support.exponential_inputs import exp_cases, ln_cases, pow_cases
from vmargin.numerics.exponential import (
    EXP_MAX_INPUT,
    EXP_ZERO_BOUND,
    ExpOverflow,
    LnOfNonPositive,
    exp_wad,
    ln_wad,
    pow_wad,
)
from vmargin.numerics.fixedpoint import INT256_MAX, WAD

ACCURACY_SUBSET = 5_000


def test_bounds_are_exact() -> None:
    """EXP_MAX_INPUT = floor(ln((2**255 - 1) / 1e18) * 1e18) - 1 (Solady's bound, one
    below the last input whose exact result fits), EXP_ZERO_BOUND = floor(ln(1e-18) * 1e18),
    and the result at EXP_MAX_INPUT fits in int256."""
    with mp.workdps(80):
        assert int(mp.floor(mp.log(mpf(INT256_MAX) / WAD) * WAD)) == EXP_MAX_INPUT + 1
        assert int(mp.floor(mp.log(mpf(1) / WAD) * WAD)) == EXP_ZERO_BOUND
    assert exp_wad(EXP_MAX_INPUT) <= INT256_MAX
    with pytest.raises(ExpOverflow, match="does not fit in int256"):
        exp_wad(EXP_MAX_INPUT + 1)
    with pytest.raises(LnOfNonPositive, match="non-positive"):
        ln_wad(0)


# ------------------------------------------------------------------ accuracy vs mpmath


def test_exp_wad_accuracy() -> None:
    """|exp_wad(x) - e^x| < max(e^x, 1) * 1e-18: below 1 wei for results below 1, below
    1e-18 relative above; and at most 0.02 of that above the exact value (the approximation
    rounds down)."""
    rng = random.Random(4)
    cases = rng.sample(exp_cases(rng), ACCURACY_SUBSET)
    cases = [x for x in cases if EXP_ZERO_BOUND < x <= EXP_MAX_INPUT]
    with mp.workdps(50):
        exact = [mp.exp(mpf(x) / WAD) * WAD for x in cases]
        scaled = [(exp_wad(x) - e) / max(e, WAD) * WAD for x, e in zip(cases, exact, strict=True)]
        low, high = min(scaled), max(scaled)
    assert low > -1 and high < mpf("0.02"), (low, high)


def test_ln_wad_accuracy() -> None:
    """-1.06 wei < ln_wad(x) - ln(x) < 0.06 wei."""
    rng = random.Random(5)
    cases = rng.sample(ln_cases(rng), ACCURACY_SUBSET)
    with mp.workdps(50):
        errors = [ln_wad(x) - mp.log(mpf(x) / WAD) * WAD for x in cases]
        low, high = min(errors), max(errors)
    assert low > mpf("-1.06") and high < mpf("0.06"), (low, high)


def test_pow_wad_accuracy() -> None:
    """|pow_wad(x, y) - x^y| <= 2 (1 + |y|) max(x^y, 1) 1e-18 (ln's ~1 wei error is
    multiplied by y; below 1 wei more each from the exponent's truncation and from exp)."""
    rng = random.Random(6)
    cases = rng.sample(pow_cases(rng), ACCURACY_SUBSET)
    worst = mpf(0)
    with mp.workdps(50):
        for x, y in cases:
            exact = mp.power(mpf(x) / WAD, mpf(y) / WAD) * WAD
            bound = max(exact, WAD) * (1 + abs(mpf(y)) / WAD)
            worst = max(worst, abs(pow_wad(x, y) - exact) / bound * WAD)
    assert worst <= 2, worst

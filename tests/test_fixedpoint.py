"""Signed WAD fixed point: truncation toward zero and int256 bounds, as in Solidity."""

import random
from fractions import Fraction

import pytest

from offchain.fixedpoint import (
    INT256_MAX,
    INT256_MIN,
    WAD,
    FixedPointOverflow,
    div_trunc,
    int256,
    mul_wad,
)

EDGES = [0, 1, -1, 2, -2, 7, -7, WAD, -WAD, WAD - 1, -(WAD - 1), INT256_MAX, INT256_MIN + 1]
EDGE_DIVISORS = [1, -1, 2, -2, 3, -3, WAD, -WAD, INT256_MAX, INT256_MIN]


def reference_div(numerator: int, denominator: int) -> int:
    """Division truncated toward zero, defined through exact rationals."""
    return int(Fraction(numerator, denominator))


def random_int256(rng: random.Random) -> int:
    """A signed int256 of a random bit length, so small and huge values both occur."""
    bits = rng.randint(0, 255)
    value = rng.getrandbits(bits) if bits else 0
    return -value if rng.random() < 0.5 else value


def test_constants():
    assert WAD == 10**18
    assert INT256_MIN == -(2**255)
    assert INT256_MAX == 2**255 - 1


def test_int256_bounds():
    assert int256(INT256_MAX) == INT256_MAX
    assert int256(INT256_MIN) == INT256_MIN
    with pytest.raises(FixedPointOverflow):
        int256(INT256_MAX + 1)
    with pytest.raises(FixedPointOverflow):
        int256(INT256_MIN - 1)


def test_div_trunc_matches_fraction_reference_on_edges():
    numerators = [*EDGES, INT256_MIN]
    for numerator in numerators:
        for denominator in EDGE_DIVISORS:
            if numerator == INT256_MIN and denominator == -1:
                continue  # the one overflowing case, tested on its own
            assert div_trunc(numerator, denominator) == reference_div(numerator, denominator), (
                numerator,
                denominator,
            )


def test_div_trunc_matches_fraction_reference_on_random_inputs():
    rng = random.Random(20240601)
    checked = 0
    while checked < 5000:
        numerator = random_int256(rng)
        denominator = random_int256(rng)
        if denominator == 0:
            continue
        assert div_trunc(numerator, denominator) == reference_div(numerator, denominator), (
            numerator,
            denominator,
        )
        checked += 1


def test_div_trunc_random_small_signed_values_cover_every_sign_combination():
    rng = random.Random(7)
    signs = set()
    for _ in range(3000):
        numerator = rng.randint(-1000, 1000)
        denominator = rng.choice([d for d in range(-13, 14) if d != 0])
        signs.add((numerator < 0, denominator < 0))
        assert div_trunc(numerator, denominator) == reference_div(numerator, denominator)
    assert len(signs) == 4


def test_div_trunc_is_not_python_floor_division_on_negative_values():
    assert -7 // 2 == -4
    assert div_trunc(-7, 2) == -3
    assert 7 // -2 == -4
    assert div_trunc(7, -2) == -3
    assert div_trunc(-7, -2) == 3 == -7 // -2
    assert (-1) // WAD == -1
    assert div_trunc(-1, WAD) == 0


def test_div_trunc_by_minus_one_negates_except_int256_min():
    assert div_trunc(INT256_MAX, -1) == -INT256_MAX
    assert div_trunc(INT256_MIN + 1, -1) == INT256_MAX
    assert div_trunc(INT256_MIN, 1) == INT256_MIN


def test_div_trunc_int256_min_by_minus_one_overflows():
    with pytest.raises(FixedPointOverflow):
        div_trunc(INT256_MIN, -1)


@pytest.mark.parametrize("numerator", [0, 1, -1, INT256_MAX, INT256_MIN])
def test_div_trunc_by_zero_raises_zero_division(numerator):
    with pytest.raises(ZeroDivisionError):
        div_trunc(numerator, 0)


def test_mul_wad_values_and_truncation_toward_zero():
    assert mul_wad(2 * WAD, 3 * WAD) == 6 * WAD
    assert mul_wad(-2 * WAD, 3 * WAD) == -6 * WAD
    assert mul_wad(WAD // 2, WAD // 2) == WAD // 4
    assert mul_wad(3, WAD // 2) == 1  # 1.5 wei truncated
    assert mul_wad(-3, WAD // 2) == -1  # -1.5 wei truncated toward zero, not floored to -2
    assert mul_wad(-1, 1) == 0


def test_mul_wad_matches_fraction_reference_on_random_inputs():
    rng = random.Random(11)
    for _ in range(2000):
        a = rng.randint(-(2**120), 2**120)
        b = rng.randint(-(2**120), 2**120)
        assert mul_wad(a, b) == int(Fraction(a * b, WAD))


def test_mul_wad_overflow_raises():
    with pytest.raises(FixedPointOverflow):
        mul_wad(INT256_MAX, 2)
    with pytest.raises(FixedPointOverflow):
        mul_wad(INT256_MIN, -1)


def test_mul_wad_checks_the_product_not_only_the_result():
    # INT256_MAX * WAD / WAD would fit, but the int256 product does not (Solidity reverts).
    with pytest.raises(FixedPointOverflow):
        mul_wad(INT256_MAX, WAD)

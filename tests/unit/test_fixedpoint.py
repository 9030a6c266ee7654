"""Signed WAD fixed point: rounding directions, truncation toward zero and int256 bounds."""

import math
import random
from fractions import Fraction

import pytest

from vmargin.numerics.fixedpoint import (
    INT256_MAX,
    INT256_MIN,
    WAD,
    FixedPointOverflow,
    Rounding,
    div_trunc,
    div_wad,
    int256,
    mul_div,
    mul_wad,
    sqrt_wad,
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


def test_constants() -> None:
    assert WAD == 10**18
    assert INT256_MIN == -(2**255)
    assert INT256_MAX == 2**255 - 1


def test_int256_bounds() -> None:
    assert int256(INT256_MAX) == INT256_MAX
    assert int256(INT256_MIN) == INT256_MIN
    with pytest.raises(FixedPointOverflow):
        int256(INT256_MAX + 1)
    with pytest.raises(FixedPointOverflow):
        int256(INT256_MIN - 1)


def test_div_trunc_matches_fraction_reference_on_edges() -> None:
    numerators = [*EDGES, INT256_MIN]
    for numerator in numerators:
        for denominator in EDGE_DIVISORS:
            if numerator == INT256_MIN and denominator == -1:
                continue  # the one overflowing case, tested on its own
            assert div_trunc(numerator, denominator) == reference_div(numerator, denominator), (
                numerator,
                denominator,
            )


def test_div_trunc_matches_fraction_reference_on_random_inputs() -> None:
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


def test_div_trunc_random_small_signed_values_cover_every_sign_combination() -> None:
    rng = random.Random(7)
    signs = set()
    for _ in range(3000):
        numerator = rng.randint(-1000, 1000)
        denominator = rng.choice([d for d in range(-13, 14) if d != 0])
        signs.add((numerator < 0, denominator < 0))
        assert div_trunc(numerator, denominator) == reference_div(numerator, denominator)
    assert len(signs) == 4


def test_div_trunc_is_not_python_floor_division_on_negative_values() -> None:
    assert -7 // 2 == -4
    assert div_trunc(-7, 2) == -3
    assert 7 // -2 == -4
    assert div_trunc(7, -2) == -3
    assert div_trunc(-7, -2) == 3 == -7 // -2
    assert (-1) // WAD == -1
    assert div_trunc(-1, WAD) == 0


def test_div_trunc_by_minus_one_negates_except_int256_min() -> None:
    assert div_trunc(INT256_MAX, -1) == -INT256_MAX
    assert div_trunc(INT256_MIN + 1, -1) == INT256_MAX
    assert div_trunc(INT256_MIN, 1) == INT256_MIN


def test_div_trunc_int256_min_by_minus_one_overflows() -> None:
    with pytest.raises(FixedPointOverflow):
        div_trunc(INT256_MIN, -1)


@pytest.mark.parametrize("numerator", [0, 1, -1, INT256_MAX, INT256_MIN])
def test_div_trunc_by_zero_raises_zero_division(numerator: int) -> None:
    with pytest.raises(ZeroDivisionError):
        div_trunc(numerator, 0)


def reference_mul_div(x: int, y: int, d: int, rounding: Rounding) -> int:
    """x * y / d rounded as asked, from its definition with exact fractions."""
    exact = Fraction(x * y, d)
    return {
        Rounding.FLOOR: math.floor(exact),
        Rounding.CEIL: math.ceil(exact),
        Rounding.TRUNC: int(exact),
        Rounding.EXPAND: math.floor(exact) if exact < 0 else math.ceil(exact),
    }[rounding]


def test_mul_wad_rounds_in_the_asked_direction() -> None:
    assert mul_wad(2 * WAD, 3 * WAD, Rounding.TRUNC) == 6 * WAD
    assert mul_wad(-2 * WAD, 3 * WAD, Rounding.FLOOR) == -6 * WAD
    # 1.5 wei and -1.5 wei in each direction
    assert [mul_wad(3, WAD // 2, r) for r in Rounding] == [1, 2, 1, 2]
    assert [mul_wad(-3, WAD // 2, r) for r in Rounding] == [-2, -1, -1, -2]
    # exact results do not move
    assert [mul_wad(-4, WAD // 2, r) for r in Rounding] == [-2, -2, -2, -2]


@pytest.mark.parametrize("rounding", list(Rounding))
def test_mul_div_matches_fraction_reference_on_random_inputs(rounding: Rounding) -> None:
    rng = random.Random(11 + rounding.value)
    for _ in range(3000):
        x = rng.choice([-1, 1]) * rng.getrandbits(rng.randint(1, 255))
        y = rng.choice([-1, 1]) * rng.getrandbits(rng.randint(1, 255))
        d = rng.choice([-1, 1]) * (rng.getrandbits(rng.randint(1, 255)) or 1)
        expected = reference_mul_div(x, y, d, rounding)
        if INT256_MIN <= expected <= INT256_MAX:
            assert mul_div(x, y, d, rounding) == expected
        else:
            with pytest.raises(FixedPointOverflow):
                mul_div(x, y, d, rounding)


def test_mul_div_has_no_phantom_overflow() -> None:
    # The 510-bit product is fine when the result fits: 512-bit intermediate.
    assert mul_div(INT256_MAX, INT256_MAX, INT256_MAX, Rounding.TRUNC) == INT256_MAX
    assert mul_wad(INT256_MAX, WAD, Rounding.FLOOR) == INT256_MAX
    assert mul_div(INT256_MIN, 1, 1, Rounding.CEIL) == INT256_MIN


def test_mul_div_overflow_and_zero_denominator_raise() -> None:
    with pytest.raises(FixedPointOverflow):
        mul_wad(INT256_MAX, 2 * WAD, Rounding.TRUNC)
    with pytest.raises(FixedPointOverflow):
        mul_div(INT256_MIN, -1, 1, Rounding.TRUNC)
    with pytest.raises(FixedPointOverflow):
        mul_div(2**255, 1, 1, Rounding.TRUNC)
    with pytest.raises(ZeroDivisionError):
        mul_div(1, 1, 0, Rounding.FLOOR)


def test_div_wad_and_sqrt_wad() -> None:
    assert div_wad(1, 3, Rounding.FLOOR) == WAD // 3
    assert div_wad(1, 3, Rounding.CEIL) == WAD // 3 + 1
    assert div_wad(-1, 3, Rounding.FLOOR) == -(WAD // 3) - 1
    assert sqrt_wad(4 * WAD) == 2 * WAD
    assert sqrt_wad(2 * WAD) == 1_414_213_562_373_095_048  # floor of sqrt(2) in WAD
    assert sqrt_wad(0) == 0
    assert sqrt_wad(1) == 10**9
    with pytest.raises(ValueError, match="negative"):
        sqrt_wad(-1)
    with pytest.raises(FixedPointOverflow):
        sqrt_wad((2**256 - 1) // WAD + 1)

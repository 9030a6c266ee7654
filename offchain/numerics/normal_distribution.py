"""The standard normal distribution in signed WAD fixed point: ``cdf`` and ``pdf``.

Python twin of ``contracts/libraries/NormalDistribution.sol``: the same integer for
every int256 input (both are total functions and never fail). Inputs and outputs are
integers scaled by ``WAD = 10**18``. The algorithm is Hart's (1968) double-precision
normal CDF as published by Graeme West, "Better approximations to cumulative normal
functions" (Wilmott, 2005); the spec, constants, rounding and measured errors are in
docs/numerics.md ("Normal distribution").

Every operand and intermediate is non-negative, so ``Rounding.FLOOR`` is also
truncation; ``//`` is never used.
"""

from vmargin.numerics.exponential import exp_wad
from vmargin.numerics.fixedpoint import WAD, Rounding, div_wad, mul_div, mul_wad

#: Beyond |x| > 37 (WAD) the lower tail is taken as 0, as in West's text.
CUTOFF = 37 * WAD
#: 7.07106781186547: below it the rational, from it the continued fraction.
CONTINUED_FRACTION_FROM = 7_071_067_811_865_470_000
#: floor(1e18 / sqrt(2 pi)).
INV_SQRT_2PI = 398_942_280_401_432_677

#: Hart's numerator P(a), highest degree first: P6 ... P0 (WAD).
NUMERATOR = (
    35_262_496_599_891_100,
    700_383_064_443_688_000,
    6_373_962_203_531_650_000,
    33_912_866_078_383_000_000,
    112_079_291_497_871_000_000,
    221_213_596_169_931_000_000,
    220_206_867_912_376_000_000,
)
#: Hart's denominator Q(a), highest degree first: Q7 ... Q0 (WAD).
DENOMINATOR = (
    88_388_347_648_318_400,
    1_755_667_163_182_640_000,
    16_064_177_579_207_000_000,
    86_780_732_202_946_100_000,
    296_564_248_779_674_000_000,
    637_333_633_378_831_000_000,
    793_826_512_519_948_000_000,
    440_413_735_824_752_000_000,
)
#: 0.65, the innermost term of the continued fraction.
CF_TAIL = 650_000_000_000_000_000


def cdf(x: int) -> int:
    """N(x / 1e18) as WAD, in [0, 1e18]; ``cdf(x) + cdf(-x) == WAD`` exactly.

    0 below -37e18, WAD above 37e18; otherwise the lower tail N(-|x|) by Hart's
    algorithm, returned as is for x <= 0 and as ``WAD - tail`` for x > 0.
    """
    if x < -CUTOFF:
        return 0
    if x > CUTOFF:
        return WAD
    if x > 0:
        return WAD - _lower_tail(x)
    return _lower_tail(-x)


def pdf(x: int) -> int:
    """phi(x / 1e18) = exp(-x^2/2) / sqrt(2 pi) as WAD, rounded down.

    0 for |x| > 37e18; else ``mul_wad(exp_wad(-mul_div(a, a, 2e18, FLOOR)),
    INV_SQRT_2PI, FLOOR)`` with a = |x|.
    """
    if x < -CUTOFF or x > CUTOFF:
        return 0
    return mul_wad(_exp_half_square(abs(x)), INV_SQRT_2PI, Rounding.FLOOR)


def _exp_half_square(a: int) -> int:
    """exp(-a^2/2) for 0 <= a <= CUTOFF, with a^2/2 rounded down."""
    return exp_wad(-mul_div(a, a, 2 * WAD, Rounding.FLOOR))


def _horner(coefficients: tuple[int, ...], a: int) -> int:
    """The polynomial at a, each step ``mul_wad(h, a, FLOOR) + c``."""
    value = coefficients[0]
    for coefficient in coefficients[1:]:
        value = mul_wad(value, a, Rounding.FLOOR) + coefficient
    return value


def _lower_tail(a: int) -> int:
    """N(-a) for 0 <= a <= CUTOFF."""
    e = _exp_half_square(a)
    if e == 0:
        return 0
    if a < CONTINUED_FRACTION_FROM:
        return mul_div(e, _horner(NUMERATOR, a), _horner(DENOMINATOR, a), Rounding.FLOOR)
    b = a + CF_TAIL
    for k in (4, 3, 2, 1):
        b = a + div_wad(k * WAD, b, Rounding.FLOOR)
    return mul_div(e, INV_SQRT_2PI, b, Rounding.FLOOR)

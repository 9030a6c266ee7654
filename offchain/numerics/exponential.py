"""exp, ln and pow on signed WAD numbers, bit-identical to the Solidity library.

Solidity twin: ``contracts/libraries/Exponential.sol``, a port of Solady's
``FixedPointMathLib.expWad`` / ``lnWad`` (MIT), which implement Remco Bloemen's
rational approximations (https://2π.com/22/exp-ln, MIT). Inputs and results are
integers scaled by ``WAD = 10**18``. The functions are approximations, not
correctly rounded; the measured error bounds are in ``docs/numerics.md``.

Every intermediate value fits in int256 on the whole domain (the final product of
``exp_wad`` in uint256), so exact Python integers reproduce Solidity's unchecked
arithmetic; ``_checked`` asserts it anyway. Python's ``>>`` floors on negative
integers exactly like Solidity's ``>>`` on int256 (an arithmetic shift), and
Solidity's signed ``/`` is :func:`vmargin.numerics.fixedpoint.div_trunc`.
"""

from vmargin.errors import InputError
from vmargin.numerics.fixedpoint import (
    INT256_MAX,
    INT256_MIN,
    WAD,
    FixedPointOverflow,
    div_trunc,
    int256,
)

# Largest input of exp_wad, Solady's bound: floor(ln((2**255 - 1) / 1e18) * 1e18) - 1.
EXP_MAX_INPUT = 135_305_999_368_893_231_588
# exp_wad(x) == 0 for every x <= EXP_ZERO_BOUND = floor(ln(1e-18) * 1e18).
EXP_ZERO_BOUND = -41_446_531_673_892_822_313

# ln(2) * 2**96, for the range reduction of exp.
_LN2_X96 = 54_916_777_467_707_473_351_141_471_128
# exp's final factor: s * 5**18 * 2**117 (scale factor s of the rational approximation).
_EXP_SCALE = 3_822_833_074_963_236_453_042_738_258_902_158_003_155_416_615_667
# ln's final terms, in 5**18 * 2**192 basis: scale factor s * 5**18 * 2**96, ln(2) and
# ln(2**96 / 1e18) (the change of base), each times 5**18 * 2**192.
_LN_SCALE = 1_677_202_110_996_718_588_342_820_967_067_443_963_516_166
_LN_LN2 = (
    16_597_577_552_685_614_221_487_285_958_193_947_469_193_820_559_219_878_177_908_093_499_208_371
)
_LN_BASE = (
    600_920_179_829_731_861_736_702_779_321_621_459_595_472_258_049_074_101_567_377_883_020_018_308
)


class ExpOverflow(FixedPointOverflow):
    """exp_wad of x > EXP_MAX_INPUT: the result does not fit in int256.

    The contract's ``Exponential.ExpOverflow(x)``.
    """

    def __init__(self, x: int) -> None:
        self.x = x
        super().__init__(
            f"exp_wad({x}): input above {EXP_MAX_INPUT} (about ln of the int256 maximum), "
            "the result does not fit in int256"
        )


class LnOfNonPositive(InputError):
    """ln_wad (or pow_wad) of x <= 0. The contract's ``Exponential.LnOfNonPositive(x)``."""

    def __init__(self, x: int) -> None:
        self.x = x
        super().__init__(f"ln_wad({x}): logarithm of a non-positive number")


def _checked(value: int) -> int:
    """An intermediate of the unchecked Solidity code: it must not wrap."""
    if not INT256_MIN <= value <= INT256_MAX:  # pragma: no cover - proven unreachable
        raise AssertionError(f"intermediate {value} would wrap in int256")
    return value


def exp_wad(x: int) -> int:
    """e**(x / 1e18) as WAD (an integer scaled by 1e18).

    Domain: x <= EXP_MAX_INPUT (about 135.306e18), else :class:`ExpOverflow`. Returns 0
    exactly for x <= EXP_ZERO_BOUND (about -41.4465e18), where e**x is below 1 wei. The
    last step floors, so results are approximately rounded down (not correctly rounded):
    measured error in (-1, +0.02) * max(e**x, 1) * 1e-18, i.e. below 1 wei for results
    below 1 and below 1e-18 relative above. exp_wad(0) == 10**18 exactly; monotonically
    non-decreasing.
    """
    int256(x)
    if x <= EXP_ZERO_BOUND:
        return 0
    if x > EXP_MAX_INPUT:
        raise ExpOverflow(x)

    # Change of base 1e18 -> 2**96, truncated toward zero: x * 2**96 / 1e18.
    x = div_trunc(x << 78, 5**18)

    # exp(x) = 2**k * exp(x - k ln 2), k = round(x / ln 2) (half up).
    k = (div_trunc(x << 96, _LN2_X96) + 2**95) >> 96
    x = x - k * _LN2_X96

    # (6, 7)-term rational approximation, p and q monic, in 2**96 basis.
    y = x + 1_346_386_616_545_796_478_920_950_773_328
    y = _checked(((y * x) >> 96) + 57_155_421_227_552_351_082_224_309_758_442)
    p = y + x - 94_201_549_194_550_492_254_356_042_504_812
    p = _checked((_checked(p * y) >> 96) + 28_719_021_644_029_726_153_956_944_680_412_240)
    p = _checked(_checked(p * x) + (4_385_272_521_454_847_904_659_076_985_693_276 << 96))

    q = x - 2_855_989_394_907_223_263_936_484_059_900
    q = (_checked(q * x) >> 96) + 50_020_603_652_535_783_019_961_831_881_945
    q = (_checked(q * x) >> 96) - 533_845_033_583_426_703_283_633_433_725_380
    q = (_checked(q * x) >> 96) + 3_604_857_256_930_695_427_073_651_918_091_429
    q = (_checked(q * x) >> 96) - 14_423_608_567_350_463_180_887_372_962_807_573
    q = (_checked(q * x) >> 96) + 26_449_188_498_355_588_339_934_803_723_976_023

    r = div_trunc(p, q)  # in (0.09, 0.25) * 2**96

    # Scale factor, 2**k and 2**96 -> 1e18 at once; an unsigned product below 2**256.
    product = r * _EXP_SCALE
    if not 0 <= product < 2**256:  # pragma: no cover - proven unreachable
        raise AssertionError(f"exp_wad final product {product} would wrap in uint256")
    return product >> (195 - k)


def ln_wad(x: int) -> int:
    """ln(x / 1e18) as WAD (an integer scaled by 1e18).

    Domain: 0 < x <= 2**255 - 1, else :class:`LnOfNonPositive` (x <= 0) or
    FixedPointOverflow (not an int256). The last step floors (toward -infinity), so
    results are approximately rounded down (not correctly rounded): measured error in
    (-1.06, +0.06) wei.
    ln_wad(10**18) == 0 exactly; monotonically non-decreasing.
    """
    int256(x)
    if x <= 0:
        raise LnOfNonPositive(x)

    # x = 2**k * x' with x' in [1, 2) * 2**96: move the top bit to bit 96 (a right shift
    # drops the bits below 2**-96, as Solidity's `<< (255 - msb) >> 159` does).
    msb = x.bit_length() - 1
    k = msb - 96
    x = x >> k if k >= 0 else x << -k

    # (8, 8)-term rational approximation, p and q monic, in 2**96 basis.
    p = x + 3_273_285_459_638_523_848_632_254_066_296
    p = (_checked(p * x) >> 96) + 24_828_157_081_833_163_892_658_089_445_524
    p = (_checked(p * x) >> 96) + 43_456_485_725_739_037_958_740_375_743_393
    p = (_checked(p * x) >> 96) - 11_111_509_109_440_967_052_023_855_526_967
    p = (_checked(p * x) >> 96) - 45_023_709_667_254_063_763_336_534_515_857
    p = (_checked(p * x) >> 96) - 14_706_773_417_378_608_786_704_636_184_526
    p = _checked(p * x - (795_164_235_651_350_426_258_249_787_498 << 96))

    q = x + 5_573_035_233_440_673_466_300_451_813_936
    q = (_checked(q * x) >> 96) + 71_694_874_799_317_883_764_090_561_454_958
    q = (_checked(q * x) >> 96) + 283_447_036_172_924_575_727_196_451_306_956
    q = (_checked(q * x) >> 96) + 401_686_690_394_027_663_651_624_208_769_553
    q = (_checked(q * x) >> 96) + 204_048_457_590_392_012_362_485_061_816_622
    q = (_checked(q * x) >> 96) + 31_853_899_698_501_571_402_653_359_427_138
    q = (_checked(q * x) >> 96) + 909_429_971_244_387_300_277_376_558_375

    r = div_trunc(p, q)  # in [0, 0.125) * 2**96

    # Scale, add k ln 2 and ln(2**96 / 1e18) in 5**18 * 2**192 basis, floor to WAD.
    r = _checked(_checked(r * _LN_SCALE) + _checked(_LN_LN2 * k) + _LN_BASE)
    return r >> 174


def pow_wad(x: int, y: int) -> int:
    """(x / 1e18) ** (y / 1e18) as WAD: exp_wad(ln_wad(x) * y / 1e18).

    Domain: x > 0 (else :class:`LnOfNonPositive`); ln_wad(x) * y must fit in int256
    (else FixedPointOverflow, the contract's Panic 0x11); the exponent
    e = ln_wad(x) * y / 1e18, truncated toward zero, must be <= EXP_MAX_INPUT (else
    :class:`ExpOverflow` of e). Returns 0 for e <= EXP_ZERO_BOUND. The error grows with
    |y|: measured |error| <= 2 * (1 + |y| / 1e18) * max(x**y, 1) * 1e-18.
    """
    int256(y)
    return exp_wad(div_trunc(int256(ln_wad(x) * y), WAD))

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title Exponential
/// @notice exp, ln and pow on signed WAD (1e18) numbers, as fixed approximations that are
/// the same integers on every EVM and in the Python twin. None of them is correctly
/// rounded; the measured error bounds are in docs/numerics.md ("exp, ln, pow").
/// @dev A port, in plain Solidity, of Solady's `FixedPointMathLib.expWad` and `lnWad`
/// (https://github.com/Vectorized/solady, src/utils/FixedPointMathLib.sol, MIT license),
/// which implement Remco Bloemen's rational approximations (https://2π.com/22/exp-ln,
/// MIT license). Algorithms and constants are unchanged, so results equal Solady's
/// bit for bit on the whole domain; only the reverts carry the offending input here.
/// Every intermediate value fits in int256 (uint256 for the final product of expWad) on
/// the whole domain, which the Python twin `offchain/exponential.py` checks; the
/// `unchecked` blocks therefore never wrap. `>>` on int256 is an arithmetic shift
/// (floor division by a power of two) and signed `/` truncates toward zero.
library Exponential {
    int256 internal constant WAD = 1e18;

    /// @notice Largest input of expWad, Solady's bound: floor(ln((2**255 - 1) / 1e18) * 1e18)
    /// - 1. (One more wei would still fit, but leaves no margin for the approximation.)
    int256 internal constant EXP_MAX_INPUT = 135_305_999_368_893_231_588;

    /// @notice expWad(x) = 0 for every x <= EXP_ZERO_BOUND = floor(ln(1e-18) * 1e18), where
    /// e^x < 1 wei (Solady's threshold).
    int256 internal constant EXP_ZERO_BOUND = -41_446_531_673_892_822_313;

    /// @notice expWad of x > EXP_MAX_INPUT: the result would not fit in int256.
    error ExpOverflow(int256 x);
    /// @notice lnWad (or powWad) of x <= 0.
    error LnOfNonPositive(int256 x);

    /// @notice e^(x / 1e18) as WAD.
    /// @dev Domain: x <= EXP_MAX_INPUT (about 135.306e18), else ExpOverflow(x). Returns 0
    /// exactly for x <= EXP_ZERO_BOUND (about -41.4465e18); expWad(EXP_ZERO_BOUND + 1) = 1.
    /// Monotonically non-decreasing; expWad(0) = 1e18 exactly. Approximately round-down
    /// (the last step floors), not correctly rounded: measured error in
    /// (-1, +0.02) * max(e^x, 1) * 1e-18.
    function expWad(int256 x) internal pure returns (int256 r) {
        unchecked {
            // At or below ln(1e-18) the result is below 1 wei: floor to zero.
            if (x <= EXP_ZERO_BOUND) return 0;
            // Near ln((2**255 - 1) / 1e18) and above, the result does not fit in int256.
            if (x > EXP_MAX_INPUT) revert ExpOverflow(x);

            // Change of base from 1e18 to 2**96: x * 2**96 / 1e18 = (x << 78) / 5**18,
            // truncated toward zero. x is now in (-42, 136) * 2**96.
            x = (x << 78) / 5 ** 18;

            // Range reduction: exp(x) = 2**k * exp(x - k ln 2) with k = round(x / ln 2),
            // so the reduced x is in [-ln2/2, ln2/2] * 2**96 (roughly). The constant is
            // ln(2) * 2**96; `+ 2**95 >> 96` rounds half up (toward +infinity).
            // k is in [-60, 195] on the domain.
            int256 k = ((x << 96) / 54_916_777_467_707_473_351_141_471_128 + 2 ** 95) >> 96;
            x = x - k * 54_916_777_467_707_473_351_141_471_128;

            // Rational approximation exp(x) ~ s * p(x) / q(x) with p of degree 6 and q of
            // degree 7, both monic (the scale factor s ~ 6.031367120 comes at the end). p is
            // evaluated in a factored Horner form through y = x^2 + c1 x + c2; every `>> 96`
            // brings a product of two 2**96 numbers back to 2**96 basis (floor).
            int256 y = x + 1_346_386_616_545_796_478_920_950_773_328;
            y = ((y * x) >> 96) + 57_155_421_227_552_351_082_224_309_758_442;
            int256 p = y + x - 94_201_549_194_550_492_254_356_042_504_812;
            p = ((p * y) >> 96) + 28_719_021_644_029_726_153_956_944_680_412_240;
            // The last step leaves p in 2**192 basis, so that p / q is in 2**96 basis.
            p = p * x + (4_385_272_521_454_847_904_659_076_985_693_276 << 96);

            // q by Horner's rule, in 2**96 basis. Its roots are all complex, so q != 0.
            int256 q = x - 2_855_989_394_907_223_263_936_484_059_900;
            q = ((q * x) >> 96) + 50_020_603_652_535_783_019_961_831_881_945;
            q = ((q * x) >> 96) - 533_845_033_583_426_703_283_633_433_725_380;
            q = ((q * x) >> 96) + 3_604_857_256_930_695_427_073_651_918_091_429;
            q = ((q * x) >> 96) - 14_423_608_567_350_463_180_887_372_962_807_573;
            q = ((q * x) >> 96) + 26_449_188_498_355_588_339_934_803_723_976_023;

            // Truncating signed division; r = p / q is in (0.09, 0.25) * 2**96.
            r = p / q;

            // Multiply by the scale factor s, by 2**k and by 1e18 / 2**96 = 5**18 / 2**78 at
            // once: r * s * 2**k * 5**18 / 2**174 = r * (s * 5**18 * 2**117) >> (195 - k).
            // The constant is s * 5**18 * 2**117 and 195 - k is in [0, 255], so the shift is
            // a plain right shift (floor). The product is below 2**256 on the whole domain
            // (checked by the twin's tests), so this unsigned multiplication never wraps.
            // forge-lint: disable-next-item(unsafe-typecast)
            r = int256(
                (uint256(r) * 3_822_833_074_963_236_453_042_738_258_902_158_003_155_416_615_667)
                    >> uint256(195 - k)
            );
        }
    }

    /// @notice ln(x / 1e18) as WAD.
    /// @dev Domain: x > 0, else LnOfNonPositive(x); every positive int256 is accepted
    /// (results from about -41.4465e18 at x = 1 wei to about 135.306e18 at x = 2**255 - 1).
    /// Monotonically non-decreasing; lnWad(1e18) = 0 exactly. The last step floors
    /// (toward -infinity), so results are approximately rounded down: measured error in
    /// (-1.06, +0.06) wei.
    function lnWad(int256 x) internal pure returns (int256 r) {
        if (x <= 0) revert LnOfNonPositive(x);
        unchecked {
            // The change of base 1e18 -> 2**96 is left for the end, as the additive
            // constant ln(2**96 / 1e18).

            // Range reduction: x = 2**k * x' with x' in [1, 2) * 2**96, k = log2(x) - 96,
            // and ln(x) = k ln 2 + ln(x'). The shift moves the top bit of x to bit 255 and
            // then down to bit 96, dropping the bits below 2**-96 when x has more than 97.
            // forge-lint: disable-next-item(unsafe-typecast)
            uint256 msb = Math.log2(uint256(x)); // x > 0
            // forge-lint: disable-next-item(unsafe-typecast)
            int256 k = int256(msb) - 96;
            // forge-lint: disable-next-item(unsafe-typecast)
            x = int256((uint256(x) << (255 - msb)) >> 159); // < 2**97

            // Rational approximation ln(x') ~ s * p(x) / q(x) with p and q of degree 8,
            // both monic (the scale factor s ~ 5.549 comes at the end), by Horner's rule
            // in 2**96 basis; every `>> 96` floors.
            int256 p = x + 3_273_285_459_638_523_848_632_254_066_296;
            p = ((p * x) >> 96) + 24_828_157_081_833_163_892_658_089_445_524;
            p = ((p * x) >> 96) + 43_456_485_725_739_037_958_740_375_743_393;
            p = ((p * x) >> 96) - 11_111_509_109_440_967_052_023_855_526_967;
            p = ((p * x) >> 96) - 45_023_709_667_254_063_763_336_534_515_857;
            p = ((p * x) >> 96) - 14_706_773_417_378_608_786_704_636_184_526;
            // The last step leaves p in 2**192 basis, so that p / q is in 2**96 basis.
            p = p * x - (795_164_235_651_350_426_258_249_787_498 << 96);

            // q has no zeros on [1, 2).
            int256 q = x + 5_573_035_233_440_673_466_300_451_813_936;
            q = ((q * x) >> 96) + 71_694_874_799_317_883_764_090_561_454_958;
            q = ((q * x) >> 96) + 283_447_036_172_924_575_727_196_451_306_956;
            q = ((q * x) >> 96) + 401_686_690_394_027_663_651_624_208_769_553;
            q = ((q * x) >> 96) + 204_048_457_590_392_012_362_485_061_816_622;
            q = ((q * x) >> 96) + 31_853_899_698_501_571_402_653_359_427_138;
            q = ((q * x) >> 96) + 909_429_971_244_387_300_277_376_558_375;

            // Truncating signed division; p / q is in [0, 0.125) * 2**96.
            r = p / q;

            // Finish in 5**18 * 2**192 basis, then convert with one floor to WAD:
            // r * (s * 5**18 * 2**96)                  scale factor
            //   + k * (ln 2 * 5**18 * 2**192)          the 2**k of the range reduction
            //   + ln(2**96 / 1e18) * 5**18 * 2**192    the change of base
            // and >> 174, since 5**18 * 2**192 / 2**174 = 5**18 * 2**18 = 1e18.
            // slither-disable-next-line divide-before-multiply
            r *= 1_677_202_110_996_718_588_342_820_967_067_443_963_516_166;
            r += 16_597_577_552_685_614_221_487_285_958_193_947_469_193_820_559_219_878_177_908_093_499_208_371
                * k;
            r += 600_920_179_829_731_861_736_702_779_321_621_459_595_472_258_049_074_101_567_377_883_020_018_308;
            r >>= 174;
        }
    }

    /// @notice (x / 1e18) ** (y / 1e18) as WAD, computed as expWad(lnWad(x) * y / 1e18).
    /// @dev Domain: x > 0 (else LnOfNonPositive(x)); the product lnWad(x) * y must fit in
    /// int256 (else Panic 0x11, checked arithmetic); the exponent e = lnWad(x) * y / 1e18,
    /// truncated toward zero, must be <= EXP_MAX_INPUT (else ExpOverflow(e)). Returns 0
    /// when e <= EXP_ZERO_BOUND. powWad(x, 0) = powWad(1e18, y) = 1e18 exactly. The error
    /// grows with |y|, as lnWad's error (about 1 wei) is multiplied by y / 1e18: measured
    /// |error| <= 2 * (1 + |y| / 1e18) * max(x^y, 1) * 1e-18.
    function powWad(int256 x, int256 y) internal pure returns (int256) {
        return expWad((lnWad(x) * y) / WAD);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Exponential} from "./Exponential.sol";

/// @title NormalDistribution
/// @notice The standard normal distribution on signed WAD (1e18) numbers: `cdf` (the
/// cumulative distribution function N) and `pdf` (the density phi). Both are defined on
/// every int256 and never revert.
/// @dev `cdf` is Hart's (1968) double-precision algorithm as published by Graeme West,
/// "Better approximations to cumulative normal functions" (Wilmott, 2005), in fixed point.
/// With a = |x| the lower tail N(-a) is
///   a > 37:            0
///   a < 7.07106781186547 (= 10 / sqrt 2):
///                      exp(-a^2/2) * P(a) / Q(a), P of degree 6 and Q of degree 7 (below)
///   otherwise:         exp(-a^2/2) / (sqrt(2 pi) * CF(a)), the continued fraction
///                      CF(a) = a + 1/(a + 2/(a + 3/(a + 4/(a + 0.65))))
/// and N(x) = tail for x <= 0, WAD - tail for x > 0, so cdf(x) + cdf(-x) == WAD exactly.
/// West's constants are used as published (all are exact in WAD); the one change is the
/// continued fraction's final division by 2.506628274631 (13 digits), replaced by a
/// multiplication by 1/sqrt(2 pi) to 18 decimals.
/// Rounding (every operand and intermediate is >= 0 on the whole domain, so Floor is also
/// truncation): a^2/2 = mulDiv(a, a, 2e18, Floor); e = Exponential.expWad(-(a^2/2));
/// each Horner step h = mulWad(h, a, Floor) + c; the rational part
/// mulDiv(e, P, Q, Floor) (one rounding for e * P / Q); each continued-fraction step
/// b = a + divWad(k * 1e18, b, Floor); the tail mulDiv(e, 1/sqrt(2 pi), b, Floor).
/// Gas: these steps are computed with native `unchecked` int256 arithmetic, not through
/// FixedPointMath. Every operand is >= 0, so `/` (truncation) is Floor, and each product
/// is bounded below 2^255 (about 5.79e76) in a comment next to it; the results are the
/// same integers as the FixedPointMath forms above.
/// Measured error against mpmath (50 digits) and gas: docs/numerics.md, "Normal
/// distribution". Python twin: offchain/normal_distribution.py, bit-identical.
library NormalDistribution {
    int256 internal constant WAD = 1e18;

    /// @notice Beyond |x| > 37 the tail is taken as 0 (West). The true tail is below
    /// 0.5e-18 from |x| = 8.835 on, and expWad(-x^2/2) is 0 from |x| = 9.1046 on.
    int256 internal constant CUTOFF = 37e18;

    /// @notice 7.07106781186547, where the rational gives way to the continued fraction.
    int256 internal constant CONTINUED_FRACTION_FROM = 7_071_067_811_865_470_000;

    /// @notice floor(1e18 / sqrt(2 pi)) = 0.398942280401432677.
    int256 internal constant INV_SQRT_2PI = 398_942_280_401_432_677;

    // Hart's numerator P(a) = P6 a^6 + ... + P0.
    int256 private constant P6 = 35_262_496_599_891_100; // 3.52624965998911e-2
    int256 private constant P5 = 700_383_064_443_688_000; // 0.700383064443688
    int256 private constant P4 = 6_373_962_203_531_650_000; // 6.37396220353165
    int256 private constant P3 = 33_912_866_078_383_000_000; // 33.912866078383
    int256 private constant P2 = 112_079_291_497_871_000_000; // 112.079291497871
    int256 private constant P1 = 221_213_596_169_931_000_000; // 221.213596169931
    int256 private constant P0 = 220_206_867_912_376_000_000; // 220.206867912376

    // Hart's denominator Q(a) = Q7 a^7 + ... + Q0.
    int256 private constant Q7 = 88_388_347_648_318_400; // 8.83883476483184e-2
    int256 private constant Q6 = 1_755_667_163_182_640_000; // 1.75566716318264
    int256 private constant Q5 = 16_064_177_579_207_000_000; // 16.064177579207
    int256 private constant Q4 = 86_780_732_202_946_100_000; // 86.7807322029461
    int256 private constant Q3 = 296_564_248_779_674_000_000; // 296.564248779674
    int256 private constant Q2 = 637_333_633_378_831_000_000; // 637.333633378831
    int256 private constant Q1 = 793_826_512_519_948_000_000; // 793.826512519948
    int256 private constant Q0 = 440_413_735_824_752_000_000; // 440.413735824752

    /// @notice 0.65, the innermost term of the continued fraction.
    int256 private constant CF_TAIL = 650_000_000_000_000_000;

    /// @notice N(x / 1e18) as WAD, in [0, 1e18]. cdf(0) = 0.5e18 exactly.
    function cdf(int256 x) internal pure returns (int256) {
        if (x < -CUTOFF) return 0;
        if (x > CUTOFF) return WAD;
        if (x > 0) return WAD - _lowerTail(x);
        return _lowerTail(-x);
    }

    /// @notice phi(x / 1e18) = exp(-x^2/2) / sqrt(2 pi) as WAD: 0 for |x| > 37e18, else
    /// mulWad(expWad(-mulDiv(a, a, 2e18, Floor)), INV_SQRT_2PI, Floor) with a = |x|.
    function pdf(int256 x) internal pure returns (int256) {
        if (x < -CUTOFF || x > CUTOFF) return 0;
        int256 a = x < 0 ? -x : x;
        // 0 <= e <= 1e18 (expWad of a non-positive number) and INV_SQRT_2PI < 4e17, so
        // e * INV_SQRT_2PI < 4e35 < 2^255: mulWad(e, INV_SQRT_2PI, Floor).
        unchecked {
            return _expHalfSquare(a) * INV_SQRT_2PI / WAD;
        }
    }

    /// @dev exp(-a^2/2) for 0 <= a <= CUTOFF.
    function _expHalfSquare(int256 a) private pure returns (int256) {
        // 0 <= a <= 37e18, so a * a <= 1.369e39 < 2^255: mulDiv(a, a, 2e18, Floor).
        unchecked {
            return Exponential.expWad(-(a * a / (2 * WAD)));
        }
    }

    /// @dev N(-a) for 0 <= a <= CUTOFF.
    function _lowerTail(int256 a) private pure returns (int256) {
        int256 e = _expHalfSquare(a); // 0 <= e <= 1e18: expWad of a number <= 0
        if (e == 0) return 0; // both branches below give 0 too; this saves their gas
        unchecked {
            if (a < CONTINUED_FRACTION_FROM) {
                // Horner, each step h = mulWad(h, a, Floor) + c, with 0 <= a < 7.08e18. All
                // coefficients are > 0, so every h is > 0 and non-decreasing in a; at
                // a = 7.08 (> 1) h grows from step to step, so every h is at most the whole
                // polynomial there: p <= P(7.08) = 5.24e22 and q <= Q(7.08) = 9.48e23 (WAD).
                // So h * a < 1e24 * 7.08e18 < 1e43 < 2^255.
                int256 p = P6;
                p = p * a / WAD + P5;
                p = p * a / WAD + P4;
                p = p * a / WAD + P3;
                p = p * a / WAD + P2;
                p = p * a / WAD + P1;
                p = p * a / WAD + P0;
                int256 q = Q7;
                q = q * a / WAD + Q6;
                q = q * a / WAD + Q5;
                q = q * a / WAD + Q4;
                q = q * a / WAD + Q3;
                q = q * a / WAD + Q2;
                q = q * a / WAD + Q1;
                q = q * a / WAD + Q0;
                // e <= 1e18 and p < 1e23, so e * p < 1e41 < 2^255; q >= Q0 > 0:
                // mulDiv(e, p, q, Floor).
                return e * p / q;
            }
            // 7.07e18 <= a <= 37e18. Each step b = a + divWad(k * 1e18, b, Floor), k <= 4:
            // k * 1e18 * 1e18 <= 4e36 < 2^255, and b >= a > 0, so 4e36 / b < 6e17 and
            // b < 38e18.
            int256 b = a + CF_TAIL;
            b = a + 4 * WAD * WAD / b;
            b = a + 3 * WAD * WAD / b;
            b = a + 2 * WAD * WAD / b;
            b = a + WAD * WAD / b;
            // e <= 1e18 and INV_SQRT_2PI < 4e17, so e * INV_SQRT_2PI < 4e35 < 2^255; b > 0:
            // mulDiv(e, INV_SQRT_2PI, b, Floor).
            return e * INV_SQRT_2PI / b;
        }
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {FixedPointMath} from "./FixedPointMath.sol";

/// @title ExpectedShortfall
/// @notice Integer Acerbi-Tasche tail weights and the certificate lower bound of ES.
/// @dev With alpha in basis points, k = N * (1 - alpha) = kNum / 10_000 exactly, where
/// kNum = N * (10_000 - alphaBps). The `whole = kNum / 10_000` worst losses count fully
/// and the next one with weight `frac / 10_000`, frac = kNum - 10_000 * whole. Python twin:
/// `offchain/expected_shortfall.py`.
library ExpectedShortfall {
    uint256 internal constant BPS = 10_000;

    /// @notice The tail size k of N scenarios at level alpha, as integers.
    /// @return kNum k scaled by 10_000.
    /// @return whole floor(k): scenarios that count with full weight.
    /// @return frac the weight of the boundary scenario, scaled by 10_000 (0 when k is whole).
    function tailWeight(uint256 n, uint256 alphaBps)
        internal
        pure
        returns (uint256 kNum, uint256 whole, uint256 frac)
    {
        kNum = n * (BPS - alphaBps);
        whole = kNum / BPS;
        // slither-disable-next-line divide-before-multiply
        frac = kNum - whole * BPS;
    }

    /// @notice ceil(k): how many distinct scenarios a liquidation certificate names.
    function witnessCount(uint256 whole, uint256 frac) internal pure returns (uint256) {
        return frac == 0 ? whole : whole + 1;
    }

    /// @notice The largest weighted average of `losses` with weights in [0, 1] summing to k,
    /// when `losses` has ceil(k) entries: all count fully except the smallest, which carries
    /// the fractional weight. This is a lower bound of ES; for the k worst scenarios it is ES.
    /// @dev (10_000 * sum - (10_000 - frac) * min) / kNum, rounded down (toward -infinity),
    /// so that it stays a lower bound. WAD in, WAD out.
    function weightedLowerBound(int256[] memory losses, uint256 kNum, uint256 frac)
        internal
        pure
        returns (int256)
    {
        // slither-disable-next-line uninitialized-local
        int256 sum;
        int256 smallest = type(int256).max;
        for (uint256 i; i < losses.length; ++i) {
            sum += losses[i];
            if (losses[i] < smallest) smallest = losses[i];
        }
        int256 weighted = sum * SafeCast.toInt256(BPS);
        if (frac != 0) weighted -= SafeCast.toInt256(BPS - frac) * smallest;
        return FixedPointMath.mulDiv(weighted, 1, SafeCast.toInt256(kNum), Math.Rounding.Floor);
    }

    /// @notice The Rockafellar-Uryasev upper bound of ES over all N `losses` for a threshold
    /// `t`: t + (1/k) * sum max(L - t, 0), rounded up (toward +infinity) so that margin
    /// is never understated. It equals ES (rounded up) when t is the ceil(k)-th largest loss.
    /// @dev t + ceil(10_000 * sum max(L - t, 0) / kNum). WAD in, WAD out.
    function rockafellarUryasevBound(int256[] memory losses, int256 t, uint256 kNum)
        internal
        pure
        returns (int256)
    {
        // slither-disable-next-line uninitialized-local
        int256 excess;
        for (uint256 i; i < losses.length; ++i) {
            if (losses[i] > t) excess += losses[i] - t;
        }
        return t
            + FixedPointMath.mulDiv(
            excess, SafeCast.toInt256(BPS), SafeCast.toInt256(kNum), Math.Rounding.Ceil
        );
    }
}

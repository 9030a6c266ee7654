// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SignedMath} from "@openzeppelin/contracts/utils/math/SignedMath.sol";

/// @title FixedPointMath
/// @notice Signed WAD (1e18) arithmetic with an explicit rounding direction and 512-bit
/// intermediates: x * y / d is exact before its one rounding, so no product overflows
/// unless the result itself does. Directions are OpenZeppelin's `Math.Rounding`, read on
/// the signed number line: Floor = toward -infinity, Ceil = toward +infinity, Trunc =
/// toward zero, Expand = away from zero.
/// @dev Python twin: `offchain/fixedpoint.py`, same results on the whole domain; spec in
/// docs/numerics.md.
library FixedPointMath {
    int256 internal constant WAD = 1e18;
    /// @dev 2^255: the magnitude of int256.min, one more than int256.max.
    uint256 private constant HALF_RANGE = 1 << 255;

    /// @notice The result of x * y / denominator does not fit in int256.
    error MulDivOverflow(int256 x, int256 y, int256 denominator);
    /// @notice Division by zero.
    error ZeroDenominator();
    /// @notice sqrtWad of a negative number.
    error SqrtOfNegative(int256 x);
    /// @notice sqrtWad of a number above type(uint256).max / 1e18 (about 1.16e59 WAD).
    error SqrtWadOverflow(int256 x);

    /// @notice x * y / denominator, computed exactly in 512 bits and rounded once.
    function mulDiv(int256 x, int256 y, int256 denominator, Math.Rounding rounding)
        internal
        pure
        returns (int256)
    {
        if (denominator == 0) revert ZeroDenominator();
        uint256 a = SignedMath.abs(x);
        uint256 b = SignedMath.abs(y);
        uint256 d = SignedMath.abs(denominator);
        uint256 magnitude;
        bool inexact;
        unchecked {
            if (a <= type(uint128).max && b <= type(uint128).max) {
                // Common case: the product fits in 256 bits, no 512-bit division needed.
                uint256 product = a * b;
                magnitude = product / d;
                inexact = product % d != 0;
            } else {
                // slither-disable-next-line unused-return
                (uint256 high,) = Math.mul512(a, b);
                if (high >= d) revert MulDivOverflow(x, y, denominator);
                magnitude = Math.mulDiv(a, b, d);
                inexact = mulmod(a, b, d) != 0;
            }
            // The magnitude may reach 2^255 only for a negative result (int256.min).
            if (magnitude > HALF_RANGE) revert MulDivOverflow(x, y, denominator);
            bool negative = (x < 0) != (y < 0) != (denominator < 0);
            if (inexact && _awayFromZero(rounding, negative)) ++magnitude;
            if (negative) {
                if (magnitude > HALF_RANGE) revert MulDivOverflow(x, y, denominator);
                // forge-lint: disable-next-line(unsafe-typecast)
                return int256(0 - magnitude); // two's complement: 2^255 becomes int256.min
            }
            if (magnitude >= HALF_RANGE) revert MulDivOverflow(x, y, denominator);
            // forge-lint: disable-next-line(unsafe-typecast)
            return int256(magnitude);
        }
    }

    /// @notice x * y / WAD, rounded as asked.
    function mulWad(int256 x, int256 y, Math.Rounding rounding) internal pure returns (int256) {
        return mulDiv(x, y, WAD, rounding);
    }

    /// @notice x * WAD / y, rounded as asked.
    function divWad(int256 x, int256 y, Math.Rounding rounding) internal pure returns (int256) {
        return mulDiv(x, WAD, y, rounding);
    }

    /// @notice The square root of WAD `x` as WAD, rounded down: floor(sqrt(x * 1e18)).
    /// Domain: 0 <= x <= type(uint256).max / 1e18.
    function sqrtWad(int256 x) internal pure returns (int256) {
        if (x < 0) revert SqrtOfNegative(x);
        // forge-lint: disable-next-line(unsafe-typecast)
        uint256 ux = uint256(x); // x >= 0
        if (ux > type(uint256).max / 1e18) revert SqrtWadOverflow(x);
        // forge-lint: disable-next-line(unsafe-typecast)
        return int256(Math.sqrt(ux * 1e18)); // < 2^128
    }

    /// @dev Whether rounding a positive (negative = false) or negative remainder moves the
    /// magnitude up by one.
    function _awayFromZero(Math.Rounding rounding, bool negative) private pure returns (bool) {
        if (rounding == Math.Rounding.Expand) return true;
        if (rounding == Math.Rounding.Ceil) return !negative;
        if (rounding == Math.Rounding.Floor) return negative;
        return false;
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title FixedPointMath
/// @notice Signed WAD (1e18) arithmetic with Solidity's truncation toward zero.
/// @dev The Python twin is `offchain/fixedpoint.py`; both return the same integer on the
/// whole domain. Domain: every intermediate product fits in int256, else the checked
/// arithmetic reverts (Panic 0x11) here and `FixedPointOverflow` is raised in Python.
library FixedPointMath {
    int256 internal constant WAD = 1e18;

    /// @notice a * b / WAD, truncated toward zero.
    function mulWad(int256 a, int256 b) internal pure returns (int256) {
        return (a * b) / WAD;
    }
}

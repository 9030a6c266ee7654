// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Exponential} from "../../libraries/Exponential.sol";

/// @title ExponentialHarness
/// @notice Exposes the Exponential library for the Python differential test
/// (tests/test_exponential.py), which calls it on Anvil. Not deployed in production.
contract ExponentialHarness {
    /// @notice Exponential.expWad.
    function expWad(int256 x) external pure returns (int256) {
        return Exponential.expWad(x);
    }

    /// @notice Exponential.lnWad.
    function lnWad(int256 x) external pure returns (int256) {
        return Exponential.lnWad(x);
    }

    /// @notice Exponential.powWad.
    function powWad(int256 x, int256 y) external pure returns (int256) {
        return Exponential.powWad(x, y);
    }
}

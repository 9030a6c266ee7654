// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ExpectedShortfall} from "../../libraries/ExpectedShortfall.sol";
import {FixedPointMath} from "../../libraries/FixedPointMath.sol";
import {ScenarioLeaf} from "../../libraries/ScenarioLeaf.sol";

/// @title NumericsHarness
/// @notice Exposes the internal numeric libraries for the Python differential tests
/// (tests/test_differential.py), which call them on Anvil. Not deployed in production.
contract NumericsHarness {
    /// @notice FixedPointMath.mulWad.
    function mulWad(int256 a, int256 b) external pure returns (int256) {
        return FixedPointMath.mulWad(a, b);
    }

    /// @notice ExpectedShortfall.tailWeight and witnessCount.
    function tailWeight(uint256 n, uint256 alphaBps)
        external
        pure
        returns (uint256 kNum, uint256 whole, uint256 frac, uint256 witnesses)
    {
        (kNum, whole, frac) = ExpectedShortfall.tailWeight(n, alphaBps);
        witnesses = ExpectedShortfall.witnessCount(whole, frac);
    }

    /// @notice ExpectedShortfall.weightedLowerBound.
    function weightedLowerBound(int256[] calldata losses, uint256 kNum, uint256 frac)
        external
        pure
        returns (int256)
    {
        return ExpectedShortfall.weightedLowerBound(losses, kNum, frac);
    }

    /// @notice ScenarioLeaf.hash.
    function scenarioLeaf(uint256 index, int256[] calldata spotReturns)
        external
        pure
        returns (bytes32)
    {
        return ScenarioLeaf.hash(index, spotReturns);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {ExpectedShortfall} from "../../libraries/ExpectedShortfall.sol";
import {FixedPointMath} from "../../libraries/FixedPointMath.sol";
import {ScenarioLeaf} from "../../libraries/ScenarioLeaf.sol";

/// @title NumericsHarness
/// @notice Exposes the internal numeric libraries for the Python differential tests
/// (tests/test_differential.py), which call them on Anvil. Not deployed in production.
contract NumericsHarness {
    /// @notice FixedPointMath.mulDiv.
    function mulDiv(int256 x, int256 y, int256 denominator, Math.Rounding rounding)
        external
        pure
        returns (int256)
    {
        return FixedPointMath.mulDiv(x, y, denominator, rounding);
    }

    /// @notice FixedPointMath.sqrtWad.
    function sqrtWad(int256 x) external pure returns (int256) {
        return FixedPointMath.sqrtWad(x);
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

    /// @notice ExpectedShortfall.rockafellarUryasevBound.
    function rockafellarUryasevBound(int256[] calldata losses, int256 t, uint256 kNum)
        external
        pure
        returns (int256)
    {
        return ExpectedShortfall.rockafellarUryasevBound(losses, t, kNum);
    }

    /// @notice ScenarioLeaf.hash.
    function scenarioLeaf(uint256 index, int256[] calldata spotReturns, int256[] calldata volShifts)
        external
        pure
        returns (bytes32)
    {
        return ScenarioLeaf.hash(index, spotReturns, volShifts);
    }
}

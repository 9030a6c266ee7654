// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {FixedPointMath} from "../libraries/FixedPointMath.sol";
import {NumericsHarness} from "./harness/NumericsHarness.sol";
import {TestBase} from "./utils/Vm.sol";

/// @notice Known values and errors of FixedPointMath and ExpectedShortfall, through the
/// harness that the Python differential tests also call. Gas: NumericsGas.t.sol.
contract FixedPointMathTest is TestBase {
    NumericsHarness internal h = new NumericsHarness();

    int256 internal constant WAD = 1e18;

    function test_MulDiv_RoundsInEachDirection() public view {
        // 1.5 wei and -1.5 wei: Floor, Ceil, Trunc, Expand.
        assertEq(h.mulDiv(3, WAD / 2, WAD, Math.Rounding.Floor), 1, "1.5 floor");
        assertEq(h.mulDiv(3, WAD / 2, WAD, Math.Rounding.Ceil), 2, "1.5 ceil");
        assertEq(h.mulDiv(3, WAD / 2, WAD, Math.Rounding.Trunc), 1, "1.5 trunc");
        assertEq(h.mulDiv(3, WAD / 2, WAD, Math.Rounding.Expand), 2, "1.5 expand");
        assertEq(h.mulDiv(-3, WAD / 2, WAD, Math.Rounding.Floor), -2, "-1.5 floor");
        assertEq(h.mulDiv(-3, WAD / 2, WAD, Math.Rounding.Ceil), -1, "-1.5 ceil");
        assertEq(h.mulDiv(-3, WAD / 2, WAD, Math.Rounding.Trunc), -1, "-1.5 trunc");
        assertEq(h.mulDiv(-3, WAD / 2, WAD, Math.Rounding.Expand), -2, "-1.5 expand");
        assertEq(h.mulDiv(3, WAD / 2, -WAD, Math.Rounding.Floor), -2, "negative denominator");
    }

    function test_MulDiv_HasNoPhantomOverflow() public view {
        int256 max = type(int256).max;
        assertEq(h.mulDiv(max, max, max, Math.Rounding.Floor), max, "max * max / max");
        assertEq(h.mulDiv(max, WAD, WAD, Math.Rounding.Ceil), max, "max * WAD / WAD");
        int256 min = type(int256).min;
        assertEq(h.mulDiv(min, 1, 1, Math.Rounding.Floor), min, "min stays min");
    }

    function test_MulDiv_RevertsOnOverflowAndZeroDenominator() public {
        int256 max = type(int256).max;
        vm.expectRevert(
            abi.encodeWithSelector(
                FixedPointMath.MulDivOverflow.selector, max, int256(2), int256(1)
            )
        );
        h.mulDiv(max, 2, 1, Math.Rounding.Floor);
        int256 min = type(int256).min;
        vm.expectRevert(
            abi.encodeWithSelector(
                FixedPointMath.MulDivOverflow.selector, min, int256(-1), int256(1)
            )
        );
        h.mulDiv(min, -1, 1, Math.Rounding.Floor);
        vm.expectRevert(abi.encodeWithSelector(FixedPointMath.ZeroDenominator.selector));
        h.mulDiv(1, 1, 0, Math.Rounding.Floor);
    }

    function test_SqrtWad() public {
        assertEq(h.sqrtWad(4 * WAD), 2 * WAD, "sqrt 4");
        assertEq(h.sqrtWad(2 * WAD), 1.414213562373095048e18, "sqrt 2 rounded down");
        assertEq(h.sqrtWad(1), 1e9, "sqrt of 1 wei");
        vm.expectRevert(abi.encodeWithSelector(FixedPointMath.SqrtOfNegative.selector, int256(-1)));
        h.sqrtWad(-1);
        // forge-lint: disable-next-line(unsafe-typecast)
        int256 tooLarge = int256(type(uint256).max / 1e18 + 1);
        vm.expectRevert(abi.encodeWithSelector(FixedPointMath.SqrtWadOverflow.selector, tooLarge));
        h.sqrtWad(tooLarge);
    }

    function test_TailWeight_IsExactAtOneThousandScenarios() public view {
        (uint256 kNum, uint256 whole, uint256 frac, uint256 witnesses) = h.tailWeight(1000, 9750);
        assertEq(kNum, 250_000, "kNum");
        assertEq(whole, 25, "whole");
        assertEq(frac, 0, "frac");
        assertEq(witnesses, 25, "25 witnesses, not the 26 a float k would ask");
    }

    /// @notice Losses 1..100 at 97.5%: k = 2.5, (100 + 99 + 0.5 * 98) / 2.5 = 99.2.
    function test_Bounds_KnownVector() public view {
        int256[] memory worst = new int256[](3);
        (worst[0], worst[1], worst[2]) = (100 * WAD, 99 * WAD, 98 * WAD);
        (uint256 kNum,, uint256 frac,) = h.tailWeight(100, 9750);
        assertEq(h.weightedLowerBound(worst, kNum, frac), 99.2e18, "lower bound");
        int256[] memory all = new int256[](100);
        for (uint256 i; i < 100; ++i) {
            all[i] = int256(i + 1) * WAD;
        }
        assertEq(h.rockafellarUryasevBound(all, 98 * WAD, kNum), 99.2e18, "RU at the boundary");
        // 90 + (1 + 2 + ... + 10) / 2.5 = 112
        assertEq(h.rockafellarUryasevBound(all, 90 * WAD, kNum), 112e18, "RU elsewhere is above");
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {BlackScholes} from "../libraries/BlackScholes.sol";
import {ExpectedShortfall} from "../libraries/ExpectedShortfall.sol";
import {Exponential} from "../libraries/Exponential.sol";
import {FixedPointMath} from "../libraries/FixedPointMath.sol";
import {NormalDistribution} from "../libraries/NormalDistribution.sol";
import {TestBase} from "./utils/Vm.sol";

/// @notice Gas of one internal call of every numeric function on a typical input, recorded
/// as a forge gas snapshot in group "numerics" (snapshots/numerics.json, named
/// Library.function) and never asserted: gas is a benchmark. `make bench` tabulates it
/// (benchmarks/gas_table.py); the table is in docs/numerics.md and the README.
/// @dev One snapshot window per test: in forge 1.7 every `startSnapshotGas` window after the
/// first of a test also counts the gas the test spent since the previous window stopped
/// (foundry-rs/foundry#16941, fixed after 1.8.3). Inputs are built before the window.
contract NumericsGasTest is TestBase {
    int256 internal constant WAD = 1e18;

    // Hull's example: S = 42, K = 40, sigma = 20%, T = 0.5, r = 10%.
    int256 internal constant S = 42e18;
    int256 internal constant K = 40e18;
    int256 internal constant SIGMA = 0.2e18;
    int256 internal constant T = 0.5e18;
    int256 internal constant R = 0.1e18;

    // ------------------------------------------------------------ fixed point and ES bounds

    function test_Gas_MulDiv() public {
        vm.startSnapshotGas("numerics", "FixedPointMath.mulDiv");
        FixedPointMath.mulDiv(1234.5678e18, -0.0123e18, WAD, Math.Rounding.Floor);
        vm.stopSnapshotGas();
    }

    function test_Gas_SqrtWad() public {
        vm.startSnapshotGas("numerics", "FixedPointMath.sqrtWad");
        FixedPointMath.sqrtWad(0.5e18);
        vm.stopSnapshotGas();
    }

    function test_Gas_TailWeight() public {
        vm.startSnapshotGas("numerics", "ExpectedShortfall.tailWeight");
        ExpectedShortfall.tailWeight(1000, 9750);
        vm.stopSnapshotGas();
    }

    function test_Gas_WeightedLowerBound() public {
        (uint256 kNum,,) = ExpectedShortfall.tailWeight(1000, 9750);
        int256[] memory witnesses = new int256[](25);
        for (uint256 i; i < 25; ++i) {
            witnesses[i] = int256(i + 1) * 1e20;
        }
        vm.startSnapshotGas("numerics", "ExpectedShortfall.weightedLowerBound, 25 witnesses");
        ExpectedShortfall.weightedLowerBound(witnesses, kNum, 0);
        vm.stopSnapshotGas();
    }

    function test_Gas_RockafellarUryasevBound() public {
        (uint256 kNum,,) = ExpectedShortfall.tailWeight(1000, 9750);
        int256[] memory losses = new int256[](1000);
        for (uint256 i; i < 1000; ++i) {
            losses[i] = int256(i) * 1e18 - 500e18;
        }
        vm.startSnapshotGas("numerics", "ExpectedShortfall.rockafellarUryasevBound, N = 1000");
        ExpectedShortfall.rockafellarUryasevBound(losses, 475e18, kNum);
        vm.stopSnapshotGas();
    }

    // ------------------------------------------------------------ exponential

    function test_Gas_ExpWad() public {
        vm.startSnapshotGas("numerics", "Exponential.expWad");
        Exponential.expWad(0.5e18);
        vm.stopSnapshotGas();
    }

    function test_Gas_LnWad() public {
        vm.startSnapshotGas("numerics", "Exponential.lnWad");
        Exponential.lnWad(2e18);
        vm.stopSnapshotGas();
    }

    function test_Gas_PowWad() public {
        vm.startSnapshotGas("numerics", "Exponential.powWad");
        Exponential.powWad(2e18, -0.5e18);
        vm.stopSnapshotGas();
    }

    // ------------------------------------------------------------ option pricing

    function test_Gas_CdfRationalBranch() public {
        vm.startSnapshotGas("numerics", "NormalDistribution.cdf, rational branch (x = -0.7)");
        NormalDistribution.cdf(-0.7e18);
        vm.stopSnapshotGas();
    }

    function test_Gas_CdfContinuedFraction() public {
        vm.startSnapshotGas("numerics", "NormalDistribution.cdf, continued fraction (x = 7.5)");
        NormalDistribution.cdf(7.5e18);
        vm.stopSnapshotGas();
    }

    function test_Gas_Pdf() public {
        vm.startSnapshotGas("numerics", "NormalDistribution.pdf");
        NormalDistribution.pdf(-0.7e18);
        vm.stopSnapshotGas();
    }

    function test_Gas_CallPrice() public {
        vm.startSnapshotGas("numerics", "BlackScholes.callPrice");
        BlackScholes.callPrice(S, K, SIGMA, T, R);
        vm.stopSnapshotGas();
    }

    function test_Gas_PutPrice() public {
        vm.startSnapshotGas("numerics", "BlackScholes.putPrice");
        BlackScholes.putPrice(S, K, SIGMA, T, R);
        vm.stopSnapshotGas();
    }

    function test_Gas_Black76Call() public {
        vm.startSnapshotGas("numerics", "BlackScholes.black76Call");
        BlackScholes.black76Call(S, K, SIGMA, T, R);
        vm.stopSnapshotGas();
    }

    function test_Gas_Black76Put() public {
        vm.startSnapshotGas("numerics", "BlackScholes.black76Put");
        BlackScholes.black76Put(S, K, SIGMA, T, R);
        vm.stopSnapshotGas();
    }

    function test_Gas_CallDelta() public {
        vm.startSnapshotGas("numerics", "BlackScholes.callDelta");
        BlackScholes.callDelta(S, K, SIGMA, T, R);
        vm.stopSnapshotGas();
    }

    function test_Gas_PutDelta() public {
        vm.startSnapshotGas("numerics", "BlackScholes.putDelta");
        BlackScholes.putDelta(S, K, SIGMA, T, R);
        vm.stopSnapshotGas();
    }

    function test_Gas_Vega() public {
        vm.startSnapshotGas("numerics", "BlackScholes.vega");
        BlackScholes.vega(S, K, SIGMA, T, R);
        vm.stopSnapshotGas();
    }
}

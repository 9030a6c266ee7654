// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {BlackScholes} from "../libraries/BlackScholes.sol";
import {ExpectedShortfall} from "../libraries/ExpectedShortfall.sol";
import {Exponential} from "../libraries/Exponential.sol";
import {FixedPointMath} from "../libraries/FixedPointMath.sol";
import {NormalDistribution} from "../libraries/NormalDistribution.sol";
import {TestBase} from "./utils/Vm.sol";

/// @notice Gas of one internal call of every numeric function, measured with gasleft()
/// on a typical input and logged (never asserted: gas is a benchmark). `make bench` runs
/// `forge test --match-contract NumericsGas -vv` and prints these lines; the table is in
/// docs/numerics.md and the README.
contract NumericsGasTest is TestBase {
    event log_named_uint(string key, uint256 val);

    int256 internal constant WAD = 1e18;

    function test_Gas_FixedPointAndBounds() public {
        uint256 start = gasleft();
        FixedPointMath.mulDiv(1234.5678e18, -0.0123e18, WAD, Math.Rounding.Floor);
        emit log_named_uint("mulDiv", start - gasleft());

        start = gasleft();
        FixedPointMath.sqrtWad(0.5e18);
        emit log_named_uint("sqrtWad", start - gasleft());

        start = gasleft();
        (uint256 kNum,,) = ExpectedShortfall.tailWeight(1000, 9750);
        emit log_named_uint("tailWeight", start - gasleft());

        int256[] memory witnesses = new int256[](25);
        for (uint256 i; i < 25; ++i) {
            witnesses[i] = int256(i + 1) * 1e20;
        }
        start = gasleft();
        ExpectedShortfall.weightedLowerBound(witnesses, kNum, 0);
        emit log_named_uint("weightedLowerBound, 25 witnesses", start - gasleft());

        int256[] memory losses = new int256[](1000);
        for (uint256 i; i < 1000; ++i) {
            losses[i] = int256(i) * 1e18 - 500e18;
        }
        start = gasleft();
        ExpectedShortfall.rockafellarUryasevBound(losses, 475e18, kNum);
        emit log_named_uint("rockafellarUryasevBound, N = 1000", start - gasleft());
    }

    function test_Gas_Exponential() public {
        uint256 start = gasleft();
        Exponential.expWad(0.5e18);
        emit log_named_uint("expWad", start - gasleft());

        start = gasleft();
        Exponential.lnWad(2e18);
        emit log_named_uint("lnWad", start - gasleft());

        start = gasleft();
        Exponential.powWad(2e18, -0.5e18);
        emit log_named_uint("powWad", start - gasleft());
    }

    function test_Gas_OptionPricing() public {
        uint256 start = gasleft();
        NormalDistribution.cdf(-0.7e18);
        emit log_named_uint("cdf, rational branch (x = -0.7)", start - gasleft());

        start = gasleft();
        NormalDistribution.cdf(7.5e18);
        emit log_named_uint("cdf, continued fraction (x = 7.5)", start - gasleft());

        start = gasleft();
        NormalDistribution.pdf(-0.7e18);
        emit log_named_uint("pdf", start - gasleft());

        // Hull's example: S = 42, K = 40, sigma = 20%, T = 0.5, r = 10%.
        (int256 s, int256 k, int256 sigma, int256 t, int256 r) =
            (42e18, 40e18, 0.2e18, 0.5e18, 0.1e18);
        start = gasleft();
        BlackScholes.callPrice(s, k, sigma, t, r);
        emit log_named_uint("callPrice", start - gasleft());

        start = gasleft();
        BlackScholes.putPrice(s, k, sigma, t, r);
        emit log_named_uint("putPrice", start - gasleft());

        start = gasleft();
        BlackScholes.black76Call(s, k, sigma, t, r);
        emit log_named_uint("black76Call", start - gasleft());

        start = gasleft();
        BlackScholes.black76Put(s, k, sigma, t, r);
        emit log_named_uint("black76Put", start - gasleft());

        start = gasleft();
        BlackScholes.callDelta(s, k, sigma, t, r);
        emit log_named_uint("callDelta", start - gasleft());

        start = gasleft();
        BlackScholes.putDelta(s, k, sigma, t, r);
        emit log_named_uint("putDelta", start - gasleft());

        start = gasleft();
        BlackScholes.vega(s, k, sigma, t, r);
        emit log_named_uint("vega", start - gasleft());
    }
}

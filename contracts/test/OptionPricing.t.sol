// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BlackScholes} from "../libraries/BlackScholes.sol";
import {NormalDistribution} from "../libraries/NormalDistribution.sol";
import {OptionPricingHarness} from "./harness/OptionPricingHarness.sol";
import {TestBase} from "./utils/Vm.sol";

/// @title OptionPricingTest
/// @notice NormalDistribution and BlackScholes: known values (mpmath at 50 digits, Hull,
/// Haug), exact limits and every revert (gas: NumericsGas.t.sol). The differential tests against the
/// Python twin and the large accuracy sweeps are in tests/test_option_pricing.py.
contract OptionPricingTest is TestBase {
    int256 internal constant WAD = 1e18;

    OptionPricingHarness internal harness;

    function setUp() public {
        harness = new OptionPricingHarness();
    }

    function assertNear(int256 actual, int256 expected, int256 tolerance, string memory message)
        internal
        pure
    {
        int256 difference = actual > expected ? actual - expected : expected - actual;
        if (difference > tolerance) {
            revert(
                string.concat(
                    message,
                    ": ",
                    vm.toString(actual),
                    " is not within ",
                    vm.toString(tolerance),
                    " of ",
                    vm.toString(expected)
                )
            );
        }
    }

    // ---------------------------------------------------------------- normal distribution

    /// @notice N(x) against mpmath (50 digits, rounded to the nearest wei): within 50 wei
    /// (the measured worst case is 42 wei, Hart's own approximation error), and the exact
    /// integers of the Python twin.
    function testCdfKnownValues() public pure {
        int256[15] memory x = [
            int256(-8e18),
            -7.5e18,
            -7.0710678e18,
            -5e18,
            -3e18,
            -1.96e18,
            -1e18,
            -0.5e18,
            -0.0179e18,
            0.5e18,
            1e18,
            1.96e18,
            3e18,
            6e18,
            7.5e18
        ];
        int256[15] memory exact = [
            int256(622),
            31_909,
            768_730,
            286_651_571_879,
            1_349_898_031_630_095,
            24_997_895_148_220_434,
            158_655_253_931_457_051,
            308_537_538_725_986_896,
            492_859_314_507_356_970,
            691_462_461_274_013_104,
            841_344_746_068_542_949,
            975_002_104_851_779_566,
            998_650_101_968_369_905,
            999_999_999_013_412_355,
            999_999_999_999_968_091
        ];
        int256[15] memory twin = [
            int256(622),
            31_908,
            768_729,
            286_651_571_892,
            1_349_898_031_630_115,
            24_997_895_148_220_450,
            158_655_253_931_457_043,
            308_537_538_725_986_891,
            492_859_314_507_356_928,
            691_462_461_274_013_109,
            841_344_746_068_542_957,
            975_002_104_851_779_550,
            998_650_101_968_369_885,
            999_999_999_013_412_355,
            999_999_999_999_968_092
        ];
        for (uint256 i = 0; i < x.length; i++) {
            int256 value = NormalDistribution.cdf(x[i]);
            assertNear(value, exact[i], 50, string.concat("cdf ", vm.toString(x[i])));
            assertEq(value, twin[i], string.concat("cdf twin ", vm.toString(x[i])));
        }
    }

    /// @notice phi(x) against mpmath: within 3 wei.
    function testPdfKnownValues() public pure {
        int256[6] memory x = [int256(0), -1e18, 1e18, 1.96e18, -7.5e18, 6e18];
        int256[6] memory exact = [
            int256(398_942_280_401_432_678),
            241_970_724_519_143_350,
            241_970_724_519_143_350,
            58_440_944_333_451_460,
            243_432,
            6_075_882_850
        ];
        for (uint256 i = 0; i < x.length; i++) {
            assertNear(
                NormalDistribution.pdf(x[i]), exact[i], 3, string.concat("pdf ", vm.toString(x[i]))
            );
        }
        assertEq(NormalDistribution.pdf(0), NormalDistribution.INV_SQRT_2PI, "pdf(0)");
    }

    /// @notice Exact values: the centre, the tails, the cutoffs, the extremes of int256.
    function testCdfEdges() public pure {
        assertEq(NormalDistribution.cdf(0), WAD / 2, "cdf(0)");
        assertEq(NormalDistribution.cdf(1), WAD / 2 + 1, "cdf(1 wei)"); // 1 - floor(N(-1e-18))
        assertEq(NormalDistribution.cdf(-1), WAD / 2 - 1, "cdf(-1 wei)"); // floor(0.5 - 4e-19)
        assertEq(NormalDistribution.cdf(-9e18), 0, "cdf(-9)");
        assertEq(NormalDistribution.cdf(9e18), WAD, "cdf(9)");
        assertEq(NormalDistribution.cdf(-37e18), 0, "cdf(-37)");
        assertEq(NormalDistribution.cdf(37e18 + 1), WAD, "cdf(37 + 1 wei)");
        assertEq(NormalDistribution.cdf(type(int256).min), 0, "cdf(min)");
        assertEq(NormalDistribution.cdf(type(int256).max), WAD, "cdf(max)");
        assertEq(NormalDistribution.pdf(type(int256).min), 0, "pdf(min)");
        assertEq(NormalDistribution.pdf(type(int256).max), 0, "pdf(max)");
        assertEq(NormalDistribution.pdf(-37e18 - 1), 0, "pdf(-37 - 1 wei)");
        // Both sides of the switch to the continued fraction at 7.07106781186547.
        int256 from = NormalDistribution.CONTINUED_FRACTION_FROM;
        assertNear(NormalDistribution.cdf(-from), 768_730, 2, "rational side");
        assertNear(NormalDistribution.cdf(-from + 1), 768_730, 2, "fraction side");
    }

    /// @notice N(x) + N(-x) == 1 exactly and N is non-decreasing, on a sweep.
    function testCdfSymmetryAndMonotonicity() public pure {
        int256 previous = 0;
        for (int256 x = -10e18; x <= 10e18; x += 0.0625e18) {
            int256 value = NormalDistribution.cdf(x);
            assertEq(value + NormalDistribution.cdf(-x), WAD, "symmetry");
            assertTrue(value >= previous, "monotone");
            previous = value;
        }
    }

    // ---------------------------------------------------------------- Black-Scholes

    /// @notice Hull, Options, Futures and Other Derivatives, Example 15.6: S = 42, K = 40,
    /// r = 10%, sigma = 20%, T = 0.5: call 4.7594, put 0.8086 (4 decimals).
    function testHullExample() public pure {
        int256 call = BlackScholes.callPrice(42e18, 40e18, 0.2e18, 0.5e18, 0.1e18);
        int256 put = BlackScholes.putPrice(42e18, 40e18, 0.2e18, 0.5e18, 0.1e18);
        assertNear(call, 4.7594e18, 0.00005e18, "Hull call");
        assertNear(put, 0.8086e18, 0.00005e18, "Hull put");
        // mpmath at 50 digits, rounded to the wei: 4.759422392871533220, 0.808599372900093583.
        assertNear(call, 4_759_422_392_871_533_220, 1e3, "Hull call, mpmath");
        assertNear(put, 808_599_372_900_093_583, 1e3, "Hull put, mpmath");
        assertEq(call, 4_759_422_392_871_532_659, "Hull call, twin");
        assertEq(put, 808_599_372_900_093_018, "Hull put, twin");
    }

    /// @notice Haug (1998) rows of QuantLib's europeanoption.cpp with q = 0, and Haug's
    /// vega example (S = 55, K = 60, r = 10%, sigma = 30%, T = 0.75: 18.9358).
    function testHaugValues() public pure {
        assertNear(
            BlackScholes.callPrice(60e18, 65e18, 0.3e18, 0.25e18, 0.08e18),
            2.1334e18,
            0.0001e18,
            "Haug 2-8 call"
        );
        assertNear(
            BlackScholes.vega(55e18, 60e18, 0.3e18, 0.75e18, 0.1e18),
            18.9358e18,
            0.0001e18,
            "Haug vega"
        );
    }

    /// @notice Black-76, Haug's futures option example: F = K = 19, T = 0.75, r = 10%,
    /// sigma = 28%: call = put = 1.7011.
    function testBlack76Example() public pure {
        int256 call = BlackScholes.black76Call(19e18, 19e18, 0.28e18, 0.75e18, 0.1e18);
        int256 put = BlackScholes.black76Put(19e18, 19e18, 0.28e18, 0.75e18, 0.1e18);
        assertNear(call, 1.7011e18, 0.0001e18, "Black-76 call");
        assertEq(call, put, "at the money forward, call == put");
    }

    /// @notice T == 0 and sigma == 0 give the discounted intrinsic value, exactly.
    function testLimits() public pure {
        // T == 0: intrinsic, no discounting.
        assertEq(BlackScholes.callPrice(42e18, 40e18, 0.2e18, 0, 0.1e18), 2e18, "T=0 call");
        assertEq(BlackScholes.putPrice(42e18, 40e18, 0.2e18, 0, 0.1e18), 0, "T=0 put");
        assertEq(BlackScholes.putPrice(38e18, 40e18, 0.2e18, 0, 0.1e18), 2e18, "T=0 put ITM");
        assertEq(BlackScholes.callDelta(42e18, 40e18, 0.2e18, 0, 0), WAD, "T=0 delta ITM");
        assertEq(BlackScholes.callDelta(38e18, 40e18, 0.2e18, 0, 0), 0, "T=0 delta OTM");
        assertEq(BlackScholes.callDelta(40e18, 40e18, 0.2e18, 0, 0), WAD / 2, "T=0 delta ATM");
        assertEq(BlackScholes.putDelta(40e18, 40e18, 0.2e18, 0, 0), -WAD / 2, "T=0 put delta");
        assertEq(BlackScholes.putDelta(38e18, 40e18, 0.2e18, 0, 0), -WAD, "T=0 put delta ITM");
        assertEq(BlackScholes.vega(40e18, 40e18, 0.2e18, 0, 0), 0, "T=0 vega");
        // sigma == 0: max(S - K e^{-rT}, 0) with K e^{-rT} = mulWad(40e18, expWad(-0.05e18)).
        int256 discounted = 38_049_176_980_028_560_360; // mulWad(40e18, expWad(-0.05e18))
        assertEq(BlackScholes.callPrice(39e18, 40e18, 0, 0.5e18, 0.1e18), 39e18 - discounted, "");
        assertEq(BlackScholes.putPrice(39e18, 40e18, 0, 0.5e18, 0.1e18), 0, "sigma=0 put");
        assertEq(BlackScholes.putPrice(37e18, 40e18, 0, 0.5e18, 0.1e18), discounted - 37e18, "");
        assertEq(BlackScholes.callDelta(39e18, 40e18, 0, 0.5e18, 0.1e18), WAD, "sigma=0 delta");
        assertEq(BlackScholes.vega(39e18, 40e18, 0, 0.5e18, 0.1e18), 0, "sigma=0 vega");
        // sigma == 0 exactly at the money (r = 0): vega is the limit S sqrt(T) phi(0).
        assertNear(
            BlackScholes.vega(40e18, 40e18, 0, 0.25e18, 0),
            7_978_845_608_028_653_559, // 40 * 0.5 / sqrt(2 pi)
            25, // pdf(0) is 0.94 wei low, times S sqrt(T) = 20
            "sigma=0 ATM vega"
        );
        // sigma * sqrt(T) below 1 wei counts as sigma == 0.
        assertEq(BlackScholes.callPrice(42e18, 40e18, 1, 1, 0), 2e18, "v rounds to 0");
        // Black-76: e^{-rT} max(F - K, 0), as mulWad(F, D) - mulWad(K, D).
        assertEq(BlackScholes.black76Call(40e18, 40e18, 0, 1e18, 0), 0, "Black-76 ATM");
        assertEq(BlackScholes.black76Put(38e18, 40e18, 0.3e18, 0, 0.05e18), 2e18, "B76 T=0");
    }

    /// @notice Huge and tiny volatility and time, deep in and out of the money.
    function testExtremes() public pure {
        // Huge total volatility: the call tends to S, the put to K e^{-rT}.
        assertNear(BlackScholes.callPrice(100e18, 100e18, 100e18, 100e18, 0), 100e18, 1, "");
        assertNear(BlackScholes.putPrice(100e18, 100e18, 100e18, 100e18, 0), 100e18, 1, "");
        // Deep out of the money: 0.
        assertEq(BlackScholes.callPrice(1e18, 1e30, 0.5e18, 1e18, 0), 0, "deep OTM call");
        assertEq(BlackScholes.putPrice(1e30, 1e18, 0.5e18, 1e18, 0), 0, "deep OTM put");
        // Deep in the money: intrinsic.
        assertEq(BlackScholes.callPrice(1e30, 1e18, 0.5e18, 1e18, 0), 1e30 - 1e18, "");
        assertEq(BlackScholes.putPrice(1e18, 1e30, 0.5e18, 1e18, 0), 1e30 - 1e18, "");
        // Tiny volatility and time: still the normal branch, near intrinsic.
        assertNear(BlackScholes.callPrice(42e18, 40e18, 1e9, 1e9, 0), 2e18, 1, "tiny v");
        // The bounds themselves are accepted.
        BlackScholes.callPrice(1e36, 1e36, 100e18, 100e18, 0.4e18);
        BlackScholes.putPrice(1, 1, 100e18, 4e18, 10e18);
        BlackScholes.putPrice(1, 1e36, 0, 4e18, -10e18);
    }

    // ---------------------------------------------------------------- reverts

    function testRevertsSpot() public {
        vm.expectRevert(abi.encodeWithSelector(BlackScholes.NonPositiveSpot.selector, int256(0)));
        harness.callPrice(0, 40e18, 0.2e18, 0.5e18, 0.1e18);
        vm.expectRevert(abi.encodeWithSelector(BlackScholes.NonPositiveSpot.selector, int256(-1)));
        harness.putPrice(-1, 40e18, 0.2e18, 0.5e18, 0.1e18);
        vm.expectRevert(
            abi.encodeWithSelector(BlackScholes.NonPositiveSpot.selector, type(int256).min)
        );
        harness.vega(type(int256).min, 40e18, 0.2e18, 0.5e18, 0.1e18);
        vm.expectRevert(
            abi.encodeWithSelector(BlackScholes.PriceTooLarge.selector, int256(1e36 + 1))
        );
        harness.callDelta(1e36 + 1, 40e18, 0.2e18, 0.5e18, 0.1e18);
    }

    function testRevertsForward() public {
        vm.expectRevert(abi.encodeWithSelector(BlackScholes.NonPositiveForward.selector, int256(0)));
        harness.black76Call(0, 40e18, 0.2e18, 0.5e18, 0.1e18);
        vm.expectRevert(
            abi.encodeWithSelector(BlackScholes.PriceTooLarge.selector, type(int256).max)
        );
        harness.black76Put(type(int256).max, 40e18, 0.2e18, 0.5e18, 0.1e18);
    }

    function testRevertsStrike() public {
        vm.expectRevert(abi.encodeWithSelector(BlackScholes.NonPositiveStrike.selector, int256(0)));
        harness.callPrice(42e18, 0, 0.2e18, 0.5e18, 0.1e18);
        vm.expectRevert(
            abi.encodeWithSelector(BlackScholes.NonPositiveStrike.selector, int256(-40e18))
        );
        harness.black76Put(42e18, -40e18, 0.2e18, 0.5e18, 0.1e18);
        vm.expectRevert(
            abi.encodeWithSelector(BlackScholes.PriceTooLarge.selector, int256(1e36 + 1))
        );
        harness.putDelta(42e18, 1e36 + 1, 0.2e18, 0.5e18, 0.1e18);
    }

    function testRevertsVolatility() public {
        vm.expectRevert(
            abi.encodeWithSelector(BlackScholes.NegativeVolatility.selector, int256(-1))
        );
        harness.callPrice(42e18, 40e18, -1, 0.5e18, 0.1e18);
        vm.expectRevert(
            abi.encodeWithSelector(BlackScholes.VolatilityTooLarge.selector, int256(100e18 + 1))
        );
        harness.black76Call(42e18, 40e18, 100e18 + 1, 0.5e18, 0.1e18);
    }

    function testRevertsTime() public {
        vm.expectRevert(abi.encodeWithSelector(BlackScholes.NegativeTime.selector, int256(-1)));
        harness.putPrice(42e18, 40e18, 0.2e18, -1, 0.1e18);
        vm.expectRevert(
            abi.encodeWithSelector(BlackScholes.TimeTooLarge.selector, int256(100e18 + 1))
        );
        harness.vega(42e18, 40e18, 0.2e18, 100e18 + 1, 0);
    }

    function testRevertsRate() public {
        vm.expectRevert(
            abi.encodeWithSelector(BlackScholes.RateOutOfRange.selector, int256(10e18 + 1))
        );
        harness.callPrice(42e18, 40e18, 0.2e18, 0.5e18, 10e18 + 1);
        vm.expectRevert(
            abi.encodeWithSelector(BlackScholes.RateOutOfRange.selector, type(int256).min)
        );
        harness.black76Put(42e18, 40e18, 0.2e18, 0.5e18, type(int256).min);
        // rT = 40 + 1e-18: the discount factor leaves its range.
        vm.expectRevert(
            abi.encodeWithSelector(
                BlackScholes.DiscountOutOfRange.selector, int256(10e18), int256(4e18 + 1)
            )
        );
        harness.putPrice(42e18, 40e18, 0.2e18, 4e18 + 1, 10e18);
        vm.expectRevert(
            abi.encodeWithSelector(
                BlackScholes.DiscountOutOfRange.selector, int256(-0.5e18), int256(80e18 + 2)
            )
        );
        harness.callPrice(42e18, 40e18, 0.2e18, 80e18 + 2, -0.5e18);
        // The product is truncated: 40e18 + 0.5 wei is still accepted.
        harness.callPrice(42e18, 40e18, 0.2e18, 80e18 + 1, -0.5e18);
    }
}

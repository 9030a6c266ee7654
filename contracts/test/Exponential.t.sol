// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Exponential} from "../libraries/Exponential.sol";
import {ExponentialHarness} from "./harness/ExponentialHarness.sol";
import {TestBase} from "./utils/Vm.sol";

/// @notice Known values, domain bounds and reverts of the Exponential library (gas:
/// NumericsGas.t.sol); the bit-for-bit comparison with the Python twin on thousands of
/// inputs and the accuracy against mpmath are in tests/test_exponential.py.
contract ExponentialTest is TestBase {
    int256 internal constant WAD = 1e18;
    int256 internal constant EXP_MAX = 135_305_999_368_893_231_588;
    int256 internal constant EXP_ZERO = -41_446_531_673_892_822_313;

    ExponentialHarness internal harness;

    function setUp() public {
        harness = new ExponentialHarness();
    }

    // ------------------------------------------------------------ expWad

    function test_ExpWad_KnownValues() public pure {
        // e^x to 18 decimals, the approximation rounding down (e = 2.718281828459045235360...).
        assertEq(Exponential.expWad(0), 1e18, "exp(0)");
        assertEq(Exponential.expWad(1), 1e18 + 1, "exp(1 wei)");
        assertEq(Exponential.expWad(-1), 1e18 - 1, "exp(-1 wei)");
        assertEq(Exponential.expWad(1e18), 2_718_281_828_459_045_235, "exp(1)");
        assertEq(Exponential.expWad(-1e18), 367_879_441_171_442_321, "exp(-1)");
        assertEq(Exponential.expWad(0.5e18), 1_648_721_270_700_128_146, "exp(0.5)");
        assertEq(Exponential.expWad(-0.3e18), 740_818_220_681_717_866, "exp(-0.3)");
        assertEq(Exponential.expWad(2e18), 7_389_056_098_930_650_227, "exp(2)");
        assertEq(Exponential.expWad(-3e18), 49_787_068_367_863_942, "exp(-3)");
        assertEq(Exponential.expWad(10e18), 22_026_465_794_806_716_516_980, "exp(10)");
        assertEq(
            Exponential.expWad(50e18),
            5_184_705_528_587_072_464_148_529_318_587_763_226_117,
            "exp(50)"
        );
    }

    function test_ExpWad_DomainBounds() public pure {
        // The largest input gives a result just below type(int256).max.
        int256 top = Exponential.expWad(EXP_MAX);
        assertEq(
            top,
            57_896_044_618_658_097_650_144_101_621_524_338_577_433_870_140_581_303_254_786_265_309_376_407_432_913,
            "exp(max input)"
        );
        // e^(max input) is int256.max * (1 - 1.07e-18); the approximation is within 1e-18.
        assertTrue(type(int256).max - top < 3 * (type(int256).max / 1e18), "exp(max) ~ int.max");
        // Zero at and below the zero bound, one wei just above it.
        assertEq(Exponential.expWad(EXP_ZERO), 0, "exp(zero bound)");
        assertEq(Exponential.expWad(EXP_ZERO + 1), 1, "exp(zero bound + 1)");
        assertEq(Exponential.expWad(-42e18), 0, "exp(-42)");
        assertEq(Exponential.expWad(type(int256).min), 0, "exp(int256.min)");
    }

    function test_ExpWad_RevertsAboveMaxInput() public {
        int256[3] memory inputs = [EXP_MAX + 1, int256(136e18), type(int256).max];
        for (uint256 i; i < inputs.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(Exponential.ExpOverflow.selector, inputs[i]));
            harness.expWad(inputs[i]);
        }
    }

    function testFuzz_ExpWad_Monotonic(int256 x) public pure {
        x = _bound(x, EXP_ZERO - 10, EXP_MAX - 1);
        assertTrue(Exponential.expWad(x) <= Exponential.expWad(x + 1), "exp non-decreasing");
    }

    // ------------------------------------------------------------ lnWad

    function test_LnWad_KnownValues() public pure {
        assertEq(Exponential.lnWad(1e18), 0, "ln(1)");
        assertEq(Exponential.lnWad(1e18 + 1), 1, "ln(1 + 1 wei)");
        assertEq(Exponential.lnWad(1e18 - 1), -1, "ln(1 - 1 wei)");
        assertEq(Exponential.lnWad(2e18), 693_147_180_559_945_309, "ln(2)");
        assertEq(Exponential.lnWad(0.5e18), -693_147_180_559_945_310, "ln(0.5)");
        assertEq(Exponential.lnWad(10e18), 2_302_585_092_994_045_683, "ln(10)");
        assertEq(Exponential.lnWad(2_718_281_828_459_045_235), 999_999_999_999_999_999, "ln(e)");
        assertEq(Exponential.lnWad(1e36), 41_446_531_673_892_822_312, "ln(1e18)");
    }

    function test_LnWad_DomainBounds() public pure {
        assertEq(Exponential.lnWad(1), -41_446_531_673_892_822_313, "ln(1 wei)");
        assertEq(Exponential.lnWad(2), -40_753_384_493_332_877_003, "ln(2 wei)");
        assertEq(Exponential.lnWad(type(int256).max), 135_305_999_368_893_231_589, "ln(int256.max)");
    }

    function test_LnWad_RevertsOnNonPositive() public {
        int256[4] memory inputs = [int256(0), -1, -1e18, type(int256).min];
        for (uint256 i; i < inputs.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(Exponential.LnOfNonPositive.selector, inputs[i]));
            harness.lnWad(inputs[i]);
        }
    }

    function testFuzz_LnWad_Monotonic(int256 x) public pure {
        x = _bound(x, 1, type(int256).max - 1);
        assertTrue(Exponential.lnWad(x) <= Exponential.lnWad(x + 1), "ln non-decreasing");
    }

    function testFuzz_LnWad_InvertsExpWad(int256 x) public pure {
        // Where exp(x) >= 1 its WAD result has at least 19 digits, and ln(exp(x)) is x to
        // within a few wei (each function is within about 1 wei of exact).
        x = _bound(x, 0, EXP_MAX);
        int256 back = Exponential.lnWad(Exponential.expWad(x));
        assertTrue(back <= x + 2 && back >= x - 3, "ln(exp(x)) ~ x");
    }

    // ------------------------------------------------------------ powWad

    function test_PowWad_KnownValues() public pure {
        assertEq(Exponential.powWad(2e18, 0.5e18), 1_414_213_562_373_095_047, "2^0.5");
        assertEq(Exponential.powWad(2e18, -1e18), 0.5e18, "2^-1");
        assertEq(Exponential.powWad(0.5e18, 2e18), 0.25e18 - 1, "0.5^2");
        assertEq(Exponential.powWad(4e18, 0.5e18), 2e18 - 1, "4^0.5");
        assertEq(Exponential.powWad(3e18, 0), 1e18, "3^0");
        assertEq(Exponential.powWad(1e18, 123e18), 1e18, "1^123");
        assertEq(Exponential.powWad(1e18, type(int256).max), 1e18, "1^int256.max");
        assertEq(Exponential.powWad(0.5e18, 100e18), 0, "0.5^100 underflows to 0");
    }

    function test_PowWad_Reverts() public {
        // x <= 0 is outside ln's domain.
        vm.expectRevert(abi.encodeWithSelector(Exponential.LnOfNonPositive.selector, 0));
        harness.powWad(0, 1e18);
        vm.expectRevert(abi.encodeWithSelector(Exponential.LnOfNonPositive.selector, -2e18));
        harness.powWad(-2e18, 2e18);
        // The exponent ln(2) * 200 = 138.6... is above expWad's domain.
        vm.expectRevert(
            abi.encodeWithSelector(
                Exponential.ExpOverflow.selector, int256(693_147_180_559_945_309) * 200
            )
        );
        harness.powWad(2e18, 200e18);
        // ln(2) * y overflows int256: checked arithmetic, Panic 0x11.
        vm.expectRevert(abi.encodeWithSignature("Panic(uint256)", 0x11));
        harness.powWad(2e18, type(int256).max);
    }

    /// @dev x clamped into [lo, hi] (forge-std's bound is not available).
    function _bound(int256 x, int256 lo, int256 hi) private pure returns (int256) {
        if (x >= lo && x <= hi) return x;
        // forge-lint: disable-next-line(unsafe-typecast)
        uint256 span = uint256(hi - lo) + 1;
        // forge-lint: disable-next-line(unsafe-typecast)
        return lo + int256(uint256(x) % span);
    }
}

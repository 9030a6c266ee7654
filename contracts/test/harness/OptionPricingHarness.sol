// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BlackScholes} from "../../libraries/BlackScholes.sol";
import {NormalDistribution} from "../../libraries/NormalDistribution.sol";

/// @title OptionPricingHarness
/// @notice Exposes NormalDistribution and BlackScholes for the Python differential tests
/// (tests/test_option_pricing.py), which call them on Anvil. Not deployed in production.
contract OptionPricingHarness {
    /// @notice NormalDistribution.cdf.
    function cdf(int256 x) external pure returns (int256) {
        return NormalDistribution.cdf(x);
    }

    /// @notice NormalDistribution.pdf.
    function pdf(int256 x) external pure returns (int256) {
        return NormalDistribution.pdf(x);
    }

    /// @notice BlackScholes.callPrice.
    function callPrice(int256 spot, int256 strike, int256 sigma, int256 time, int256 rate)
        external
        pure
        returns (int256)
    {
        return BlackScholes.callPrice(spot, strike, sigma, time, rate);
    }

    /// @notice BlackScholes.putPrice.
    function putPrice(int256 spot, int256 strike, int256 sigma, int256 time, int256 rate)
        external
        pure
        returns (int256)
    {
        return BlackScholes.putPrice(spot, strike, sigma, time, rate);
    }

    /// @notice BlackScholes.black76Call.
    function black76Call(int256 forward, int256 strike, int256 sigma, int256 time, int256 rate)
        external
        pure
        returns (int256)
    {
        return BlackScholes.black76Call(forward, strike, sigma, time, rate);
    }

    /// @notice BlackScholes.black76Put.
    function black76Put(int256 forward, int256 strike, int256 sigma, int256 time, int256 rate)
        external
        pure
        returns (int256)
    {
        return BlackScholes.black76Put(forward, strike, sigma, time, rate);
    }

    /// @notice BlackScholes.callDelta.
    function callDelta(int256 spot, int256 strike, int256 sigma, int256 time, int256 rate)
        external
        pure
        returns (int256)
    {
        return BlackScholes.callDelta(spot, strike, sigma, time, rate);
    }

    /// @notice BlackScholes.putDelta.
    function putDelta(int256 spot, int256 strike, int256 sigma, int256 time, int256 rate)
        external
        pure
        returns (int256)
    {
        return BlackScholes.putDelta(spot, strike, sigma, time, rate);
    }

    /// @notice BlackScholes.vega.
    function vega(int256 spot, int256 strike, int256 sigma, int256 time, int256 rate)
        external
        pure
        returns (int256)
    {
        return BlackScholes.vega(spot, strike, sigma, time, rate);
    }

    /// @notice Every spot function on one input, in one call (callPrice, putPrice,
    /// callDelta, putDelta, vega), so that the differential test sends one request per input.
    function blackScholesAll(int256 spot, int256 strike, int256 sigma, int256 time, int256 rate)
        external
        pure
        returns (int256 call, int256 put, int256 deltaCall, int256 deltaPut, int256 vega_)
    {
        call = BlackScholes.callPrice(spot, strike, sigma, time, rate);
        put = BlackScholes.putPrice(spot, strike, sigma, time, rate);
        deltaCall = BlackScholes.callDelta(spot, strike, sigma, time, rate);
        deltaPut = BlackScholes.putDelta(spot, strike, sigma, time, rate);
        vega_ = BlackScholes.vega(spot, strike, sigma, time, rate);
    }

    /// @notice Both Black-76 prices on one input, in one call.
    function black76All(int256 forward, int256 strike, int256 sigma, int256 time, int256 rate)
        external
        pure
        returns (int256 call, int256 put)
    {
        call = BlackScholes.black76Call(forward, strike, sigma, time, rate);
        put = BlackScholes.black76Put(forward, strike, sigma, time, rate);
    }
}

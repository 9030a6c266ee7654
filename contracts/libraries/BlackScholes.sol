// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {Exponential} from "./Exponential.sol";
import {FixedPointMath} from "./FixedPointMath.sol";
import {NormalDistribution} from "./NormalDistribution.sol";

/// @title BlackScholes
/// @notice European option prices and Greeks in signed WAD (1e18): Black-Scholes on a spot
/// S (no dividends), Black-76 on a forward F. Inputs: strike K, volatility sigma (per
/// year, 1e18 = 100%), time to expiry T (years), continuously compounded rate r (per year).
/// @dev One algorithm for every function (docs/numerics.md, "Black-Scholes and Black-76"):
///   rT = mulWad(r, T, Trunc)          D = Exponential.expWad(-rT)
///   sqrtT = FixedPointMath.sqrtWad(T) (floor)       v = mulWad(sigma, sqrtT, Floor)
///   Black-Scholes: s = S,                  k = mulWad(K, D, Floor),
///                  m = lnWad(S) - lnWad(K) + rT
///   Black-76:      s = mulWad(F, D, Floor), k = mulWad(K, D, Floor),
///                  m = lnWad(F) - lnWad(K)
///   d1 = divWad(m, v, Trunc) + mulDiv(v, 1, 2, Floor),  d2 = d1 - v
///   call = mulWad(s, N(d1), Floor) - mulWad(k, N(d2), Floor)
///   put  = mulWad(k, N(-d2), Floor) - mulWad(s, N(-d1), Floor)   (own formula, no parity)
/// and a price that rounding leaves below 0 is returned as 0. N is NormalDistribution.cdf.
/// When v == 0 (sigma == 0, T == 0, or sigma * sqrt(T) below 1 wei) the price is the
/// discounted intrinsic value: call = max(s - k, 0), put = max(k - s, 0), i.e.
/// max(S - K e^{-rT}, 0) and max(K e^{-rT} - S, 0) (Black-76: with F e^{-rT} for S).
/// Domain, checked in this order, each with its own error: 0 < S (or F) <= MAX_PRICE,
/// 0 < K <= MAX_PRICE, 0 <= sigma <= MAX_VOLATILITY, 0 <= T <= MAX_TIME,
/// |r| <= MAX_RATE, |rT| <= MAX_RATE_TIME. Inside it no intermediate overflows and nothing
/// else reverts. Python twin: offchain/black_scholes.py, bit-identical.
/// Gas: the Floor steps on non-negative operands (v, s and k for Black-76, k, the legs,
/// v / 2, vega) use native `unchecked` int256 arithmetic, each with its bound below 2^255
/// (about 5.79e76) in a comment next to it; for operands >= 0, `/` (truncation) is Floor,
/// so the results are the same integers. rT and m / v, whose signs vary, stay on
/// FixedPointMath.
library BlackScholes {
    int256 internal constant WAD = 1e18;
    /// @notice Largest spot, forward or strike: 1e18 quote units per unit (1e36 wei).
    int256 internal constant MAX_PRICE = 1e36;
    /// @notice Largest volatility: 100 (10,000% a year).
    int256 internal constant MAX_VOLATILITY = 100e18;
    /// @notice Largest time to expiry: 100 years.
    int256 internal constant MAX_TIME = 100e18;
    /// @notice Largest |r|: 10 (1,000% a year).
    int256 internal constant MAX_RATE = 10e18;
    /// @notice Largest |rT|: 40, so that the discount factor e^{-rT} is in [4e-18, 2.4e17].
    int256 internal constant MAX_RATE_TIME = 40e18;

    /// @notice Spot <= 0.
    error NonPositiveSpot(int256 spot);
    /// @notice Forward <= 0.
    error NonPositiveForward(int256 forward);
    /// @notice Strike <= 0.
    error NonPositiveStrike(int256 strike);
    /// @notice Spot, forward or strike above MAX_PRICE.
    error PriceTooLarge(int256 price);
    /// @notice Volatility < 0.
    error NegativeVolatility(int256 sigma);
    /// @notice Volatility above MAX_VOLATILITY.
    error VolatilityTooLarge(int256 sigma);
    /// @notice Time to expiry < 0.
    error NegativeTime(int256 time);
    /// @notice Time to expiry above MAX_TIME.
    error TimeTooLarge(int256 time);
    /// @notice |rate| above MAX_RATE.
    error RateOutOfRange(int256 rate);
    /// @notice |mulWad(rate, time, Trunc)| above MAX_RATE_TIME: e^{-rT} out of range.
    error DiscountOutOfRange(int256 rate, int256 time);

    /// @notice Black-Scholes call: S N(d1) - K e^{-rT} N(d2).
    function callPrice(int256 spot, int256 strike, int256 sigma, int256 time, int256 rate)
        internal
        pure
        returns (int256)
    {
        (int256 s, int256 k, int256 m, int256 v,) = _spotInputs(spot, strike, sigma, time, rate);
        return _call(s, k, m, v);
    }

    /// @notice Black-Scholes put: K e^{-rT} N(-d2) - S N(-d1).
    function putPrice(int256 spot, int256 strike, int256 sigma, int256 time, int256 rate)
        internal
        pure
        returns (int256)
    {
        (int256 s, int256 k, int256 m, int256 v,) = _spotInputs(spot, strike, sigma, time, rate);
        return _put(s, k, m, v);
    }

    /// @notice Black-76 call on a forward: e^{-rT} (F N(d1) - K N(d2)).
    function black76Call(int256 forward, int256 strike, int256 sigma, int256 time, int256 rate)
        internal
        pure
        returns (int256)
    {
        (int256 s, int256 k, int256 m, int256 v) =
            _forwardInputs(forward, strike, sigma, time, rate);
        return _call(s, k, m, v);
    }

    /// @notice Black-76 put on a forward: e^{-rT} (K N(-d2) - F N(-d1)).
    function black76Put(int256 forward, int256 strike, int256 sigma, int256 time, int256 rate)
        internal
        pure
        returns (int256)
    {
        (int256 s, int256 k, int256 m, int256 v) =
            _forwardInputs(forward, strike, sigma, time, rate);
        return _put(s, k, m, v);
    }

    /// @notice Black-Scholes call delta dC/dS = N(d1), in [0, 1e18]. At v == 0: 1e18 if
    /// S > K e^{-rT} (as s > k), 0 if below, 0.5e18 if equal.
    function callDelta(int256 spot, int256 strike, int256 sigma, int256 time, int256 rate)
        internal
        pure
        returns (int256)
    {
        (int256 s, int256 k, int256 m, int256 v,) = _spotInputs(spot, strike, sigma, time, rate);
        if (v == 0) return s > k ? WAD : (s < k ? int256(0) : WAD / 2);
        return NormalDistribution.cdf(_d1(m, v));
    }

    /// @notice Black-Scholes put delta dP/dS = -N(-d1), in [-1e18, 0]. At v == 0: 0 if
    /// s > k, -1e18 if below, -0.5e18 if equal.
    function putDelta(int256 spot, int256 strike, int256 sigma, int256 time, int256 rate)
        internal
        pure
        returns (int256)
    {
        (int256 s, int256 k, int256 m, int256 v,) = _spotInputs(spot, strike, sigma, time, rate);
        if (v == 0) return s > k ? int256(0) : (s < k ? -WAD : -WAD / 2);
        return -NormalDistribution.cdf(-_d1(m, v));
    }

    /// @notice Black-Scholes vega dC/dsigma = dP/dsigma = S phi(d1) sqrt(T), per unit of
    /// volatility (1e18 = 100 vol points): mulWad(mulWad(S, pdf(d1), Floor), sqrtT, Floor).
    /// At v == 0 it is the sigma -> 0 limit: the same formula with d1 = 0 if s == k
    /// (so 0 when T == 0), else 0.
    function vega(int256 spot, int256 strike, int256 sigma, int256 time, int256 rate)
        internal
        pure
        returns (int256)
    {
        (int256 s, int256 k, int256 m, int256 v, int256 sqrtT) =
            _spotInputs(spot, strike, sigma, time, rate);
        // slither-disable-next-line uninitialized-local
        int256 d1;
        if (v == 0) {
            if (s != k) return 0;
        } else {
            d1 = _d1(m, v);
        }
        int256 density = NormalDistribution.pdf(d1);
        // 0 < s = S <= 1e36, 0 <= density < 4e17 and 0 <= sqrtT <= sqrtWad(100e18) = 1e19, so
        // s * density < 4e53 < 2^255 and (s * density / 1e18) * sqrtT < 4e35 * 1e19 = 4e54:
        // mulWad(mulWad(s, density, Floor), sqrtT, Floor).
        unchecked {
            // slither-disable-next-line divide-before-multiply
            return s * density / WAD * sqrtT / WAD;
        }
    }

    /// @dev The call on (s, k, m, v); see the library's notes.
    function _call(int256 s, int256 k, int256 m, int256 v) private pure returns (int256) {
        if (v == 0) return s > k ? s - k : int256(0);
        int256 d1 = _d1(m, v);
        int256 n1 = NormalDistribution.cdf(d1);
        int256 n2 = NormalDistribution.cdf(d1 - v);
        int256 price;
        // 0 <= s, k < 2.4e53 (s = S <= 1e36, or F D / 1e18, and k = K D / 1e18: see
        // _spotInputs, _forwardInputs) and 0 <= n1, n2 <= 1e18 (cdf), so each product is
        // below 2.4e71 < 2^255 and each leg is in [0, 2.4e53]: mulWad(., ., Floor) twice,
        // and the difference is in (-2.4e53, 2.4e53).
        unchecked {
            price = s * n1 / WAD - k * n2 / WAD;
        }
        return price > 0 ? price : int256(0);
    }

    /// @dev The put on (s, k, m, v), by its own formula.
    function _put(int256 s, int256 k, int256 m, int256 v) private pure returns (int256) {
        if (v == 0) return k > s ? k - s : int256(0);
        int256 d1 = _d1(m, v);
        int256 n2 = NormalDistribution.cdf(v - d1);
        int256 n1 = NormalDistribution.cdf(-d1);
        int256 price;
        // 0 <= s, k < 2.4e53 (s = S <= 1e36, or F D / 1e18, and k = K D / 1e18: see
        // _spotInputs, _forwardInputs) and 0 <= n1, n2 <= 1e18 (cdf), so each product is
        // below 2.4e71 < 2^255 and each leg is in [0, 2.4e53]: mulWad(., ., Floor) twice,
        // and the difference is in (-2.4e53, 2.4e53).
        unchecked {
            price = k * n2 / WAD - s * n1 / WAD;
        }
        return price > 0 ? price : int256(0);
    }

    /// @dev d1 = m / v + v / 2 for v > 0.
    function _d1(int256 m, int256 v) private pure returns (int256) {
        int256 halfV;
        // v > 0 here (and v <= 1e21, see _checkCommon), so v / 2 is mulDiv(v, 1, 2, Floor).
        unchecked {
            halfV = v / 2;
        }
        // m may be negative: its division stays on FixedPointMath.
        return FixedPointMath.divWad(m, v, Math.Rounding.Trunc) + halfV;
    }

    /// @dev Checks a spot call's inputs and returns (s, k, m, v, sqrtT).
    function _spotInputs(int256 spot, int256 strike, int256 sigma, int256 time, int256 rate)
        private
        pure
        returns (int256 s, int256 k, int256 m, int256 v, int256 sqrtT)
    {
        if (spot <= 0) revert NonPositiveSpot(spot);
        if (spot > MAX_PRICE) revert PriceTooLarge(spot);
        int256 rt;
        (rt, v, sqrtT) = _checkCommon(strike, sigma, time, rate);
        s = spot;
        int256 discount = Exponential.expWad(-rt);
        // 0 < strike <= 1e36 and 0 <= discount <= expWad(40e18) < 2.4e35 (|rt| <= 40e18), so
        // strike * discount < 2.4e71 < 2^255 and k < 2.4e53: mulWad(strike, discount, Floor).
        unchecked {
            k = strike * discount / WAD;
        }
        m = Exponential.lnWad(spot) - Exponential.lnWad(strike) + rt;
    }

    /// @dev Checks a forward call's inputs and returns (s, k, m, v).
    function _forwardInputs(int256 forward, int256 strike, int256 sigma, int256 time, int256 rate)
        private
        pure
        returns (int256 s, int256 k, int256 m, int256 v)
    {
        if (forward <= 0) revert NonPositiveForward(forward);
        if (forward > MAX_PRICE) revert PriceTooLarge(forward);
        int256 rt;
        (rt, v,) = _checkCommon(strike, sigma, time, rate);
        int256 discount = Exponential.expWad(-rt);
        // 0 < forward, strike <= 1e36 and 0 <= discount <= expWad(40e18) < 2.4e35
        // (|rt| <= 40e18), so each product is below 2.4e71 < 2^255, and s, k < 2.4e53:
        // mulWad(forward, discount, Floor) and mulWad(strike, discount, Floor).
        unchecked {
            s = forward * discount / WAD;
            k = strike * discount / WAD;
        }
        m = Exponential.lnWad(forward) - Exponential.lnWad(strike);
    }

    /// @dev Checks strike, sigma, time and rate; returns (rT, v, sqrtT).
    function _checkCommon(int256 strike, int256 sigma, int256 time, int256 rate)
        private
        pure
        returns (int256 rt, int256 v, int256 sqrtT)
    {
        if (strike <= 0) revert NonPositiveStrike(strike);
        if (strike > MAX_PRICE) revert PriceTooLarge(strike);
        if (sigma < 0) revert NegativeVolatility(sigma);
        if (sigma > MAX_VOLATILITY) revert VolatilityTooLarge(sigma);
        if (time < 0) revert NegativeTime(time);
        if (time > MAX_TIME) revert TimeTooLarge(time);
        if (rate > MAX_RATE || rate < -MAX_RATE) revert RateOutOfRange(rate);
        rt = FixedPointMath.mulWad(rate, time, Math.Rounding.Trunc);
        if (rt > MAX_RATE_TIME || rt < -MAX_RATE_TIME) revert DiscountOutOfRange(rate, time);
        sqrtT = FixedPointMath.sqrtWad(time);
        // 0 <= sigma <= 100e18 and 0 <= sqrtT <= sqrtWad(100e18) = 1e19, so
        // sigma * sqrtT <= 1e39 < 2^255 and v <= 1e21: mulWad(sigma, sqrtT, Floor).
        unchecked {
            v = sigma * sqrtT / WAD;
        }
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {BlackScholes} from "./BlackScholes.sol";
import {FixedPointMath} from "./FixedPointMath.sol";

/// @title OptionValuation
/// @notice The mark and the scenario value of one European option, per unit of underlying.
/// @dev Black-Scholes with rate 0 (crypto options are quoted on a near-zero funding rate;
/// a per-epoch rate is a later change). Time to expiry in years is
/// floor((expiry - now) * 1e18 / 365 days), and 0 from expiry on, where Black-Scholes gives
/// the exact intrinsic value. Under a scenario the spot moves to
/// max(spot + mulWad(spot, r, Floor), 1 wei) and the vol to vol + shift clamped to
/// [0, BlackScholes.MAX_VOLATILITY]. Python twin: `offchain/options.py`.
library OptionValuation {
    int256 internal constant WAD = 1e18;
    int256 internal constant YEAR = 365 days;

    /// @notice An option series: calls or puts on `asset` at `strike` (WAD) until `expiry`.
    struct Series {
        uint256 asset;
        int256 strike;
        uint64 expiry;
        bool isCall;
    }

    /// @notice Years from `now_` to `expiry` as WAD, rounded down; 0 at and after expiry.
    function yearsToExpiry(uint64 expiry, uint256 now_) internal pure returns (int256) {
        if (expiry <= now_) return 0;
        int256 seconds_ = SafeCast.toInt256(expiry - now_);
        return FixedPointMath.mulDiv(seconds_, WAD, YEAR, Math.Rounding.Floor);
    }

    /// @notice The Black-Scholes value (rate 0) of one option of `series` at `spot` and
    /// implied `vol` (WAD), at time `now_`.
    function value(Series memory series, int256 spot, int256 vol, uint256 now_)
        internal
        pure
        returns (int256)
    {
        int256 time = yearsToExpiry(series.expiry, now_);
        return series.isCall
            ? BlackScholes.callPrice(spot, series.strike, vol, time, 0)
            : BlackScholes.putPrice(spot, series.strike, vol, time, 0);
    }

    /// @notice The value of one option of `series` at expiry when the underlying settles at
    /// `price` (WAD): max(price - strike, 0) for a call, max(strike - price, 0) for a put.
    function intrinsic(Series memory series, int256 price) internal pure returns (int256) {
        int256 payoff = series.isCall ? price - series.strike : series.strike - price;
        return payoff > 0 ? payoff : int256(0);
    }

    /// @notice The value of one option after the scenario moves (`spotReturn`, `volShift`).
    function shockedValue(
        Series memory series,
        int256 spot,
        int256 vol,
        int256 spotReturn,
        int256 volShift,
        uint256 now_
    ) internal pure returns (int256) {
        int256 shockedSpot =
            spot + FixedPointMath.mulWad(spot, spotReturn, Math.Rounding.Floor);
        if (shockedSpot < 1) shockedSpot = 1;
        int256 shockedVol = vol + volShift;
        if (shockedVol < 0) shockedVol = 0;
        if (shockedVol > BlackScholes.MAX_VOLATILITY) shockedVol = BlackScholes.MAX_VOLATILITY;
        return value(series, shockedSpot, shockedVol, now_);
    }
}

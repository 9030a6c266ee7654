// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {FixedPointMath} from "./libraries/FixedPointMath.sol";
import {OptionValuation} from "./libraries/OptionValuation.sol";
import {IClearinghouse} from "./interfaces/IClearinghouse.sol";
import {ISeriesRegistry} from "./interfaces/ISeriesRegistry.sol";
import {OracleAdapter} from "./OracleAdapter.sol";

/// @title SeriesRegistry
/// @notice The European option series the clearinghouse trades, and the price each expired
/// series settles at. The clearinghouse's owner lists a series; a series' id is its index.
/// The first settlement of a position in an expired series fixes its settlement price from
/// the oracle, and every later one, on either side, uses it, so settlement is zero-sum.
/// @dev Deployed by the `Clearinghouse` (its creator), which reads series from here and
/// books each settlement this registry values (`settle`).
contract SeriesRegistry is ISeriesRegistry {
    using FixedPointMath for int256;

    /// @notice The clearinghouse that deployed this registry: its owner lists series, and
    /// only it settles positions.
    address public immutable clearinghouse;
    /// @notice The oracle whose assets series are listed on and whose price settles them.
    OracleAdapter public immutable oracle;

    /// @notice The price (WAD) an expired series settles at, fixed by its first settlement
    /// (0 until then); both sides of every position settle at it.
    mapping(uint256 seriesId => int256) public settlementPrice;
    OptionValuation.Series[] internal _series;

    /// @param oracle_ The clearinghouse's oracle.
    constructor(OracleAdapter oracle_) {
        clearinghouse = msg.sender;
        oracle = oracle_;
    }

    /// @notice List a European option series. Only the clearinghouse's owner.
    /// @param asset The oracle asset of the underlying.
    /// @param strike The strike (WAD), in (0, 1e36].
    /// @param expiry The expiry (unix seconds), in the future and at most 100 years away.
    /// @param isCall True for calls, false for puts.
    /// @return seriesId The new series' id.
    function listSeries(uint256 asset, int256 strike, uint64 expiry, bool isCall)
        external
        returns (uint256 seriesId)
    {
        if (msg.sender != Ownable(clearinghouse).owner()) {
            revert Ownable.OwnableUnauthorizedAccount(msg.sender);
        }
        uint256 assets = oracle.assetCount();
        if (asset >= assets) revert IClearinghouse.UnknownAsset(asset, assets);
        if (strike <= 0 || strike > 1e36 || expiry <= block.timestamp) {
            revert InvalidSeries(asset, strike, expiry);
        }
        if (OptionValuation.yearsToExpiry(expiry, block.timestamp) > 100e18) {
            revert InvalidSeries(asset, strike, expiry);
        }
        seriesId = _series.length;
        _series.push(OptionValuation.Series(asset, strike, expiry, isCall));
        emit SeriesListed(seriesId, asset, strike, expiry, isCall);
    }

    /// @notice Value the settlement of a position of `size` options of the expired
    /// `seriesId`: size * intrinsic value at the settlement price, rounded down. A non-zero
    /// size fixes that price from the oracle if no settlement has yet; a zero size settles
    /// to nothing and fixes nothing. Only the clearinghouse, which books the payoff.
    /// @param seriesId The series, expired.
    /// @param size The position's size (WAD, negative = short).
    /// @return asset The series' underlying, whose market the position is in.
    /// @return price The settlement price (WAD; 0 for a zero size).
    /// @return payoff What the position is worth at settlement (WAD; 0 for a zero size).
    function settle(uint256 seriesId, int256 size)
        external
        returns (uint256 asset, int256 price, int256 payoff)
    {
        if (msg.sender != clearinghouse) revert NotClearinghouse(msg.sender);
        OptionValuation.Series memory s = _get(seriesId);
        if (s.expiry > block.timestamp) revert SeriesNotExpired(seriesId, s.expiry);
        asset = s.asset;
        if (size == 0) return (asset, 0, 0);
        price = settlementPrice[seriesId];
        if (price == 0) {
            price = oracle.price(asset);
            settlementPrice[seriesId] = price;
            emit SettlementPriceFixed(seriesId, price);
        }
        payoff = size.mulWad(OptionValuation.intrinsic(s, price), Math.Rounding.Floor);
    }

    /// @notice The option series `seriesId`.
    /// @param seriesId A listed series, else `UnknownSeries`.
    /// @return The series.
    function series(uint256 seriesId) external view returns (OptionValuation.Series memory) {
        return _get(seriesId);
    }

    /// @notice Several series and their settlement prices at once: what the clearinghouse
    /// reads of an account's options in one call.
    /// @param seriesIds Listed series, else `UnknownSeries`.
    /// @return series_ The series, in the order of `seriesIds`.
    /// @return prices Their settlement prices (WAD, 0 where not fixed), in the same order.
    function seriesOf(uint256[] calldata seriesIds)
        external
        view
        returns (OptionValuation.Series[] memory series_, int256[] memory prices)
    {
        series_ = new OptionValuation.Series[](seriesIds.length);
        prices = new int256[](seriesIds.length);
        for (uint256 i; i < seriesIds.length; ++i) {
            series_[i] = _get(seriesIds[i]);
            prices[i] = settlementPrice[seriesIds[i]];
        }
    }

    /// @notice The number of listed series; ids run from 0 to this minus one.
    /// @return The number of listed series.
    function seriesCount() external view returns (uint256) {
        return _series.length;
    }

    function _get(uint256 seriesId) internal view returns (OptionValuation.Series memory) {
        if (seriesId >= _series.length) revert UnknownSeries(seriesId, _series.length);
        return _series[seriesId];
    }
}

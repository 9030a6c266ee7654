// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ISeriesRegistry
/// @notice The errors and events of `SeriesRegistry`: listed European option series and the
/// price each expired series settles at. The series itself is `OptionValuation.Series`.
interface ISeriesRegistry {
    /// @notice `seriesId` is not below the number of listed series, `seriesCount`.
    error UnknownSeries(uint256 seriesId, uint256 seriesCount);
    /// @notice A series needs a strike in (0, 1e36] WAD and an expiry in the future, at most
    /// 100 years away.
    error InvalidSeries(uint256 asset, int256 strike, uint64 expiry);
    /// @notice Series `seriesId` expires at `expiry`: it cannot settle yet.
    error SeriesNotExpired(uint256 seriesId, uint64 expiry);
    /// @notice Only the clearinghouse settles positions; `caller` is not it.
    error NotClearinghouse(address caller);

    /// @notice A new option series `seriesId`: calls (`isCall`) or puts on `asset` at
    /// `strike` (WAD) until `expiry` (unix seconds).
    event SeriesListed(
        uint256 indexed seriesId, uint256 indexed asset, int256 strike, uint64 expiry, bool isCall
    );
    /// @notice Expired `seriesId` settles at `price` (the oracle's at its first settlement).
    event SettlementPriceFixed(uint256 indexed seriesId, int256 price);
}

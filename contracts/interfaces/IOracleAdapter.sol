// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {
    AggregatorV3Interface
} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

/// @title IOracleAdapter
/// @notice The structs, errors and events of `OracleAdapter`: Chainlink spot, implied-vol
/// and reference feeds per asset, and the circuit breaker's states.
interface IOracleAdapter {
    /// @notice A Chainlink feed, the maximum age of a usable answer and its decimals.
    struct Feed {
        AggregatorV3Interface aggregator;
        uint32 heartbeat;
        uint8 decimals;
    }

    /// @notice A reference spot feed and the breaker's bound; `aggregator` 0 means none.
    struct ReferenceFeed {
        AggregatorV3Interface aggregator;
        uint32 heartbeat;
        uint8 decimals;
        uint16 maxDeviationBps;
    }

    /// @notice The breaker's state for an asset, as `riskStatus` reports it. Every state but
    /// `NoReference` and `WithinBound` pauses new risk.
    enum RiskStatus {
        NoReference,
        WithinBound,
        Deviation,
        StaleReference,
        ReferenceFromFuture,
        NonPositiveReference
    }

    /// @notice No feed is set for `asset`.
    error UnknownAsset(uint256 asset);
    /// @notice Assets must be added in order: the next one is `expected`.
    error AssetOutOfOrder(uint256 asset, uint256 expected);
    /// @notice A feed with more than 18 decimals cannot be normalized to WAD without loss.
    error UnsupportedDecimals(uint8 decimals);
    /// @notice A heartbeat of zero would make every answer stale.
    error ZeroHeartbeat();
    /// @notice The latest answer is older than the feed's heartbeat allows.
    error StalePrice(uint256 asset, uint256 updatedAt, uint256 heartbeat, uint256 now_);
    /// @notice The latest answer claims a time after the current block.
    error PriceFromFuture(uint256 asset, uint256 updatedAt, uint256 now_);
    /// @notice The latest answer is zero or negative.
    error NonPositivePrice(uint256 asset, int256 answer);
    /// @notice No implied-volatility feed is set for the (known) `asset`.
    error UnknownVolatilityFeed(uint256 asset);
    /// @notice The volatility feed's latest answer is older than its heartbeat allows.
    error StaleVolatility(uint256 asset, uint256 updatedAt, uint256 heartbeat, uint256 now_);
    /// @notice The volatility feed's latest answer claims a time after the current block.
    error VolatilityFromFuture(uint256 asset, uint256 updatedAt, uint256 now_);
    /// @notice The volatility feed's latest answer is zero or negative (raw `answer`).
    error NonPositiveVolatility(uint256 asset, int256 answer);
    /// @notice A breaker bound must be in 1..10000 bps; `maxDeviationBps` is not.
    error InvalidMaxDeviation(uint256 maxDeviationBps);
    /// @notice `removeReferenceFeed` on an asset without a reference feed.
    error NoReferenceFeed(uint256 asset);
    /// @notice New risk on `asset` is paused: the spot price deviates from the reference price
    /// (both WAD) by more than the bound.
    error RiskPaused(uint256 asset, int256 spotPrice, int256 referencePrice);
    /// @notice New risk on `asset` is paused: the reference feed's latest answer is older
    /// than its heartbeat allows.
    error StaleReference(uint256 asset, uint256 updatedAt, uint256 heartbeat, uint256 now_);
    /// @notice New risk on `asset` is paused: the reference feed's latest answer claims a time
    /// after the current block.
    error ReferenceFromFuture(uint256 asset, uint256 updatedAt, uint256 now_);
    /// @notice New risk on `asset` is paused: the reference feed's latest answer is zero or
    /// negative (raw `answer`).
    error NonPositiveReference(uint256 asset, int256 answer);

    /// @notice Emitted when `asset` is bound to `aggregator`.
    event FeedSet(uint256 indexed asset, address aggregator, uint32 heartbeat, uint8 decimals);
    /// @notice Emitted when `asset`'s implied volatility is bound to `aggregator` (replacing
    /// `previous`, 0 if none).
    event VolatilityFeedSet(
        uint256 indexed asset,
        address aggregator,
        uint32 heartbeat,
        uint8 decimals,
        address previous
    );
    /// @notice Emitted when `asset`'s breaker compares the spot feed with `aggregator` and
    /// pauses new risk beyond `maxDeviationBps` (replacing `previous`, 0 if none).
    event ReferenceFeedSet(
        uint256 indexed asset,
        address aggregator,
        uint32 heartbeat,
        uint8 decimals,
        uint16 maxDeviationBps,
        address previous
    );
    /// @notice Emitted when `asset`'s breaker is switched off by removing its reference feed
    /// `previous`.
    event ReferenceFeedRemoved(uint256 indexed asset, address previous);
}

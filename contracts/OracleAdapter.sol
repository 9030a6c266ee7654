// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {
    AggregatorV3Interface
} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title OracleAdapter
/// @notice Reads one Chainlink spot feed per asset and returns its price in WAD, refusing
/// stale, future-dated and non-positive answers. Assets are numbered 0..assetCount-1 in the
/// order of the scenario leaves.
contract OracleAdapter is Ownable {
    struct Feed {
        AggregatorV3Interface aggregator;
        uint32 heartbeat;
        uint8 decimals;
    }

    mapping(uint256 asset => Feed) private _feeds;
    uint256 public assetCount;

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

    /// @notice Emitted when `asset` is bound to `aggregator`.
    event FeedSet(uint256 indexed asset, address aggregator, uint32 heartbeat, uint8 decimals);

    constructor(address initialOwner) Ownable(initialOwner) {}

    /// @notice Bind `asset` to a Chainlink feed whose answers are fresh for `heartbeat` seconds.
    /// A new asset takes the next number; an existing one can be rebound.
    function setFeed(uint256 asset, AggregatorV3Interface aggregator, uint32 heartbeat)
        external
        onlyOwner
    {
        if (asset > assetCount) revert AssetOutOfOrder(asset, assetCount);
        if (heartbeat == 0) revert ZeroHeartbeat();
        uint8 feedDecimals = aggregator.decimals();
        if (feedDecimals > 18) revert UnsupportedDecimals(feedDecimals);
        if (asset == assetCount) assetCount = asset + 1;
        _feeds[asset] = Feed(aggregator, heartbeat, feedDecimals);
        emit FeedSet(asset, address(aggregator), heartbeat, feedDecimals);
    }

    /// @notice The feed bound to `asset`.
    function feed(uint256 asset) external view returns (Feed memory) {
        if (asset >= assetCount) revert UnknownAsset(asset);
        return _feeds[asset];
    }

    /// @notice The latest price of `asset` in WAD (the answer scaled from the feed's decimals).
    function price(uint256 asset) external view returns (int256) {
        if (asset >= assetCount) revert UnknownAsset(asset);
        Feed memory f = _feeds[asset];
        (, int256 answer,, uint256 updatedAt,) = f.aggregator.latestRoundData();
        if (answer <= 0) revert NonPositivePrice(asset, answer);
        // forge-lint: disable-next-line(block-timestamp)
        if (updatedAt > block.timestamp) {
            revert PriceFromFuture(asset, updatedAt, block.timestamp);
        }
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp - updatedAt > f.heartbeat) {
            revert StalePrice(asset, updatedAt, f.heartbeat, block.timestamp);
        }
        return answer * int256(10 ** (18 - f.decimals));
    }
}

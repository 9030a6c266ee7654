// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {
    AggregatorV3Interface
} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IOracleAdapter} from "./interfaces/IOracleAdapter.sol";

/// @title OracleAdapter
/// @notice Reads Chainlink feeds per asset and returns their answers in WAD, refusing stale,
/// future-dated and non-positive answers:
/// - a spot feed (`price`), the mark used everywhere, including liquidations;
/// - an implied-volatility feed (`volatility`), annualized, e.g. 0.65e8 at 8 decimals = 65%;
/// - a reference spot feed with a maximum deviation (`riskPaused`, `checkRiskAllowed`): a
///   circuit breaker that pauses NEW risk when the two spot feeds disagree or the reference
///   cannot be trusted. The breaker never makes `price` revert.
/// Assets are numbered 0..assetCount-1 in the order of the scenario leaves.
contract OracleAdapter is IOracleAdapter, Ownable {
    /// @notice Basis points in one (100%).
    uint256 public constant BPS = 10_000;

    mapping(uint256 asset => Feed) private _feeds;
    /// @notice The number of assets with a spot feed; they are numbered 0..assetCount-1.
    uint256 public assetCount;
    mapping(uint256 asset => Feed) private _volatilityFeeds;
    mapping(uint256 asset => ReferenceFeed) private _referenceFeeds;

    constructor(address initialOwner) Ownable(initialOwner) {}

    // ------------------------------------------------------------------ configuration

    /// @notice Bind `asset` to a Chainlink feed whose answers are fresh for `heartbeat` seconds.
    /// A new asset takes the next number; an existing one can be rebound.
    /// @param asset The asset number: an existing one, or `assetCount` to add one.
    /// @param aggregator The spot feed (quote units per asset unit, at most 18 decimals).
    /// @param heartbeat The maximum age in seconds of a usable answer (> 0).
    function setFeed(uint256 asset, AggregatorV3Interface aggregator, uint32 heartbeat)
        external
        onlyOwner
    {
        if (asset > assetCount) revert AssetOutOfOrder(asset, assetCount);
        uint8 feedDecimals = _checkedDecimals(aggregator, heartbeat);
        if (asset == assetCount) assetCount = asset + 1;
        _feeds[asset] = Feed(aggregator, heartbeat, feedDecimals);
        emit FeedSet(asset, address(aggregator), heartbeat, feedDecimals);
    }

    /// @notice Bind the implied volatility of the known `asset` to a Chainlink feed whose
    /// answer is the annualized volatility (0.65e8 at 8 decimals = 65%), fresh for
    /// `heartbeat` seconds. Replaces any previous volatility feed.
    /// @param asset A known asset (< assetCount), else `UnknownAsset`.
    /// @param aggregator The volatility feed (at most 18 decimals).
    /// @param heartbeat The maximum age in seconds of a usable answer (> 0).
    function setVolatilityFeed(uint256 asset, AggregatorV3Interface aggregator, uint32 heartbeat)
        external
        onlyOwner
    {
        if (asset >= assetCount) revert UnknownAsset(asset);
        uint8 feedDecimals = _checkedDecimals(aggregator, heartbeat);
        address previous = address(_volatilityFeeds[asset].aggregator);
        _volatilityFeeds[asset] = Feed(aggregator, heartbeat, feedDecimals);
        emit VolatilityFeedSet(asset, address(aggregator), heartbeat, feedDecimals, previous);
    }

    /// @notice Switch on (or reconfigure) the circuit breaker of the known `asset`: new risk
    /// is paused while the spot price deviates from `aggregator`'s answer by more than
    /// `maxDeviationBps` of that reference answer, or while the reference answer is stale,
    /// future-dated or non-positive. `price` is never affected.
    /// @param asset A known asset (< assetCount), else `UnknownAsset`.
    /// @param aggregator A second, independent spot feed for the asset (at most 18 decimals;
    /// its decimals may differ from the spot feed's: both are compared in WAD).
    /// @param heartbeat The maximum age in seconds of a usable reference answer (> 0).
    /// @param maxDeviationBps The largest allowed |price - reference| / reference, in basis
    /// points, 1..10000 (e.g. 500 = 5%); exactly at the bound is allowed.
    function setReferenceFeed(
        uint256 asset,
        AggregatorV3Interface aggregator,
        uint32 heartbeat,
        uint16 maxDeviationBps
    ) external onlyOwner {
        if (asset >= assetCount) revert UnknownAsset(asset);
        if (maxDeviationBps == 0 || maxDeviationBps > BPS) {
            revert InvalidMaxDeviation(maxDeviationBps);
        }
        uint8 feedDecimals = _checkedDecimals(aggregator, heartbeat);
        address previous = address(_referenceFeeds[asset].aggregator);
        _referenceFeeds[asset] = ReferenceFeed(aggregator, heartbeat, feedDecimals, maxDeviationBps);
        emit ReferenceFeedSet(
            asset, address(aggregator), heartbeat, feedDecimals, maxDeviationBps, previous
        );
    }

    /// @notice Switch off the circuit breaker of `asset` by removing its reference feed (e.g.
    /// when the reference is retired): `riskPaused(asset)` is then false.
    /// @param asset An asset with a reference feed, else `NoReferenceFeed` (or `UnknownAsset`).
    function removeReferenceFeed(uint256 asset) external onlyOwner {
        if (asset >= assetCount) revert UnknownAsset(asset);
        address previous = address(_referenceFeeds[asset].aggregator);
        if (previous == address(0)) revert NoReferenceFeed(asset);
        delete _referenceFeeds[asset];
        emit ReferenceFeedRemoved(asset, previous);
    }

    // ------------------------------------------------------------------ feeds

    /// @notice The spot feed bound to `asset`; reverts `UnknownAsset` for an unknown asset.
    /// @param asset A known asset, else `UnknownAsset`.
    /// @return The feed, its heartbeat and its decimals.
    function feed(uint256 asset) external view returns (Feed memory) {
        if (asset >= assetCount) revert UnknownAsset(asset);
        return _feeds[asset];
    }

    /// @notice The implied-volatility feed of the known `asset` (all zero if none is set);
    /// reverts `UnknownAsset` for an unknown asset.
    /// @param asset A known asset, else `UnknownAsset`.
    /// @return The feed, its heartbeat and its decimals (all zero if none).
    function volatilityFeed(uint256 asset) external view returns (Feed memory) {
        if (asset >= assetCount) revert UnknownAsset(asset);
        return _volatilityFeeds[asset];
    }

    /// @notice The reference feed and breaker bound of the known `asset` (all zero if none is
    /// set: the breaker is off); reverts `UnknownAsset` for an unknown asset.
    /// @param asset A known asset, else `UnknownAsset`.
    /// @return The feed, its heartbeat, decimals and breaker bound (all zero if none).
    function referenceFeed(uint256 asset) external view returns (ReferenceFeed memory) {
        if (asset >= assetCount) revert UnknownAsset(asset);
        return _referenceFeeds[asset];
    }

    // ------------------------------------------------------------------ answers

    /// @notice The latest price of `asset` in WAD (the answer scaled from the feed's decimals).
    /// Reverts `UnknownAsset`, `NonPositivePrice`, `PriceFromFuture` or `StalePrice`; never
    /// because of the circuit breaker.
    /// @param asset A known asset, else `UnknownAsset`.
    /// @return The spot price (WAD).
    function price(uint256 asset) external view returns (int256) {
        return _price(asset);
    }

    /// @notice The latest annualized implied volatility of `asset` in WAD (0.65e18 = 65%),
    /// scaled from the volatility feed's decimals.
    /// Reverts `UnknownAsset`, `UnknownVolatilityFeed`, `NonPositiveVolatility`,
    /// `VolatilityFromFuture` or `StaleVolatility`.
    /// @param asset A known asset, else `UnknownAsset`.
    /// @return The annualized implied volatility (WAD).
    function volatility(uint256 asset) external view returns (int256) {
        if (asset >= assetCount) revert UnknownAsset(asset);
        Feed memory f = _volatilityFeeds[asset];
        if (address(f.aggregator) == address(0)) revert UnknownVolatilityFeed(asset);
        // slither-disable-next-line unused-return
        (, int256 answer,, uint256 updatedAt,) = f.aggregator.latestRoundData();
        if (answer <= 0) revert NonPositiveVolatility(asset, answer);
        if (_isFromFuture(updatedAt)) {
            revert VolatilityFromFuture(asset, updatedAt, block.timestamp);
        }
        if (_isStale(updatedAt, f.heartbeat)) {
            revert StaleVolatility(asset, updatedAt, f.heartbeat, block.timestamp);
        }
        return _toWad(answer, f.decimals);
    }

    // ------------------------------------------------------------------ circuit breaker

    /// @notice Whether new risk (trades, withdrawals) on `asset` is paused: false without a
    /// reference feed; otherwise true when the reference answer is stale, future-dated or
    /// non-positive (fail closed), or when |price - reference| * 10000 >
    /// maxDeviationBps * reference (both WAD, the reference is the denominator, computed
    /// exactly in integers; exactly at the bound is not paused).
    /// Reverts `UnknownAsset`; with a reference feed, also reverts as `price(asset)` does when
    /// the spot answer itself is unusable, and with the reference aggregator's own error if
    /// reading it reverts.
    /// @param asset A known asset, else `UnknownAsset`.
    /// @return Whether new risk on the asset is paused.
    function riskPaused(uint256 asset) external view returns (bool) {
        (RiskStatus status,,,,) = _riskStatus(asset);
        return status != RiskStatus.NoReference && status != RiskStatus.WithinBound;
    }

    /// @notice The breaker's state of `asset` with the two answers it compared, for monitors.
    /// @return status See `RiskStatus`; all but `NoReference` and `WithinBound` pause.
    /// @return spotPrice The spot price in WAD (0 when there is no reference feed: not read).
    /// @return referencePrice The reference answer scaled to WAD (0 when there is no reference
    /// feed; when stale, future-dated or non-positive, the unusable answer itself).
    /// Reverts as `riskPaused` does.
    /// @param asset A known asset, else `UnknownAsset`.
    function riskStatus(uint256 asset)
        external
        view
        returns (RiskStatus status, int256 spotPrice, int256 referencePrice)
    {
        (status, spotPrice, referencePrice,,) = _riskStatus(asset);
    }

    /// @notice Revert unless new risk on `asset` is allowed (`riskPaused(asset)` is false).
    /// The clearinghouse calls it before trades and withdrawals, never before deposits or
    /// liquidations. Reverts `RiskPaused(asset, spotPrice, referencePrice)` beyond the bound,
    /// `StaleReference`, `ReferenceFromFuture` or `NonPositiveReference` when the reference
    /// cannot be trusted, and as `riskPaused` does.
    /// @param asset A known asset, else `UnknownAsset`.
    function checkRiskAllowed(uint256 asset) external view {
        (
            RiskStatus status,
            int256 spotPrice,
            int256 referencePrice,
            int256 answer,
            uint256 updatedAt
        ) = _riskStatus(asset);
        if (status == RiskStatus.Deviation) revert RiskPaused(asset, spotPrice, referencePrice);
        if (status == RiskStatus.StaleReference) {
            revert StaleReference(
                asset, updatedAt, _referenceFeeds[asset].heartbeat, block.timestamp
            );
        }
        if (status == RiskStatus.ReferenceFromFuture) {
            revert ReferenceFromFuture(asset, updatedAt, block.timestamp);
        }
        if (status == RiskStatus.NonPositiveReference) revert NonPositiveReference(asset, answer);
    }

    // ------------------------------------------------------------------ internal

    function _checkedDecimals(AggregatorV3Interface aggregator, uint32 heartbeat)
        private
        view
        returns (uint8 feedDecimals)
    {
        if (heartbeat == 0) revert ZeroHeartbeat();
        feedDecimals = aggregator.decimals();
        if (feedDecimals > 18) revert UnsupportedDecimals(feedDecimals);
    }

    function _price(uint256 asset) private view returns (int256) {
        if (asset >= assetCount) revert UnknownAsset(asset);
        Feed memory f = _feeds[asset];
        // slither-disable-next-line unused-return
        (, int256 answer,, uint256 updatedAt,) = f.aggregator.latestRoundData();
        if (answer <= 0) revert NonPositivePrice(asset, answer);
        if (_isFromFuture(updatedAt)) revert PriceFromFuture(asset, updatedAt, block.timestamp);
        if (_isStale(updatedAt, f.heartbeat)) {
            revert StalePrice(asset, updatedAt, f.heartbeat, block.timestamp);
        }
        return _toWad(answer, f.decimals);
    }

    /// @dev The breaker's state, the spot and reference prices in WAD, and the reference feed's
    /// raw answer and timestamp (for the errors). Reads the spot feed only with a reference
    /// feed.
    function _riskStatus(uint256 asset)
        private
        view
        returns (
            RiskStatus status,
            int256 spotPrice,
            int256 referencePrice,
            int256 answer,
            uint256 updatedAt
        )
    {
        if (asset >= assetCount) revert UnknownAsset(asset);
        ReferenceFeed memory r = _referenceFeeds[asset];
        if (address(r.aggregator) == address(0)) return (RiskStatus.NoReference, 0, 0, 0, 0);
        spotPrice = _price(asset);
        // slither-disable-next-line unused-return
        (, answer,, updatedAt,) = r.aggregator.latestRoundData();
        referencePrice = _toWad(answer, r.decimals);
        if (answer <= 0) {
            status = RiskStatus.NonPositiveReference;
        } else if (_isFromFuture(updatedAt)) {
            status = RiskStatus.ReferenceFromFuture;
        } else if (_isStale(updatedAt, r.heartbeat)) {
            status = RiskStatus.StaleReference;
        } else if (
            // forge-lint: disable-next-line(unsafe-typecast)
            _deviationExceeds(uint256(spotPrice), uint256(referencePrice), r.maxDeviationBps)
        ) {
            status = RiskStatus.Deviation;
        } else {
            status = RiskStatus.WithinBound;
        }
    }

    function _isFromFuture(uint256 updatedAt) private view returns (bool) {
        // forge-lint: disable-next-line(block-timestamp)
        return updatedAt > block.timestamp;
    }

    /// @dev Needs `updatedAt <= block.timestamp`.
    function _isStale(uint256 updatedAt, uint32 heartbeat) private view returns (bool) {
        // forge-lint: disable-next-line(block-timestamp)
        return block.timestamp - updatedAt > heartbeat;
    }

    /// @dev The deviation rule, exact in integers: |spot - reference| * BPS > maxBps *
    /// reference, i.e. |spot - reference| > floor(maxBps * reference / BPS) (equivalent for
    /// integers; mulDiv keeps the product exact in 512 bits). Needs reference > 0.
    /// Python twin: `oracle.feeds.deviation_exceeds`.
    function _deviationExceeds(uint256 spotPrice, uint256 referencePrice, uint256 maxBps)
        internal
        pure
        returns (bool)
    {
        uint256 difference = spotPrice > referencePrice
            ? spotPrice - referencePrice
            : referencePrice - spotPrice;
        return difference > Math.mulDiv(referencePrice, maxBps, BPS);
    }

    /// @dev `answer` (with `decimals` <= 18) in WAD, exactly; cannot overflow for Chainlink's
    /// int192 answers (< 2^191 * 10^18 < 2^251).
    function _toWad(int256 answer, uint8 decimals) private pure returns (int256) {
        return answer * int256(10 ** (18 - decimals));
    }
}

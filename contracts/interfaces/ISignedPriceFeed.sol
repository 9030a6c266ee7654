// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ISignedPriceFeed
/// @notice The structs, errors and event of `SignedPriceFeed`: price reports signed by a
/// quorum of the operator registry's committee, and the rounds they become.
interface ISignedPriceFeed {
    /// @notice A price report: `price` is the answer in this feed's `decimals` (quote units
    /// per asset unit), observed at `timestamp` (unix seconds), for round `round` of the feed
    /// on chain `chainId`.
    struct PriceReport {
        uint256 chainId;
        int256 price;
        uint64 timestamp;
        uint80 round;
    }

    /// @notice A stored round: its answer and the report's timestamp.
    struct Round {
        int256 answer;
        uint64 updatedAt;
    }

    /// @notice The report was signed for chain `chainId`, not this one.
    error ReportForAnotherChain(uint256 chainId, uint256 expected);
    /// @notice The report's round is not the next one, `expected` (a replayed or skipped
    /// round).
    error RoundOutOfOrder(uint80 round, uint80 expected);
    /// @notice The report's timestamp is not after the previous round's, `previous`.
    error TimestampNotIncreasing(uint64 timestamp, uint64 previous);
    /// @notice The report's timestamp is after the current block's, `now_`.
    error ReportFromFuture(uint64 timestamp, uint256 now_);
    /// @notice The report's price is zero or negative.
    error NonPositivePrice(int256 price);
    /// @notice A round that was never reported was asked for.
    error NoSuchRound(uint80 roundId);

    /// @notice Round `round` now answers `price` (in `decimals`) at `timestamp` (unix
    /// seconds), signed by the operators in the bitmap `signers`, who hold `signedBond`.
    event PriceReported(
        uint80 indexed round, int256 price, uint256 timestamp, uint256 signers, uint256 signedBond
    );
}

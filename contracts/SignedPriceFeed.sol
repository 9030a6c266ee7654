// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {
    AggregatorV3Interface
} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

import {IOperatorRegistry} from "./interfaces/IOperatorRegistry.sol";
import {ISignedPriceFeed} from "./interfaces/ISignedPriceFeed.sol";
import {OperatorRegistry} from "./OperatorRegistry.sol";

/// @title SignedPriceFeed
/// @notice A Chainlink AggregatorV3Interface feed whose rounds are pushed by anyone holding a
/// price report signed by a quorum of the operator registry's committee (BN254 BLS,
/// `OperatorRegistry.checkQuorum`). The signed digest is keccak256(abi.encode(REPORT_TAG,
/// this feed, report)): a report signed for another feed cannot verify here, and one signed
/// for another chain is refused by name before its signature is checked. Rounds are numbered
/// 1, 2, ... with strictly increasing timestamps, none in the future, and positive prices.
/// The `OracleAdapter` reads it as any other feed, so its heartbeat and deviation breaker
/// bound what a dishonest committee can push. The twin is `oracle/signed_feed.py`.
contract SignedPriceFeed is ISignedPriceFeed, AggregatorV3Interface {
    /// @notice Domain tag of a price report.
    bytes32 public constant REPORT_TAG = keccak256("vmargin.SignedPriceFeed.PriceReport");

    /// @notice The committee whose quorum signs the reports.
    OperatorRegistry public immutable registry;
    /// @notice The decimals of every answer (and of a report's price).
    uint8 public immutable override decimals;
    /// @notice What the answer prices, e.g. "ETH / USD".
    string public override description;
    /// @notice The last round reported (0 before the first).
    uint80 public latestRound;
    mapping(uint80 roundId => Round) private _rounds;

    /// @param registry_ The operator registry whose quorum signs the reports.
    /// @param decimals_ The decimals of every answer.
    /// @param description_ What the answer prices, e.g. "ETH / USD".
    constructor(OperatorRegistry registry_, uint8 decimals_, string memory description_) {
        registry = registry_;
        decimals = decimals_;
        description = description_;
    }

    /// @notice 1, the first version of this feed.
    /// @return 1.
    function version() external pure override returns (uint256) {
        return 1;
    }

    /// @notice The digest the committee signs for `report`.
    /// @param report The report.
    /// @return keccak256(abi.encode(REPORT_TAG, this feed, report)).
    function reportDigest(PriceReport calldata report) public view returns (bytes32) {
        return keccak256(abi.encode(REPORT_TAG, address(this), report));
    }

    /// @notice Record `report` as the next round (anyone may submit it): this chain, the
    /// next round number, a timestamp after the previous round's and not in the future, a
    /// positive price, then the quorum signature on `reportDigest(report)` (OperatorRegistry
    /// errors). Returns the bond that signed.
    /// @param report The report of the next round.
    /// @param quorum The committee's aggregate signature on its digest.
    /// @return signedBond The bond of the operators who signed.
    function submit(PriceReport calldata report, IOperatorRegistry.QuorumSignature calldata quorum)
        external
        returns (uint256 signedBond)
    {
        if (report.chainId != block.chainid) {
            revert ReportForAnotherChain(report.chainId, block.chainid);
        }
        uint80 previousRound = latestRound;
        if (report.round != previousRound + 1) {
            revert RoundOutOfOrder(report.round, previousRound + 1);
        }
        uint64 previous = _rounds[previousRound].updatedAt;
        if (report.timestamp <= previous) {
            revert TimestampNotIncreasing(report.timestamp, previous);
        }
        // forge-lint: disable-next-line(block-timestamp)
        if (report.timestamp > block.timestamp) {
            revert ReportFromFuture(report.timestamp, block.timestamp);
        }
        if (report.price <= 0) revert NonPositivePrice(report.price);
        signedBond = registry.checkQuorum(reportDigest(report), quorum);
        latestRound = report.round;
        _rounds[report.round] = Round(report.price, report.timestamp);
        emit PriceReported(report.round, report.price, report.timestamp, quorum.signers, signedBond);
    }

    /// @notice Round `roundId`: its answer, with the report's timestamp as both `startedAt`
    /// and `updatedAt`, answered in that round. Reverts `NoSuchRound` for one never reported.
    /// @param roundId A reported round, else `NoSuchRound`.
    /// @return roundId The round.
    /// @return answer Its answer (`decimals`).
    /// @return startedAt The report's timestamp.
    /// @return updatedAt The report's timestamp.
    /// @return answeredInRound The round.
    function getRoundData(uint80 roundId)
        public
        view
        override
        returns (uint80, int256, uint256, uint256, uint80)
    {
        if (roundId == 0 || roundId > latestRound) revert NoSuchRound(roundId);
        Round memory round = _rounds[roundId];
        return (roundId, round.answer, round.updatedAt, round.updatedAt, roundId);
    }

    /// @notice The latest round; reverts `NoSuchRound(0)` before the first report.
    /// @return roundId The round.
    /// @return answer Its answer (`decimals`).
    /// @return startedAt The report's timestamp.
    /// @return updatedAt The report's timestamp.
    /// @return answeredInRound The round.
    function latestRoundData()
        external
        view
        override
        returns (uint80, int256, uint256, uint256, uint80)
    {
        return getRoundData(latestRound);
    }
}

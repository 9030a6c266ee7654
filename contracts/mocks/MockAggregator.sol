// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {
    AggregatorV3Interface
} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title MockAggregator
/// @notice A Chainlink AggregatorV3Interface feed whose owner sets each round's answer and
/// timestamp. Every round is kept, so `getRoundData` answers for history as a real feed does.
contract MockAggregator is AggregatorV3Interface, Ownable {
    struct Round {
        int256 answer;
        uint256 updatedAt;
    }

    uint8 public immutable override decimals;
    string public override description;
    uint80 public latestRound;
    mapping(uint80 roundId => Round) private _rounds;

    /// @notice A round that was never written was asked for.
    error UnknownRound(uint80 roundId);

    /// @notice Emitted on every new round, as Chainlink's AnswerUpdated.
    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);

    constructor(address initialOwner, uint8 decimals_, string memory description_)
        Ownable(initialOwner)
    {
        decimals = decimals_;
        description = description_;
    }

    /// @notice 4, as Chainlink's current aggregators.
    function version() external pure override returns (uint256) {
        return 4;
    }

    /// @notice Start a new round with `answer` (in `decimals`) updated at `updatedAt` (unix s).
    function setAnswer(int256 answer, uint256 updatedAt) external onlyOwner {
        uint80 roundId = latestRound + 1;
        latestRound = roundId;
        _rounds[roundId] = Round(answer, updatedAt);
        emit AnswerUpdated(answer, roundId, updatedAt);
    }

    /// @notice The round `roundId`; reverts with `UnknownRound` for one never written.
    function getRoundData(uint80 roundId)
        public
        view
        override
        returns (uint80, int256, uint256, uint256, uint80)
    {
        if (roundId == 0 || roundId > latestRound) revert UnknownRound(roundId);
        Round memory round = _rounds[roundId];
        return (roundId, round.answer, round.updatedAt, round.updatedAt, roundId);
    }

    /// @notice The latest round; reverts with `UnknownRound(0)` before the first answer.
    function latestRoundData()
        external
        view
        override
        returns (uint80, int256, uint256, uint256, uint80)
    {
        return getRoundData(latestRound);
    }
}

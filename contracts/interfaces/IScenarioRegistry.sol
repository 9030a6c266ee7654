// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IScenarioRegistry
/// @notice The struct, errors and events of `ScenarioRegistry`: risk epochs, each a Merkle
/// commitment to N scenarios whose data is published in events.
interface IScenarioRegistry {
    /// @notice One epoch's commitment: the Merkle `root` of its `n` scenarios over
    /// `assetCount` assets, the ES level `alphaBps` and how many scenarios are `published`.
    struct ScenarioSet {
        bytes32 root;
        uint32 n;
        uint16 alphaBps;
        uint16 assetCount;
        uint32 published;
    }

    /// @notice N must be positive and alpha in [0, 10000) basis points.
    error InvalidScenarioSet(uint32 n, uint16 alphaBps, uint16 assetCount);
    /// @notice `epoch` was never posted.
    error UnknownEpoch(uint64 epoch);
    /// @notice Chunks are published in order: the next index of `epoch` is `expected`.
    error ChunkOutOfOrder(uint64 epoch, uint32 firstIndex, uint32 expected);
    /// @notice The chunk would run past N scenarios.
    error TooManyScenarios(uint64 epoch, uint256 end, uint32 n);
    /// @notice A scenario has `length` returns; the epoch has `assetCount` assets.
    error WrongAssetCount(uint64 epoch, uint256 index, uint256 length, uint16 assetCount);
    /// @notice A chunk has `scenarios` rows of spot returns but `volShiftRows` of vol shifts.
    error VolShiftCountMismatch(uint64 epoch, uint256 scenarios, uint256 volShiftRows);
    /// @notice No epoch is complete yet.
    error NoCurrentEpoch();

    /// @notice A new epoch's commitment.
    event ScenarioSetPosted(
        uint64 indexed epoch, bytes32 root, uint32 n, uint16 alphaBps, uint16 assetCount
    );
    /// @notice Scenarios firstIndex.. of `epoch`: per scenario one WAD spot return and one
    /// WAD implied-vol shift per asset.
    event ScenariosPublished(
        uint64 indexed epoch, uint32 firstIndex, int256[][] spotReturns, int256[][] volShifts
    );
    /// @notice All N scenarios of `epoch` are published and no later epoch is current: it is now.
    event EpochActivated(uint64 indexed epoch);
}

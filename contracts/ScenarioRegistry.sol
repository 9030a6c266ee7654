// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {IScenarioRegistry} from "./interfaces/IScenarioRegistry.sol";

/// @title ScenarioRegistry
/// @notice Risk epochs: each one a Merkle root over N scenarios (OpenZeppelin
/// StandardMerkleTree, leaf ["uint256 index", "int256[] spotReturns", "int256[] volShifts"]),
/// the ES level alpha,
/// and the full scenario data published in events so that the chain alone suffices to replay.
/// An epoch becomes current once all N scenarios are published, in order.
contract ScenarioRegistry is IScenarioRegistry, Ownable {
    uint256 internal constant BPS = 10_000;

    mapping(uint64 epoch => ScenarioSet) private _sets;
    /// @notice The last epoch posted (0 before the first).
    uint64 public lastEpoch;
    /// @notice The current epoch: the latest fully published (0 before the first).
    uint64 public currentEpoch;

    constructor(address initialOwner) Ownable(initialOwner) {}

    /// @notice Commit a scenario set: Merkle `root` of `n` scenarios over `assetCount` assets,
    /// ES at `alphaBps`. Returns the new epoch number (1, 2, ...).
    /// @param root The OpenZeppelin StandardMerkleTree root of the scenarios.
    /// @param n The number of scenarios (> 0).
    /// @param alphaBps The ES level (basis points, below 10000).
    /// @param assetCount The number of assets per scenario (> 0).
    /// @return epoch The new epoch.
    function postScenarioSet(bytes32 root, uint32 n, uint16 alphaBps, uint16 assetCount)
        external
        onlyOwner
        returns (uint64 epoch)
    {
        if (n == 0 || alphaBps >= BPS || assetCount == 0) {
            revert InvalidScenarioSet(n, alphaBps, assetCount);
        }
        epoch = ++lastEpoch;
        _sets[epoch] = ScenarioSet(root, n, alphaBps, assetCount, 0);
        emit ScenarioSetPosted(epoch, root, n, alphaBps, assetCount);
    }

    /// @notice Publish scenarios `firstIndex`.. of `epoch`; the last chunk makes the epoch
    /// current unless a later one already is.
    /// @param epoch A posted epoch.
    /// @param firstIndex The index of the chunk's first scenario: the next one to publish.
    /// @param spotReturns Per scenario, one WAD spot return per asset.
    /// @param volShifts Per scenario, one WAD implied-vol shift per asset.
    function publishScenarios(
        uint64 epoch,
        uint32 firstIndex,
        int256[][] calldata spotReturns,
        int256[][] calldata volShifts
    ) external onlyOwner {
        ScenarioSet storage set = _sets[epoch];
        if (set.n == 0) revert UnknownEpoch(epoch);
        if (firstIndex != set.published) revert ChunkOutOfOrder(epoch, firstIndex, set.published);
        uint256 end = uint256(firstIndex) + spotReturns.length;
        if (end > set.n) revert TooManyScenarios(epoch, end, set.n);
        if (volShifts.length != spotReturns.length) {
            revert VolShiftCountMismatch(epoch, spotReturns.length, volShifts.length);
        }
        for (uint256 i; i < spotReturns.length; ++i) {
            if (spotReturns[i].length != set.assetCount) {
                revert WrongAssetCount(epoch, firstIndex + i, spotReturns[i].length, set.assetCount);
            }
            if (volShifts[i].length != set.assetCount) {
                revert WrongAssetCount(epoch, firstIndex + i, volShifts[i].length, set.assetCount);
            }
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        set.published = uint32(end); // end <= set.n, a uint32
        emit ScenariosPublished(epoch, firstIndex, spotReturns, volShifts);
        if (end == set.n && epoch > currentEpoch) {
            currentEpoch = epoch;
            emit EpochActivated(epoch);
        }
    }

    /// @notice The commitment of `epoch`.
    /// @param epoch A posted epoch, else `UnknownEpoch`.
    /// @return The commitment.
    function scenarioSet(uint64 epoch) external view returns (ScenarioSet memory) {
        if (_sets[epoch].n == 0) revert UnknownEpoch(epoch);
        return _sets[epoch];
    }

    /// @notice The current (latest fully published) epoch and its commitment.
    /// @return epoch The current epoch (reverts `NoCurrentEpoch` before the first).
    /// @return set Its commitment.
    function current() external view returns (uint64 epoch, ScenarioSet memory set) {
        epoch = currentEpoch;
        if (epoch == 0) revert NoCurrentEpoch();
        set = _sets[epoch];
    }
}

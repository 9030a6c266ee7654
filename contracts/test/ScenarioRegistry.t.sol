// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {ScenarioRegistry} from "../ScenarioRegistry.sol";
import {IScenarioRegistry} from "../interfaces/IScenarioRegistry.sol";
import {TestBase} from "./utils/Vm.sol";

contract ScenarioRegistryTest is TestBase {
    bytes32 internal constant ROOT = keccak256("root");
    uint32 internal constant N = 8;
    uint16 internal constant ALPHA = 7500;
    uint16 internal constant ASSETS = 2;

    ScenarioRegistry internal registry;
    uint64 internal epoch;

    function setUp() public {
        registry = new ScenarioRegistry(address(this));
        epoch = registry.postScenarioSet(ROOT, N, ALPHA, ASSETS);
    }

    /// @notice `count` scenarios of `assets` returns each (values do not matter here).
    function _chunk(uint256 count, uint256 assets) internal pure returns (int256[][] memory s) {
        s = new int256[][](count);
        for (uint256 i; i < count; ++i) {
            s[i] = new int256[](assets);
            for (uint256 a; a < assets; ++a) {
                s[i][a] = -int256(i + 1) * 0.01e18;
            }
        }
    }

    function _assertCurrent(uint64 expected) internal view {
        (uint64 current, IScenarioRegistry.ScenarioSet memory set) = registry.current();
        assertEq(uint256(current), uint256(expected), "current epoch");
        assertEq(uint256(registry.currentEpoch()), uint256(expected), "currentEpoch");
        assertEq(uint256(set.published), uint256(set.n), "current set fully published");
    }

    // ------------------------------------------------------------ posting

    function test_PostScenarioSet_StoresCommitment() public view {
        assertEq(uint256(epoch), 1, "first epoch");
        assertEq(uint256(registry.lastEpoch()), 1, "lastEpoch");
        IScenarioRegistry.ScenarioSet memory set = registry.scenarioSet(epoch);
        assertEq(set.root, ROOT, "root");
        assertEq(uint256(set.n), N, "n");
        assertEq(uint256(set.alphaBps), ALPHA, "alphaBps");
        assertEq(uint256(set.assetCount), ASSETS, "assetCount");
        assertEq(uint256(set.published), 0, "published");
    }

    function test_PostScenarioSet_RevertsOnInvalidParams() public {
        vm.expectRevert(
            abi.encodeWithSelector(IScenarioRegistry.InvalidScenarioSet.selector, 0, ALPHA, ASSETS)
        );
        registry.postScenarioSet(ROOT, 0, ALPHA, ASSETS);

        vm.expectRevert(
            abi.encodeWithSelector(IScenarioRegistry.InvalidScenarioSet.selector, N, 10_000, ASSETS)
        );
        registry.postScenarioSet(ROOT, N, 10_000, ASSETS);

        vm.expectRevert(
            abi.encodeWithSelector(IScenarioRegistry.InvalidScenarioSet.selector, N, ALPHA, 0)
        );
        registry.postScenarioSet(ROOT, N, ALPHA, 0);
    }

    function test_PostScenarioSet_RevertsForNonOwner() public {
        vm.expectRevert(
            abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(0xBAD))
        );
        vm.prank(address(0xBAD));
        registry.postScenarioSet(ROOT, N, ALPHA, ASSETS);
    }

    // ------------------------------------------------------------ publishing

    function test_Current_OnlyOnceFullyPublished() public {
        vm.expectRevert(abi.encodeWithSelector(IScenarioRegistry.NoCurrentEpoch.selector));
        registry.current();

        registry.publishScenarios(epoch, 0, _chunk(5, ASSETS), _chunk(5, ASSETS));
        assertEq(uint256(registry.scenarioSet(epoch).published), 5, "published after chunk 1");
        vm.expectRevert(abi.encodeWithSelector(IScenarioRegistry.NoCurrentEpoch.selector));
        registry.current();

        vm.expectEmit(true, true, true, true, address(registry));
        emit IScenarioRegistry.EpochActivated(epoch);
        registry.publishScenarios(epoch, 5, _chunk(3, ASSETS), _chunk(3, ASSETS));
        _assertCurrent(epoch);
    }

    /// @notice A newer epoch replaces the current one only once it is complete.
    function test_Current_NewEpochWaitsForItsLastChunk() public {
        registry.publishScenarios(epoch, 0, _chunk(N, ASSETS), _chunk(N, ASSETS));
        uint64 next = registry.postScenarioSet(keccak256("next"), 4, 5000, 1);
        registry.publishScenarios(next, 0, _chunk(3, 1), _chunk(3, 1));
        _assertCurrent(epoch);
        registry.publishScenarios(next, 3, _chunk(1, 1), _chunk(1, 1));
        _assertCurrent(next);
    }

    /// @notice An older epoch completing late does not displace a newer current one.
    function test_Current_OlderEpochCompletingLateStaysInactive() public {
        uint64 next = registry.postScenarioSet(keccak256("next"), 4, 5000, 1);
        registry.publishScenarios(next, 0, _chunk(4, 1), _chunk(4, 1));
        _assertCurrent(next);
        registry.publishScenarios(epoch, 0, _chunk(N, ASSETS), _chunk(N, ASSETS));
        _assertCurrent(next);
        assertEq(uint256(registry.scenarioSet(epoch).published), N, "old epoch complete");
    }

    function test_Publish_RevertsOnChunkOutOfOrder() public {
        vm.expectRevert(
            abi.encodeWithSelector(IScenarioRegistry.ChunkOutOfOrder.selector, epoch, 1, 0)
        );
        registry.publishScenarios(epoch, 1, _chunk(2, ASSETS), _chunk(2, ASSETS));

        registry.publishScenarios(epoch, 0, _chunk(2, ASSETS), _chunk(2, ASSETS));
        // Republishing the same chunk is out of order too.
        vm.expectRevert(
            abi.encodeWithSelector(IScenarioRegistry.ChunkOutOfOrder.selector, epoch, 0, 2)
        );
        registry.publishScenarios(epoch, 0, _chunk(2, ASSETS), _chunk(2, ASSETS));
    }

    function test_Publish_RevertsOnTooManyScenarios() public {
        vm.expectRevert(
            abi.encodeWithSelector(IScenarioRegistry.TooManyScenarios.selector, epoch, 9, N)
        );
        registry.publishScenarios(epoch, 0, _chunk(9, ASSETS), _chunk(9, ASSETS));

        registry.publishScenarios(epoch, 0, _chunk(5, ASSETS), _chunk(5, ASSETS));
        vm.expectRevert(
            abi.encodeWithSelector(IScenarioRegistry.TooManyScenarios.selector, epoch, 9, N)
        );
        registry.publishScenarios(epoch, 5, _chunk(4, ASSETS), _chunk(4, ASSETS));
    }

    function test_Publish_RevertsOnWrongAssetCount() public {
        int256[][] memory chunk = _chunk(3, ASSETS);
        chunk[2] = new int256[](1);
        vm.expectRevert(
            abi.encodeWithSelector(IScenarioRegistry.WrongAssetCount.selector, epoch, 2, 1, ASSETS)
        );
        registry.publishScenarios(epoch, 0, chunk, chunk);

        registry.publishScenarios(epoch, 0, _chunk(4, ASSETS), _chunk(4, ASSETS));
        vm.expectRevert(
            abi.encodeWithSelector(IScenarioRegistry.WrongAssetCount.selector, epoch, 4, 3, ASSETS)
        );
        registry.publishScenarios(epoch, 4, _chunk(1, 3), _chunk(1, 3));
    }

    function test_Publish_RevertsOnUnknownEpoch() public {
        vm.expectRevert(abi.encodeWithSelector(IScenarioRegistry.UnknownEpoch.selector, 2));
        registry.publishScenarios(2, 0, _chunk(1, ASSETS), _chunk(1, ASSETS));
        vm.expectRevert(abi.encodeWithSelector(IScenarioRegistry.UnknownEpoch.selector, 0));
        registry.scenarioSet(0);
    }

    function test_Publish_RevertsForNonOwner() public {
        vm.expectRevert(
            abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(0xBAD))
        );
        vm.prank(address(0xBAD));
        registry.publishScenarios(epoch, 0, _chunk(1, ASSETS), _chunk(1, ASSETS));
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {Clearinghouse} from "../Clearinghouse.sol";
import {IClearinghouse} from "../interfaces/IClearinghouse.sol";
import {OracleAdapter} from "../OracleAdapter.sol";
import {ParameterTimelock} from "../ParameterTimelock.sol";
import {ScenarioRegistry} from "../ScenarioRegistry.sol";
import {SeriesRegistry} from "../SeriesRegistry.sol";
import {IScenarioRegistry} from "../interfaces/IScenarioRegistry.sol";
import {ClearinghouseFixture} from "./Clearinghouse.t.sol";
import {ScenarioMerkle} from "./utils/ScenarioMerkle.sol";

/// @notice The fixture's clearinghouse, oracle adapter and registry handed over to a
/// ParameterTimelock (2-day delay, one proposer, anyone executes): no parameter and no
/// scenario set changes without a public, delayed operation.
contract ParameterTimelockTest is ClearinghouseFixture {
    uint256 internal constant DELAY = 2 days;
    /// @dev OpenZeppelin's bitmap of the operation state `Ready` (enum value 2).
    bytes32 internal constant READY = bytes32(uint256(1) << 2);

    address internal proposer = address(0x9A0905E5);
    address internal stranger = address(0x5742A9);
    ParameterTimelock internal timelock;

    function setUp() public override {
        super.setUp();
        address[] memory proposers = new address[](1);
        proposers[0] = proposer;
        timelock = new ParameterTimelock(DELAY, proposers, new address[](1));
        clearinghouse.transferOwnership(address(timelock));
        oracle.transferOwnership(address(timelock));
        registry.transferOwnership(address(timelock));
    }

    function test_everyOwnerFunctionRejectsTheFormerOwnerAndStrangers() public {
        bytes[] memory calls = _ownerCalls();
        address[2] memory callers = [owner, stranger];
        for (uint256 c; c < callers.length; ++c) {
            for (uint256 i; i < calls.length; ++i) {
                address target = i == 8
                    ? address(clearinghouse.seriesRegistry())
                    : i < 10 ? address(clearinghouse) : i < 15 ? address(oracle) : address(registry);
                vm.prank(callers[c]);
                (bool ok, bytes memory reason) = target.call(calls[i]);
                assertTrue(!ok, "an owner function accepted a non-owner");
                assertEq(
                    keccak256(reason),
                    keccak256(
                        abi.encodeWithSelector(
                            Ownable.OwnableUnauthorizedAccount.selector, callers[c]
                        )
                    ),
                    "wrong error for a non-owner"
                );
            }
        }
    }

    function test_aParameterChangeBindsOnlyAfterThePublicDelay() public {
        bytes memory data =
            abi.encodeCall(Clearinghouse.setRiskParameters, (2e18, 0.02e18, 0.25e18));
        bytes32 id = timelock.hashOperation(address(clearinghouse), 0, data, bytes32(0), bytes32(0));

        vm.expectEmit(true, true, false, true, address(timelock));
        emit TimelockController.CallScheduled(
            id, 0, address(clearinghouse), 0, data, bytes32(0), DELAY
        );
        vm.prank(proposer);
        timelock.schedule(address(clearinghouse), 0, data, bytes32(0), bytes32(0), DELAY);

        vm.warp(block.timestamp + DELAY - 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                TimelockController.TimelockUnexpectedOperationState.selector, id, READY
            )
        );
        timelock.execute(address(clearinghouse), 0, data, bytes32(0), bytes32(0));
        assertEq(clearinghouse.maintenanceMarginFactor(), MM_FACTOR, "changed before the delay");

        vm.warp(block.timestamp + 1);
        vm.expectEmit(false, false, false, true, address(clearinghouse));
        emit IClearinghouse.RiskParametersSet(2e18, 0.02e18, 0.25e18);
        vm.prank(stranger);
        timelock.execute(address(clearinghouse), 0, data, bytes32(0), bytes32(0));
        assertEq(clearinghouse.maintenanceMarginFactor(), 2e18, "MM factor");
        assertEq(clearinghouse.liquidationPenalty(), 0.02e18, "penalty");
        assertEq(clearinghouse.keeperShare(), 0.25e18, "keeper share");
    }

    function test_aScenarioSetIsPostedAndPublishedAsOneDelayedBatch() public {
        int256[][] memory s = _scenarios();
        uint64 next = registry.lastEpoch() + 1;
        address[] memory targets = new address[](2);
        targets[0] = address(registry);
        targets[1] = address(registry);
        bytes[] memory payloads = new bytes[](2);
        payloads[0] = abi.encodeCall(
            ScenarioRegistry.postScenarioSet,
            (ScenarioMerkle.root(ScenarioMerkle.leaves(s)), N, ALPHA_FRACTIONAL_K, 1)
        );
        payloads[1] = abi.encodeCall(
            ScenarioRegistry.publishScenarios, (next, 0, s, ScenarioMerkle.zeros(s))
        );
        uint256[] memory values = new uint256[](2);

        vm.prank(proposer);
        timelock.scheduleBatch(targets, values, payloads, bytes32(0), bytes32(0), DELAY);
        assertEq(registry.currentEpoch(), epoch, "the set is current before the delay");

        vm.warp(block.timestamp + DELAY);
        vm.expectEmit(true, false, false, true, address(registry));
        emit IScenarioRegistry.EpochActivated(next);
        timelock.executeBatch(targets, values, payloads, bytes32(0), bytes32(0));
        assertEq(registry.currentEpoch(), next, "current epoch");
        assertEq(registry.scenarioSet(next).alphaBps, ALPHA_FRACTIONAL_K, "alpha");
    }

    function test_aCancelledChangeNeverExecutes() public {
        bytes memory data = abi.encodeCall(Clearinghouse.setMaxFundingRate, (0.05e18));
        bytes32 id = timelock.hashOperation(address(clearinghouse), 0, data, bytes32(0), bytes32(0));
        vm.startPrank(proposer);
        timelock.schedule(address(clearinghouse), 0, data, bytes32(0), bytes32(0), DELAY);
        timelock.cancel(id);
        vm.stopPrank();
        vm.warp(block.timestamp + DELAY);
        vm.expectRevert(
            abi.encodeWithSelector(
                TimelockController.TimelockUnexpectedOperationState.selector, id, READY
            )
        );
        timelock.execute(address(clearinghouse), 0, data, bytes32(0), bytes32(0));
    }

    function test_onlyProposersScheduleAndOnlyTheTimelockChangesItsDelay() public {
        bytes memory data = abi.encodeCall(Clearinghouse.setMaxFundingRate, (0.05e18));
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector,
                stranger,
                timelock.PROPOSER_ROLE()
            )
        );
        vm.prank(stranger);
        timelock.schedule(address(clearinghouse), 0, data, bytes32(0), bytes32(0), DELAY);

        vm.expectRevert(
            abi.encodeWithSelector(
                TimelockController.TimelockInsufficientDelay.selector, DELAY - 1, DELAY
            )
        );
        vm.prank(proposer);
        timelock.schedule(address(clearinghouse), 0, data, bytes32(0), bytes32(0), DELAY - 1);

        vm.expectRevert(
            abi.encodeWithSelector(TimelockController.TimelockUnauthorizedCaller.selector, proposer)
        );
        vm.prank(proposer);
        timelock.updateDelay(0);
        assertTrue(
            !timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), owner), "the deployer kept admin"
        );
        assertTrue(
            timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), address(timelock)),
            "the timelock administers itself"
        );
    }

    /// @notice One call of each owner function: 10 of the clearinghouse (listSeries, sent to
    /// its series registry, which takes the clearinghouse's owner), 5 of the oracle adapter,
    /// 3 of the registry (transferOwnership and renounceOwnership included).
    function _ownerCalls() internal view returns (bytes[] memory calls) {
        calls = new bytes[](18);
        calls[0] = abi.encodeCall(Clearinghouse.setSettler, (stranger, true));
        calls[1] = abi.encodeCall(Clearinghouse.setRiskParameters, (MM_FACTOR, PENALTY, 0));
        calls[2] = abi.encodeCall(Clearinghouse.setInitialMarginParameters, (1e18, 9900));
        calls[3] = abi.encodeCall(Clearinghouse.setLiquidityAddOn, (0));
        calls[4] = abi.encodeWithSelector(Clearinghouse.setAttestedMargin.selector, stranger);
        calls[5] = abi.encodeCall(Clearinghouse.setLiquidationParameters, (1e18, 0, 0));
        calls[6] = abi.encodeCall(Clearinghouse.setMaxFundingRate, (0));
        calls[7] = abi.encodeWithSelector(
            Clearinghouse.setCollateralAsset.selector, ETH, address(usdc), int256(0)
        );
        calls[8] = abi.encodeCall(SeriesRegistry.listSeries, (ETH, 2000e18, 2_000_000_000, true));
        calls[9] = abi.encodeCall(Ownable.transferOwnership, (stranger));
        calls[10] = abi.encodeWithSelector(OracleAdapter.setFeed.selector, ETH, ethFeed, HEARTBEAT);
        calls[11] = abi.encodeWithSelector(
            OracleAdapter.setVolatilityFeed.selector, ETH, ethFeed, HEARTBEAT
        );
        calls[12] = abi.encodeWithSelector(
            OracleAdapter.setReferenceFeed.selector, ETH, ethFeed, HEARTBEAT, uint256(100)
        );
        calls[13] = abi.encodeCall(OracleAdapter.removeReferenceFeed, (ETH));
        calls[14] = abi.encodeCall(Ownable.renounceOwnership, ());
        calls[15] = abi.encodeCall(ScenarioRegistry.postScenarioSet, (bytes32(0), N, 7500, 1));
        calls[16] = abi.encodeCall(
            ScenarioRegistry.publishScenarios, (epoch, 0, _scenarios(), _scenarios())
        );
        calls[17] = abi.encodeCall(Ownable.renounceOwnership, ());
    }
}

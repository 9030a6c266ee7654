// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Vm
/// @notice The few Foundry cheatcodes these tests use (forge-std is not available offline).
/// Forge serves them at 0x7109709ECfa91a80626fF3989D68f67F5b1DD12D.
interface Vm {
    /// @notice Set block.timestamp.
    function warp(uint256 newTimestamp) external;

    /// @notice Set block.number.
    function roll(uint256 newHeight) external;

    /// @notice Write `value` to storage slot `slot` of `target`.
    function store(address target, bytes32 slot, bytes32 value) external;

    /// @notice Make the next call come from `sender`.
    function prank(address sender) external;

    /// @notice Make every following call come from `sender` until `stopPrank`.
    function startPrank(address sender) external;

    /// @notice End a `startPrank`.
    function stopPrank() external;

    /// @notice Expect the next call to revert with exactly `revertData`.
    function expectRevert(bytes calldata revertData) external;

    /// @notice Expect a call to `callee` with exactly `data` before the test ends.
    function expectCall(address callee, bytes calldata data) external;

    /// @notice Expect the next call to emit an event like the one emitted right after this
    /// call, from `emitter`, comparing the topics and data selected by the flags.
    function expectEmit(
        bool checkTopic1,
        bool checkTopic2,
        bool checkTopic3,
        bool checkData,
        address emitter
    ) external;

    /// @notice Label `account` in traces.
    function label(address account, string calldata newLabel) external;

    /// @notice Start measuring the gas this test spends, to be recorded as `name` in gas
    /// snapshot group `group`: forge test writes it to snapshots/<group>.json.
    function startSnapshotGas(string calldata group, string calldata name) external;

    /// @notice Stop the measurement started last and record it; returns the gas spent since.
    function stopSnapshotGas() external returns (uint256 gasUsed);

    /// @notice Record the gas of the last call as `name` in gas snapshot group `group`: what
    /// the callee spent or, in isolation mode, the gas used by the call's own transaction.
    function snapshotGasLastCall(string calldata group, string calldata name)
        external
        returns (uint256 gasUsed);

    function toString(uint256 value) external pure returns (string memory);
    function toString(int256 value) external pure returns (string memory);
    function toString(address value) external pure returns (string memory);
    function toString(bytes32 value) external pure returns (string memory);
}

/// @title TestBase
/// @notice The cheatcode handle and equality assertions. A failed assertion reverts with a
/// string naming both values, which forge prints as the failure reason.
abstract contract TestBase {
    /// @dev 0x7109709ECfa91a80626fF3989D68f67F5b1DD12D.
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    /// @notice Revert unless `left == right`.
    function assertEq(uint256 left, uint256 right, string memory message) internal pure {
        if (left != right) _fail(message, vm.toString(left), vm.toString(right));
    }

    /// @notice Revert unless `left == right`.
    function assertEq(int256 left, int256 right, string memory message) internal pure {
        if (left != right) _fail(message, vm.toString(left), vm.toString(right));
    }

    /// @notice Revert unless `left == right`.
    function assertEq(bool left, bool right, string memory message) internal pure {
        if (left != right) _fail(message, _toString(left), _toString(right));
    }

    /// @notice Revert unless `left == right`.
    function assertEq(address left, address right, string memory message) internal pure {
        if (left != right) _fail(message, vm.toString(left), vm.toString(right));
    }

    /// @notice Revert unless `left == right`.
    function assertEq(bytes32 left, bytes32 right, string memory message) internal pure {
        if (left != right) _fail(message, vm.toString(left), vm.toString(right));
    }

    /// @notice Revert unless `condition` holds.
    function assertTrue(bool condition, string memory message) internal pure {
        if (!condition) revert(message);
    }

    function _fail(string memory message, string memory left, string memory right) private pure {
        revert(string.concat(message, ": ", left, " != ", right));
    }

    function _toString(bool value) private pure returns (string memory) {
        return value ? "true" : "false";
    }
}

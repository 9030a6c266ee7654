// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title ParameterTimelock
/// @notice The owner of the clearinghouse, the oracle adapter and the scenario registry in a
/// production deployment: OpenZeppelin's TimelockController with no admin, so its roles and
/// its delay change only through its own delayed operations. Every parameter change and
/// every scenario set is first scheduled in public (`CallScheduled` carries the exact
/// calldata) and can be executed only `minDelay` seconds later: users see a new scenario
/// set or margin factor before it binds them, and can close or top up in time.
contract ParameterTimelock is TimelockController {
    /// @param minDelay Seconds between scheduling an operation and executing it.
    /// @param proposers Who may schedule and cancel operations.
    /// @param executors Who may execute ready operations (address(0): anyone).
    constructor(uint256 minDelay, address[] memory proposers, address[] memory executors)
        TimelockController(minDelay, proposers, executors, address(0))
    {}
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {OracleAdapter} from "../../OracleAdapter.sol";

/// @title OracleHarness
/// @notice An OracleAdapter (owned by its deployer) that also exposes the internal deviation
/// rule, for the Python differential test (tests/test_oracle_adapter.py), which calls it on
/// Anvil against `oracle.feeds.deviation_exceeds`. Not deployed in production.
contract OracleHarness is OracleAdapter {
    constructor() OracleAdapter(msg.sender) {}

    /// @notice OracleAdapter._deviationExceeds: |spot - reference| * 10000 > maxBps *
    /// reference, both positive and in the same units.
    function deviationExceeds(uint256 spotPrice, uint256 referencePrice, uint256 maxBps)
        external
        pure
        returns (bool)
    {
        return _deviationExceeds(spotPrice, referencePrice, maxBps);
    }
}

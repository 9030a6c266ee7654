// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ScenarioLeaf
/// @notice The Merkle leaf of one scenario, in OpenZeppelin StandardMerkleTree format with
/// leaf encoding ["uint256", "int256[]", "int256[]"]:
/// keccak256(bytes.concat(keccak256(abi.encode(index, spotReturns, volShifts)))).
/// Python twin: `proofs/merkle.py` with `proofs/scenario_commitment.py`.
library ScenarioLeaf {
    /// @param index the scenario's position in the set, 0-based.
    /// @param spotReturns one simple spot return per asset, WAD (-0.05e18 is -5%).
    /// @param volShifts one implied-volatility shift per asset, WAD vol points (0.1e18 is
    /// +10 vol points).
    function hash(uint256 index, int256[] calldata spotReturns, int256[] calldata volShifts)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(bytes.concat(keccak256(abi.encode(index, spotReturns, volShifts))));
    }
}

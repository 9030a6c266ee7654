// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ScenarioLeaf
/// @notice The Merkle leaf of one scenario, in OpenZeppelin StandardMerkleTree format with
/// leaf encoding ["uint256", "int256[]"]: keccak256(bytes.concat(keccak256(abi.encode(index,
/// spotReturns)))). Python twin: `proofs/merkle.py` with `proofs/scenario_set.py`.
library ScenarioLeaf {
    /// @param index the scenario's position in the set, 0-based.
    /// @param spotReturns one simple spot return per asset, WAD (-0.05e18 is -5%).
    function hash(uint256 index, int256[] calldata spotReturns) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(index, spotReturns))));
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";

import {MarginEngine} from "../../MarginEngine.sol";

/// @title ScenarioMerkle
/// @notice Builds Merkle trees of scenario leaves in the tests. Leaves are in OpenZeppelin
/// StandardMerkleTree format for ["uint256", "int256[]", "int256[]"]; internal nodes hash the
/// sorted pair
/// (`Hashes.commutativeKeccak256`), which is all `MerkleProof.verify` needs. The tree pairs
/// nodes level by level in the given order and lifts an unpaired last node unchanged.
library ScenarioMerkle {
    /// @notice keccak256(bytes.concat(keccak256(abi.encode(index, spotReturns, volShifts)))).
    function leaf(uint256 index, int256[] memory spotReturns, int256[] memory volShifts)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(bytes.concat(keccak256(abi.encode(index, spotReturns, volShifts))));
    }

    /// @notice The leaves of `scenarios` with zero vol shifts, scenario i having index i.
    function leaves(int256[][] memory scenarios) internal pure returns (bytes32[] memory out) {
        out = new bytes32[](scenarios.length);
        for (uint256 i; i < scenarios.length; ++i) {
            out[i] = leaf(i, scenarios[i], new int256[](scenarios[i].length));
        }
    }

    /// @notice Rows of zeros shaped like `rows`: the vol shifts of perp-only scenarios.
    function zeros(int256[][] memory rows) internal pure returns (int256[][] memory out) {
        out = new int256[][](rows.length);
        for (uint256 i; i < rows.length; ++i) {
            out[i] = new int256[](rows[i].length);
        }
    }

    /// @notice The liquidation certificate of scenarios `a` < `b` of `scenarios` (zero vol
    /// shifts), posted as `epoch`, with their Merkle proofs.
    function certificate(uint64 epoch, int256[][] memory scenarios, uint256 a, uint256 b)
        internal
        pure
        returns (MarginEngine.LiquidationCertificate memory c)
    {
        bytes32[] memory nodes = leaves(scenarios);
        c.epoch = epoch;
        c.indices = new uint256[](2);
        c.indices[0] = a;
        c.indices[1] = b;
        c.spotReturns = new int256[][](2);
        c.volShifts = new int256[][](2);
        c.proofs = new bytes32[][](2);
        for (uint256 i; i < 2; ++i) {
            c.spotReturns[i] = scenarios[c.indices[i]];
            c.volShifts[i] = new int256[](scenarios[c.indices[i]].length);
            c.proofs[i] = proof(nodes, c.indices[i]);
        }
    }

    /// @notice The root of the tree over `nodes` (at least one).
    function root(bytes32[] memory nodes) internal pure returns (bytes32) {
        while (nodes.length > 1) {
            nodes = _parents(nodes);
        }
        return nodes[0];
    }

    /// @notice The sibling path of leaf `position` in the tree over `nodes`.
    function proof(bytes32[] memory nodes, uint256 position)
        internal
        pure
        returns (bytes32[] memory path)
    {
        bytes32[] memory siblings = new bytes32[](256);
        uint256 depth;
        while (nodes.length > 1) {
            uint256 sibling = position ^ 1;
            if (sibling < nodes.length) siblings[depth++] = nodes[sibling];
            nodes = _parents(nodes);
            position /= 2;
        }
        path = new bytes32[](depth);
        for (uint256 i; i < depth; ++i) {
            path[i] = siblings[i];
        }
    }

    function _parents(bytes32[] memory nodes) private pure returns (bytes32[] memory parents) {
        parents = new bytes32[]((nodes.length + 1) / 2);
        for (uint256 i; i < parents.length; ++i) {
            uint256 left = 2 * i;
            parents[i] = left + 1 < nodes.length
                ? Hashes.commutativeKeccak256(nodes[left], nodes[left + 1])
                : nodes[left];
        }
    }
}

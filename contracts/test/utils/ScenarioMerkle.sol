// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";

import {IMarginEngine} from "../../interfaces/IMarginEngine.sol";

/// @title ScenarioMerkle
/// @notice Builds Merkle trees of scenario leaves in the tests. Leaves are in OpenZeppelin
/// StandardMerkleTree format for ["uint256", "int256[]", "int256[]"]; internal nodes hash the
/// sorted pair (`Hashes.commutativeKeccak256`), which is all `MerkleProof.verify` needs. The
/// tree is laid out as StandardMerkleTree lays out its array, except that the leaves keep
/// the given order (no sorting by hash): 2n - 1 nodes, leaf i at position 2n - 2 - i, node j
/// the hash of nodes 2j + 1 and 2j + 2. Leaves in the given order are then in the leaf order
/// of the multiproof of the whole tree, so a margin certificate listing scenarios in index
/// order verifies for any N (for a power of two, this is the tree that pairs leaves level by
/// level in order).
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
    function leaves(int256[][] memory scenarios) internal pure returns (bytes32[] memory) {
        return leaves(scenarios, zeros(scenarios));
    }

    /// @notice The leaves of scenarios with `spotReturns[i]` and `volShifts[i]`, scenario i
    /// having index i.
    function leaves(int256[][] memory spotReturns, int256[][] memory volShifts)
        internal
        pure
        returns (bytes32[] memory out)
    {
        out = new bytes32[](spotReturns.length);
        for (uint256 i; i < spotReturns.length; ++i) {
            out[i] = leaf(i, spotReturns[i], volShifts[i]);
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
        returns (IMarginEngine.LiquidationCertificate memory)
    {
        uint256[] memory indices = new uint256[](2);
        indices[0] = a;
        indices[1] = b;
        return certificate(epoch, scenarios, indices);
    }

    /// @notice The liquidation certificate naming `indices` of `scenarios` (zero vol shifts),
    /// posted as `epoch`, with their leaf data and Merkle proofs.
    function certificate(uint64 epoch, int256[][] memory scenarios, uint256[] memory indices)
        internal
        pure
        returns (IMarginEngine.LiquidationCertificate memory)
    {
        return certificate(epoch, scenarios, zeros(scenarios), indices);
    }

    /// @notice The liquidation certificate naming `indices` of the scenarios with
    /// `spotReturns` and `volShifts`, posted as `epoch`, with their leaf data and Merkle
    /// proofs.
    function certificate(
        uint64 epoch,
        int256[][] memory spotReturns,
        int256[][] memory volShifts,
        uint256[] memory indices
    ) internal pure returns (IMarginEngine.LiquidationCertificate memory c) {
        bytes32[] memory nodes = tree(leaves(spotReturns, volShifts));
        c.epoch = epoch;
        c.indices = indices;
        c.spotReturns = new int256[][](indices.length);
        c.volShifts = new int256[][](indices.length);
        c.proofs = new bytes32[][](indices.length);
        for (uint256 i; i < indices.length; ++i) {
            c.spotReturns[i] = spotReturns[indices[i]];
            c.volShifts[i] = volShifts[indices[i]];
            c.proofs[i] = _path(nodes, spotReturns.length, indices[i]);
        }
    }

    /// @notice The margin certificate of all of `scenarios` (zero vol shifts), posted as
    /// `epoch`, in index order (the multiproof leaf order of this tree), with `threshold`.
    function marginCertificate(uint64 epoch, int256[][] memory scenarios, int256 threshold)
        internal
        pure
        returns (IMarginEngine.MarginCertificate memory)
    {
        return marginCertificate(epoch, scenarios, zeros(scenarios), threshold);
    }

    /// @notice The margin certificate of all the scenarios with `spotReturns` and
    /// `volShifts`, posted as `epoch`, in index order, with `threshold`.
    function marginCertificate(
        uint64 epoch,
        int256[][] memory spotReturns,
        int256[][] memory volShifts,
        int256 threshold
    ) internal pure returns (IMarginEngine.MarginCertificate memory c) {
        c.epoch = epoch;
        c.threshold = threshold;
        c.indices = new uint256[](spotReturns.length);
        for (uint256 i; i < spotReturns.length; ++i) {
            c.indices[i] = i;
        }
        c.spotReturns = spotReturns;
        c.volShifts = volShifts;
    }

    /// @notice The root of the tree over `nodes` (the leaves, at least one).
    function root(bytes32[] memory nodes) internal pure returns (bytes32) {
        return tree(nodes)[0];
    }

    /// @notice The sibling path of leaf `position` in the tree over `nodes` (the leaves).
    function proof(bytes32[] memory nodes, uint256 position)
        internal
        pure
        returns (bytes32[] memory)
    {
        return _path(tree(nodes), nodes.length, position);
    }

    /// @notice The 2n - 1 nodes of the tree over the n `leafHashes` (at least one), root
    /// first.
    function tree(bytes32[] memory leafHashes) internal pure returns (bytes32[] memory nodes) {
        uint256 n = leafHashes.length;
        nodes = new bytes32[](2 * n - 1);
        for (uint256 i; i < n; ++i) {
            nodes[2 * n - 2 - i] = leafHashes[i];
        }
        for (uint256 j = n - 1; j > 0; --j) {
            nodes[j - 1] = Hashes.commutativeKeccak256(nodes[2 * j - 1], nodes[2 * j]);
        }
    }

    /// @dev The sibling path, leaf to root, of leaf `position` of the `n` leaves of `nodes`.
    function _path(bytes32[] memory nodes, uint256 n, uint256 position)
        private
        pure
        returns (bytes32[] memory path)
    {
        uint256 node = 2 * n - 2 - position;
        uint256 depth;
        for (uint256 i = node; i > 0; i = (i - 1) / 2) {
            ++depth;
        }
        path = new bytes32[](depth);
        for (uint256 i; i < depth; ++i) {
            path[i] = nodes[node % 2 == 1 ? node + 1 : node - 1];
            node = (node - 1) / 2;
        }
    }
}

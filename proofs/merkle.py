"""Merkle trees in OpenZeppelin's StandardMerkleTree format.

Same leaves, tree, root and proofs as ``@openzeppelin/merkle-tree`` (``StandardMerkleTree.of``
with its default leaf sorting), so OpenZeppelin's tooling and ``MerkleProof.sol`` verify
what this module builds:

- leaf = keccak256(keccak256(abi.encode(*value))) for a value of the given leaf encoding;
- leaves are sorted by hash; the tree is an array of 2n - 1 nodes, leaf i at position
  2n - 2 - i, node i the hash of its children 2i + 1 and 2i + 2;
- a pair hashes as keccak256 of the two nodes in ascending byte order.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi import encode
from eth_hash.auto import keccak

from vmargin.errors import InputError


def leaf_hash(leaf_encoding: Sequence[str], value: Sequence[Any]) -> bytes:
    """The double-hashed leaf of ``value`` under ``leaf_encoding`` (ABI type names)."""
    return keccak(keccak(encode(list(leaf_encoding), list(value))))


def hash_pair(a: bytes, b: bytes) -> bytes:
    """keccak256 of the pair in ascending order (OpenZeppelin Hashes.commutativeKeccak256)."""
    return keccak(a + b) if a < b else keccak(b + a)


def process_proof(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` leads to from ``leaf`` (MerkleProof.processProof)."""
    node = leaf
    for sibling in proof:
        node = hash_pair(node, sibling)
    return node


@dataclass(frozen=True)
class StandardMerkleTree:
    """A tree over ``values``; ``positions[i]`` is where value i's leaf sits in ``nodes``."""

    leaf_encoding: tuple[str, ...]
    values: tuple[tuple[Any, ...], ...]
    nodes: tuple[bytes, ...]
    positions: tuple[int, ...]

    @classmethod
    def of(
        cls, values: Sequence[Sequence[Any]], leaf_encoding: Sequence[str]
    ) -> "StandardMerkleTree":
        """Build the tree of ``values`` as ``StandardMerkleTree.of(values, leafEncoding)``."""
        if not values:
            raise InputError("a Merkle tree needs at least one value")
        encoding = tuple(leaf_encoding)
        hashed = sorted((leaf_hash(encoding, value), index) for index, value in enumerate(values))
        size = 2 * len(hashed) - 1
        nodes: list[bytes] = [b""] * size
        positions = [0] * len(values)
        for sorted_index, (leaf, value_index) in enumerate(hashed):
            nodes[size - 1 - sorted_index] = leaf
            positions[value_index] = size - 1 - sorted_index
        for node in range(size - 1 - len(hashed), -1, -1):
            nodes[node] = hash_pair(nodes[2 * node + 1], nodes[2 * node + 2])
        return cls(
            leaf_encoding=encoding,
            values=tuple(tuple(value) for value in values),
            nodes=tuple(nodes),
            positions=tuple(positions),
        )

    @property
    def root(self) -> bytes:
        """The 32-byte root."""
        return self.nodes[0]

    def leaf(self, index: int) -> bytes:
        """The leaf hash of value ``index``."""
        return self.nodes[self.positions[index]]

    def multiproof_order(self) -> list[int]:
        """Value indices in the leaf order of OpenZeppelin's multiproof of every leaf (tree
        positions descending). In that order all leaves rebuild the root with no proof
        nodes and every proof flag true (``MerkleProof.multiProofVerify``)."""
        return sorted(range(len(self.values)), key=lambda index: -self.positions[index])

    def proof(self, index: int) -> list[bytes]:
        """The sibling path of value ``index``, leaf to root."""
        node = self.positions[index]
        path = []
        while node > 0:
            path.append(self.nodes[node + 1 if node % 2 == 1 else node - 1])
            node = (node - 1) // 2
        return path

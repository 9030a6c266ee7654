"""The commitment of a scenario set: one StandardMerkleTree leaf per scenario.

Leaf encoding ``["uint256", "int256[]", "int256[]"]``: the scenario's 0-based
index, its WAD spot returns and its WAD implied-vol shifts, one each per asset in
the registry's asset order. The index is in the leaf so that a certificate cannot
present one scenario under two indices.
Solidity twin: ``contracts/libraries/ScenarioLeaf.sol``.
"""

from collections.abc import Sequence

from proofs.merkle import StandardMerkleTree

SCENARIO_LEAF_ENCODING = ("uint256", "int256[]", "int256[]")


def scenario_tree(
    spot_returns: Sequence[Sequence[int]], vol_shifts: Sequence[Sequence[int]]
) -> StandardMerkleTree:
    """The Merkle tree over scenarios ``(index, spot_returns[index], vol_shifts[index])``."""
    return StandardMerkleTree.of(
        [
            (index, list(returns), list(shifts))
            for index, (returns, shifts) in enumerate(zip(spot_returns, vol_shifts, strict=True))
        ],
        SCENARIO_LEAF_ENCODING,
    )

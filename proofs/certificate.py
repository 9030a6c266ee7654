"""Liquidation certificates: ceil(k) scenarios whose weighted loss proves MM > equity.

A certificate names distinct scenario indices of the current epoch in increasing
order, with each scenario's leaf data (spot returns and vol shifts) and Merkle
proof. The contract recomputes each witness loss from live positions and oracle
marks; the best certificate is the k worst scenarios, for which its lower bound is
the exact ES (rounded down).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from offchain.expected_shortfall import TailWeight, worst_scenarios
from proofs.merkle import StandardMerkleTree


@dataclass(frozen=True)
class LiquidationCertificate:
    """The ``Clearinghouse.LiquidationCertificate`` struct, field for field."""

    epoch: int
    indices: tuple[int, ...]
    spot_returns: tuple[tuple[int, ...], ...]
    vol_shifts: tuple[tuple[int, ...], ...]
    proofs: tuple[tuple[bytes, ...], ...]

    def as_abi(self) -> tuple:
        """The struct as web3 encodes a Solidity tuple argument."""
        return (
            self.epoch,
            list(self.indices),
            [list(returns) for returns in self.spot_returns],
            [list(shifts) for shifts in self.vol_shifts],
            [list(proof) for proof in self.proofs],
        )


def liquidation_certificate(
    epoch: int, tree: StandardMerkleTree, losses: Sequence[int], tail: TailWeight
) -> LiquidationCertificate:
    """The certificate of the ``tail.witness_count`` worst ``losses`` (one per scenario of
    ``tree``), whose lower bound is the exact ES of ``losses``."""
    if len(losses) != len(tree.values):
        raise ValueError(f"{len(losses)} losses for a set of {len(tree.values)} scenarios")
    indices = worst_scenarios(losses, tail.witness_count)
    return LiquidationCertificate(
        epoch=epoch,
        indices=tuple(indices),
        spot_returns=tuple(tuple(tree.values[i][1]) for i in indices),
        vol_shifts=tuple(tuple(tree.values[i][2]) for i in indices),
        proofs=tuple(tuple(tree.proof(i)) for i in indices),
    )

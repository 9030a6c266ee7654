"""Certificates: what the chain checks instead of computing ES.

A liquidation certificate is ceil(k) scenarios whose weighted loss proves MM > equity;
a margin certificate is all N scenarios and a threshold t whose Rockafellar-Uryasev
bound proves IM <= equity.

A liquidation certificate names distinct scenario indices of the current epoch in
increasing order, with each scenario's leaf data (spot returns and vol shifts) and
Merkle proof. The contract recomputes each witness loss from live positions and
oracle marks; the best certificate is the k worst scenarios, for which its lower
bound is the exact ES (rounded down). A margin certificate carries every scenario,
in the order in which they rebuild the root; its best threshold is the ceil(k)-th
largest loss, for which the upper bound is the exact ES (rounded up).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from vmargin.errors import InputError
from vmargin.numerics.expected_shortfall import TailWeight, tail_weight, worst_scenarios
from vmargin.proofs.merkle import StandardMerkleTree
from vmargin.proofs.scenario_commitment import check_scenario_domain


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

    @classmethod
    def from_abi(cls, struct: dict) -> "LiquidationCertificate":
        """The certificate from the struct as web3 decodes it from calldata."""
        return cls(
            epoch=struct["epoch"],
            indices=tuple(struct["indices"]),
            spot_returns=tuple(tuple(returns) for returns in struct["spotReturns"]),
            vol_shifts=tuple(tuple(shifts) for shifts in struct["volShifts"]),
            proofs=tuple(tuple(proof) for proof in struct["proofs"]),
        )


def liquidation_certificate(
    epoch: int, tree: StandardMerkleTree, losses: Sequence[int], tail: TailWeight
) -> LiquidationCertificate:
    """The certificate of the ``tail.witness_count`` worst ``losses`` (one per scenario of
    ``tree``), whose lower bound is the exact ES of ``losses``."""
    if len(losses) != len(tree.values):
        raise InputError(f"{len(losses)} losses for a set of {len(tree.values)} scenarios")
    return witness_certificate(epoch, tree, worst_scenarios(losses, tail.witness_count))


def witness_certificate(
    epoch: int, tree: StandardMerkleTree, indices: Sequence[int]
) -> LiquidationCertificate:
    """The certificate naming the scenarios ``indices`` (increasing) of ``tree``; raises
    ScenarioOutOfDomain for the first of them a certificate may not carry."""
    for i in indices:
        check_scenario_domain(i, tree.values[i][1], tree.values[i][2])
    return LiquidationCertificate(
        epoch=epoch,
        indices=tuple(indices),
        spot_returns=tuple(tuple(tree.values[i][1]) for i in indices),
        vol_shifts=tuple(tuple(tree.values[i][2]) for i in indices),
        proofs=tuple(tuple(tree.proof(i)) for i in indices),
    )


@dataclass(frozen=True)
class MarginCertificate:
    """The ``Clearinghouse.MarginCertificate`` struct: all N scenarios (in the tree's
    multiproof leaf order) and a threshold for the Rockafellar-Uryasev bound."""

    epoch: int
    threshold: int
    indices: tuple[int, ...]
    spot_returns: tuple[tuple[int, ...], ...]
    vol_shifts: tuple[tuple[int, ...], ...]

    def as_abi(self) -> tuple:
        """The struct as web3 encodes a Solidity tuple argument."""
        return (
            self.epoch,
            self.threshold,
            list(self.indices),
            [list(returns) for returns in self.spot_returns],
            [list(shifts) for shifts in self.vol_shifts],
        )


NO_MARGIN_CERTIFICATE = MarginCertificate(0, 0, (), (), ())
"""The empty certificate, for a side whose risk does not increase."""


def margin_certificate(
    epoch: int, tree: StandardMerkleTree, losses: Sequence[int], alpha_bps: int
) -> MarginCertificate:
    """The certificate of ``losses`` (one per scenario of ``tree``) at ES level ``alpha_bps``,
    with the optimal threshold: the ceil(k)-th largest loss, for which the bound is ES.
    Raises ScenarioOutOfDomain for the first scenario, in certificate order, that a
    certificate may not carry."""
    if len(losses) != len(tree.values):
        raise InputError(f"{len(losses)} losses for a set of {len(tree.values)} scenarios")
    tail = tail_weight(len(losses), alpha_bps)
    threshold = sorted(losses, reverse=True)[tail.witness_count - 1]
    order = tree.multiproof_order()
    for i in order:
        check_scenario_domain(i, tree.values[i][1], tree.values[i][2])
    return MarginCertificate(
        epoch=epoch,
        threshold=threshold,
        indices=tuple(order),
        spot_returns=tuple(tuple(tree.values[i][1]) for i in order),
        vol_shifts=tuple(tuple(tree.values[i][2]) for i in order),
    )

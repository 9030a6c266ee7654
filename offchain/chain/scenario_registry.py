"""Posting scenario sets to the ScenarioRegistry and reading them back from the chain.

Posting commits the Merkle root, then publishes every scenario in chunks (events
``ScenariosPublished``), so that the chain alone holds the set. Reading rebuilds
the set from those events and refuses it unless it hashes to the committed root.
"""

from dataclasses import dataclass, field

from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from vmargin.chain.client import Chain
from vmargin.chain.governance import OwnerCall, owner_call
from vmargin.errors import ChainStateError
from vmargin.numerics.expected_shortfall import TailWeight, tail_weight
from vmargin.proofs.merkle import StandardMerkleTree
from vmargin.proofs.scenario_commitment import scenario_tree

# 250 one-asset scenarios are about 100 kB of calldata.
PUBLICATION_CHUNK = 250


class ScenarioDataMismatch(ChainStateError, ValueError):
    """The scenarios published on-chain do not hash to the committed root."""


@dataclass(frozen=True)
class PublishedScenarioSet:
    """A risk epoch as the chain holds it: commitment, data and the rebuilt tree."""

    epoch: int
    alpha_bps: int
    spot_returns: tuple[tuple[int, ...], ...]
    vol_shifts: tuple[tuple[int, ...], ...]
    tree: StandardMerkleTree

    @property
    def tail(self) -> TailWeight:
        """k for this set."""
        return tail_weight(len(self.spot_returns), self.alpha_bps)


def scenario_set_calls(
    registry: Contract,
    epoch: int,
    *,
    spot_returns: tuple[tuple[int, ...], ...],
    vol_shifts: tuple[tuple[int, ...], ...],
    alpha_bps: int,
    chunk: int = PUBLICATION_CHUNK,
) -> list[OwnerCall]:
    """The owner calls that commit a scenario set and publish it, ``chunk`` scenarios a call,
    as ``epoch``, which must be the registry's next epoch (``lastEpoch() + 1``) when they
    run: directly (``post_scenario_set``) or as one timelock batch
    (``vmargin.chain.governance``)."""
    tree = scenario_tree(spot_returns, vol_shifts)
    calls = [
        owner_call(
            registry,
            "postScenarioSet",
            tree.root,
            len(spot_returns),
            alpha_bps,
            len(spot_returns[0]),
        )
    ]
    for first in range(0, len(spot_returns), chunk):
        returns = [list(row) for row in spot_returns[first : first + chunk]]
        shifts = [list(row) for row in vol_shifts[first : first + chunk]]
        calls.append(owner_call(registry, "publishScenarios", epoch, first, returns, shifts))
    return calls


def post_scenario_set(
    chain: Chain,
    owner: LocalAccount,
    registry: Contract,
    *,
    spot_returns: tuple[tuple[int, ...], ...],
    vol_shifts: tuple[tuple[int, ...], ...],
    alpha_bps: int,
    chunk: int = PUBLICATION_CHUNK,
) -> int:
    """Commit and publish a scenario set as the registry's owner ``owner``; return its epoch
    (current once this returns)."""
    epoch = chain.call(registry.functions.lastEpoch()) + 1
    for call in scenario_set_calls(
        registry,
        epoch,
        spot_returns=spot_returns,
        vol_shifts=vol_shifts,
        alpha_bps=alpha_bps,
        chunk=chunk,
    ):
        chain.send(owner, {"to": call.target, "data": call.data})
    return epoch


def read_scenario_set(chain: Chain, registry: Contract, epoch: int) -> PublishedScenarioSet:
    """Rebuild ``epoch`` from its events; raise ScenarioDataMismatch unless it is whole and
    hashes to the committed root."""
    root, n, alpha_bps, _, published = chain.call(registry.functions.scenarioSet(epoch))
    if published != n:
        raise ScenarioDataMismatch(f"epoch {epoch}: {published} of {n} scenarios published")
    logs = registry.events.ScenariosPublished().get_logs(
        from_block=0, argument_filters={"epoch": epoch}
    )
    rows: list[tuple[int, ...]] = []
    shifts: list[tuple[int, ...]] = []
    for log in sorted(logs, key=lambda log: log["args"]["firstIndex"]):
        if log["args"]["firstIndex"] != len(rows):
            raise ScenarioDataMismatch(f"epoch {epoch}: chunk at {log['args']['firstIndex']}")
        rows.extend(tuple(returns) for returns in log["args"]["spotReturns"])
        shifts.extend(tuple(row) for row in log["args"]["volShifts"])
    tree = scenario_tree(rows, shifts)
    if len(rows) != n or tree.root != root:
        raise ScenarioDataMismatch(
            f"epoch {epoch}: published data has root 0x{tree.root.hex()}, committed 0x{root.hex()}"
        )
    return PublishedScenarioSet(
        epoch=epoch,
        alpha_bps=alpha_bps,
        spot_returns=tuple(rows),
        vol_shifts=tuple(shifts),
        tree=tree,
    )


@dataclass
class ScenarioSets:
    """The scenario sets posted to ``registry``, each read from the chain once."""

    chain: Chain
    registry: Contract
    read: dict[int, PublishedScenarioSet] = field(default_factory=dict)

    def of_epoch(self, epoch: int) -> PublishedScenarioSet:
        """The set of ``epoch`` (``read_scenario_set``, read once)."""
        if epoch not in self.read:
            self.read[epoch] = read_scenario_set(self.chain, self.registry, epoch)
        return self.read[epoch]

"""Replaying a liquidation from chain data alone, as an auditor does.

Given a liquidation's transaction hash, the replay reads everything the contract used from
the chain: the certificate from the transaction's input, the scenario set from the
registry's events (checked against the committed root), the account and the oracle marks
at the block before, the maintenance-margin factor then, and the block's timestamp (which
prices options). It recomputes in Python every number the contract used (each witness
loss, their weighted lower bound, MM = factor x max(bound, 0) and equity) and checks each
against the contract's event to the wei; then the exact ES over all N scenarios and the VaR,
to show how far the certificate's bound was from the true ES.

The state before a transaction is the previous block's only when the transaction is the
block's first; a liquidation behind other transactions in its block is refused
(``ReplayError``) rather than replayed against the wrong state. So is a transaction the
node has not mined (unknown, still pending, or taken away by a reorg), and a liquidation
whose block a reorg replaced while the replay read it: its reads could mix two branches.
A node that fails a request (``vmargin.chain.client.NODE_FAILURES``) fails the replay: there is
no verdict without every number.
"""

from dataclasses import dataclass, replace
from itertools import pairwise

from hexbytes import HexBytes
from web3.exceptions import TransactionNotFound
from web3.types import TxReceipt

from vmargin.chain.client import emitted
from vmargin.chain.deployment import Deployment
from vmargin.chain.reads import read_account, read_marks
from vmargin.chain.scenario_registry import PublishedScenarioSet, read_scenario_set
from vmargin.errors import InputError
from vmargin.numerics.expected_shortfall import expected_shortfall, weighted_lower_bound
from vmargin.numerics.fixedpoint import Rounding
from vmargin.numerics.margin import margin_from_expected_shortfall
from vmargin.numerics.portfolio import Account, Marks, equity, scenario_losses
from vmargin.proofs.certificate import LiquidationCertificate


class ReplayError(InputError):
    """The transaction cannot be replayed: not mined, not a liquidation, not first in its
    block, or its block replaced by a reorg during the replay."""


@dataclass(frozen=True)
class Check:
    """One number the contract used: what it emitted and what Python recomputes (WAD)."""

    name: str
    onchain: int
    recomputed: int

    @property
    def matches(self) -> bool:
        """Equal to the wei."""
        return self.onchain == self.recomputed


@dataclass(kw_only=True, frozen=True)
class LiquidationReplay:
    """A liquidation explained: inputs, the checks and the full-ES context (WAD)."""

    tx_hash: str
    block: int
    account: str
    keeper: str
    epoch: int
    fraction: int
    witnesses: tuple[int, ...]
    witness_losses: tuple[int, ...]
    losses: tuple[int, ...]
    expected_shortfall: int
    value_at_risk: int
    checks: tuple[Check, ...]

    @property
    def matches(self) -> bool:
        """Every check equal to the wei."""
        return all(check.matches for check in self.checks)

    @property
    def mismatches(self) -> tuple[str, ...]:
        """The names of the checks that differ."""
        return tuple(check.name for check in self.checks if not check.matches)


@dataclass(frozen=True)
class ReplayInputs:
    """What the replay read from the chain; a test or an auditor may alter one to see the
    replay name the difference."""

    account: Account
    marks: Marks
    scenarios: PublishedScenarioSet
    maintenance_margin_factor: int


def read_replay_inputs(deployment: Deployment, tx_hash: str) -> tuple[dict, ReplayInputs]:
    """The liquidation's decoded call and event, and the state it ran against."""
    chain, clearinghouse = deployment.chain, deployment.clearinghouse
    receipt = _mined_receipt(deployment, tx_hash)
    transaction = chain.w3.eth.get_transaction(HexBytes(tx_hash))
    events = emitted(clearinghouse, "Liquidated", receipt)
    if receipt["to"] != clearinghouse.address or not events:
        raise ReplayError(f"{tx_hash} is not a liquidation by {clearinghouse.address}")
    if receipt["transactionIndex"] != 0:
        raise ReplayError(
            f"{tx_hash} is transaction {receipt['transactionIndex']} of block "
            f"{receipt['blockNumber']}: the state before it is not a block's"
        )
    _, call = clearinghouse.decode_function_input(transaction["input"])
    before = receipt["blockNumber"] - 1
    event = dict(events[0])
    account = read_account(deployment, event["account"], before)
    marks = read_marks(deployment, account, before)
    executed = chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    inputs = ReplayInputs(
        account=account,
        marks=replace(marks, now=executed),
        scenarios=read_scenario_set(chain, deployment.registry, event["epoch"]),
        maintenance_margin_factor=chain.call(
            clearinghouse.functions.maintenanceMarginFactor(), before
        ),
    )
    number = receipt["blockNumber"]
    if chain.block_hashes([number])[number] != receipt["blockHash"].to_0x_hex():
        raise ReplayError(
            f"a reorg replaced block {receipt['blockNumber']} of {tx_hash} during the replay: "
            "its reads may mix two branches; replay it again"
        )
    return {"call": call, "event": event, "receipt": receipt}, inputs


def _mined_receipt(deployment: Deployment, tx_hash: str) -> TxReceipt:
    """The receipt of ``tx_hash``; ReplayError if the node has not mined it."""
    w3 = deployment.chain.w3
    try:
        return w3.eth.get_transaction_receipt(HexBytes(tx_hash))
    except TransactionNotFound:
        pass
    try:
        w3.eth.get_transaction(HexBytes(tx_hash))
    except TransactionNotFound:
        raise ReplayError(
            f"{tx_hash} is not a transaction this node has mined: unknown to it, or taken "
            "away by a reorg"
        ) from None
    raise ReplayError(f"{tx_hash} is pending: it is not mined yet")


def replay(onchain: dict, inputs: ReplayInputs) -> LiquidationReplay:
    """Recompute the liquidation from ``inputs`` and check it against ``onchain``."""
    call, event, receipt = onchain["call"], onchain["event"], onchain["receipt"]
    certificate = LiquidationCertificate.from_abi(call["certificate"])
    epoch, indices = certificate.epoch, certificate.indices
    spot_returns, vol_shifts = certificate.spot_returns, certificate.vol_shifts
    scenarios = inputs.scenarios
    _check_witnesses(certificate, scenarios)
    checks = []
    for position, index in enumerate(indices):
        leaf = (tuple(spot_returns[position]), tuple(vol_shifts[position]))
        committed = (scenarios.spot_returns[index], scenarios.vol_shifts[index])
        checks.append(Check(f"scenario {index} is the committed leaf", 1, int(leaf == committed)))
    losses = scenario_losses(
        inputs.account, inputs.marks, scenarios.spot_returns, scenarios.vol_shifts
    )
    witness_losses = tuple(losses[i] for i in indices)
    bound = weighted_lower_bound(witness_losses, scenarios.tail)
    checks += [
        Check("equity", event["equity"], equity(inputs.account, inputs.marks)),
        Check("ES lower bound", event["expectedShortfallLowerBound"], bound),
        Check(
            "maintenance margin",
            event["maintenanceMargin"],
            margin_from_expected_shortfall(inputs.maintenance_margin_factor, bound, Rounding.FLOOR),
        ),
    ]
    return LiquidationReplay(
        tx_hash=receipt["transactionHash"].to_0x_hex(),
        block=receipt["blockNumber"],
        account=event["account"],
        keeper=event["keeper"],
        epoch=epoch,
        fraction=call["fraction"],
        witnesses=tuple(indices),
        witness_losses=witness_losses,
        losses=tuple(losses),
        expected_shortfall=expected_shortfall(losses, scenarios.alpha_bps),
        value_at_risk=sorted(losses, reverse=True)[scenarios.tail.witness_count - 1],
        checks=tuple(checks),
    )


def _check_witnesses(certificate: LiquidationCertificate, scenarios: PublishedScenarioSet) -> None:
    """ReplayError unless ``certificate`` names, as the contract requires, ceil(k) distinct
    scenarios of the event's epoch ``scenarios`` in increasing order, each with its leaf data:
    a mined liquidation always does, so its calldata as the node returned it is wrong."""
    if certificate.epoch != scenarios.epoch:
        raise ReplayError(
            f"the certificate is of epoch {certificate.epoch}, the event of {scenarios.epoch}"
        )
    indices, n = certificate.indices, len(scenarios.spot_returns)
    count = scenarios.tail.witness_count
    shape = (len(indices), len(certificate.spot_returns), len(certificate.vol_shifts))
    if shape != (count, count, count):
        raise ReplayError(
            f"the certificate has {shape[0]} indices, {shape[1]} spot rows and {shape[2]} vol "
            f"rows; epoch {scenarios.epoch} needs {count} witnesses"
        )
    if any(a >= b for a, b in pairwise(indices)) or indices[-1] >= n:
        raise ReplayError(
            f"the certificate's indices {list(indices)} are not increasing scenarios of {n}"
        )


def replay_liquidation(deployment: Deployment, tx_hash: str) -> LiquidationReplay:
    """Replay the liquidation ``tx_hash`` from the chain alone."""
    onchain, inputs = read_replay_inputs(deployment, tx_hash)
    return replay(onchain, inputs)

"""The attestation watcher: checks every accepted attestation and disproves the wrong ones.

Each ``AttestationAccepted`` event publishes the attested state's preimage, so the watcher
needs nothing but the chain: it values the state at the attested marks and time under the
attested epoch's scenario set, computes the strongest disproof at the attested level (the
certificate of the worst scenarios, ``vmargin.attestation.attested_margin.disproof``) and, when its
bound exceeds the attested ES, challenges while the window is open. The signers' bonds go
to the watcher's account. It then re-checks the account as it stands: its equity, exact
ES and maintenance margin now (``vmargin.keeper.screen.screen``); the keeper liquidates it if
it is liquidatable.

The watcher keeps no state of its own: a pass reads the events of a block range, and an
attestation already voided (by it before a crash, or by anyone) or past its window is
reported and skipped. A restarted watcher rescans from ``--start-block`` and loses nothing.
Every action is reported as one dict (``WatcherAction``).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from vmargin.attestation.attested_margin import (
    VOIDED,
    abi_tuple,
    attested_state,
    challenge_attestation,
    disproof,
)
from vmargin.chain.client import TransactionReverted, emitted
from vmargin.chain.deployment import Deployment
from vmargin.chain.scenario_registry import ScenarioSets
from vmargin.keeper.screen import screen


class WatcherAction(StrEnum):
    """The ``action`` of a report (``Watcher.report``)."""

    CHECKED = "checked"
    """The attestation stands."""
    CHALLENGED = "challenged"
    """Wrong: voided, the signers' bonds slashed."""
    RECHECKED = "rechecked"
    """The account as it stands after a challenge."""
    VOIDED = "voided"
    """Already voided."""
    CLOSED = "closed"
    """Wrong, but its challenge window closed."""


@dataclass(kw_only=True)
class Watcher:
    """Watches ``attested_margin`` of ``deployment``, challenging from ``key``'s account;
    ``next_block`` is the first block the next pass reads."""

    deployment: Deployment
    attested_margin: Contract
    key: LocalAccount
    report: Callable[[dict[str, Any]], None]
    scenario_sets: ScenarioSets
    next_block: int = 0


def watch_pass(watcher: Watcher, to_block: int) -> None:
    """Check every attestation accepted from ``watcher.next_block`` to ``to_block``."""
    attested = watcher.attested_margin
    events = attested.events.AttestationAccepted.get_logs(
        from_block=watcher.next_block, to_block=to_block
    )
    window = watcher.deployment.chain.call(attested.functions.challengeWindow())
    for event in events:
        check_attestation(watcher, event["args"], window)
    watcher.next_block = to_block + 1


def check_attestation(watcher: Watcher, accepted: Any, window: int) -> None:
    """Check the attestation of one ``AttestationAccepted`` event's arguments, challengeable
    for ``window`` seconds after its acceptance."""
    chain, attested = watcher.deployment.chain, watcher.attested_margin
    claim = accepted["claim"]
    attestation_id = "0x" + bytes(accepted["id"]).hex()
    seen = {"id": attestation_id, "account": claim["account"]}
    if chain.call(attested.functions.claimHashes(accepted["id"])) == VOIDED:
        watcher.report({"action": WatcherAction.VOIDED, **seen})
        return
    account, marks = attested_state(
        claim["account"], abi_tuple(accepted["state"]), claim["valuationTime"]
    )
    scenarios = watcher.scenario_sets.of_epoch(claim["epoch"])
    shown = disproof(account, marks, scenarios, claim["alphaBps"])
    figures = {
        "attested_es": str(claim["expectedShortfall"]),
        "bound": str(shown.bound),
    }
    if shown.bound <= claim["expectedShortfall"]:
        watcher.report({"action": WatcherAction.CHECKED, **seen, **figures})
        return
    closes_at = claim["acceptedAt"] + window
    if chain.w3.eth.get_block("latest")["timestamp"] >= closes_at:
        watcher.report({"action": WatcherAction.CLOSED, **seen, **figures, "closed_at": closes_at})
        return
    try:
        receipt = challenge_attestation(chain, watcher.key, attested, accepted, shown.certificate)
    except TransactionReverted as refused:
        if refused.error != "AttestedMargin.AlreadyVoided":
            raise
        watcher.report({"action": WatcherAction.VOIDED, **seen})
        return
    voided = emitted(attested, "AttestationVoided", receipt)[0]
    watcher.report(
        {
            "action": WatcherAction.CHALLENGED,
            **seen,
            **figures,
            "slashed": str(voided["slashed"]),
            "tx": receipt["transactionHash"].to_0x_hex(),
        }
    )
    recheck(watcher, claim["account"], receipt["blockNumber"])


def recheck(watcher: Watcher, address: str, block: int) -> None:
    """Report ``address``'s margin as it stands at ``block`` (``keeper.screen``)."""
    screened = screen(watcher.deployment, block, [address])
    if address in screened.unreadable:
        raise screened.unreadable[address]
    (risk,) = screened.risks
    watcher.report(
        {
            "action": WatcherAction.RECHECKED,
            "account": address,
            "equity": str(risk.equity),
            "expected_shortfall": str(risk.expected_shortfall),
            "maintenance_margin": str(risk.maintenance_margin),
            "liquidatable": risk.liquidatable,
        }
    )


def run_watcher(watcher: Watcher, once: bool, poll_interval: float) -> None:
    """Watch until interrupted (or one pass to the latest block with ``once``)."""
    chain = watcher.deployment.chain
    while True:
        latest = chain.w3.eth.block_number
        if latest >= watcher.next_block:
            watch_pass(watcher, latest)
        if once:
            return
        time.sleep(poll_interval)

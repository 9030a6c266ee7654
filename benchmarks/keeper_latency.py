"""Keeper latency and auditor replay time for a crowd of accounts, on a real Anvil node.

Opens a crowd (``tests/support/crowd.py``: one-ETH longs with collateral
spread from 860 to 2,600 USD, N = 1,000 historical ETH scenarios, ES at 97.5%), pushes a
25% ETH crash, and runs one keeper pass that liquidates every liquidatable account
(``min_profit=None``: insolvent ones pay no reward but are liquidated too). The clock
starts once the crash is mined; the keeper's report callback times the screen (every
account read at the block and its exact ES computed: the "screened" report) and the last
liquidation whose receipt the keeper saw (the last "liquidated" report). The keeper
submits one liquidation at a time (simulate with ``eth_simulateV1``, sign, record,
broadcast) and Anvil mines each as it arrives; liquidations per second are counted over
the submissions, from the screen to the last receipt. The accounts screened are the crowd,
its market maker and the backstop.

Then an auditor attaches to the clearinghouse from chain data alone (``attach``) and
replays every liquidation (``replay_liquidation``: the certificate from calldata, the
scenario set from the registry's events, the account and marks at the block before),
timed one by one; every replay must match the contract's numbers to the wei.

Runs a crowd of 100 accounts, then one of 1,000, each on its own Anvil node; prints each
crowd's setup time (stderr) and two Markdown tables, also written to
``benchmarks/results/keeper_latency.md``. Run with
``.venv/bin/python benchmarks/keeper_latency.py [--accounts 100 1000] [--scenarios 1000]``.
"""

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from support.crowd import crash, open_crowd
from vmargin.audit.replay import ReplayError, replay_liquidation
from vmargin.chain.anvil import AnvilNode
from vmargin.chain.client import Chain
from vmargin.chain.deployment import attach
from vmargin.keeper.service import KeeperPolicy, run_once

RESULTS = Path(__file__).parent / "results"


class Stopwatch:
    """The keeper's report callback: when each action arrived, seconds after ``start``."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.actions: list[tuple[float, dict[str, Any]]] = []

    def __call__(self, action: dict[str, Any]) -> None:
        self.actions.append((time.monotonic() - self.start, action))

    def last(self, name: str) -> float:
        """Seconds to the last ``name`` report."""
        return max(at for at, action in self.actions if action["action"] == name)

    def count(self) -> Counter[str]:
        """How many reports of each action."""
        return Counter(action["action"] for _, action in self.actions)


def crowd_rows(accounts: int, scenarios: int) -> tuple[str, str]:
    """Open a crowd of ``accounts`` on a fresh Anvil node, crash ETH, run one keeper pass and
    replay every liquidation; the latency row and the replay row of the tables."""
    with AnvilNode() as node:
        started = time.monotonic()
        crowd = open_crowd(node.rpc_url, accounts, scenarios)
        print(
            f"Crowd of {accounts:,} accounts at N = {scenarios:,} opened in "
            f"{time.monotonic() - started:.1f} s.",
            file=sys.stderr,
        )
        crash(crowd)
        stopwatch = Stopwatch()
        keeper_pass = run_once(
            crowd.deployment,
            crowd.keepers[0],
            policy=KeeperPolicy(min_profit=None),
            report=stopwatch,
        )
        print(f"keeper reports: {dict(stopwatch.count())}", file=sys.stderr)
        liquidatable = sum(risk.liquidatable for risk in keeper_pass.risks)
        liquidated = len(keeper_pass.liquidations)
        screened = stopwatch.last("screened")
        last_mined = stopwatch.last("liquidated") if liquidated else screened
        submitting = last_mined - screened
        rate = f"{liquidated / submitting:.1f}" if liquidated else "-"
        latency = (
            f"| {len(keeper_pass.risks):,} | {liquidatable:,} | {liquidated:,} "
            f"| {screened:.1f} | {submitting:.1f} | {last_mined:.1f} | {rate} |"
        )

        auditor = attach(Chain.connect(node.rpc_url), crowd.deployment.clearinghouse.address)
        seconds = []
        matched = refused = 0
        for liquidation in keeper_pass.liquidations:
            started = time.monotonic()
            try:
                replay = replay_liquidation(auditor, liquidation.tx_hash)
            except ReplayError as error:
                print(f"replay refused: {error}", file=sys.stderr)
                refused += 1
                continue
            seconds.append(time.monotonic() - started)
            matched += replay.matches
            if not replay.matches:
                print(f"{liquidation.tx_hash} differs: {replay.mismatches}", file=sys.stderr)
        all_match = "yes" if seconds and matched == len(keeper_pass.liquidations) else "no"
        if seconds:
            replays = (
                f"| {len(keeper_pass.risks):,} | {len(seconds):,} | {refused} "
                f"| {statistics.mean(seconds):.3f} | {statistics.median(seconds):.3f} "
                f"| {max(seconds):.3f} | {all_match} |"
            )
        else:
            replays = f"| {len(keeper_pass.risks):,} | 0 | {refused} | - | - | - | {all_match} |"
        return latency, replays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--accounts", type=int, nargs="+", default=[100, 1000], help="crowd sizes (100 1000)"
    )
    parser.add_argument("--scenarios", type=int, default=1000, help="scenario count N (1000)")
    arguments = parser.parse_args()
    rows = [crowd_rows(accounts, arguments.scenarios) for accounts in arguments.accounts]
    markdown = "\n".join(
        [
            f"N = {arguments.scenarios:,} scenarios, ES 97.5%, one keeper pass after a 25% "
            "ETH crash, timed from the crash's receipt.",
            "",
            "| accounts | liquidatable | liquidated | screen s | submit s "
            "| oracle move to last liquidation mined s | liquidations / s |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            *(latency for latency, _ in rows),
            "",
            "| accounts | replays | refused | mean s | median s | max s | all match |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | --- |",
            *(replays for _, replays in rows),
        ]
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "keeper_latency.md").write_text(markdown + "\n")
    print(markdown)


if __name__ == "__main__":
    main()

"""``vmargin replay TXHASH`` and ``vmargin audit``: liquidations explained from the chain.

``replay`` recomputes one liquidation (``offchain/audit/replay.py``) and writes its JSON,
Markdown and PNG report; ``audit`` replays every liquidation in a block range and prints
one row each. Both exit 1 when any number differs from the contract's to the wei.
"""

import argparse
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table

from vmargin.audit.replay import LiquidationReplay, replay_liquidation
from vmargin.audit.report import write_report
from vmargin.chain.client import Chain
from vmargin.chain.deployment import Deployment, attach
from vmargin.cli.arguments import block_option, transaction_hash, whole_number
from vmargin.numerics.fixedpoint import WAD


def add_audit_commands(commands: argparse._SubParsersAction) -> None:
    """Register ``vmargin replay`` and ``vmargin audit`` on the CLI's subcommands."""
    replay = commands.add_parser("replay", help="replay one liquidation from chain data")
    replay.add_argument("tx_hash", type=transaction_hash)
    _chain_arguments(replay)
    replay.add_argument("--out", type=Path, default=Path("reports"), help="report directory")
    replay.set_defaults(run=replay_command)

    audit = commands.add_parser("audit", help="replay every liquidation in a block range")
    _chain_arguments(audit)
    audit.add_argument("--from-block", type=whole_number, default=0)
    audit.add_argument("--to-block", type=block_option, default="latest")
    audit.add_argument("--out", type=Path, help="also write each liquidation's report here")
    audit.set_defaults(run=audit_command)


def _chain_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rpc-url", required=True)
    parser.add_argument("--clearinghouse", required=True, help="the Clearinghouse's address")


def liquidations_between(deployment: Deployment, first: int, last: int | str) -> list[str]:
    """The transaction hashes of every Liquidated event in blocks ``first`` to ``last``."""
    logs = deployment.clearinghouse.events.Liquidated().get_logs(from_block=first, to_block=last)
    return [log["transactionHash"].to_0x_hex() for log in logs]


def audit_table(reports: Sequence[LiquidationReplay]) -> Table:
    """One row per replayed liquidation."""
    table = Table(title="audit: liquidations replayed from the chain", title_justify="left")
    table.box = box.SIMPLE
    for column in ("block", "account", "fraction", "equity USD", "MM USD", "ES USD", "result"):
        table.add_column(column, justify="left" if column in ("account", "result") else "right")
    for report in reports:
        checks = {check.name: check for check in report.checks}
        table.add_row(
            str(report.block),
            report.account,
            f"{Decimal(report.fraction) / WAD:.2f}",
            f"{Decimal(checks['equity'].onchain) / WAD:,.2f}",
            f"{Decimal(checks['maintenance margin'].onchain) / WAD:,.2f}",
            f"{Decimal(report.expected_shortfall) / WAD:,.2f}",
            "matches to the wei" if report.matches else "MISMATCH: " + ", ".join(report.mismatches),
        )
    return table


def replay_command(arguments: argparse.Namespace) -> int:
    deployment = attach(Chain.connect(arguments.rpc_url), arguments.clearinghouse)
    report = replay_liquidation(deployment, arguments.tx_hash)
    for path in write_report(report, arguments.out):
        print(path)
    if not report.matches:
        print(f"vmargin: {arguments.tx_hash}: mismatch in {', '.join(report.mismatches)}")
        return 1
    return 0


def audit_command(arguments: argparse.Namespace) -> int:
    deployment = attach(Chain.connect(arguments.rpc_url), arguments.clearinghouse)
    reports = [
        replay_liquidation(deployment, tx_hash)
        for tx_hash in liquidations_between(deployment, arguments.from_block, arguments.to_block)
    ]
    if arguments.out is not None:
        for report in reports:
            write_report(report, arguments.out)
    Console(width=160).print(audit_table(reports))
    return 0 if all(report.matches for report in reports) else 1

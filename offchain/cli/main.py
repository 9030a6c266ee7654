"""The ``vmargin`` command line.

``vmargin demo`` runs the whole loop on an embedded Anvil node and prints one row
per account; ``vmargin scenarios build | show | post | fetch`` handles scenario set
files (``offchain/cli/scenarios.py``); ``vmargin replay`` and ``vmargin audit``
explain liquidations from chain data (``offchain/cli/audit.py``); the demo ends with
the audit of its own liquidations; ``vmargin margin`` reports a live account,
``vmargin keeper run`` runs the keeper service (``offchain/cli/keeper.py``), and
``vmargin operator run`` and ``vmargin watch`` run attested margin's operator and watcher
(``offchain/cli/attestation.py``). Every error vmargin raises on purpose
(``vmargin.errors.VmarginError``: a user mistake, a missing install step, a failing node, a
state the chain refuses) is reported in one line on stderr with exit code 1, never as a
traceback, and so is a file
that cannot be read or written (an OSError) and a node that fails a request
(``vmargin.chain.client.NODE_FAILURES``: a dropped or timed-out connection, an HTTP error, an
answer that is not JSON or is malformed, an error the node answers with) after its
retries; Ctrl-C exits with 130. The node is stopped in every case.
"""

import argparse
import signal
import sys
from decimal import Decimal
from types import FrameType

from rich import box
from rich.console import Console, JustifyMethod
from rich.table import Table

from vmargin import __version__
from vmargin.audit.replay import replay_liquidation
from vmargin.chain.anvil import AnvilNode
from vmargin.chain.client import NODE_FAILURES
from vmargin.chain.deployment import attach
from vmargin.cli.attestation import add_attestation_commands
from vmargin.cli.audit import add_audit_commands, audit_table
from vmargin.cli.demo import DemoResult, run_demo
from vmargin.cli.keeper import add_keeper_command
from vmargin.cli.margin import add_margin_command
from vmargin.cli.scenarios import add_scenario_commands
from vmargin.errors import VmarginError
from vmargin.numerics.fixedpoint import WAD


def usd(wad: int) -> str:
    """A WAD amount as USD with two decimals (display only)."""
    return f"{Decimal(wad) / WAD:,.2f}"


def demo_report(result: DemoResult, rpc_url: str, console: Console) -> None:
    """Print what the demo did: the scenario set, the price move and one row per account."""
    scenarios = result.scenario_set
    console.print(f"vmargin demo on a local Anvil node at {rpc_url}")
    console.print(
        f"scenario set: epoch {result.epoch}, {scenarios.description}, N = {scenarios.n}, "
        f"alpha = {scenarios.alpha_bps / 100:.2f}%, "
        f"k = {Decimal(scenarios.n * (10_000 - scenarios.alpha_bps)) / 10_000}"
    )
    delay = result.deployment.chain.call(result.timelock.functions.getMinDelay())
    console.print(
        f"owner: ParameterTimelock {result.timelock.address}, "
        f"owner calls take effect {delay // 3600} h after they are scheduled"
    )
    move = (result.crash_price / result.open_price - 1) * 100
    console.print(f"ETH/USD oracle: {result.open_price} -> {result.crash_price} ({move:+.0f}%)")
    table = Table(
        title="accounts after the crash, as the keeper screened them",
        title_justify="left",
        box=box.SIMPLE,
    )
    for column in ("account", "address", "equity USD", "ES USD", "MM USD", "status", "tx", "gas"):
        justify: JustifyMethod = "right" if column.endswith("USD") or column == "gas" else "left"
        table.add_column(column, justify=justify)
    risks, liquidations = result.keeper_pass.risks, result.keeper_pass.liquidations
    liquidated = {liquidation.account: liquidation for liquidation in liquidations}
    for risk in risks:
        address = risk.account.address
        liquidation = liquidated.get(address)
        table.add_row(
            result.labels.get(address, ""),
            address,
            usd(risk.equity),
            usd(risk.expected_shortfall),
            usd(risk.maintenance_margin),
            "liquidated" if liquidation else "healthy",
            liquidation.tx_hash if liquidation else "",
            str(liquidation.gas_used) if liquidation else "",
        )
    console.print(table)
    rewards = sum(liquidation.keeper_reward for liquidation in liquidations)
    insurance = sum(liquidation.insurance_fee for liquidation in liquidations)
    console.print(
        f"{len(liquidations)} liquidated, {len(risks) - len(liquidations)} healthy; "
        f"keeper rewards {usd(rewards)} USD, insurance fees {usd(insurance)} USD"
    )
    bad_debt = sum(liquidation.bad_debt for liquidation in liquidations)
    if bad_debt:
        covered = sum(liquidation.covered_by_insurance for liquidation in liquidations)
        socialized = sum(liquidation.socialized for liquidation in liquidations)
        absorbed = sum(liquidation.absorbed_by_backstop for liquidation in liquidations)
        console.print(
            f"bad debt {usd(bad_debt)} USD: {usd(covered)} paid by the insurance fund, "
            f"{usd(socialized)} socialized over open interest, {usd(absorbed)} absorbed by "
            "the backstop"
        )


def demo(_: argparse.Namespace) -> int:
    """``vmargin demo``: the whole loop on an embedded Anvil node."""
    console = Console(width=200)
    with AnvilNode(accounts=10) as node:
        result = run_demo(node.rpc_url)
        demo_report(result, node.rpc_url, console)
        deployment = attach(result.deployment.chain, result.deployment.clearinghouse.address)
        reports = [
            replay_liquidation(deployment, liquidation.tx_hash)
            for liquidation in result.keeper_pass.liquidations
        ]
        console.print(audit_table(reports))
    return 0 if all(report.matches for report in reports) else 1


def _terminate(signum: int, _: FrameType | None) -> None:
    """SIGTERM unwinds like Ctrl-C, so that every ``with AnvilNode`` stops its node."""
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``vmargin`` console script."""
    parser = argparse.ArgumentParser(prog="vmargin", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"vmargin {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="run the whole loop on an embedded Anvil node").set_defaults(
        run=demo
    )
    add_scenario_commands(commands)
    add_audit_commands(commands)
    add_margin_command(commands)
    add_keeper_command(commands)
    add_attestation_commands(commands)
    arguments = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        return arguments.run(arguments)
    except KeyboardInterrupt:
        print("vmargin: interrupted", file=sys.stderr)
        return 130
    except VmarginError as error:
        print(f"vmargin: {error}", file=sys.stderr)
        return 1
    except NODE_FAILURES as error:
        print(f"vmargin: the node failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"vmargin: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

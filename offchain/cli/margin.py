"""``vmargin margin ACCOUNT``: a live account's margin, from the chain and exact ES.

Reads the account, the oracle marks and the current scenario epoch at the latest block,
computes every scenario loss in Python, and reports equity, exact ES, MM (MM factor x
max(ES, 0), rounded up), the MM a certificate of the k worst scenarios proves (rounded
down, what a keeper can show on-chain), IM at the IM level with its liquidity add-on, health
(equity / certified MM) and the worst scenarios, as a table or as JSON (WAD integers as
strings).
"""

import argparse
import json
from decimal import Decimal

from rich.console import Console
from rich.table import Table

from vmargin.chain.client import Chain
from vmargin.chain.deployment import attach, checksum_address
from vmargin.chain.reads import read_account, read_initial_margin_parameters, read_marks
from vmargin.chain.scenario_registry import read_scenario_set
from vmargin.cli.arguments import whole_number
from vmargin.keeper.screen import assess
from vmargin.numerics.fixedpoint import WAD
from vmargin.numerics.margin import initial_margin
from vmargin.numerics.portfolio import scenario_losses
from vmargin.proofs.certificate import margin_certificate


def add_margin_command(commands: argparse._SubParsersAction) -> None:
    """Register ``vmargin margin``."""
    margin = commands.add_parser("margin", help="a live account's equity, ES, IM, MM, health")
    margin.add_argument("account")
    margin.add_argument("--rpc-url", required=True)
    margin.add_argument("--clearinghouse", required=True, help="the Clearinghouse's address")
    margin.add_argument("--worst", type=whole_number, default=5, help="how many worst scenarios")
    margin.add_argument("--json", action="store_true", help="print JSON instead of a table")
    margin.set_defaults(run=margin_command)


def account_margin(rpc_url: str, clearinghouse: str, address: str, worst: int) -> dict:
    """The report of ``address`` at the latest block (WAD integers). The backstop is never
    liquidatable: ``liquidate`` refuses it (``BackstopNotLiquidatable``)."""
    account_address = checksum_address(address, "account")
    deployment = attach(Chain.connect(rpc_url), clearinghouse)
    chain = deployment.chain
    block = chain.w3.eth.block_number
    scenarios = read_scenario_set(
        chain, deployment.registry, chain.call(deployment.registry.functions.currentEpoch(), block)
    )
    account = read_account(deployment, account_address, block)
    marks = read_marks(deployment, account, block)
    mm_factor = chain.call(deployment.clearinghouse.functions.maintenanceMarginFactor(), block)
    risk = assess(account, marks, scenarios, mm_factor)
    losses = scenario_losses(account, marks, scenarios.spot_returns, scenarios.vol_shifts)
    parameters = read_initial_margin_parameters(deployment, block)
    certificate = margin_certificate(scenarios.epoch, scenarios.tree, losses, parameters.alpha_bps)
    im = initial_margin(account, marks, losses, certificate.threshold, parameters)
    order = sorted(range(len(losses)), key=lambda i: losses[i], reverse=True)
    certified = risk.certified_maintenance_margin
    is_backstop = account.address == deployment.backstop
    return {
        "account": account.address,
        "block": block,
        "epoch": scenarios.epoch,
        "equity": risk.equity,
        "expected_shortfall": risk.expected_shortfall,
        "maintenance_margin": risk.maintenance_margin,
        "certified_maintenance_margin": certified,
        "initial_margin": im,
        "health": None if certified <= 0 else str(Decimal(risk.equity) / Decimal(certified)),
        "backstop": is_backstop,
        "liquidatable": risk.liquidatable and not is_backstop,
        "worst_scenarios": [(i, losses[i]) for i in order[:worst]],
    }


def margin_command(arguments: argparse.Namespace) -> int:
    report = account_margin(
        arguments.rpc_url, arguments.clearinghouse, arguments.account, arguments.worst
    )
    if arguments.json:
        document = {
            key: str(value) if isinstance(value, int) and not isinstance(value, bool) else value
            for key, value in report.items()
        }
        document["block"] = report["block"]
        document["epoch"] = report["epoch"]
        document["worst_scenarios"] = [
            {"index": i, "loss": str(loss)} for i, loss in report["worst_scenarios"]
        ]
        print(json.dumps(document, indent=1, sort_keys=True))
        return 0
    console = Console(width=120)
    table = Table(title=f"{report['account']} at block {report['block']}, epoch {report['epoch']}")
    table.add_column("quantity")
    table.add_column("USD", justify="right")
    for key in (
        "equity",
        "expected_shortfall",
        "maintenance_margin",
        "certified_maintenance_margin",
        "initial_margin",
    ):
        table.add_row(key.replace("_", " "), f"{Decimal(report[key]) / WAD:,.2f}")
    health = report["health"]
    table.add_row(
        "health (equity / certified MM)", "-" if health is None else f"{Decimal(health):.3f}"
    )
    if report["backstop"]:
        table.add_row("liquidatable", "no: the backstop is never liquidated")
    else:
        table.add_row("liquidatable", "yes" if report["liquidatable"] else "no")
    for index, loss in report["worst_scenarios"]:
        table.add_row(f"loss in scenario {index}", f"{Decimal(loss) / WAD:,.2f}")
    console.print(table)
    return 0

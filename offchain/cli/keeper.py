"""``vmargin keeper run``: the keeper service against a live chain.

Every action goes to stdout as one JSON line (WAD amounts as decimal strings, fees in
wei per gas) and to stderr as a log line. ``--once`` runs one pass, waits for its
transactions and exits (for cron and tests); without it the keeper follows new blocks
until interrupted. The state file keeps the known accounts, the cursor with the hashes of
the last blocks read, the chain it follows and every signed transaction: a keeper
restarted on it resumes where it stopped. Keepers that share a key must share the state
file.
"""

import argparse
import json
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

from vmargin.chain.client import Chain
from vmargin.chain.deployment import attach
from vmargin.cli.arguments import (
    ServiceInputError,
    add_key_options,
    decimal_option,
    log_to_stderr,
    read_key,
    seconds,
    whole_number,
)
from vmargin.keeper.service import Keeper, KeeperAction, KeeperPolicy, log, run_keeper
from vmargin.keeper.state import open_state
from vmargin.numerics.fixedpoint import WAD
from vmargin.risk.sharding import executor_for

USD_FIELDS = (
    "reward",
    "expected_reward",
    "gas_cost",
    "min_profit",
    "equity",
    "maintenance_margin",
    "insurance_fee",
    "bad_debt",
)


def add_keeper_command(commands: argparse._SubParsersAction) -> None:
    """Register ``vmargin keeper run``."""
    keeper = commands.add_parser("keeper", help="the keeper service")
    actions = keeper.add_subparsers(dest="keeper_command", required=True)
    run = actions.add_parser("run", help="screen every block and liquidate what pays")
    run.add_argument("--rpc-url", required=True)
    run.add_argument("--clearinghouse", required=True, help="the Clearinghouse's address")
    add_key_options(run, "keeper")
    run.add_argument("--state", type=Path, required=True, help="the keeper's SQLite state file")
    run.add_argument("--once", action="store_true", help="one pass, wait for it, exit")
    run.add_argument(
        "--start-block", type=whole_number, default=0, help="first block a new state file reads"
    )
    profit = run.add_mutually_exclusive_group()
    profit.add_argument(
        "--min-profit",
        default="0",
        help="USD a liquidation must earn above its gas cost (default 0; may be negative)",
    )
    profit.add_argument(
        "--any-profit",
        action="store_true",
        help="liquidate every liquidatable account, paid or not (a protocol's own keeper)",
    )
    run.add_argument("--native-price", help="USD per native token (default: the oracle's ETH)")
    run.add_argument("--priority-fee-gwei", default="1", help="tip per gas (default 1 gwei)")
    run.add_argument(
        "--replace-after",
        type=whole_number,
        default=3,
        help="blocks a transaction may wait before it is replaced with higher fees",
    )
    run.add_argument("--poll-interval", type=seconds, default=1.0, help="seconds between polls")
    run.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes that share the screen's accounts (default 1: this process)",
    )
    run.add_argument(
        "--scheduler",
        help="a Dask scheduler (tcp://host:8786) whose workers share the screen's accounts "
        "(needs vmargin[distributed]; --workers then sets the number of shards)",
    )
    run.set_defaults(run=keeper_run_command)


def keeper_run_command(arguments: argparse.Namespace) -> int:
    """Run the keeper as ``arguments`` say."""
    key = read_key(arguments)
    policy = KeeperPolicy(
        min_profit=None
        if arguments.any_profit
        else _scaled("--min-profit", arguments.min_profit, 18),
        native_price=None
        if arguments.native_price is None
        else _scaled("--native-price", arguments.native_price, 18),
        priority_fee=_scaled("--priority-fee-gwei", arguments.priority_fee_gwei, 9),
        replace_after=arguments.replace_after,
    )
    deployment = attach(Chain.connect(arguments.rpc_url), arguments.clearinghouse)
    state = open_state(arguments.state, deployment.clearinghouse.address, arguments.start_block)
    log_to_stderr()
    log.info(
        "keeper %s on %s, clearinghouse %s, state %s",
        key.address,
        arguments.rpc_url,
        deployment.clearinghouse.address,
        arguments.state,
    )
    if arguments.workers < 1:
        raise ServiceInputError(f"--workers must be at least 1, got {arguments.workers}")
    with executor_for(arguments.workers, arguments.scheduler) as executor:
        keeper = Keeper(
            deployment=deployment,
            key=key,
            state=state,
            policy=policy,
            report=report_action,
            executor=executor,
            shards=arguments.workers,
        )
        run_keeper(keeper, once=arguments.once, poll_interval=arguments.poll_interval)
    return 0


def report_action(action: dict[str, Any]) -> None:
    """One JSON line on stdout and one log line on stderr."""
    print(json.dumps(action, sort_keys=True), flush=True)
    shown = " ".join(
        f"{name}={_usd(value) if name in USD_FIELDS else value}"
        for name, value in action.items()
        if name != "action"
    )
    level = (
        logging.WARNING
        if action["action"] in (KeeperAction.REVERTED, KeeperAction.NONCE_TAKEN, KeeperAction.RETRY)
        else (logging.INFO)
    )
    log.log(level, "%s %s", action["action"], shown)


def _usd(wad: str) -> str:
    return f"{Decimal(wad) / WAD:,.2f} USD"


def _scaled(option: str, text: str, decimals: int) -> int:
    """The number ``option`` gave in units of ``10**-decimals``, truncated; below 10**76 in
    magnitude (an int256)."""
    value = decimal_option(option, text)
    if value and value.adjusted() + decimals >= 76:
        raise ServiceInputError(f"{option}: {text!r} is too large")
    return int(value.scaleb(decimals))

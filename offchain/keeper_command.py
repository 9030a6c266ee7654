"""``vmargin keeper run``: the keeper service against a live chain.

Every action goes to stdout as one JSON line (WAD amounts as decimal strings, fees in
wei per gas) and to stderr as a log line. ``--once`` runs one pass, waits for its
transactions and exits (for cron and tests); without it the keeper follows new blocks
until interrupted. The state file keeps the known accounts, the cursor and every signed
transaction: a keeper restarted on it resumes where it stopped. Keepers that share a key
must share the state file.
"""

import argparse
import json
import logging
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from eth_account import Account
from rich.console import Console
from rich.logging import RichHandler

from offchain.chain import Chain
from offchain.deployment import attach
from offchain.fixedpoint import WAD
from offchain.keeper_service import Keeper, KeeperPolicy, log, run_keeper
from offchain.keeper_state import open_state

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


class KeeperInputError(ValueError):
    """A keeper option the user gave is unusable; the message names it."""


def add_keeper_command(commands: argparse._SubParsersAction) -> None:
    """Register ``vmargin keeper run``."""
    keeper = commands.add_parser("keeper", help="the keeper service")
    actions = keeper.add_subparsers(dest="keeper_command", required=True)
    run = actions.add_parser("run", help="screen every block and liquidate what pays")
    run.add_argument("--rpc-url", required=True)
    run.add_argument("--clearinghouse", required=True, help="the Clearinghouse's address")
    key = run.add_mutually_exclusive_group(required=True)
    key.add_argument("--key", help="the keeper's private key, 0x-hex (visible to ps)")
    key.add_argument("--key-file", type=Path, help="a file holding the private key")
    run.add_argument("--state", type=Path, required=True, help="the keeper's SQLite state file")
    run.add_argument("--once", action="store_true", help="one pass, wait for it, exit")
    run.add_argument(
        "--start-block", type=int, default=0, help="first block a new state file reads"
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
        type=int,
        default=3,
        help="blocks a transaction may wait before it is replaced with higher fees",
    )
    run.add_argument("--poll-interval", type=float, default=1.0, help="seconds between polls")
    run.set_defaults(run=keeper_run_command)


def keeper_run_command(arguments: argparse.Namespace) -> int:
    """Run the keeper as ``arguments`` say."""
    key = _key(arguments)
    policy = KeeperPolicy(
        min_profit=None if arguments.any_profit else _wad("--min-profit", arguments.min_profit),
        native_price=None
        if arguments.native_price is None
        else _wad("--native-price", arguments.native_price),
        priority_fee=int(_decimal("--priority-fee-gwei", arguments.priority_fee_gwei) * 10**9),
        replace_after=arguments.replace_after,
    )
    deployment = attach(Chain.connect(arguments.rpc_url), arguments.clearinghouse)
    state = open_state(arguments.state, deployment.clearinghouse.address, arguments.start_block)
    _log_to_stderr()
    log.info(
        "keeper %s on %s, clearinghouse %s, state %s",
        key.address,
        arguments.rpc_url,
        deployment.clearinghouse.address,
        arguments.state,
    )
    keeper = Keeper(deployment, key, state, policy, report_action)
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
        if action["action"] in ("reverted", "nonce_taken", "retry")
        else (logging.INFO)
    )
    log.log(level, "%s %s", action["action"], shown)


def _usd(wad: str) -> str:
    return f"{Decimal(wad) / WAD:,.2f} USD"


def _log_to_stderr() -> None:
    handler = RichHandler(console=Console(stderr=True), show_path=False)
    logging.basicConfig(level=logging.INFO, format="%(message)s", handlers=[handler])


def _key(arguments: argparse.Namespace) -> Any:
    if arguments.key_file is not None:
        try:
            text = arguments.key_file.read_text().strip()
        except OSError as error:
            raise KeeperInputError(f"--key-file: {error}") from None
        source = str(arguments.key_file)
    else:
        text, source = arguments.key, "--key"
    try:
        return Account.from_key(text)
    except (ValueError, TypeError):
        raise KeeperInputError(f"{source} is not a private key (32 bytes, 0x-hex)") from None


def _decimal(option: str, text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise KeeperInputError(f"{option}: {text!r} is not a number") from None
    if not value.is_finite():
        raise KeeperInputError(f"{option}: {text!r} is not a finite number")
    return value


def _wad(option: str, text: str) -> int:
    return int(_decimal(option, text).scaleb(18))

"""The keeper's persistent state: the accounts it knows and how far it has read the chain.

A SQLite file holds the cursor (the last block whose events are folded in) and every
account that ever deposited, traded or held collateral, with the block it first appeared
in. ``sync_accounts`` reads the clearinghouse's events from the block after the cursor
to the latest, in chunks, and folds each chunk in one SQLite transaction together with the
new cursor: a keeper killed at any point leaves the file at the end of a whole chunk, and
a rerun resumes from there without rescanning history or losing an account.

The same file holds the keeper's transactions (``offchain/keeper_submissions.py``). It is
opened in WAL mode with a long busy timeout, so that several keepers sharing one key and
one file take turns at it instead of failing.
"""

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from web3.types import BlockIdentifier

from offchain.deployment import Deployment

ACCOUNT_EVENTS = ("Deposited", "CollateralDeposited", "TradeSettled", "OptionTradeSettled")
"""Events that name the accounts a keeper must screen."""

SYNC_CHUNK = 5_000
"""Blocks read per ``eth_getLogs`` round and per SQLite transaction."""

BUSY_TIMEOUT = 120.0
"""Seconds a keeper waits for another keeper's write transaction on the same file."""


class KeeperStateError(ValueError):
    """The state file belongs to another clearinghouse or is not a keeper state file."""


@dataclass
class KeeperState:
    """An open keeper state file."""

    connection: sqlite3.Connection
    clearinghouse: str

    @property
    def cursor(self) -> int:
        """The last block whose events are folded in (-1 before the first sync)."""
        row = self.connection.execute("SELECT cursor FROM meta").fetchone()
        return int(row[0])

    def accounts(self) -> list[str]:
        """Every known account, in order of first appearance."""
        rows = self.connection.execute("SELECT address FROM accounts ORDER BY position")
        return [address for (address,) in rows]


def open_state(path: Path | str, clearinghouse: str, start_block: int = 0) -> KeeperState:
    """Open (or create) the state file of the keeper of ``clearinghouse``; a new file starts
    reading at ``start_block``. ``":memory:"`` is a state that lives as long as the process."""
    try:
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT)
    except sqlite3.OperationalError as error:
        raise KeeperStateError(f"{path}: cannot open: {error}") from None
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        row = _initialize(connection, clearinghouse, start_block)
    except sqlite3.DatabaseError as error:
        connection.close()
        raise KeeperStateError(f"{path} is not a keeper state file: {error}") from None
    if row is not None and row[0] != clearinghouse:
        connection.close()
        raise KeeperStateError(f"{path} is the state of the keeper of {row[0]}")
    return KeeperState(connection=connection, clearinghouse=clearinghouse)


def _initialize(
    connection: sqlite3.Connection, clearinghouse: str, start_block: int
) -> tuple[str] | None:
    """Create the tables if they are missing; return the stored clearinghouse, if any."""
    with connection:
        connection.execute(
            "CREATE TABLE IF NOT EXISTS meta (clearinghouse TEXT NOT NULL, cursor INTEGER NOT NULL)"
        )
        connection.execute(
            "CREATE TABLE IF NOT EXISTS accounts ("
            "position INTEGER PRIMARY KEY AUTOINCREMENT, address TEXT UNIQUE NOT NULL, "
            "first_block INTEGER NOT NULL)"
        )
        connection.execute(
            "CREATE TABLE IF NOT EXISTS submissions ("
            "tx_hash TEXT PRIMARY KEY, sender TEXT NOT NULL, nonce INTEGER NOT NULL, "
            "account TEXT NOT NULL, kind TEXT NOT NULL, recipient TEXT NOT NULL, "
            "data TEXT NOT NULL, gas INTEGER NOT NULL, max_fee TEXT NOT NULL, "
            "priority_fee TEXT NOT NULL, raw_transaction TEXT NOT NULL, "
            "screened_block INTEGER NOT NULL, signed_block INTEGER NOT NULL, "
            "status TEXT NOT NULL, mined_block INTEGER)"
        )
        row = connection.execute("SELECT clearinghouse FROM meta").fetchone()
        if row is None:
            connection.execute("INSERT INTO meta VALUES (?, ?)", (clearinghouse, start_block - 1))
    return row


def accounts_named(
    deployment: Deployment, first: int, last: BlockIdentifier
) -> list[tuple[int, str]]:
    """(block, address) of every account an account event of blocks ``first`` to ``last``
    names, in chain order (a trade names its buyer, then its seller)."""
    clearinghouse = deployment.clearinghouse
    logs = []
    for name in ACCOUNT_EVENTS:
        event = getattr(clearinghouse.events, name)()
        logs.extend(event.get_logs(from_block=first, to_block=last))
    logs.sort(key=lambda log: (log["blockNumber"], log["logIndex"]))
    named = []
    for log in logs:
        args = log["args"]
        addresses = (args["account"],) if "account" in args else (args["buyer"], args["seller"])
        named.extend((log["blockNumber"], address) for address in addresses)
    return named


def sync_accounts(deployment: Deployment, state: KeeperState, to_block: int) -> int:
    """Fold the account events of blocks ``cursor + 1 .. to_block`` into ``state``, one
    chunk per SQLite transaction; returns how many new accounts were found."""
    found = 0
    first = state.cursor + 1
    while first <= to_block:
        last = min(first + SYNC_CHUNK - 1, to_block)
        named = accounts_named(deployment, first, last)
        with state.connection:
            for block, address in named:
                cursor = state.connection.execute(
                    "INSERT OR IGNORE INTO accounts (address, first_block) VALUES (?, ?)",
                    (address, block),
                )
                found += cursor.rowcount
            state.connection.execute("UPDATE meta SET cursor = max(cursor, ?)", (last,))
        first = last + 1
    return found

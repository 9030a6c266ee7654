"""The keeper's persistent state: the accounts it knows and how far it has read the chain.

A SQLite file holds the cursor (the last block whose events are folded in) and every
account that ever deposited, traded or held collateral, with the block it first appeared
in. ``sync_accounts`` reads the clearinghouse's events from the block after the cursor
to the latest, in chunks, and folds each chunk in one SQLite transaction together with the
new cursor: a keeper killed at any point leaves the file at the end of a whole chunk, and
a rerun resumes from there without rescanning history or losing an account.

The file is bound to one clearinghouse and, at its first sync, to one chain (its chain id
and genesis block hash): a node restarted without its state, or another network at the
same URL, is refused (``ForeignChainError``) before the file or a transaction is touched.
It keeps the hashes of the last ``REORG_DEPTH`` blocks it read, each read before the
block's events (a reorg between the two leaves a hash the next sync finds stale). A sync
first checks that the cursor's block is still the chain's; if a reorg took it, the cursor
goes back to the last block read that the chain still has (the fork), the accounts first
seen after it are forgotten, and the events from there are read again: an account opened
on the new branch below the old cursor is found, and one that vanished with the old
branch is dropped. A reorg deeper than ``REORG_DEPTH`` blocks is refused
(``ReorgTooDeepError``).

The same file holds the keeper's transactions (``offchain/keeper/submissions.py``). It is
opened in WAL mode with a long busy timeout, so that several keepers sharing one key and
one file take turns at it instead of failing; a chunk or a rewind is written only if the
cursor is still where its reads started, so keepers sharing a file never fold one branch's
events behind another's cursor.

Files are versioned (``PRAGMA user_version``). A file of schema 1 (before block hashes and
the chain binding) is migrated when opened: its cursor goes back ``REORG_DEPTH`` blocks,
and the accounts first seen after that are read again, now with their blocks' hashes.
"""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from web3.types import BlockIdentifier

from vmargin.chain.client import Chain, RpcError
from vmargin.chain.deployment import Deployment
from vmargin.errors import InputError

ACCOUNT_EVENTS = ("Deposited", "CollateralDeposited", "TradeSettled", "OptionTradeSettled")
"""Events that name the accounts a keeper must screen."""

SYNC_CHUNK = 5_000
"""Blocks read per ``eth_getLogs`` round and per SQLite transaction."""

BUSY_TIMEOUT = 120.0
"""Seconds a keeper waits for another keeper's write transaction on the same file."""

REORG_DEPTH = 64
"""Blocks back from the cursor (accounts) and from the head (mined submissions) that the
keeper checks for a reorg; a deeper one is refused."""

SCHEMA_VERSION = 2
"""The state file's schema: 2 added the chain binding and the block hashes. Schema 1 files
carry ``user_version`` 0."""


class KeeperStateError(InputError):
    """The state file belongs to another clearinghouse or chain, is not a keeper state file,
    or cannot follow the chain."""


class ForeignChainError(KeeperStateError):
    """The node serves another chain than the one the state file was written on."""


class ReorgTooDeepError(KeeperStateError):
    """None of the last blocks the state file read is still on the chain."""


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


@dataclass(frozen=True)
class Rewind:
    """A reorg took the block at ``cursor``: the state went back to ``fork``, the last block
    it had read that is still on the chain."""

    cursor: int
    fork: int


@dataclass(frozen=True)
class Sync:
    """What a sync did: how many new accounts it found, and the rewind before, if any."""

    found: int
    rewind: Rewind | None


@contextmanager
def exclusive(connection: sqlite3.Connection) -> Iterator[None]:
    """A write transaction that takes the file's write lock at once (``BEGIN IMMEDIATE``):
    what it reads cannot change before it commits. Rolled back on any exception."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        connection.rollback()
        raise
    connection.commit()


def open_state(path: Path | str, clearinghouse: str, start_block: int = 0) -> KeeperState:
    """Open (or create, or migrate) the state file of the keeper of ``clearinghouse``; a new
    file starts reading at ``start_block``. ``":memory:"`` is a state that lives as long as
    the process."""
    try:
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT)
    except sqlite3.OperationalError as error:
        raise KeeperStateError(f"{path}: cannot open: {error}") from None
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        owner = _initialize(connection, clearinghouse, start_block)
    except sqlite3.DatabaseError as error:
        connection.close()
        raise KeeperStateError(f"{path} is not a keeper state file: {error}") from None
    except KeeperStateError as error:
        connection.close()
        raise KeeperStateError(f"{path} {error}") from None
    if owner != clearinghouse:
        connection.close()
        raise KeeperStateError(f"{path} is the state of the keeper of {owner}")
    return KeeperState(connection=connection, clearinghouse=clearinghouse)


def _initialize(connection: sqlite3.Connection, clearinghouse: str, start_block: int) -> str:
    """Create the tables if they are missing, or migrate a schema 1 file; return the
    clearinghouse the file belongs to."""
    with exclusive(connection):
        (version,) = connection.execute("PRAGMA user_version").fetchone()
        if version > SCHEMA_VERSION:
            raise KeeperStateError(
                f"has schema {version}; this vmargin reads schema {SCHEMA_VERSION} and older"
            )
        tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master")}
        if version == 0 and "meta" in tables:
            _migrate_from_schema_1(connection)
        connection.execute(
            "CREATE TABLE IF NOT EXISTS meta (clearinghouse TEXT NOT NULL, "
            "cursor INTEGER NOT NULL, chain_id INTEGER, genesis TEXT)"
        )
        connection.execute(
            "CREATE TABLE IF NOT EXISTS accounts ("
            "position INTEGER PRIMARY KEY AUTOINCREMENT, address TEXT UNIQUE NOT NULL, "
            "first_block INTEGER NOT NULL)"
        )
        connection.execute(
            "CREATE TABLE IF NOT EXISTS blocks (number INTEGER PRIMARY KEY, hash TEXT NOT NULL)"
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
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        row = connection.execute("SELECT clearinghouse FROM meta").fetchone()
        if row is None:
            connection.execute(
                "INSERT INTO meta (clearinghouse, cursor) VALUES (?, ?)",
                (clearinghouse, start_block - 1),
            )
            return clearinghouse
    return row[0]


def _migrate_from_schema_1(connection: sqlite3.Connection) -> None:
    """Schema 1 kept no block hashes, so nothing tells whether its last blocks are still the
    chain's: read the last ``REORG_DEPTH`` of them again, recording their hashes."""
    connection.execute("ALTER TABLE meta ADD COLUMN chain_id INTEGER")
    connection.execute("ALTER TABLE meta ADD COLUMN genesis TEXT")
    (cursor,) = connection.execute("SELECT cursor FROM meta").fetchone()
    fork = max(cursor - REORG_DEPTH, -1)
    connection.execute("UPDATE meta SET cursor = ?", (fork,))
    connection.execute("DELETE FROM accounts WHERE first_block > ?", (fork,))


def check_chain(chain: Chain, state: KeeperState) -> None:
    """Bind ``state`` to the chain the node serves (its chain id and genesis hash) at its
    first use, and raise ForeignChainError if the node serves another one since."""
    chain_id, genesis = chain.results(
        [("eth_chainId", []), ("eth_getBlockByNumber", ["0x0", False])]
    )
    serves = (int(chain_id, 16), genesis["hash"])
    bound = state.connection.execute("SELECT chain_id, genesis FROM meta").fetchone()
    if bound == (None, None):
        with state.connection:
            state.connection.execute(
                "UPDATE meta SET chain_id = ?, genesis = ? WHERE genesis IS NULL", serves
            )
        bound = state.connection.execute("SELECT chain_id, genesis FROM meta").fetchone()
    if tuple(bound) != serves:
        raise ForeignChainError(
            f"the state file was written on chain {bound[0]} with genesis block {bound[1]}, "
            f"but the node serves chain {serves[0]} with genesis block {serves[1]}: a node "
            "restarted without its chain, or another network; refusing to go on"
        )


def rewind_past_reorg(chain: Chain, state: KeeperState) -> Rewind | None:
    """If the cursor's block is no longer the chain's, go back to the fork (see the module
    docstring) and return the rewind; None if the cursor's block stands, or no hash of it is
    kept (a new or migrated file)."""
    cursor, kept = state.connection.execute(
        "SELECT cursor, hash FROM meta LEFT JOIN blocks ON number = cursor"
    ).fetchone()
    if kept is None or chain.block_hashes([cursor])[cursor] == kept:
        return None
    stored = dict(state.connection.execute("SELECT number, hash FROM blocks"))
    canonical = chain.block_hashes(sorted(stored))
    standing = [number for number, kept in stored.items() if canonical[number] == kept]
    if not standing:
        raise ReorgTooDeepError(
            f"none of blocks {min(stored)} to {cursor} that the state file read is still on "
            f"the chain: a reorg deeper than {REORG_DEPTH} blocks, or another chain"
        )
    fork = max(standing)
    with state.connection:
        if not state.connection.execute(
            "UPDATE meta SET cursor = ? WHERE cursor = ?", (fork, cursor)
        ).rowcount:
            return None  # another keeper sharing the file moved the cursor meanwhile
        state.connection.execute("DELETE FROM accounts WHERE first_block > ?", (fork,))
        state.connection.execute("DELETE FROM blocks WHERE number > ?", (fork,))
    return Rewind(cursor=cursor, fork=fork)


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
    named: list[tuple[int, str]] = []
    for log in logs:
        args = log["args"]
        addresses = (args["account"],) if "account" in args else (args["buyer"], args["seller"])
        named.extend((log["blockNumber"], address) for address in addresses)
    return named


def sync_accounts(deployment: Deployment, state: KeeperState, to_block: int) -> Sync:
    """Check the chain (``check_chain``), rewind past a reorg (``rewind_past_reorg``), then
    fold the account events of blocks ``cursor + 1 .. to_block`` into ``state``, one chunk
    per SQLite transaction, with the hashes of the chunk's last ``REORG_DEPTH`` blocks."""
    chain = deployment.chain
    check_chain(chain, state)
    rewind = rewind_past_reorg(chain, state)
    found = 0
    first = state.cursor + 1
    while first <= to_block:
        last = min(first + SYNC_CHUNK - 1, to_block)
        hashes = chain.block_hashes(range(max(first, last - REORG_DEPTH + 1), last + 1))
        missing = [number for number, block_hash in hashes.items() if block_hash is None]
        if missing:
            raise RpcError(f"the node has no block {missing[0]} (its head moved back)")
        named = accounts_named(deployment, first, last)
        with state.connection:
            if state.connection.execute(
                "UPDATE meta SET cursor = ? WHERE cursor = ?", (last, first - 1)
            ).rowcount:
                for block, address in named:
                    found += state.connection.execute(
                        "INSERT OR IGNORE INTO accounts (address, first_block) VALUES (?, ?)",
                        (address, block),
                    ).rowcount
                state.connection.executemany(
                    "INSERT OR REPLACE INTO blocks VALUES (?, ?)", hashes.items()
                )
                state.connection.execute(
                    "DELETE FROM blocks WHERE number <= ?", (last - REORG_DEPTH,)
                )
        first = state.cursor + 1
    return Sync(found=found, rewind=rewind)

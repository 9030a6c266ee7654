"""The keeper's SQLite state: accounts folded in chunk by chunk, resumable after a crash;
its schema versions. Reorgs and a foreign chain are in ``test_keeper_faults.py``."""

import inspect
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from web3.contract.contract import ContractEvent
from web3.types import EventData

import vmargin.keeper.state as keeper_state
from vmargin.chain.client import anvil_accounts
from vmargin.cli.demo import DemoResult
from vmargin.keeper.screen import known_accounts
from vmargin.keeper.service import run_once
from vmargin.keeper.state import (
    REORG_DEPTH,
    SCHEMA_VERSION,
    accounts_named,
    open_state,
    sync_accounts,
)


def test_a_sync_finds_every_account_and_a_second_reads_nothing(
    demo: DemoResult, tmp_path: Path
) -> None:
    deployment = demo.deployment
    latest = deployment.chain.w3.eth.block_number
    state = open_state(tmp_path / "keeper.sqlite", deployment.clearinghouse.address)
    assert state.cursor == -1
    assert sync_accounts(deployment, state, latest).found == len(known_accounts(deployment))
    assert state.accounts() == known_accounts(deployment)
    assert state.cursor == latest
    assert sync_accounts(deployment, state, latest).found == 0


def test_a_crash_mid_sync_loses_nothing_and_the_rerun_resumes(
    demo: DemoResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployment = demo.deployment
    latest = deployment.chain.w3.eth.block_number
    path = tmp_path / "keeper.sqlite"
    monkeypatch.setattr(keeper_state, "SYNC_CHUNK", 5)
    event = type(deployment.clearinghouse.events.Deposited())
    real_get_logs = inspect.getattr_static(event, "get_logs")
    calls = {"n": 0}

    def failing_get_logs(
        self: ContractEvent, *arguments: Any, **keywords: Any
    ) -> Iterable[EventData]:
        calls["n"] += 1
        if calls["n"] == 5:  # Deposited is read first in every chunk: the fifth chunk
            raise ConnectionError("the node went away")
        return real_get_logs.__get__(self, type(self))(*arguments, **keywords)

    monkeypatch.setattr(event, "get_logs", failing_get_logs)
    state = open_state(path, deployment.clearinghouse.address)
    with pytest.raises(ConnectionError):
        sync_accounts(deployment, state, latest)
    assert state.cursor == 4 * 5 - 1  # four whole chunks of five blocks
    partial = state.accounts()
    state.connection.close()

    monkeypatch.setattr(event, "get_logs", real_get_logs)
    resumed = open_state(path, deployment.clearinghouse.address)
    assert resumed.accounts() == partial
    sync_accounts(deployment, resumed, latest)
    assert resumed.accounts() == known_accounts(deployment)
    assert resumed.cursor == latest


def test_a_keeper_pass_with_a_state_file_screens_the_same_accounts(
    demo: DemoResult, tmp_path: Path
) -> None:
    """After the demo's liquidations nothing is left to liquidate: a pass with a state
    file screens exactly the accounts of a full scan but the backstop, and its cursor
    reaches the block."""
    deployment = demo.deployment
    keeper = anvil_accounts(4)[3]
    state = open_state(tmp_path / "keeper.sqlite", deployment.clearinghouse.address)
    with_state = run_once(deployment, keeper, state)
    assert state.cursor == with_state.block
    screened = [risk.account.address for risk in with_state.risks]
    assert screened == [a for a in known_accounts(deployment) if a != deployment.backstop]
    assert with_state.liquidations == []


SCHEMA_1 = (
    "CREATE TABLE meta (clearinghouse TEXT NOT NULL, cursor INTEGER NOT NULL)",
    "CREATE TABLE accounts (position INTEGER PRIMARY KEY AUTOINCREMENT, "
    "address TEXT UNIQUE NOT NULL, first_block INTEGER NOT NULL)",
    "CREATE TABLE submissions (tx_hash TEXT PRIMARY KEY, sender TEXT NOT NULL, "
    "nonce INTEGER NOT NULL, account TEXT NOT NULL, kind TEXT NOT NULL, "
    "recipient TEXT NOT NULL, data TEXT NOT NULL, gas INTEGER NOT NULL, "
    "max_fee TEXT NOT NULL, priority_fee TEXT NOT NULL, raw_transaction TEXT NOT NULL, "
    "screened_block INTEGER NOT NULL, signed_block INTEGER NOT NULL, status TEXT NOT NULL, "
    "mined_block INTEGER)",
)
"""The tables of a state file as vmargin wrote them before block hashes (schema 1)."""


def test_a_schema_1_state_file_is_migrated_and_its_last_blocks_read_again(
    demo: DemoResult, tmp_path: Path
) -> None:
    """A schema 1 file synced to the latest block, that missed the last account and holds
    one the chain no longer has (a reorg it could not see), and a mined liquidation. Opened,
    it keeps the liquidation and goes back ``REORG_DEPTH`` blocks; the next sync finds the
    missed account, drops the other, and binds the file to the chain."""
    deployment = demo.deployment
    address = deployment.clearinghouse.address
    latest = deployment.chain.w3.eth.block_number
    first_blocks: dict[str, int] = {}
    for block, account in accounts_named(deployment, 0, latest):
        first_blocks.setdefault(account, block)
    *seen, missed = known_accounts(deployment)
    vanished = "0x" + "ab" * 20
    submission = (
        "0x" + "01" * 32,  # tx_hash
        seen[0],  # sender
        0,  # nonce
        seen[1],  # account
        "liquidation",  # kind
        address,  # recipient
        "0x",  # data
        500_000,  # gas
        "2",  # max_fee
        "1",  # priority_fee
        "0x02",  # raw_transaction
        latest - 2,  # screened_block
        latest - 2,  # signed_block
        "mined",  # status
        latest - 1,  # mined_block
    )
    path = tmp_path / "schema1.sqlite"
    connection = sqlite3.connect(path)
    with connection:
        for statement in SCHEMA_1:
            connection.execute(statement)
        connection.execute("INSERT INTO meta VALUES (?, ?)", (address, latest))
        connection.executemany(
            "INSERT INTO accounts (address, first_block) VALUES (?, ?)",
            [(account, first_blocks[account]) for account in seen] + [(vanished, latest)],
        )
        connection.execute(f"INSERT INTO submissions VALUES ({', '.join('?' * 15)})", submission)
    connection.close()

    state = open_state(path, address)
    assert state.connection.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    assert state.cursor == max(latest - REORG_DEPTH, -1)
    assert list(state.connection.execute("SELECT * FROM submissions")) == [submission]
    sync = sync_accounts(deployment, state, latest)
    assert sync.rewind is None
    assert state.accounts() == [*seen, missed]
    assert state.cursor == latest
    chain_id, genesis = state.connection.execute("SELECT chain_id, genesis FROM meta").fetchone()
    assert chain_id == deployment.chain.chain_id
    assert genesis == deployment.chain.w3.eth.get_block(0)["hash"].to_0x_hex()

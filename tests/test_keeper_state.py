"""The keeper's SQLite state: accounts folded in chunk by chunk, resumable after a crash."""

import inspect
from pathlib import Path

import pytest

import offchain.keeper_state as keeper_state
from offchain.chain import anvil_accounts
from offchain.demo import DemoResult
from offchain.keeper import known_accounts
from offchain.keeper_service import run_once
from offchain.keeper_state import KeeperStateError, open_state, sync_accounts


def test_a_sync_finds_every_account_and_a_second_reads_nothing(
    demo: DemoResult, tmp_path: Path
) -> None:
    deployment = demo.deployment
    latest = deployment.chain.w3.eth.block_number
    state = open_state(tmp_path / "keeper.sqlite", deployment.clearinghouse.address)
    assert state.cursor == -1
    assert sync_accounts(deployment, state, latest) == len(known_accounts(deployment))
    assert state.accounts() == known_accounts(deployment)
    assert state.cursor == latest
    assert sync_accounts(deployment, state, latest) == 0


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

    def failing_get_logs(self, *arguments, **keywords):
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


def test_a_state_file_of_another_clearinghouse_is_refused(tmp_path: Path) -> None:
    open_state(tmp_path / "keeper.sqlite", "0x" + "11" * 20).connection.close()
    with pytest.raises(KeeperStateError, match="is the state of the keeper of 0x1111"):
        open_state(tmp_path / "keeper.sqlite", "0x" + "22" * 20)


def test_a_file_that_is_not_a_state_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("these are not the droids\n" * 100)
    with pytest.raises(KeeperStateError, match="is not a keeper state file"):
        open_state(path, "0x" + "11" * 20)


def test_a_keeper_pass_with_a_state_file_screens_the_same_accounts(
    demo: DemoResult, tmp_path: Path
) -> None:
    """After the demo's liquidations nothing is left to liquidate: a pass with a state
    file screens exactly the accounts of a full scan, and its cursor reaches the block."""
    deployment = demo.deployment
    keeper = anvil_accounts(4)[3]
    state = open_state(tmp_path / "keeper.sqlite", deployment.clearinghouse.address)
    with_state = run_once(deployment, keeper, state)
    assert state.cursor == with_state.block
    assert [risk.account.address for risk in with_state.risks] == known_accounts(deployment)
    assert with_state.liquidations == []

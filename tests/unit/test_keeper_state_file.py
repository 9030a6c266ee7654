"""The keeper's SQLite state file refuses what is not its own: another file, a newer
schema, another clearinghouse."""

import sqlite3
from pathlib import Path

import pytest

from vmargin.keeper.state import (
    SCHEMA_VERSION,
    KeeperStateError,
    open_state,
)


def test_a_state_file_of_another_clearinghouse_is_refused(tmp_path: Path) -> None:
    open_state(tmp_path / "keeper.sqlite", "0x" + "11" * 20).connection.close()
    with pytest.raises(KeeperStateError, match="is the state of the keeper of 0x1111"):
        open_state(tmp_path / "keeper.sqlite", "0x" + "22" * 20)


def test_a_file_that_is_not_a_state_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("these are not the droids\n" * 100)
    with pytest.raises(KeeperStateError, match="is not a keeper state file"):
        open_state(path, "0x" + "11" * 20)


def test_a_state_file_of_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keeper.sqlite"
    open_state(path, "0x" + "11" * 20).connection.close()
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    with pytest.raises(
        KeeperStateError,
        match=f"has schema {SCHEMA_VERSION + 1}; this vmargin reads schema {SCHEMA_VERSION} and",
    ):
        open_state(path, "0x" + "11" * 20)

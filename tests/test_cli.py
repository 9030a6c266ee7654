"""The vmargin command line: clean one-line errors, and the node stopped on a signal."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import vmargin.chain.toolchain
from support.project import PROJECT_ROOT
from vmargin.cli.main import main


def test_missing_install_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "node_modules").mkdir()
    monkeypatch.setattr(vmargin.chain.toolchain, "CHECKOUT", tmp_path)
    assert main(["demo"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("vmargin: ")
    assert "run `make install`" in error
    assert "Traceback" not in error


def test_outside_a_checkout_anvil_comes_from_path_or_is_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(vmargin.chain.toolchain, "CHECKOUT", tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["demo"]) == 1
    assert capsys.readouterr().err.startswith("vmargin: anvil is not on PATH")
    anvil = tmp_path / "anvil"
    anvil.write_text("#!/bin/sh\n")
    anvil.chmod(0o755)
    assert vmargin.chain.toolchain.foundry_binary("anvil") == anvil


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["liquidate-everyone"])
    assert exit_.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def anvil_children(pid: int) -> list[int]:
    """The Anvil processes among ``pid``'s children (imports may start others, briefly: one
    that exits while it is read is skipped, whether its /proc entry is gone at the open or
    at the read)."""
    with open(f"/proc/{pid}/task/{pid}/children") as handle:
        children = [int(child) for child in handle.read().split()]
    found = []
    for child in children:
        try:
            with open(f"/proc/{child}/comm") as comm:
                if comm.read().strip() == "anvil":
                    found.append(child)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


@pytest.mark.parametrize("sent", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_demo_and_its_node(sent: signal.Signals) -> None:
    demo = subprocess.Popen(
        [sys.executable, "-m", "vmargin.cli.main", "demo"],
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not anvil_children(demo.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    (node,) = anvil_children(demo.pid)
    time.sleep(0.5)
    demo.send_signal(sent)
    _, error = demo.communicate(timeout=30)
    assert demo.returncode == 130
    assert "vmargin: interrupted" in error
    assert "Traceback" not in error
    with pytest.raises(ProcessLookupError):
        os.kill(node, 0)

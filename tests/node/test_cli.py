"""The vmargin command line with a node: the demo and its node stopped on a signal."""

import os
import signal
import subprocess
import sys
import time

import pytest

from support.project import PROJECT_ROOT


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

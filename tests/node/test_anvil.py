"""The Anvil lifecycle: free port, readiness, refusal of a busy port, always stopped."""

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from support.project import PROJECT_ROOT
from vmargin.chain.anvil import AnvilError, AnvilNode, port_answers


def process_gone(pid: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # A zombie still answers kill(0); its parent reaps it on wait().
        with open(f"/proc/{pid}/stat") as stat:
            if stat.read().split(")")[1].split()[0] == "Z":
                return True
        time.sleep(0.05)
    return False


def test_node_answers_on_a_free_port_and_is_stopped() -> None:
    with AnvilNode() as node:
        assert node.process is not None
        pid, port = node.process.pid, node.port
        assert port and port_answers(port)
    assert process_gone(pid)
    assert not port_answers(port)


def test_two_nodes_get_two_ports() -> None:
    with AnvilNode() as first, AnvilNode() as second:
        assert first.port != second.port


def test_a_port_that_answers_is_refused() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(AnvilError, match=f"port {port} already answers"):
            AnvilNode(port=port).start()


def test_node_is_stopped_when_the_block_raises() -> None:
    node = AnvilNode()
    with pytest.raises(RuntimeError, match="boom"), node:
        assert node.process is not None
        pid = node.process.pid
        raise RuntimeError("boom")
    assert process_gone(pid)


def test_a_node_that_exits_at_once_is_reported_with_its_output(tmp_path: Path) -> None:
    fake = tmp_path / "anvil"
    fake.write_text("#!/bin/sh\necho 'error: cannot start' >&2\nexit 3\n")
    fake.chmod(0o755)
    with pytest.raises(AnvilError, match=r"exited with code 3:\nerror: cannot start"):
        AnvilNode(binary=fake).start()


def test_node_dies_with_a_killed_parent() -> None:
    """SIGKILL skips every cleanup in the parent; the kernel still stops the node."""
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                """
                import time
                from vmargin.chain.anvil import AnvilNode
                node = AnvilNode().start()
                print(node.process.pid, flush=True)
                time.sleep(60)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
    )
    assert parent.stdout is not None
    pid = int(parent.stdout.readline())
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    assert process_gone(pid)

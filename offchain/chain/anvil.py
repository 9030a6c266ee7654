"""A local Anvil node for the demo, the CLI and the tests: started, checked, always stopped.

``AnvilNode`` starts the Anvil binary on a loopback port. By default Anvil binds
port 0 and the node reports the port the kernel gave it (its ``Listening on``
line), so two nodes never race for a port. A port given explicitly is refused if
anything already answers there. The node is ready once its process is alive and
its RPC answers ``eth_chainId``. The hardfork is pinned (Prague, as
``foundry.toml``'s ``evm_version``) so that gas numbers do not move with Anvil's
default. The node is stopped with SIGTERM, then SIGKILL after a grace period, on
``stop()``, on leaving the ``with`` block (also on error or Ctrl-C), at
interpreter exit, and by the kernel if the parent process dies (Linux
``PR_SET_PDEATHSIG``).

With a ``state`` file the node keeps its chain across restarts: it loads the file if it
exists and writes its chain there when stopped (SIGTERM), with the states of past blocks,
so that calls at old blocks still answer. Its mempool is not kept.
"""

import atexit
import contextlib
import ctypes
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import deque
from pathlib import Path
from types import TracebackType

from vmargin.chain.toolchain import foundry_binary
from vmargin.errors import NodeError

LOOPBACK = "127.0.0.1"
_LISTENING = re.compile(r"Listening on (\S+):(\d+)")
_PR_SET_PDEATHSIG = 1


class AnvilError(NodeError):
    """Anvil could not be started or did not answer; the message carries its last output."""


def _die_with_parent() -> None:
    """In the child before exec: ask Linux to SIGTERM the node when its parent dies."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def port_answers(port: int, host: str = LOOPBACK) -> bool:
    """True if something accepts TCP connections on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


class AnvilNode:
    """An Anvil process on loopback. Use as a context manager, or call start()/stop()."""

    def __init__(
        self,
        *,
        port: int = 0,
        accounts: int = 10,
        chain_id: int = 31337,
        hardfork: str = "prague",
        startup_timeout: float = 20.0,
        binary: Path | None = None,
        state: Path | None = None,
    ) -> None:
        self.requested_port = port
        self.accounts = accounts
        self.chain_id = chain_id
        self.hardfork = hardfork
        self.startup_timeout = startup_timeout
        self.binary = binary
        self.state = state
        self.port: int | None = None
        self.process: subprocess.Popen[str] | None = None
        self._output: deque[str] = deque(maxlen=50)
        self._listening = threading.Event()
        self._reader: threading.Thread | None = None

    @property
    def rpc_url(self) -> str:
        """The node's HTTP JSON-RPC address."""
        if self.port is None:
            raise AnvilError("the node is not running")
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> "AnvilNode":
        """Start the node and wait until its RPC answers; raise AnvilError if it does not."""
        if self.process is not None:
            raise AnvilError("the node is already started")
        if self.requested_port and port_answers(self.requested_port):
            raise AnvilError(f"port {self.requested_port} already answers: refusing to reuse it")
        command = [
            str(self.binary or foundry_binary("anvil")),
            "--host",
            LOOPBACK,
            "--port",
            str(self.requested_port),
            "--accounts",
            str(self.accounts),
            "--chain-id",
            str(self.chain_id),
            "--hardfork",
            self.hardfork,
        ]
        if self.state is not None:
            command += ["--state", str(self.state), "--preserve-historical-states"]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            preexec_fn=_die_with_parent,
        )
        atexit.register(self.stop)
        self._reader = threading.Thread(target=self._read_output, daemon=True)
        self._reader.start()
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _read_output(self) -> None:
        """Keep Anvil's last lines (for error messages) and catch its listening port."""
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self._output.append(line.rstrip())
            match = _LISTENING.search(line)
            if match and not self._listening.is_set():
                self.port = int(match.group(2))
                self._listening.set()

    def _wait_until_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                assert self._reader is not None
                self._reader.join(timeout=2)  # its last lines explain the exit
                raise AnvilError(
                    f"anvil exited with code {self.process.returncode}:\n" + self.last_output()
                )
            if self._listening.is_set() and self._rpc_answers():
                return
            time.sleep(0.05)
        raise AnvilError(
            f"anvil did not answer within {self.startup_timeout} s:\n" + self.last_output()
        )

    def _rpc_answers(self) -> bool:
        request = urllib.request.Request(
            self.rpc_url,
            data=b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}',
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=1) as response:
                return b'"result"' in response.read()
        except OSError:
            return False

    def last_output(self) -> str:
        """Anvil's last lines of output."""
        return "\n".join(self._output)

    def stop(self, grace: float = 5.0) -> None:
        """Stop the node: SIGTERM, wait up to ``grace`` seconds, then SIGKILL. Idempotent."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            with contextlib.suppress(OSError):
                process.stdout.close()
        atexit.unregister(self.stop)
        self.process = None
        self.port = None
        self._listening.clear()

    def __enter__(self) -> "AnvilNode":
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

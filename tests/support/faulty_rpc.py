"""A fault-injecting JSON-RPC proxy for tests: a real HTTP hop between a client and a node
that fails chosen requests the way networks and load balancers do.

``FaultyRpc(upstream)`` listens on a free loopback port and forwards every POST to the
node at ``upstream`` unchanged, except the requests it was told to fail: ``fail(fault,
method, times)`` fails the next ``times`` requests that call ``method`` (alone or inside a
batch; ``None``: any request). The faults:

- ``DROP``: the connection is closed without an answer; the node never sees the request.
- ``BAD_GATEWAY``: HTTP 502 with an HTML body; the node never sees the request.
- ``TIMEOUT``: the node gets the request and answers, but the answer is held back for
  ``delay`` seconds (longer than the client's timeout), then dropped.
- ``TRUNCATED``: the node answers; the client gets HTTP 200 with the first half of its
  JSON (a well-formed HTTP response whose body is not JSON).
- ``GARBLED``: HTTP 200 with an HTML error page instead of JSON; the node never sees it.

The proxy uses the standard library only (``http.server`` on a thread).
"""

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

DROP = "drop"
BAD_GATEWAY = "bad_gateway"
TIMEOUT = "timeout"
TRUNCATED = "truncated"
GARBLED = "garbled"

HTML_ERROR = b"<html><body><h1>502 Bad Gateway</h1></body></html>"


@dataclass
class _Rule:
    """Fail the next ``times`` requests that call ``method`` with ``fault``."""

    fault: str
    method: str | None
    times: int


class FaultyRpc:
    """The proxy; use as a context manager (see the module docstring)."""

    def __init__(self, upstream: str, delay: float = 2.0) -> None:
        self.upstream = upstream
        self.delay = delay
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The proxy's HTTP JSON-RPC address."""
        return f"http://127.0.0.1:{self._server.server_port}"

    def fail(self, fault: str, method: str | None = None, times: int = 1) -> None:
        """Fail the next ``times`` requests that call ``method`` (any request if None)."""
        with self._lock:
            self._rules.append(_Rule(fault, method, times))

    def pending(self) -> int:
        """How many faults are still to be injected."""
        with self._lock:
            return sum(rule.times for rule in self._rules)

    def _fault_for(self, methods: list[str]) -> str | None:
        """The fault the first matching rule assigns to a request calling ``methods``."""
        with self._lock:
            for rule in self._rules:
                if rule.method is None or rule.method in methods:
                    rule.times -= 1
                    if rule.times == 0:
                        self._rules.remove(rule)
                    return rule.fault
        return None

    def _forward(self, body: bytes) -> tuple[int, bytes]:
        """The node's HTTP status and body for the request ``body``."""
        request = urllib.request.Request(
            self.upstream, data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                """No Nagle delay: an answer's headers and body go out as they are written."""
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                decoded = json.loads(body)
                calls = decoded if isinstance(decoded, list) else [decoded]
                fault = proxy._fault_for([call["method"] for call in calls])
                if fault in (DROP, BAD_GATEWAY, GARBLED):
                    self._refuse(fault)
                    return
                status, answer = proxy._forward(body)
                if fault == TIMEOUT:
                    time.sleep(proxy.delay)
                    self.close_connection = True
                    return
                if fault == TRUNCATED:
                    answer = answer[: len(answer) // 2]
                self._answer(status, "application/json", answer)

            def _refuse(self, fault: str) -> None:
                if fault == DROP:
                    self.close_connection = True
                elif fault == BAD_GATEWAY:
                    self._answer(502, "text/html", HTML_ERROR)
                else:
                    self._answer(200, "text/html", HTML_ERROR)

            def _answer(self, status: int, content_type: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: a test asserts on what the client saw."""

        return Handler

    def __enter__(self) -> "FaultyRpc":
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

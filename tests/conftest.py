"""Shared fixtures: one Anvil node with the demo loop already run on it."""

from collections.abc import Iterator

import pytest

from offchain.anvil import AnvilNode
from offchain.demo import DemoResult, run_demo


@pytest.fixture(scope="session")
def anvil() -> Iterator[AnvilNode]:
    """A node for the whole session, stopped at its end."""
    with AnvilNode(accounts=10) as node:
        yield node


@pytest.fixture(scope="session")
def demo(anvil: AnvilNode) -> DemoResult:
    """The demo loop, run once on the session's node."""
    return run_demo(anvil.rpc_url)

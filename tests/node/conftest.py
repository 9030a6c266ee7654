"""Shared fixtures of the node tests: one Anvil node with the demo loop already run on it,
and, per module that asks, a node with a crowd of leveraged longs for the keeper tests."""

from collections.abc import Iterator

import pytest

from support.crowd import Crowd, open_crowd
from support.keeper_checks import SCENARIOS, TRADERS
from support.node import reverted
from vmargin.chain.anvil import AnvilNode
from vmargin.cli.demo import DemoResult, run_demo


@pytest.fixture(scope="session")
def anvil() -> Iterator[AnvilNode]:
    """A node for the whole session, stopped at its end."""
    with AnvilNode(accounts=10) as node:
        yield node


@pytest.fixture(scope="session")
def demo(anvil: AnvilNode) -> DemoResult:
    """The demo loop, run once on the session's node."""
    return run_demo(anvil.rpc_url)


@pytest.fixture(scope="module")
def crowd_node() -> Iterator[tuple[AnvilNode, Crowd]]:
    """A node with ``TRADERS`` one-ETH longs opened on it, one per test module."""
    with AnvilNode() as node:
        yield node, open_crowd(node.rpc_url, TRADERS, SCENARIOS)


@pytest.fixture
def crowd(crowd_node: tuple[AnvilNode, Crowd]) -> Iterator[Crowd]:
    """The crowd before the crash; the chain, its mempool included, goes back to this state
    after the test."""
    _, crowd = crowd_node
    with reverted(crowd.deployment.chain):
        yield crowd

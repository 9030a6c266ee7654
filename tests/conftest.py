"""Shared fixtures: one Anvil node with the demo loop already run on it, and, per module
that asks, a node with a crowd of leveraged longs for the keeper tests."""

from collections.abc import Iterator

import pytest

from support.crowd import Crowd, open_crowd
from support.keeper_checks import SCENARIOS, TRADERS, rpc
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
    w3 = crowd.deployment.chain.w3
    snapshot = rpc(crowd, "evm_snapshot")
    yield crowd
    # A revert keeps the mempool: a transaction a test left pending would be mined, with a
    # timestamp from before the revert, into the next test's chain.
    rpc(crowd, "anvil_dropAllTransactions")
    rpc(crowd, "evm_setAutomine", True)
    assert rpc(crowd, "evm_revert", snapshot) is True
    # Anvil keeps the base fee a test's blocks left for the next block across a revert.
    rpc(crowd, "anvil_setNextBlockBaseFeePerGas", hex(w3.eth.get_block("latest")["baseFeePerGas"]))

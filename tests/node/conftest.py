"""Shared fixtures of the node tests: one Anvil node with the demo loop already run on it,
and, per module that asks, a node with a crowd of leveraged longs for the keeper tests."""

from collections.abc import Iterator
from decimal import Decimal

import pytest
from hexbytes import HexBytes
from web3.types import RPCEndpoint

from support.crowd import Crowd, open_crowd
from support.fuzzing import SMALL_RETURNS, SMALL_SHIFTS, SmallMarket
from support.keeper_checks import SCENARIOS, TRADERS
from support.node import reverted
from vmargin.chain.anvil import AnvilNode
from vmargin.chain.client import (
    Call,
    Chain,
    anvil_accounts,
)
from vmargin.chain.deployment import RiskParameters, deploy_vmargin, mint_and_deposit
from vmargin.chain.scenario_registry import post_scenario_set
from vmargin.cli.demo import DemoResult, run_demo
from vmargin.oracle.feeds import push_price
from vmargin.proofs.certificate import NO_MARGIN_CERTIFICATE


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


@pytest.fixture(scope="module")
def small_market(anvil: AnvilNode) -> SmallMarket:
    """Two assets, a small scenario set and a funded trader on the session's node, with the
    reads, a mined transaction and two simulations the fuzz targets corrupt."""
    chain = Chain.connect(anvil.rpc_url)
    owner, backstop, trader = anvil_accounts(3)
    deployment = deploy_vmargin(
        chain, owner, backstop=backstop.address, assets=("ETH", "BTC"), risk=RiskParameters()
    )
    push_price(chain, owner, deployment.aggregators[0], Decimal(2000))
    post_scenario_set(
        chain,
        owner,
        deployment.registry,
        spot_returns=SMALL_RETURNS,
        vol_shifts=SMALL_SHIFTS,
        alpha_bps=7500,
    )
    mint_and_deposit(deployment, owner, trader, 1000)
    oracle, clearinghouse = deployment.oracle, deployment.clearinghouse
    calls = (
        Call(oracle, "price", (0,)),
        Call(clearinghouse, "cash", (trader.address,)),
        Call(clearinghouse, "positionOf", (trader.address, 0)),
        Call(oracle, "price", (1,)),
    )
    block = chain.w3.eth.block_number
    transaction = chain.w3.eth.get_block(block)["transactions"][0]
    assert isinstance(transaction, HexBytes)  # a block without full transactions: hashes
    tx_hash = transaction.to_0x_hex()
    stablecoin = deployment.stablecoin
    approval = stablecoin.encode_abi("approve", [clearinghouse.address, 5])
    withdrawal = clearinghouse.encode_abi("withdraw", [10**12, NO_MARGIN_CERTIFICATE.as_abi()])
    simulations = tuple(
        chain.w3.provider.make_request(
            RPCEndpoint("eth_simulateV1"),
            [{"blockStateCalls": [{"calls": [{"from": trader.address, **call}]}]}, "latest"],
        )
        for call in (
            {"to": stablecoin.address, "data": approval},
            {"to": clearinghouse.address, "data": withdrawal},
        )
    )
    return SmallMarket(deployment, trader, calls, tx_hash, simulations)

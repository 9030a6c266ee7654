"""Fuzzing a node's answers (hypothesis), on Anvil with faults injected at the provider:
read batches (``Chain.try_call_many``), ``eth_simulateV1`` (``Chain.simulate``) and single
requests read through web3 (logs, receipts, transactions, blocks, calls). Each is the
honest answer or an ``RpcError``, which the keeper retries; never another exception."""

import json
from typing import Any

import pytest
from hypothesis import given, seed
from hypothesis import strategies as st
from web3 import HTTPProvider
from web3.exceptions import Web3RPCError
from web3.middleware import Web3Middleware
from web3.types import RPCEndpoint, RPCResponse

from support.fuzzing import (
    ADDRESS,
    DELETED,
    FUZZ,
    JSON,
    WIRE_VALUE,
    SmallMarket,
    replaced,
)
from vmargin.audit.replay import ReplayError, read_replay_inputs
from vmargin.chain.client import (
    HEX_DATA,
    RpcError,
    TransactionReverted,
)
from vmargin.keeper.state import accounts_named


def outcome(results: list[Any]) -> list[Any]:
    """Results of ``try_call_many`` with each revert as its name and arguments."""
    return [
        (result.error, result.arguments) if isinstance(result, TransactionReverted) else result
        for result in results
    ]


NOT_AN_ERROR_OBJECT = JSON.filter(
    lambda error: (
        not (
            isinstance(error, dict)
            and isinstance(error.get("code"), int)
            and isinstance(error.get("message"), str)
        )
    )
)
NOT_CALL_DATA = JSON | st.sampled_from(["0x", "0x0", "0xzz", "00" * 32, "0x" + "00" * 31])
NOT_HEX = JSON.filter(
    lambda value: value is not None and not (isinstance(value, str) and HEX_DATA.fullmatch(value))
)
BATCH_FAULTS = st.one_of(
    st.tuples(st.just("drop"), st.integers(0, 3)),
    st.tuples(st.just("duplicate"), st.integers(0, 3)),
    st.tuples(st.just("swap"), st.integers(0, 2)),
    st.tuples(st.just("id"), st.integers(0, 3), JSON),
    st.tuples(st.just("no result"), st.integers(0, 2)),
    st.tuples(st.just("result"), st.integers(0, 2), NOT_CALL_DATA),
    st.tuples(st.just("truncated"), st.integers(0, 2), st.integers(0, 65)),
    st.tuples(st.just("error"), st.integers(0, 3), NOT_AN_ERROR_OBJECT),
    st.tuples(st.just("revert data"), st.integers(3, 3), NOT_HEX),
    st.tuples(st.just("truncated revert"), st.integers(3, 3), st.integers(0, 200)),
    st.tuples(st.just("entry"), st.integers(0, 3), JSON),
    st.tuples(st.just("whole"), JSON),
)


def faulty(responses: list[RPCResponse] | RPCResponse, fault: tuple[Any, ...]) -> Any:
    """``responses`` (to ``SmallMarket.calls``) with ``fault``."""
    kind, *where = fault
    answered = json.loads(json.dumps(responses))
    if kind == "whole":
        return where[0]
    index = where[0]
    entry = answered[index]
    if kind == "drop":
        del answered[index]
    elif kind == "duplicate":
        answered.insert(index, entry)
    elif kind == "swap":
        answered[index], answered[index + 1] = answered[index + 1], entry
    elif kind == "id":
        entry["id"] = where[1]
    elif kind == "no result":
        del entry["result"]
    elif kind == "result":
        entry["result"] = where[1]
    elif kind == "truncated":
        entry["result"] = entry["result"][: where[1]]
    elif kind == "error":
        entry["error"] = where[1]
    elif kind == "revert data":
        entry["error"]["data"] = where[1]
    elif kind == "truncated revert":
        entry["error"]["data"] = entry["error"]["data"][: where[1]]
    else:
        answered[index] = where[1]
    return answered


@seed(19)
@FUZZ
@given(fault=BATCH_FAULTS)
def test_any_answer_to_a_read_batch_is_the_honest_one_or_an_rpc_error(
    small_market: SmallMarket, fault: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``Chain.try_call_many`` (the keeper's reads) given a node that answers a batch with a
    response dropped, duplicated, swapped, renumbered, missing its result or holding one of
    the wrong type or length, an error object of an odd shape, revert data that is not ABI
    data, or something else than a list: the honest results or RpcError, which the keeper
    retries."""
    chain = small_market.deployment.chain
    provider = chain.w3.provider
    assert isinstance(provider, HTTPProvider)
    block = chain.w3.eth.block_number
    with monkeypatch.context() as patch:
        honest = provider.make_batch_request
        patch.setattr(
            provider, "make_batch_request", lambda requests: faulty(honest(requests), fault)
        )
        try:
            answered = outcome(chain.try_call_many(small_market.calls, block))
        except RpcError as error:
            assert str(error)
            return
    assert answered == outcome(chain.try_call_many(small_market.calls, block))


def paths(document: Any) -> list[tuple[str | int, ...]]:
    """The path of every field and item in the JSON ``document``."""
    if isinstance(document, dict):
        items = list(document.items())
    elif isinstance(document, list):
        items = list(enumerate(document))
    else:
        return []
    return [(key, *tail) for key, value in items for tail in [(), *paths(value)]]


@seed(20)
@FUZZ
@given(data=st.data())
def test_any_answer_to_a_simulation_is_a_simulation_or_an_rpc_error(
    small_market: SmallMarket, data: st.DataObject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``Chain.simulate`` (the keeper's dry run of a liquidation) given a node whose
    ``eth_simulateV1`` answer, of a call that emits a log or of one that reverts, has one
    field removed or replaced: a Simulation or RpcError, which the keeper retries."""
    honest = data.draw(st.sampled_from(small_market.simulations))
    path = data.draw(st.sampled_from(paths(honest)))
    answer = replaced(honest, path, data.draw(st.one_of(st.just(DELETED), WIRE_VALUE)))
    chain = small_market.deployment.chain
    monkeypatch.setattr(chain.w3.provider, "make_request", lambda method, params: answer)
    try:
        simulation = chain.simulate(ADDRESS, ADDRESS, "0x")
    except RpcError as error:
        assert str(error)
    else:
        assert isinstance(simulation.gas_used, int)


# ------------------------------------------------------------------ the command line


READS = {
    "the keeper's account sync": (
        lambda market: accounts_named(market.deployment, 0, "latest"),
        ["eth_getLogs"],
    ),
    "the auditor's replay": (
        lambda market: read_replay_inputs(market.deployment, market.tx_hash),
        ["eth_getTransactionReceipt", "eth_getTransactionByHash"],
    ),
    "a contract call": (
        lambda market: market.deployment.chain.call(
            market.deployment.clearinghouse.functions.maintenanceMarginFactor()
        ),
        ["eth_call"],
    ),
    "a block": (
        lambda market: market.deployment.chain.w3.eth.get_block("latest")["timestamp"],
        ["eth_getBlockByNumber"],
    ),
}


@seed(22)
@FUZZ
@given(read=st.sampled_from(sorted(READS)), data=st.data())
def test_any_answer_to_a_single_request_is_read_or_an_rpc_error(
    small_market: SmallMarket, read: str, data: st.DataObject
) -> None:
    """What web3 reads for the keeper and the auditor (logs, receipts, transactions, blocks,
    calls) from a node whose answer has one field removed or replaced, or a log of another
    contract or event: a value, RpcError (which the keeper retries) or the node's own error,
    never a formatter's or decoder's exception from inside web3."""
    run, methods = READS[read]
    method = data.draw(st.sampled_from(methods), label="method")
    w3 = small_market.deployment.chain.w3

    class Fault(Web3Middleware):
        def response_processor(self, called: RPCEndpoint, response: RPCResponse) -> Any:
            if called != method or not paths(response):
                return response
            result = response["result"]
            fields = [("result", key) for key in result] if isinstance(result, dict) else []
            if bool(fields) and data.draw(st.booleans(), label="a field of the result missing"):
                return replaced(response, data.draw(st.sampled_from(fields)), DELETED)
            path = data.draw(st.sampled_from(paths(response)), label="path")
            value = data.draw(st.one_of(st.just(DELETED), WIRE_VALUE), label="value")
            return replaced(response, path, value)

    w3.middleware_onion.inject(Fault, name="fault", layer=0)
    try:
        run(small_market)
    except (RpcError, Web3RPCError, ReplayError) as error:
        assert str(error)
    finally:
        w3.middleware_onion.remove("fault")

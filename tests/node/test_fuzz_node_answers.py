"""Fuzzing a node's answers (hypothesis), on Anvil with faults injected at the provider:
read batches (``Chain.try_call_many``), ``eth_simulateV1`` (``Chain.simulate``) and single
requests read through web3 (logs, receipts, transactions, blocks, calls). Each is the
honest answer or an ``RpcError``, which the keeper retries; never another exception."""

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from eth_account.signers.local import LocalAccount
from hypothesis import given, seed
from hypothesis import strategies as st
from web3.exceptions import Web3RPCError
from web3.middleware import Web3Middleware
from web3.types import RPCEndpoint, RPCResponse

from support.fuzzing import DELETED, FUZZ, JSON, replaced
from vmargin.audit.replay import ReplayError, read_replay_inputs
from vmargin.chain.anvil import AnvilNode
from vmargin.chain.client import (
    HEX_DATA,
    Call,
    Chain,
    RpcError,
    TransactionReverted,
    anvil_accounts,
)
from vmargin.chain.deployment import Deployment, RiskParameters, deploy_vmargin, mint_and_deposit
from vmargin.chain.scenario_registry import PublishedScenarioSet, post_scenario_set
from vmargin.cli.arguments import (
    block_option,
    decimal_option,
    port_number,
    seconds,
    whole_number,
)
from vmargin.keeper.state import accounts_named
from vmargin.numerics.fixedpoint import WAD
from vmargin.oracle.feeds import push_price
from vmargin.oracle.scenario_file import (
    quantize_scenarios,
    scenario_file_json,
)
from vmargin.proofs.certificate import NO_MARGIN_CERTIFICATE
from vmargin.proofs.scenario_commitment import scenario_tree

VALID_SET = json.loads(
    scenario_file_json(
        quantize_scenarios(
            ("ETH", "BTC"),
            np.array([[0.1, -0.2], [-0.05, 0.03], [0.2, 0.1], [-0.4, -0.3]]),
            np.zeros((4, 2)),
            np.array([False, False, False, True]),
            7500,
            "historical",
            {"window": 4, "horizon": 1},
            "fuzz base",
        )
    )
)


ADDRESS = "0x" + "5a" * 20
WIRE_VALUE = JSON | st.sampled_from(
    [
        "",
        "-1",
        "1" * 80,
        str(2**256),
        " 5",
        "5 ",
        "1_000",
        "١٢",
        "0x10",
        "0x" + "ab" * 32,
        "0x" + "ab" * 31,
        "0x" + "zz" * 32,
        "ab" * 32,
        ADDRESS,
        ADDRESS.lower()[:-1],
        [],
        ["1", "2"],
        [["1", "2"], ["3"]],
        True,
        2**300,
        -1,
    ]
)
SMALL_RETURNS = tuple(((i - 4) * WAD // 50, (3 - i) * WAD // 40) for i in range(8))
SMALL_SHIFTS = tuple((WAD // 100 * (i % 3), 0) for i in range(8))
SMALL_SET = PublishedScenarioSet(
    1, 7500, SMALL_RETURNS, SMALL_SHIFTS, scenario_tree(SMALL_RETURNS, SMALL_SHIFTS)
)


@dataclass(frozen=True)
class SmallMarket:
    """A deployment on the session's node with ``SMALL_SET`` posted, the ETH feed at 2,000
    USD (BTC's never answered) and one trader holding cash; ``calls`` are reads of it (the
    last one reverts), ``tx_hash`` its last transaction (a deposit) and ``simulations`` the
    node's answers to ``eth_simulateV1`` of an approval (which emits a log) and of a
    withdrawal (which reverts)."""

    deployment: Deployment
    trader: LocalAccount
    calls: tuple[Call, ...]
    tx_hash: str
    simulations: tuple[dict, ...]


@pytest.fixture(scope="module")
def small_market(anvil: AnvilNode) -> SmallMarket:
    chain = Chain.connect(anvil.rpc_url)
    owner, backstop, trader = anvil_accounts(3)
    deployment = deploy_vmargin(chain, owner, backstop.address, ("ETH", "BTC"), RiskParameters())
    push_price(chain, owner, deployment.aggregators[0], Decimal(2000))
    post_scenario_set(chain, owner, deployment.registry, SMALL_RETURNS, SMALL_SHIFTS, 7500)
    mint_and_deposit(deployment, owner, trader, 1000)
    oracle, clearinghouse = deployment.oracle, deployment.clearinghouse
    calls = (
        Call(oracle, "price", (0,)),
        Call(clearinghouse, "cash", (trader.address,)),
        Call(clearinghouse, "positionOf", (trader.address, 0)),
        Call(oracle, "price", (1,)),
    )
    block = chain.w3.eth.block_number
    tx_hash = chain.w3.eth.get_block(block)["transactions"][0].to_0x_hex()
    stablecoin = deployment.stablecoin
    approval = stablecoin.encode_abi("approve", [clearinghouse.address, 5])
    withdrawal = clearinghouse.encode_abi("withdraw", [10**12, NO_MARGIN_CERTIFICATE.as_abi()])
    simulations = tuple(
        chain.w3.provider.make_request(
            "eth_simulateV1",  # type: ignore[arg-type]
            [{"blockStateCalls": [{"calls": [{"from": trader.address, **call}]}]}, "latest"],
        )
        for call in (
            {"to": stablecoin.address, "data": approval},
            {"to": clearinghouse.address, "data": withdrawal},
        )
    )
    return SmallMarket(deployment, trader, calls, tx_hash, simulations)


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


def faulty(responses: list[dict], fault: tuple) -> Any:
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


@dataclass(frozen=True)
class Argument:
    """A command-line value: ``good`` works with the other good ones, ``bad`` does not."""

    good: str
    bad: st.SearchStrategy[str]


def cli_arguments(market: SmallMarket, rpc_url: str, files: Path) -> dict[str, Argument]:
    """Every kind of value the commands take, each with a good value on ``market`` and bad
    ones (a missing file, a directory, an address without code, a negative block...)."""
    deployment = market.deployment
    scenario_file = files / "set.json"
    scenario_file.write_text(json.dumps(VALID_SET))
    key_file = files / "key"
    key_file.write_text(market.trader.key.to_0x_hex())
    bls_key_file = files / "bls.key"
    bls_key_file.write_text("123456789")
    closes = files / "closes.csv"
    closes.write_text(
        "date,asset,close\n"
        + "".join(f"2024-01-0{day},ETH,{2000 + 10 * day * (-1) ** day}\n" for day in range(1, 8))
    )
    garbage = files / "garbage"
    garbage.write_text("not what was expected\n")
    text = st.text(max_size=12)
    missing = str(files / "missing" / "file")
    inputs = st.sampled_from([missing, str(files), str(garbage), ""])
    outputs = st.sampled_from([missing, str(files), ""])
    address = text | st.sampled_from(["", "0x", "0x" + "11" * 19, ADDRESS[:-1] + "A"])
    contract = address | st.sampled_from(["0x" + "11" * 20, deployment.oracle.address])
    numbers = ["-1", str(2**64), "1e3", "0x10", "pending"]
    count = text.filter(refused_by(whole_number)) | st.sampled_from([*numbers, "latest"])
    block = text.filter(refused_by(block_option)) | st.sampled_from(numbers)
    amount = text.filter(refused_by(lambda value: decimal_option("--min-profit", value)))
    return {
        "--rpc-url": Argument(
            rpc_url, st.sampled_from(["not a url", "", "ftp://127.0.0.1", "http://[::1"])
        ),
        "--clearinghouse": Argument(deployment.clearinghouse.address.lower(), contract),
        "--registry": Argument(deployment.registry.address, contract),
        "account": Argument(market.trader.address, address),
        "tx": Argument(
            market.tx_hash,
            text | st.sampled_from(["0x" + "ab" * 32, "0x1234", "0x" + "zz" * 32, ADDRESS]),
        ),
        "--from-block": Argument("0", count),
        "--to-block": Argument("latest", block),
        "--start-block": Argument("0", count),
        "--epoch": Argument("1", count | st.sampled_from(["0", "99"])),
        "--worst": Argument("3", count),
        "--key": Argument(
            market.trader.key.to_0x_hex(),
            text | st.sampled_from(["0x1234", "0x" + "00" * 32, "0x" + "ff" * 32]),
        ),
        "--key-file": Argument(str(key_file), inputs),
        "--bls-key-file": Argument(str(bls_key_file), inputs),
        "file": Argument(str(scenario_file), inputs),
        "--csv": Argument(str(closes), inputs),
        "--window": Argument("3", st.sampled_from(["-1", "0", "999", "three", ""])),
        "--alpha-bps": Argument("7500", st.sampled_from(["10000", "-1", "99999999999", "7.5"])),
        "--output": Argument(str(files / "built.json"), outputs),
        "--state": Argument(":memory:", st.sampled_from([missing, str(files), str(garbage)])),
        "--min-profit": Argument("0", amount | st.sampled_from(["nan", "-inf", "1e999999999"])),
        "--replace-after": Argument("3", count),
        "--max-lifetime": Argument("600", count),
        "--poll-interval": Argument(
            "0.01", text.filter(refused_by(seconds)) | st.sampled_from(["0", "-1", "nan", "inf"])
        ),
        "--port": Argument(
            "0", text.filter(refused_by(port_number)) | st.sampled_from(["65536", "70000", "-1"])
        ),
    }


def refused_by(parse: Callable[[str], Any]) -> Callable[[str], bool]:
    """Whether ``parse`` refuses a text, as argparse's types and the options do."""

    def refused(text: str) -> bool:
        try:
            parse(text)
        except (ValueError, argparse.ArgumentTypeError):
            return True
        return False

    return refused


@pytest.fixture(scope="module")
def arguments(
    small_market: SmallMarket, anvil: AnvilNode, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Argument]:
    return cli_arguments(small_market, anvil.rpc_url, tmp_path_factory.mktemp("cli"))


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
            if fields and data.draw(st.booleans(), label="a field of the result missing"):
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

"""Property-based fuzzing of the parsers users feed and of what a node answers
(hypothesis): every malformed input gets the parser's own named error, never another
exception.

Targets: price CSVs (``read_price_csv``: ``PriceDataError``), scenario files
(``read_scenario_file``: ``ScenarioFileError``), decimal and key options
(``decimal_option``, ``read_key``: ``ServiceInputError``) and the batch engines' matrices
(``exact_tail_risk``: ``ValueError`` naming the argument). No command reads a certificate
from a file: certificates and attestations enter from outside through the operators' HTTP
messages (``offchain/attestation/operator.py``: ``WireFormatError``), the state an operator is
asked to attest (``attested_state`` and ``attestation_of``: named valuation errors) and a
liquidation's calldata as the node returns it to the auditor (``replay``: ``ReplayError``).
A node's answers: read batches (``Chain.try_call_many``), ``eth_simulateV1``
(``Chain.simulate``) and single requests read through web3 (logs, receipts, transactions,
blocks, calls), faults injected at the provider: ``RpcError``, which the keeper retries.
And ``vmargin`` itself, with bad values among good ones: a usage error or one line
``vmargin: ...``. Inputs are both arbitrary and near-valid: a valid file, message or answer
with one field replaced. ``EXAMPLES`` examples per target; the seed is fixed so a failure
reproduces.
"""

import argparse
import contextlib
import json
import string
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest
from eth_abi import is_encodable
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from web3 import HTTPProvider
from web3.exceptions import Web3RPCError
from web3.middleware import Web3Middleware
from web3.types import RPCEndpoint, RPCResponse

from vmargin.attestation.attested_margin import MalformedState, attestation_of, attested_state
from vmargin.attestation.operator import (
    STATE_TYPE,
    WireFormatError,
    attestation_from_json,
    attestation_json,
    quorum_from_json,
    request_from_json,
    signature_from_json,
    to_wire,
)
from vmargin.audit.replay import ReplayError, ReplayInputs, read_replay_inputs, replay
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
    ServiceInputError,
    block_option,
    decimal_option,
    port_number,
    read_key,
    seconds,
    whole_number,
)
from vmargin.cli.main import main
from vmargin.keeper.state import accounts_named
from vmargin.numerics.black_scholes import OptionDomainError
from vmargin.numerics.expected_shortfall import weighted_lower_bound
from vmargin.numerics.fixedpoint import WAD, FixedPointOverflow
from vmargin.numerics.margin import InitialMarginParameters
from vmargin.numerics.portfolio import (
    Account,
    AssetNotInScenarioSet,
    Marks,
    Position,
    equity,
    scenario_losses,
)
from vmargin.oracle.feeds import push_price
from vmargin.oracle.prices import PriceDataError, read_price_csv
from vmargin.oracle.scenario_file import (
    ScenarioFileError,
    quantize_scenarios,
    read_scenario_file,
    scenario_file_json,
)
from vmargin.proofs.attestation import ATTESTATION_TYPE, Attestation
from vmargin.proofs.bls import G1_GENERATOR, G2_GENERATOR
from vmargin.proofs.certificate import NO_MARGIN_CERTIFICATE, liquidation_certificate
from vmargin.proofs.quorum import QuorumSignature
from vmargin.proofs.scenario_commitment import scenario_tree
from vmargin.risk.batch_expected_shortfall import exact_tail_risk

EXAMPLES = 400
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)


def written(text: str, suffix: str) -> Path:
    """``text`` in a fresh temporary file (hypothesis runs many examples per test)."""
    with tempfile.NamedTemporaryFile("w", suffix=suffix, delete=False, encoding="utf-8") as f:
        f.write(text)
    return Path(f.name)


DELETED = object()
"""A value that ``replaced`` removes the field for."""


def replaced(document: Any, path: tuple[str | int, ...], value: Any) -> Any:
    """A deep copy of the JSON ``document`` with the field at ``path`` set to ``value`` (or
    removed, for ``DELETED``)."""
    copy = json.loads(json.dumps(document))
    *parents, last = path
    target = copy
    for part in parents:
        target = target[part]
    if value is DELETED:
        del target[last]
    else:
        target[last] = value
    return copy


VALID_SET = json.loads(
    scenario_file_json(
        quantize_scenarios(
            ("ETH", "BTC"),
            np.array([[0.1, -0.2], [-0.05, 0.03], [0.2, 0.1], [-0.4, -0.3]]),
            np.zeros((4, 2)),
            stress=np.array([False, False, False, True]),
            alpha_bps=7500,
            method="historical",
            parameters={"window": 4, "horizon": 1},
            source="fuzz base",
        )
    )
)


@seed(8)
@FUZZ
@given(document=JSON)
def test_any_json_document_is_refused_by_name(document: Any) -> None:
    path = written(json.dumps(document), ".json")
    with contextlib.suppress(ScenarioFileError):
        read_scenario_file(path)


@seed(9)
@FUZZ
@given(
    key=st.sampled_from([*VALID_SET, "scenarios.0", "scenarios.3", "scenarios.0.spot_returns"]),
    value=JSON,
)
def test_a_valid_scenario_file_with_one_field_replaced_is_refused_by_name(
    key: str, value: Any
) -> None:
    path = tuple(int(part) if part.isdigit() else part for part in key.split("."))
    with contextlib.suppress(ScenarioFileError):
        read_scenario_file(written(json.dumps(replaced(VALID_SET, path, value)), ".json"))


@seed(10)
@FUZZ
@given(text=st.text(max_size=300))
def test_any_text_as_a_price_csv_is_refused_by_name(text: str) -> None:
    with contextlib.suppress(PriceDataError):
        read_price_csv(written(text, ".csv"))


CELL = st.text(alphabet=string.printable, max_size=12) | st.sampled_from(
    ["", "nan", "inf", "-1", "0", "1e400", "2024-02-30", "0x10", "1_000", " 5 ", "١٢"]
)


@seed(11)
@FUZZ
@given(row=st.integers(0, 3), column=st.integers(0, 2), cell=CELL)
def test_a_valid_price_csv_with_one_cell_replaced_is_read_or_refused_by_name(
    row: int, column: int, cell: str
) -> None:
    rows = [
        ["date", "asset", "close"],
        ["2024-01-01", "ETH", "2300.5"],
        ["2024-01-02", "ETH", "2310"],
        ["2024-01-03", "ETH", "2290.25"],
    ]
    rows[row][column] = cell
    text = "\n".join(",".join(f'"{c}"' if "," in c or '"' in c else c for c in r) for r in rows)
    with contextlib.suppress(PriceDataError):
        read_price_csv(written(text, ".csv"))


@seed(12)
@FUZZ
@given(text=st.text(max_size=40))
def test_any_text_as_a_decimal_option_is_a_decimal_or_refused_by_name(text: str) -> None:
    try:
        value = decimal_option("--min-profit", text)
    except ServiceInputError as error:
        assert str(error).startswith("--min-profit: ")
    else:
        assert isinstance(value, Decimal) and value.is_finite()


@seed(13)
@FUZZ
@given(text=st.text(max_size=80) | st.text(alphabet="0123456789abcdefABCDEFx", max_size=70))
def test_any_text_as_a_key_is_a_key_or_refused_by_name(text: str) -> None:
    with contextlib.suppress(ServiceInputError):
        read_key(argparse.Namespace(key=text, key_file=None))


INTEGERS = st.lists(
    st.lists(st.integers(-(2**130), 2**130), min_size=1, max_size=3), min_size=1, max_size=3
)
MATRIX = INTEGERS | st.lists(st.lists(JSON, max_size=3), max_size=3) | JSON


@seed(14)
@FUZZ
@given(sizes=MATRIX, unit_pnl=MATRIX, alpha=st.integers(-5, 20_000) | JSON)
def test_any_engine_input_is_computed_or_refused_by_name(
    sizes: Any, unit_pnl: Any, alpha: Any
) -> None:
    try:
        exact_tail_risk(sizes, unit_pnl, alpha)
    except ValueError as error:
        assert str(error)


# ------------------------------------------------ attestations and certificates from outside

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
VALID_STATE = (
    (str(100 * WAD), [str(2 * WAD)], [[["0", str(2000 * WAD), "1750086400", True], "1", "0"]]),
    [str(2000 * WAD)],
    [str(WAD // 2)],
)
VALID_REQUEST = {"account": ADDRESS, "state": VALID_STATE, "block": "5", "expiry": "1750000600"}
REQUEST_PATHS = [
    *((key,) for key in VALID_REQUEST),
    ("state", 0),
    ("state", 1),
    ("state", 0, 1),
    ("state", 0, 2, 0, 0),
    ("state", 0, 2, 0, 0, 3),
    ("state", 1, 0),
]


@seed(15)
@FUZZ
@given(
    body=JSON
    | st.builds(replaced, st.just(VALID_REQUEST), st.sampled_from(REQUEST_PATHS), WIRE_VALUE)
)
def test_any_attestation_request_is_read_or_refused_by_name(body: Any) -> None:
    """What an operator's HTTP endpoint reads: a request it can value, or WireFormatError."""
    try:
        request = request_from_json(body)
    except WireFormatError as error:
        assert str(error)
    else:
        assert is_encodable(STATE_TYPE, request.state)
        assert request.account == to_checksum_address(request.account)


VALID_ATTESTATION = attestation_json(
    Attestation(
        chain_id=31337,
        account=ADDRESS,
        state_hash=b"\x01" * 32,
        epoch=1,
        scenario_root=b"\x02" * 32,
        alpha_bps=9900,
        expected_shortfall=WAD,
        initial_margin=WAD,
        block_number=5,
        valuation_time=1,
        expiry=600,
    )
)
VALID_ANSWERS = {
    "attestation": VALID_ATTESTATION,
    "quorum": {
        "signers": "7",
        "signature": to_wire(G1_GENERATOR),
        "publicKeyG2": to_wire(G2_GENERATOR),
    },
    "operator": 3,
    "signature": to_wire(G1_GENERATOR),
    "publicKeyG2": to_wire(G2_GENERATOR),
}
ANSWER_PATHS = [
    *((key,) for key in VALID_ANSWERS),
    *(("attestation", field) for field in range(len(VALID_ATTESTATION))),
    *(("quorum", key) for key in VALID_ANSWERS["quorum"]),
    ("quorum", "signature", 1),
    ("publicKeyG2", 0),
    ("publicKeyG2", 1, 1),
]
QUORUM_TYPE = "(uint256,uint256[2],(uint256[2],uint256[2]))"


@seed(16)
@FUZZ
@given(path=st.sampled_from(ANSWER_PATHS), value=WIRE_VALUE)
def test_an_operator_answer_with_one_field_replaced_is_read_or_refused_by_name(
    path: tuple[str | int, ...], value: Any
) -> None:
    """What a client reads from an operator (``/attest``: an attestation and a quorum) and an
    operator from its peers (``/sign``): values the chain can take (hashes of 32 bytes, an
    operator index a signer bitmap holds), or WireFormatError."""
    answer = replaced(VALID_ANSWERS, path, value)
    read_or_refused(lambda: attestation_from_json(answer["attestation"]), chain_takes)
    read_or_refused(lambda: quorum_from_json(answer["quorum"]), chain_takes)
    read_or_refused(lambda: signature_from_json(answer), lambda signed: 0 <= signed.operator < 256)


Parsed = TypeVar("Parsed")


def read_or_refused(parse: Callable[[], Parsed], takes: Callable[[Parsed], bool]) -> None:
    """``parse`` reads a value that ``takes`` accepts, or raises WireFormatError with a
    message."""
    try:
        parsed = parse()
    except WireFormatError as error:
        assert str(error)
    else:
        assert takes(parsed)


def chain_takes(parsed: Attestation | QuorumSignature) -> bool:
    """Whether web3 can encode ``parsed`` as ``AttestedMargin`` takes it, byte for byte."""
    if isinstance(parsed, QuorumSignature):
        return is_encodable(QUORUM_TYPE, parsed.as_abi())
    hashes = (parsed.state_hash, parsed.scenario_root)
    return is_encodable(ATTESTATION_TYPE, parsed.as_abi()) and all(len(h) == 32 for h in hashes)


SMALL_RETURNS = tuple(((i - 4) * WAD // 50, (3 - i) * WAD // 40) for i in range(8))
SMALL_SHIFTS = tuple((WAD // 100 * (i % 3), 0) for i in range(8))
SMALL_SET = PublishedScenarioSet(
    1, 7500, SMALL_RETURNS, SMALL_SHIFTS, scenario_tree(SMALL_RETURNS, SMALL_SHIFTS)
)
INT256 = st.integers(-(2**255), 2**255 - 1) | st.sampled_from([0, 1, -1, WAD, 2000 * WAD])
SERIES = st.tuples(
    st.integers(0, 2**256 - 1) | st.integers(0, 3),
    INT256,
    st.integers(0, 2**64 - 1) | st.integers(1_749_000_000, 1_760_000_000),
    st.booleans(),
)
HOLDINGS = st.lists(st.tuples(SERIES, INT256, INT256 | st.just(0)), max_size=2).map(tuple)
STATE = st.integers(0, 3).flatmap(
    lambda assets: st.tuples(
        st.tuples(INT256, st.lists(INT256, min_size=assets, max_size=assets + 1), HOLDINGS),
        st.lists(INT256 | st.integers(1, 10**24), min_size=assets, max_size=assets),
        st.lists(st.integers(0, 3 * WAD) | INT256, min_size=max(assets - 1, 0), max_size=assets),
    )
)
IM_PARAMETERS = InitialMarginParameters(factor=WAD, alpha_bps=9900, liquidity_add_on=WAD // 100)
NAMED_VALUATION_ERRORS = (
    MalformedState,
    AssetNotInScenarioSet,
    OptionDomainError,
    FixedPointOverflow,
)


@seed(17)
@FUZZ
@given(state=STATE)
def test_any_state_an_operator_is_asked_to_attest_is_valued_or_refused_by_name(
    state: tuple,
) -> None:
    """Every ``AttestedMargin.State`` a request can carry (each field of its ABI type): an
    attestation, or one of the named errors the operator answers 400 with."""
    try:
        account, marks = attested_state(ADDRESS, state, 1_750_000_000)
        attestation = attestation_of(
            31337,
            ADDRESS,
            account=account,
            marks=marks,
            block_number=5,
            scenarios=SMALL_SET,
            parameters=IM_PARAMETERS,
            expiry=1_750_000_600,
        )
    except NAMED_VALUATION_ERRORS as error:
        assert str(error)
    else:
        assert is_encodable(ATTESTATION_TYPE, attestation.as_abi())


CERTIFICATE_FIELDS = ("epoch", "indices", "spotReturns", "volShifts", "proofs")
LIQUIDATED = Account(
    address=ADDRESS,
    cash=-1500 * WAD,
    positions={0: Position(size=WAD, cost_basis=0), 1: Position(size=-3 * WAD, cost_basis=0)},
)
LIQUIDATION_MARKS = Marks(spot=[2000 * WAD, 100 * WAD], vol=[0, 0], now=1_750_000_000)


def valid_liquidation() -> tuple[dict, ReplayInputs]:
    """A liquidation of ``LIQUIDATED`` by the certificate of its worst scenarios of
    ``SMALL_SET``, as ``read_replay_inputs`` returns it, with the contract's numbers."""
    losses = scenario_losses(LIQUIDATED, LIQUIDATION_MARKS, SMALL_RETURNS, SMALL_SHIFTS)
    certificate = liquidation_certificate(1, SMALL_SET.tree, losses, SMALL_SET.tail)
    bound = weighted_lower_bound([losses[i] for i in certificate.indices], SMALL_SET.tail)
    struct = dict(zip(CERTIFICATE_FIELDS, certificate.as_abi(), strict=True))
    event = {
        "account": ADDRESS,
        "keeper": ADDRESS,
        "equity": equity(LIQUIDATED, LIQUIDATION_MARKS),
        "expectedShortfallLowerBound": bound,
        "maintenanceMargin": bound,
    }
    receipt = {"transactionHash": HexBytes(b"\x03" * 32), "blockNumber": 9}
    onchain = {"call": {"certificate": struct, "fraction": WAD}, "event": event, "receipt": receipt}
    return onchain, ReplayInputs(LIQUIDATED, LIQUIDATION_MARKS, SMALL_SET, WAD)


UINT256 = st.integers(0, 2**256 - 1) | st.integers(0, 9)
ROWS = st.lists(st.lists(INT256, max_size=3), max_size=4)
CERTIFICATE_FIELD = st.one_of(
    st.tuples(st.just("epoch"), st.integers(0, 2**64 - 1)),
    st.tuples(st.just("indices"), st.lists(UINT256, max_size=4)),
    st.tuples(st.sampled_from(["spotReturns", "volShifts"]), ROWS),
    st.tuples(st.just("proofs"), st.lists(st.lists(st.binary(min_size=32, max_size=32)))),
)


@seed(18)
@FUZZ
@given(field=CERTIFICATE_FIELD)
def test_a_liquidation_certificate_with_one_field_replaced_is_replayed_or_refused_by_name(
    field: tuple[str, Any],
) -> None:
    """The auditor's replay of a liquidation whose calldata the node returns altered (each
    field of its ABI type): ReplayError, or a replay that matches only if the witnesses and
    their leaves are the ones the contract checked."""
    onchain, inputs = valid_liquidation()
    name, value = field
    certificate = onchain["call"]["certificate"]
    unchanged = name == "proofs" or value == certificate[name]
    certificate[name] = value
    try:
        report = replay(onchain, inputs)
    except ReplayError as error:
        assert str(error)
    else:
        assert report.matches == unchanged


# ------------------------------------------------------------- answers of a JSON-RPC node


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
    simulations: tuple[RPCResponse, ...]


@pytest.fixture(scope="module")
def small_market(anvil: AnvilNode) -> SmallMarket:
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
    key_file.write_text("0x" + market.trader.key.hex())
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
            "0x" + market.trader.key.hex(),
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


COMMANDS = {
    "margin": (["margin", "account", "--json"], ["--rpc-url", "--clearinghouse", "--worst"]),
    "replay": (["replay", "tx"], ["--rpc-url", "--clearinghouse"]),
    "audit": (["audit"], ["--rpc-url", "--clearinghouse", "--from-block", "--to-block"]),
    "fetch": (["scenarios", "fetch"], ["--epoch", "--rpc-url", "--registry", "--output"]),
    "post": (["scenarios", "post", "file"], ["--rpc-url", "--registry", "--key"]),
    "show": (["scenarios", "show", "file"], []),
    "build": (
        ["scenarios", "build", "--method", "historical"],
        ["--csv", "--window", "--alpha-bps", "--output"],
    ),
    "keeper": (
        ["keeper", "run", "--once"],
        [
            "--rpc-url",
            "--clearinghouse",
            "--key-file",
            "--state",
            "--start-block",
            "--min-profit",
            "--replace-after",
            "--poll-interval",
        ],
    ),
    "watch": (
        ["watch", "--once"],
        ["--rpc-url", "--clearinghouse", "--key", "--start-block", "--poll-interval"],
    ),
    "operator": (
        ["operator", "run"],
        ["--rpc-url", "--clearinghouse", "--bls-key-file", "--port", "--max-lifetime"],
    ),
}


@pytest.fixture(scope="module")
def arguments(
    small_market: SmallMarket, anvil: AnvilNode, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Argument]:
    return cli_arguments(small_market, anvil.rpc_url, tmp_path_factory.mktemp("cli"))


@seed(21)
@FUZZ
@given(command=st.sampled_from(sorted(COMMANDS)), data=st.data())
def test_any_bad_value_on_the_command_line_is_a_one_line_error(
    arguments: dict[str, Argument],
    command: str,
    data: st.DataObject,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``vmargin`` run with at least one bad value among good ones: exit code 2 with
    argparse's usage error, or 1 with one line ``vmargin: ...`` on stderr; never a
    traceback, nor a partial file left by a scenario file that could not be written."""
    words, options = COMMANDS[command]
    names = [word for word in words if word in arguments] + options
    bad = {name for name in names if data.draw(st.booleans(), label=f"{name} is bad")}
    bad = bad or {data.draw(st.sampled_from(names), label="the bad one")}
    value = {
        name: data.draw(arguments[name].bad, label=name) if name in bad else arguments[name].good
        for name in names
    }
    argv = [value.get(word, word) for word in words]
    argv += [f"{option}={value[option]}" for option in options]
    code: str | int | None
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    error = capsys.readouterr().err
    if code == 2:
        assert " error: " in error, (argv, error)
    else:
        assert code == 1 and error.startswith("vmargin: ") and error.count("\n") == 1, (argv, error)
    written = Path(arguments["--output"].good).parent
    assert not list(written.parent.glob("*.partial")) and not Path(".partial").exists()


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

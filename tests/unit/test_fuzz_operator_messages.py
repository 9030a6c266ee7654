"""Fuzzing what enters from outside without a command (hypothesis): certificates and
attestations come through the operators' HTTP messages (``offchain/attestation/operator.py``:
``WireFormatError``), the state an operator is asked to attest (``attested_state`` and
``attestation_of``: named valuation errors) and a liquidation's calldata as the node
returns it to the auditor (``replay``: ``ReplayError``). Each malformed input gets its
named error, never another exception; valid ones with one field replaced included."""

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from eth_abi import is_encodable
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from hypothesis import given, seed
from hypothesis import strategies as st

from support.fuzzing import FUZZ, JSON, replaced
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
from vmargin.audit.replay import ReplayError, ReplayInputs, replay
from vmargin.chain.anvil import AnvilNode
from vmargin.chain.client import (
    Call,
    Chain,
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
from vmargin.oracle.scenario_file import (
    quantize_scenarios,
    scenario_file_json,
)
from vmargin.proofs.attestation import ATTESTATION_TYPE, Attestation
from vmargin.proofs.bls import G1_GENERATOR, G2_GENERATOR
from vmargin.proofs.certificate import NO_MARGIN_CERTIFICATE, liquidation_certificate
from vmargin.proofs.quorum import QuorumSignature
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
    Attestation(31337, ADDRESS, b"\x01" * 32, 1, b"\x02" * 32, 9900, WAD, WAD, 5, 1, 600)
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
    for parse, takes in (
        (lambda: attestation_from_json(answer["attestation"]), chain_takes),
        (lambda: quorum_from_json(answer["quorum"]), chain_takes),
        (lambda: signature_from_json(answer), lambda signed: 0 <= signed.operator < 256),
    ):
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
            31337, ADDRESS, account, marks, 5, SMALL_SET, IM_PARAMETERS, 1_750_000_600
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


def paths(document: Any) -> list[tuple[str | int, ...]]:
    """The path of every field and item in the JSON ``document``."""
    if isinstance(document, dict):
        items = list(document.items())
    elif isinstance(document, list):
        items = list(enumerate(document))
    else:
        return []
    return [(key, *tail) for key, value in items for tail in [(), *paths(value)]]


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

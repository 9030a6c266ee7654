"""Fuzzing what enters from outside without a command (hypothesis): certificates and
attestations come through the operators' HTTP messages (``offchain/attestation/operator.py``:
``WireFormatError``), the state an operator is asked to attest (``attested_state`` and
``attestation_of``: named valuation errors) and a liquidation's calldata as the node
returns it to the auditor (``replay``: ``ReplayError``). Each malformed input gets its
named error, never another exception; valid ones with one field replaced included."""

from collections.abc import Callable
from typing import Any, TypeVar

from eth_abi import is_encodable
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from hypothesis import given, seed
from hypothesis import strategies as st

from support.fuzzing import ADDRESS, FUZZ, JSON, WIRE_VALUE, replaced
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
from vmargin.chain.scenario_registry import PublishedScenarioSet
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
from vmargin.proofs.attestation import ATTESTATION_TYPE, Attestation
from vmargin.proofs.bls import G1_GENERATOR, G2_GENERATOR
from vmargin.proofs.certificate import liquidation_certificate
from vmargin.proofs.quorum import QuorumSignature
from vmargin.proofs.scenario_commitment import scenario_tree

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

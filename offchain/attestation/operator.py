"""The risk operator service: an HTTP endpoint that attests accounts' margin.

A client (a trading front end, a protocol's backend) asks any operator for an
attestation of an account's state after a trade or withdrawal it is about to make:

    POST /attest {"account": "0x..", "block": "123", "expiry": "1700000600",
                  "state": <AttestedMargin.State>}

The operator values the state itself, from the chain as of ``block`` (the current epoch's
scenario set, the clearinghouse's IM parameters, the block's timestamp as the valuation
time): the exact ES at the IM level, rounded up, and the IM it makes
(``vmargin.attestation.attested_margin.attestation_of``). It signs, asks each of its peers to do the
same (``POST /sign``, same body), keeps the signatures on the identical attestation, and
returns their aggregate once ``AttestedMargin.verify`` accepts it on chain (a quorum of
the active bond):

    {"attestation": <Attestation>, "quorum": <QuorumSignature>}

The client submits both with the state to ``AttestedMargin.accept``
(``vmargin.attestation.attested_margin.accept_attestation``). An operator never signs what
it did not compute: a peer that computes another attestation is left out, and so is one whose
signature does not verify under the key its claimed index registered (``gather_quorum``).
Every integer travels as a decimal string, bytes as 0x-hex, structs as JSON arrays in
field order (the tuple web3 encodes). A request the operator refuses gets status 400 and
``{"error": "..."}``; a quorum that cannot be reached, 503.
"""

import json
import logging
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import astuple, dataclass, fields
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from eth_abi import is_encodable
from web3.contract import Contract

from vmargin.attestation.attested_margin import PORTFOLIO_TYPE, attestation_of, attested_state
from vmargin.attestation.operator_registry import operator_registry
from vmargin.chain.client import Chain, TransactionReverted
from vmargin.chain.deployment import AddressError, Deployment, checksum_address
from vmargin.chain.reads import read_initial_margin_parameters
from vmargin.chain.scenario_registry import ScenarioSets
from vmargin.errors import InputError, NodeError
from vmargin.proofs.attestation import ATTESTATION_TYPE, Attestation, attestation_digest
from vmargin.proofs.bls import BlsKey, G1Point, G2Point, g1_words, sign, verify
from vmargin.proofs.quorum import QuorumSignature, aggregate_quorum

log = logging.getLogger("vmargin.operator")

PEER_TIMEOUT = 30.0

STATE_TYPE = f"({PORTFOLIO_TYPE},int256[],int256[])"
"""``AttestedMargin.State``: the portfolio and the spot and vol marks."""
ATTESTATION_FIELDS = len(fields(Attestation))
DECIMAL = re.compile(r"-?[0-9]{1,78}")
"""A wire integer: an optional minus and decimal digits (78 hold any 256-bit word)."""
BYTES32 = re.compile(r"0x[0-9a-fA-F]{64}")


class OperatorRequestError(InputError):
    """The operator refuses the request; the message says why (HTTP 400)."""


class WireFormatError(InputError):
    """A message of the operator protocol (a request, a signature, an answer) is malformed;
    the message names the field (HTTP 400 for a request)."""


class QuorumUnavailable(NodeError):
    """Not enough operators signed the same attestation (HTTP 503)."""


@dataclass(frozen=True)
class AttestationRequest:
    """Attest ``account`` in ``state`` (``AttestedMargin.State`` as a tuple) valued from
    the chain as of block ``block``, usable until ``expiry`` (unix seconds)."""

    account: str
    state: tuple
    block: int
    expiry: int


@dataclass(frozen=True)
class OperatorSignature:
    """One operator's signature on an attestation, with its index and G2 key."""

    operator: int
    attestation: Attestation
    signature: G1Point
    public_g2: G2Point


@dataclass(kw_only=True)
class Operator:
    """An operator registered in the ``AttestedMargin``'s registry as ``index`` with
    ``key``. It signs attestations that expire at most ``max_lifetime`` seconds after
    their valuation, and gathers signatures from ``peers`` (base URLs)."""

    deployment: Deployment
    attested_margin: Contract
    key: BlsKey
    index: int
    max_lifetime: int
    scenario_sets: ScenarioSets
    peers: tuple[str, ...] = ()


def operator_index(chain: Chain, registry: Contract, key: BlsKey) -> int:
    """The index of the active operator of ``registry`` registered with ``key``."""
    wanted = list(g1_words(key.public_g1))
    for index in range(chain.call(registry.functions.operatorCount())):
        account, public_g1, _, active, _ = chain.call(registry.functions.operatorAt(index))
        if list(public_g1) == wanted:
            if not active:
                raise InputError(f"operator {index} ({account}) is not active")
            return index
    raise InputError(f"the key is not registered in the registry {registry.address}")


def compute_attestation(operator: Operator, request: AttestationRequest) -> Attestation:
    """The attestation ``operator`` computes for ``request``, or OperatorRequestError."""
    chain = operator.deployment.chain
    latest = chain.w3.eth.get_block("latest")
    if not 0 <= request.block <= latest["number"]:
        raise OperatorRequestError(f"block {request.block} is not mined yet")
    valued_at = chain.w3.eth.get_block(request.block)["timestamp"]
    if request.expiry <= latest["timestamp"]:
        raise OperatorRequestError(f"expiry {request.expiry} has passed")
    if request.expiry - valued_at > operator.max_lifetime:
        raise OperatorRequestError(
            f"expiry {request.expiry} is more than {operator.max_lifetime} s after the "
            f"valuation at {valued_at}"
        )
    registry = operator.deployment.registry
    epoch = chain.call(registry.functions.currentEpoch(), request.block)
    scenarios = operator.scenario_sets.of_epoch(epoch)
    parameters = read_initial_margin_parameters(operator.deployment, request.block)
    try:
        account, marks = attested_state(request.account, request.state, valued_at)
        return attestation_of(
            chain.chain_id,
            operator.attested_margin.address,
            account=account,
            marks=marks,
            block_number=request.block,
            scenarios=scenarios,
            parameters=parameters,
            expiry=request.expiry,
        )
    except (ValueError, ArithmeticError) as error:
        raise OperatorRequestError(f"the state cannot be valued: {error}") from None


def sign_request(operator: Operator, request: AttestationRequest) -> OperatorSignature:
    """``operator``'s signature on the attestation it computes for ``request``."""
    attestation = compute_attestation(operator, request)
    digest = attestation_digest(operator.attested_margin.address, attestation)
    return OperatorSignature(
        operator.index, attestation, sign(operator.key, digest), operator.key.public_g2
    )


def gather_quorum(
    operator: Operator, request: AttestationRequest
) -> tuple[Attestation, QuorumSignature]:
    """Sign ``request``, gather the peers' signatures on the same attestation and return
    their aggregate, checked by ``AttestedMargin.verify``; QuorumUnavailable if it fails.

    A peer may answer with a bad signature, or claim another operator's index (this
    operator's own included): if the verifier refuses the aggregate, each peer's signature
    is checked alone against the key its claimed index registered (``vmargin.proofs.bls.verify``,
    about 1.4 s each), the first valid one per index is kept, and the rest are left out by
    name. An honest quorum pays none of that."""
    own = sign_request(operator, request)
    offered: list[tuple[str, OperatorSignature]] = []
    for peer in operator.peers:
        try:
            signed = signature_from_json(_post(peer, "/sign", request_json(request)))
        except (OSError, ValueError, KeyError) as error:
            log.warning("peer %s did not sign: %s", peer, error)
            continue
        if signed.attestation != own.attestation:
            log.warning("peer %s computed another attestation: %s", peer, signed.attestation)
            continue
        offered.append((peer, signed))
    quorum = _aggregate([own, *(signed for _, signed in offered)])
    refused = _refusal(operator, own.attestation, quorum)
    if refused is not None:
        registry = operator_registry(operator.deployment.chain, operator.attested_margin)
        valid = [
            signed for peer, signed in offered if _signed_alone(operator, registry, peer, signed)
        ]
        quorum = _aggregate([own, *valid])
        refused = _refusal(operator, own.attestation, quorum)
    if refused is not None:
        raise QuorumUnavailable(
            f"{quorum.signers.bit_count()} operators signed, the verifier refuses: {refused}"
        )
    return own.attestation, quorum


def _aggregate(signatures: list[OperatorSignature]) -> QuorumSignature:
    """The quorum signature of ``signatures``, the first one of each operator index."""
    by_index: dict[int, tuple[G1Point, G2Point]] = {}
    for signed in signatures:
        by_index.setdefault(signed.operator, (signed.signature, signed.public_g2))
    return aggregate_quorum(by_index)


def _refusal(
    operator: Operator, attestation: Attestation, quorum: QuorumSignature
) -> TransactionReverted | None:
    """Why ``AttestedMargin.verify`` refuses ``quorum`` on ``attestation``; None if it
    accepts it."""
    try:
        operator.deployment.chain.call(
            operator.attested_margin.functions.verify(attestation.as_abi(), quorum.as_abi())
        )
    except TransactionReverted as refused:
        return refused
    return None


def _signed_alone(
    operator: Operator, registry: Contract, peer: str, signed: OperatorSignature
) -> bool:
    """Whether ``peer``'s ``signed`` is a valid signature of its attestation by the key
    that operator ``signed.operator`` registered in ``registry``, with its G2 key; logs why
    not."""
    try:
        registered = operator.deployment.chain.call(registry.functions.operatorAt(signed.operator))
    except TransactionReverted as refused:
        log.warning("peer %s signed as operator %d: %s", peer, signed.operator, refused)
        return False
    digest = attestation_digest(operator.attested_margin.address, signed.attestation)
    if not verify(digest, signed.signature, tuple(registered[1]), signed.public_g2):
        log.warning("peer %s: not a valid signature of operator %d", peer, signed.operator)
        return False
    return True


def request_attestation(
    url: str, request: AttestationRequest
) -> tuple[Attestation, QuorumSignature]:
    """Ask the operator at ``url`` for a quorum's attestation of ``request``."""
    answer = _post(url, "/attest", request_json(request))
    return attestation_from_json(answer["attestation"]), quorum_from_json(answer["quorum"])


def serve(operator: Operator, host: str, port: int, report: Callable[[dict], None]) -> None:
    """Serve ``POST /sign`` and ``POST /attest`` for ``operator`` until interrupted,
    reporting each answered request to ``report``."""
    server = ThreadingHTTPServer((host, port), _handler(operator, report))
    log.info("operator %d serving on http://%s:%d", operator.index, host, server.server_port)
    try:
        server.serve_forever()
    finally:
        server.server_close()


def _handler(operator: Operator, report: Callable[[dict], None]) -> type[BaseHTTPRequestHandler]:
    routes: Mapping[str, Callable[[AttestationRequest], dict]] = {
        "/sign": lambda request: signature_json(sign_request(operator, request)),
        "/attest": lambda request: _quorum_json(*gather_quorum(operator, request)),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            route = routes.get(self.path)
            if route is None:
                self._answer(HTTPStatus.NOT_FOUND, {"error": f"no route {self.path}"})
                return
            try:
                length = int(self.headers.get("Content-Length", "0"))
                request = request_from_json(json.loads(self.rfile.read(length)))
                answer = route(request)
            except ValueError as error:
                self._answer(HTTPStatus.BAD_REQUEST, {"error": str(error)})
                return
            except QuorumUnavailable as error:
                self._answer(HTTPStatus.SERVICE_UNAVAILABLE, {"error": str(error)})
                return
            self._answer(HTTPStatus.OK, answer)
            report(
                {"action": self.path.strip("/"), "account": request.account, "block": request.block}
            )

        def _answer(self, status: HTTPStatus, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug(format, *args)

    return Handler


def _post(url: str, path: str, body: dict) -> dict:
    """POST ``body`` as JSON to ``url`` + ``path``; the JSON answer, or ValueError with the
    operator's error."""
    request = urllib.request.Request(
        url.rstrip("/") + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=PEER_TIMEOUT) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise InputError(f"{url}{path}: {error.code} {json.loads(error.read())['error']}") from None


# ---------------------------------------------------------------- wire format


def to_wire(value: Any) -> Any:
    """Integers as decimal strings, bytes as 0x-hex, tuples and lists as lists."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, (tuple, list)):
        return [to_wire(item) for item in value]
    return value


def integers_from_wire(value: Any, field: str) -> Any:
    """A JSON tree of decimal strings, booleans and lists as integers, booleans and tuples;
    WireFormatError names ``field`` if anything else is in it."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _integer(value, field)
    if isinstance(value, list):
        return tuple(integers_from_wire(item, field) for item in value)
    raise WireFormatError(f"{field}: {value!r} is not a decimal string, boolean or list")


def request_json(request: AttestationRequest) -> dict:
    return {
        "account": request.account,
        "state": to_wire(request.state),
        "block": str(request.block),
        "expiry": str(request.expiry),
    }


def request_from_json(body: Any) -> AttestationRequest:
    """The request of a ``/attest`` or ``/sign`` body; WireFormatError if it is not one."""
    state = integers_from_wire(_field(body, "state"), "state")
    if not is_encodable(STATE_TYPE, state):
        raise WireFormatError(f"state is not an AttestedMargin.State {STATE_TYPE}")
    return AttestationRequest(
        account=_address(_field(body, "account"), "account"),
        state=state,
        block=_integer(_field(body, "block"), "block"),
        expiry=_integer(_field(body, "expiry"), "expiry"),
    )


def attestation_json(attestation: Attestation) -> list:
    return to_wire(astuple(attestation))


def attestation_from_json(wire: Any) -> Attestation:
    """The attestation of its wire form (its fields in order); WireFormatError unless it is
    one ``AttestedMargin`` can take (every field of its ABI type, the hashes 32 bytes)."""
    if not isinstance(wire, list) or len(wire) != ATTESTATION_FIELDS:
        raise WireFormatError(f"attestation: {ATTESTATION_FIELDS} fields expected")
    (
        chain_id,
        account,
        state_hash,
        epoch,
        root,
        alpha_bps,
        expected_shortfall,
        initial_margin,
        block_number,
        valuation_time,
        expiry,
    ) = wire
    attestation = Attestation(
        chain_id=_integer(chain_id, "attestation chain id"),
        account=_address(account, "attestation account"),
        state_hash=_bytes32(state_hash, "attestation state hash"),
        epoch=_integer(epoch, "attestation epoch"),
        scenario_root=_bytes32(root, "attestation scenario root"),
        alpha_bps=_integer(alpha_bps, "attestation"),
        expected_shortfall=_integer(expected_shortfall, "attestation"),
        initial_margin=_integer(initial_margin, "attestation"),
        block_number=_integer(block_number, "attestation"),
        valuation_time=_integer(valuation_time, "attestation"),
        expiry=_integer(expiry, "attestation"),
    )
    if not is_encodable(ATTESTATION_TYPE, attestation.as_abi()):
        raise WireFormatError(f"attestation: a field is out of its range {ATTESTATION_TYPE}")
    return attestation


def signature_json(signed: OperatorSignature) -> dict:
    return {
        "operator": signed.operator,
        "attestation": attestation_json(signed.attestation),
        "signature": to_wire(signed.signature),
        "publicKeyG2": to_wire(signed.public_g2),
    }


def signature_from_json(body: Any) -> OperatorSignature:
    """A peer's ``/sign`` answer; WireFormatError if it is not one."""
    operator = _field(body, "operator")
    if not isinstance(operator, int) or isinstance(operator, bool) or not 0 <= operator < 256:
        raise WireFormatError(f"operator: {operator!r} is not an operator index in [0, 256)")
    return OperatorSignature(
        operator=operator,
        attestation=attestation_from_json(_field(body, "attestation")),
        signature=_g1(_field(body, "signature"), "signature"),
        public_g2=_g2(_field(body, "publicKeyG2"), "publicKeyG2"),
    )


def _quorum_json(attestation: Attestation, quorum: QuorumSignature) -> dict:
    return {
        "attestation": attestation_json(attestation),
        "quorum": {
            "signers": str(quorum.signers),
            "signature": to_wire(quorum.signature),
            "publicKeyG2": to_wire(quorum.apk_g2),
        },
    }


def quorum_from_json(body: Any) -> QuorumSignature:
    """The quorum signature of an ``/attest`` answer; WireFormatError if it is not one."""
    signers = _integer(_field(body, "signers"), "signers")
    if not 0 < signers < 2**256:
        raise WireFormatError(f"signers: {signers} is not a bitmap of operators")
    return QuorumSignature(
        signers=signers,
        signature=_g1(_field(body, "signature"), "signature"),
        apk_g2=_g2(_field(body, "publicKeyG2"), "publicKeyG2"),
    )


def _field(body: Any, name: str) -> Any:
    if not isinstance(body, dict) or name not in body:
        raise WireFormatError(f"missing field {name!r}")
    return body[name]


def _integer(value: Any, field: str) -> int:
    if not isinstance(value, str) or not DECIMAL.fullmatch(value):
        raise WireFormatError(f"{field}: {value!r} is not a decimal integer string")
    return int(value)


def _address(value: Any, field: str) -> str:
    try:
        return checksum_address(value, field)
    except AddressError as error:
        raise WireFormatError(str(error)) from None


def _bytes32(value: Any, field: str) -> bytes:
    if not isinstance(value, str) or not BYTES32.fullmatch(value):
        raise WireFormatError(f"{field}: {value!r} is not 32 bytes of 0x-hex")
    return bytes.fromhex(value[2:])


def _g1(value: Any, field: str) -> G1Point:
    point = integers_from_wire(value, field)
    if not is_encodable("uint256[2]", point):
        raise WireFormatError(f"{field}: not a G1 point [x, y]")
    return point


def _g2(value: Any, field: str) -> G2Point:
    point = integers_from_wire(value, field)
    if not is_encodable("uint256[2][2]", point):
        raise WireFormatError(f"{field}: not a G2 point [[x_real, x_imag], [y_real, y_imag]]")
    return point

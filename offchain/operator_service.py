"""The risk operator service: an HTTP endpoint that attests accounts' margin.

A client (a trading front end, a protocol's backend) asks any operator for an
attestation of an account's state after a trade or withdrawal it is about to make:

    POST /attest {"account": "0x..", "block": "123", "expiry": "1700000600",
                  "state": <AttestedMargin.State>}

The operator values the state itself, from the chain as of ``block`` (the current epoch's
scenario set, the clearinghouse's IM parameters, the block's timestamp as the valuation
time): the exact ES at the IM level, rounded up, and the IM it makes
(``offchain.attested_margin.attestation_of``). It signs, asks each of its peers to do the
same (``POST /sign``, same body), keeps the signatures on the identical attestation, and
returns their aggregate once ``AttestedMargin.verify`` accepts it on chain (a quorum of
the active bond):

    {"attestation": <Attestation>, "quorum": <QuorumSignature>}

The client submits both with the state to ``AttestedMargin.accept``
(``offchain.attested_margin.accept_attestation``). An operator never signs what it did not
compute: a peer that computes another attestation is left out. Every integer travels as a
decimal string, bytes as 0x-hex, structs as JSON arrays in field order (the tuple web3
encodes). A request the operator refuses gets status 400 and ``{"error": "..."}``; a
quorum that cannot be reached, 503.
"""

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import astuple, dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from eth_utils import to_checksum_address
from web3.contract import Contract

from offchain.attested_margin import attestation_of, attested_state
from offchain.chain import Chain, TransactionReverted
from offchain.deployment import Deployment
from offchain.keeper import read_initial_margin_parameters
from offchain.scenario_registry import ScenarioSets
from offchain.service_options import ServiceInputError
from proofs.attestation import Attestation, attestation_digest
from proofs.bls import BlsKey, G1Point, G2Point, g1_words, sign
from proofs.quorum import QuorumSignature, aggregate_quorum

log = logging.getLogger("vmargin.operator")

PEER_TIMEOUT = 30.0


class OperatorRequestError(ValueError):
    """The operator refuses the request; the message says why (HTTP 400)."""


class QuorumUnavailable(RuntimeError):
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


@dataclass
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
                raise ServiceInputError(f"operator {index} ({account}) is not active")
            return index
    raise ServiceInputError(f"the key is not registered in the registry {registry.address}")


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
    account, marks = attested_state(request.account, request.state, valued_at)
    return attestation_of(
        chain.chain_id,
        operator.attested_margin.address,
        account,
        marks,
        request.block,
        operator.scenario_sets.of_epoch(epoch),
        read_initial_margin_parameters(operator.deployment, request.block),
        request.expiry,
    )


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
    their aggregate, checked by ``AttestedMargin.verify``; QuorumUnavailable if it fails."""
    own = sign_request(operator, request)
    signatures = {own.operator: (own.signature, own.public_g2)}
    for peer in operator.peers:
        try:
            signed = signature_from_json(_post(peer, "/sign", request_json(request)))
        except (OSError, ValueError, KeyError) as error:
            log.warning("peer %s did not sign: %s", peer, error)
            continue
        if signed.attestation != own.attestation:
            log.warning("peer %s computed another attestation: %s", peer, signed.attestation)
            continue
        signatures[signed.operator] = (signed.signature, signed.public_g2)
    quorum = aggregate_quorum(signatures)
    chain = operator.deployment.chain
    try:
        chain.call(
            operator.attested_margin.functions.verify(own.attestation.as_abi(), quorum.as_abi())
        )
    except TransactionReverted as refused:
        raise QuorumUnavailable(
            f"{len(signatures)} operators signed, the verifier refuses: {refused}"
        ) from None
    return own.attestation, quorum


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
            except (OperatorRequestError, ValueError, KeyError, TypeError) as error:
                self._answer(HTTPStatus.BAD_REQUEST, {"error": _message(error)})
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


def _message(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"missing field {error}"
    return str(error)


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
        raise ValueError(f"{url}{path}: {error.code} {json.loads(error.read())['error']}") from None


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


def integers_from_wire(value: Any) -> Any:
    """A JSON tree of decimal strings, booleans and lists as integers, booleans and tuples."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return int(value, 10)
    if isinstance(value, list):
        return tuple(integers_from_wire(item) for item in value)
    raise ValueError(f"{value!r} is not a decimal string, boolean or list")


def request_json(request: AttestationRequest) -> dict:
    return {
        "account": request.account,
        "state": to_wire(request.state),
        "block": str(request.block),
        "expiry": str(request.expiry),
    }


def request_from_json(body: dict) -> AttestationRequest:
    try:
        account = to_checksum_address(body["account"])
    except ValueError:
        raise OperatorRequestError(f"account {body['account']!r} is not an address") from None
    return AttestationRequest(
        account=account,
        state=integers_from_wire(body["state"]),
        block=int(body["block"], 10),
        expiry=int(body["expiry"], 10),
    )


def attestation_json(attestation: Attestation) -> list:
    return to_wire(astuple(attestation))


def attestation_from_json(fields: list) -> Attestation:
    (chain_id, account, state_hash, epoch, root, *rest) = fields
    return Attestation(
        int(chain_id),
        account,
        bytes.fromhex(state_hash.removeprefix("0x")),
        int(epoch),
        bytes.fromhex(root.removeprefix("0x")),
        *(int(value) for value in rest),
    )


def signature_json(signed: OperatorSignature) -> dict:
    return {
        "operator": signed.operator,
        "attestation": attestation_json(signed.attestation),
        "signature": to_wire(signed.signature),
        "publicKeyG2": to_wire(signed.public_g2),
    }


def signature_from_json(body: dict) -> OperatorSignature:
    return OperatorSignature(
        operator=int(body["operator"]),
        attestation=attestation_from_json(body["attestation"]),
        signature=integers_from_wire(body["signature"]),
        public_g2=integers_from_wire(body["publicKeyG2"]),
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


def quorum_from_json(body: dict) -> QuorumSignature:
    return QuorumSignature(
        signers=int(body["signers"]),
        signature=integers_from_wire(body["signature"]),
        apk_g2=integers_from_wire(body["publicKeyG2"]),
    )

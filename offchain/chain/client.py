"""Talking to a chain: forge artifacts, deployment, signed transactions, decoded reverts.

Transactions are signed locally (EIP-1559) with the sender's key and sent raw, as
a keeper on a real network does; Anvil's unlocked accounts are not used. A revert
is raised as :class:`TransactionReverted` with the custom error decoded by name
from the project's ABIs, e.g. ``Clearinghouse.AccountHealthy(account=..., ...)``.
"""

import json
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import pairwise
from typing import Any, TypeGuard, cast

import requests
from eth_abi import decode, encode
from eth_abi.exceptions import DecodingError
from eth_account import Account
from eth_account.datastructures import SignedTransaction
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr
from eth_utils import function_signature_to_4byte_selector, keccak
from hexbytes import HexBytes
from web3 import HTTPProvider, Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import (
    BadFunctionCallOutput,
    BadResponseFormat,
    ContractCustomError,
    ContractLogicError,
    ContractPanicError,
    Web3Exception,
    Web3RPCError,
)
from web3.logs import DISCARD
from web3.middleware import Web3Middleware
from web3.providers.rpc.utils import ExceptionRetryConfiguration, check_if_retry_on_failure
from web3.types import BlockIdentifier, MakeRequestFn, RPCEndpoint, RPCResponse, TxReceipt

from vmargin.chain.toolchain import artifact_path
from vmargin.chain.web3_internals import (
    PYTHONIC_RESULT_FORMATTERS,
    exclude_indexed_event_inputs,
    get_event_abi_types_for_decoding,
    get_indexed_event_inputs,
    normalize_event_input_types,
    raise_contract_logic_error_on_revert,
    validate_rpc_response_and_raise_if_error,
)
from vmargin.errors import ChainStateError, NodeError

# Anvil's default development mnemonic: its accounts hold test ether on a fresh node.
ANVIL_MNEMONIC = "test test test test test test test test test test test junk"

PANIC_SELECTOR = function_signature_to_4byte_selector("Panic(uint256)")

PROJECT_CONTRACTS = (
    "MarginEngine",
    "Clearinghouse",
    "SeriesRegistry",
    "OracleAdapter",
    "ScenarioRegistry",
    "OperatorRegistry",
    "AttestedMargin",
    "SignedPriceFeed",
    "ParameterTimelock",
    "MockAggregator",
    "MockToken",
)


# Anvil refuses a JSON-RPC request body of a few MB: a batch holds at most this many
# requests and this many characters of parameters (JSON).
BATCH_CALL_LIMIT = 1_000
BATCH_CALLDATA_LIMIT = 1_000_000


# The gas limit is the estimate plus a fifth: a transaction mined one block later can take
# another code path (an option a second closer to expiry), and gas unused is refunded.
GAS_BUFFER_DIVISOR = 5


# The tip a transaction offers by default, wei per gas.
DEFAULT_PRIORITY_FEE = 10**9

# A replacement raises both fees by at least 1/8 (12.5%).
REPLACEMENT_BUMP = 8

# Seconds an RPC request may wait for its answer before it fails (and is sent again).
RPC_TIMEOUT = 60.0

# The transport failures on which a request web3 may repeat (a read, or a signed
# transaction, which the node knows by its hash) is sent again. web3's default list names
# the builtin ConnectionError, which requests' ConnectionError (a refused or dropped
# connection) is not.
RETRIED_TRANSPORT_FAILURES = (requests.ConnectionError, requests.HTTPError, requests.Timeout)


@dataclass(frozen=True)
class Fees:
    """EIP-1559 fees, wei per gas: the most a transaction pays and the tip within it."""

    max_fee: int
    priority_fee: int

    def bumped(self, floor: "Fees") -> "Fees":
        """The fees of a replacement: both at least 12.5% higher (rounded up; nodes refuse a
        smaller bump) and at least ``floor`` (the fees the chain asks for now)."""
        return Fees(
            max_fee=max(self.max_fee + -(-self.max_fee // REPLACEMENT_BUMP), floor.max_fee),
            priority_fee=max(
                self.priority_fee + -(-self.priority_fee // REPLACEMENT_BUMP), floor.priority_fee
            ),
        )


@dataclass(frozen=True)
class Simulation:
    """A transaction run on top of the latest block without being sent: the gas it used and
    the logs it emitted (shaped as ``eth_getLogs`` entries, for ``process_log``), or why it
    reverted."""

    gas_used: int
    logs: tuple[dict[str, Any], ...]
    reverted: "TransactionReverted | None"


class RpcError(NodeError):
    """The node refused a request (not a revert), or its answer is malformed; the message is
    the node's, or names what is malformed."""


HEX_DATA = re.compile(r"0x(?:[0-9a-fA-F]{2})*")
"""Bytes as a node sends them: 0x-hex, two digits a byte."""

REQUIRED_FIELDS = {
    "eth_getBlockByNumber": ("number", "timestamp", "gasLimit", "baseFeePerGas"),
    "eth_getTransactionByHash": ("input",),
    "eth_getTransactionReceipt": (
        "transactionHash",
        "transactionIndex",
        "blockNumber",
        "to",
        "contractAddress",
        "status",
        "gasUsed",
        "logs",
    ),
}
"""The fields of a node's answers that this project reads (web3 formats those present)."""
LOG_FIELDS = (
    "address",
    "topics",
    "data",
    "blockNumber",
    "blockHash",
    "transactionHash",
    "transactionIndex",
    "logIndex",
)

MALFORMED_ANSWER = (KeyError, IndexError, TypeError, AttributeError, ValueError, DecodingError)
"""What parsing a node's malformed answer meets: a missing key, a wrong type, bad hex, ABI
data that does not decode."""


NODE_FAILURES = (
    requests.RequestException,
    json.JSONDecodeError,
    RpcError,
    Web3RPCError,
    TimeoutError,
)
"""How a node, or the way to it, fails a request: a refused, dropped or timed-out
connection, an HTTP error, an answer that is not JSON (a truncated body, a proxy's error
page) or an error the node answers with. A later attempt may not meet it."""


class TransactionReverted(ChainStateError):
    """A call or transaction reverted; ``error`` is the decoded custom error's name."""

    def __init__(self, error: str, arguments: dict[str, Any], raw: str) -> None:
        self.error = error
        self.arguments = arguments
        self.raw = raw
        shown = ", ".join(f"{name}={value}" for name, value in arguments.items())
        super().__init__(f"{error}({shown})")


@dataclass(frozen=True)
class Call:
    """One ``eth_call``: ``contract``'s function named ``function`` with ``arguments``."""

    contract: Contract
    function: str
    arguments: tuple[Any, ...] = ()


@dataclass(frozen=True)
class _Function:
    """A contract function's selector and ABI types: what encodes its calls and decodes its
    results without web3's per-call machinery."""

    selector: bytes
    input_types: tuple[str, ...]
    output_types: tuple[str, ...]

    def encode(self, arguments: Sequence[Any]) -> str:
        """The calldata (0x-hex) of a call with ``arguments``."""
        return "0x" + (self.selector + encode(self.input_types, list(arguments))).hex()

    def decode(self, result: str) -> Any:
        """A call's result (0x-hex) decoded: its one output, or a tuple of several."""
        values = decode(self.output_types, bytes.fromhex(result[2:]))
        return values[0] if len(values) == 1 else values


@lru_cache(maxsize=1024)
def _function(contract: Contract, name: str) -> _Function:
    """``contract``'s function ``name`` (the first one so named in its ABI)."""
    entry = next(
        item for item in contract.abi if item["type"] == "function" and item["name"] == name
    )
    input_types = tuple(_abi_type(item) for item in entry["inputs"])
    return _Function(
        selector=function_signature_to_4byte_selector(f"{name}({','.join(input_types)})"),
        input_types=input_types,
        output_types=tuple(_abi_type(item) for item in entry["outputs"]),
    )


def anvil_accounts(count: int) -> list[LocalAccount]:
    """The first ``count`` accounts of Anvil's default mnemonic, with their keys."""
    Account.enable_unaudited_hdwallet_features()
    return [
        Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}")
        for i in range(count)
    ]


@cache
def load_artifact(contract: str) -> dict[str, Any]:
    """The ABI and creation bytecode of ``contract`` (``vmargin/artifacts``), and where in
    that bytecode each library it links goes (library name -> byte offsets)."""
    with artifact_path(contract).open() as handle:
        artifact = json.load(handle)
    libraries = {
        library: [reference["start"] for reference in references]
        for file in artifact["linkReferences"].values()
        for library, references in file.items()
    }
    return {"abi": artifact["abi"], "bytecode": artifact["bytecode"], "libraries": libraries}


@cache
def _error_table() -> dict[bytes, tuple[str, list[dict[str, Any]]]]:
    """4-byte selector -> (Contract.ErrorName, inputs) over every exported contract (with
    the errors of the libraries and dependencies they use), the project's first."""
    exported = sorted(path.stem for path in artifact_path("Clearinghouse").parent.glob("*.json"))
    table: dict[bytes, tuple[str, list[dict[str, Any]]]] = {}
    for contract in [*PROJECT_CONTRACTS, *exported]:
        for entry in load_artifact(contract)["abi"]:
            if entry["type"] != "error":
                continue
            types = ",".join(_abi_type(item) for item in entry["inputs"])
            selector = function_signature_to_4byte_selector(f"{entry['name']}({types})")
            table.setdefault(selector, (f"{contract}.{entry['name']}", entry["inputs"]))
    return table


def _abi_type(item: Mapping[str, Any]) -> str:
    """The canonical ABI type of a function, event or error input or output (a tuple as
    ``(inner,types)``, with its array suffix)."""
    if item["type"].startswith("tuple"):
        inner = ",".join(_abi_type(component) for component in item["components"])
        return f"({inner}){item['type'][5:]}"
    return item["type"]


def decode_revert(data: str) -> TransactionReverted:
    """The TransactionReverted for revert ``data`` (0x-hex), decoded where the ABI knows it;
    Solidity's ``Panic(uint256)`` becomes ``Panic(code=...)`` (0x11: overflow)."""
    raw = bytes.fromhex(data.removeprefix("0x"))
    if raw[:4] == PANIC_SELECTOR:
        return TransactionReverted("Panic", {"code": decode(["uint256"], raw[4:])[0]}, data)
    known = _error_table().get(raw[:4])
    if known is None:
        return TransactionReverted("UnknownError", {}, data)
    name, inputs = known
    values = decode([_abi_type(item) for item in inputs], raw[4:])
    return TransactionReverted(
        name, dict(zip([i["name"] for i in inputs], values, strict=True)), data
    )


def _reverted(error: ContractLogicError) -> TransactionReverted:
    if isinstance(error, ContractCustomError | ContractPanicError) and isinstance(error.data, str):
        return decode_revert(error.data)
    return TransactionReverted("Revert", {"message": error.message}, str(error.data))


def _call_failure(response: RPCResponse) -> TransactionReverted:
    """The TransactionReverted of an ``eth_call`` error response that is a revert, by web3's
    rule for a single ``eth_call``; raises RpcError for any other error, and for an error
    that is not a JSON-RPC error object (its data, if any, 0x-hex) or whose revert data
    does not decode."""
    error = response["error"]
    if not (
        isinstance(error, dict)
        and isinstance(error.get("code"), int)
        and isinstance(error.get("message"), str)
        and (error.get("data") is None or _is_hex_data(error["data"]))
    ):
        raise RpcError(f"eth_call failed with a malformed error: {error!r}")
    try:
        try:
            raise_contract_logic_error_on_revert(response)
        except ContractLogicError as revert:
            return _reverted(revert)
    except (ValueError, KeyError, DecodingError):
        raise RpcError(f"eth_call reverted with malformed data: {error!r}") from None
    raise RpcError(f"eth_call failed: {error}")


def _is_hex_data(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and HEX_DATA.fullmatch(value) is not None


def _call_result(function: _Function, response: RPCResponse) -> Any:
    """One ``eth_call`` response of a batch: the decoded result, or the TransactionReverted
    of a revert (``_call_failure``); RpcError for a result that is not ABI data of the
    function's outputs."""
    if "error" in response:
        return _call_failure(response)
    result = response.get("result")
    if not _is_hex_data(result):
        raise RpcError(f"eth_call returned {result!r}, not 0x-hex data")
    try:
        return function.decode(result)
    except DecodingError:
        raise RpcError(f"eth_call returned {result!r}, not {function.output_types}") from None


def _simulation(response: RPCResponse) -> Simulation:
    """The Simulation of an ``eth_simulateV1`` response of one call; RpcError for a node error.
    A malformed response raises what parsing it meets (``Chain.simulate`` names it)."""
    if "error" in response:
        raise RpcError(f"eth_simulateV1 failed: {response['error']}")
    (result,) = response["result"][0]["calls"]
    gas_used = int(result["gasUsed"], 16)
    if int(result["status"], 16) != 1:
        # The revert data is the call's returnData (eth_simulateV1's spec; Anvil's error
        # only says "execution failed"), or the error's data on nodes that put it there.
        error = result.get("error", {})
        data = _nonempty_hex(result.get("returnData")) or _nonempty_hex(error.get("data"))
        reverted = (
            decode_revert(data)
            if data
            else TransactionReverted("Revert", {"message": error.get("message")}, "")
        )
        return Simulation(gas_used=gas_used, logs=(), reverted=reverted)
    logs = tuple(
        {
            "address": Web3.to_checksum_address(log["address"]),
            "topics": [HexBytes(topic) for topic in log["topics"]],
            "data": HexBytes(log["data"]),
            "blockHash": HexBytes(log["blockHash"]),
            "blockNumber": int(log["blockNumber"], 16),
            "transactionHash": HexBytes(log["transactionHash"]),
            "transactionIndex": int(log["transactionIndex"], 16),
            "logIndex": int(log["logIndex"], 16),
        }
        for log in result["logs"]
    )
    return Simulation(gas_used=gas_used, logs=logs, reverted=None)


def _nonempty_hex(value: Any) -> str | None:
    """``value`` if it is 0x-hex with at least one byte, else None."""
    return value if isinstance(value, str) and value not in ("", "0x") else None


@cache
def _event_table() -> dict[bytes, tuple[list[str], list[str]]]:
    """Topic 0 -> the ABI types of its indexed inputs (topics) and of its data, as
    ``get_event_data`` decodes them, over the project's non-anonymous events."""
    table: dict[bytes, tuple[list[str], list[str]]] = {}
    for name in PROJECT_CONTRACTS:
        for entry in load_artifact(name)["abi"]:
            if entry["type"] == "event" and not entry.get("anonymous"):
                types = ",".join(_abi_type(item) for item in entry["inputs"])
                topics = normalize_event_input_types(get_indexed_event_inputs(entry))
                data = normalize_event_input_types(exclude_indexed_event_inputs(entry))
                table.setdefault(
                    keccak(text=f"{entry['name']}({types})"),
                    (
                        list(get_event_abi_types_for_decoding(topics)),
                        list(get_event_abi_types_for_decoding(data)),
                    ),
                )
    return table


def _check_answer(w3: Web3, method: RPCEndpoint, params: Any, response: Any) -> None:
    """RpcError unless ``response`` is a JSON-RPC response whose result web3 can format, has
    the fields this project reads (``REQUIRED_FIELDS``), and whose logs (of ``eth_getLogs``
    or a receipt) are whole, of the filter's addresses and events, and decode with their
    ABI if they are project events; an ``eth_call`` error must be a revert that decodes
    (``_call_failure``). The node is outside our control: what it answers malformed must
    not surface as an error deep in web3 or a KeyError in the caller."""
    try:
        validate_rpc_response_and_raise_if_error(response, None, params=params)
    except BadResponseFormat as error:
        raise RpcError(f"{method}: {error}") from None
    except Web3RPCError:
        if method == "eth_call":
            _call_failure(response)
        return
    try:
        result = PYTHONIC_RESULT_FORMATTERS.get(method, lambda value: value)(response["result"])
        if result is None:
            return
        missing = [field for field in REQUIRED_FIELDS.get(method, ()) if field not in result]
        if missing:
            raise RpcError(f"{method} returned a result without {', '.join(missing)}")
        if method == "eth_getLogs":
            for log in result:
                _check_log(w3, log, params[0])
        elif method == "eth_getTransactionReceipt":
            for log in result["logs"]:
                _check_log(w3, log, {})
    except (*MALFORMED_ANSWER, Web3Exception) as error:
        raise RpcError(f"{method} returned a malformed result: {error!r}") from None


def _check_log(w3: Web3, log: Any, log_filter: dict[str, Any]) -> None:
    """RpcError unless the formatted ``log`` has every field, is one that ``log_filter``
    selects (by its address and first topic) and, if it is a project event's, decodes with
    its ABI."""
    missing = [field for field in LOG_FIELDS if field not in log]
    if missing:
        raise RpcError(f"a log without {', '.join(missing)}: {log}")
    address = log_filter.get("address")
    addresses = {a.lower() for a in ([address] if isinstance(address, str) else address or [])}
    first = (log_filter.get("topics") or [None])[0]
    events = {HexBytes(topic) for topic in ([first] if isinstance(first, str) else first or [])}
    topic = log["topics"][0] if log["topics"] else None
    if (addresses and log["address"].lower() not in addresses) or (events and topic not in events):
        raise RpcError(f"a log the filter {log_filter} excludes: {log}")
    types = _event_table().get(bytes(topic or b""))
    if types is not None:
        topic_types, data_types = types
        if len(log["topics"]) != len(topic_types) + 1:
            raise RpcError(f"a log with {len(log['topics'])} topics, not {len(topic_types) + 1}")
        for topic_type, value in zip(topic_types, log["topics"][1:], strict=True):
            w3.codec.decode([topic_type], value)
        w3.codec.decode(data_types, log["data"])


class _AnswerCheck(Web3Middleware):
    """Checks every answer of the node (``_check_answer``) before web3 handles it."""

    def wrap_make_request(self, make_request: MakeRequestFn) -> MakeRequestFn:
        def checked(method: RPCEndpoint, params: Any) -> RPCResponse:
            response = make_request(method, params)
            _check_answer(cast(Web3, self._w3), method, params, response)
            return response

        return checked


@dataclass(frozen=True)
class Chain:
    """A connection and the chain id its transactions are signed for."""

    w3: Web3
    chain_id: int

    @classmethod
    def connect(cls, rpc_url: str, timeout: float = RPC_TIMEOUT) -> "Chain":
        """Connect over HTTP JSON-RPC, ``timeout`` seconds per request. A request web3 may
        repeat is sent again after a refused or dropped connection, an HTTP error or a
        timeout: 5 attempts, 0.125 s apart, doubling. Every answer is checked before web3
        decodes it (``_AnswerCheck``): a malformed one raises RpcError."""
        provider = HTTPProvider(
            rpc_url,
            request_kwargs={"timeout": timeout},
            exception_retry_configuration=ExceptionRetryConfiguration(
                errors=RETRIED_TRANSPORT_FAILURES
            ),
        )
        w3 = Web3(provider)
        w3.middleware_onion.inject(_AnswerCheck, name="answer check", layer=0)
        return cls(w3=w3, chain_id=w3.eth.chain_id)

    def contract(self, name: str, address: ChecksumAddress) -> Contract:
        """The deployed project contract ``name`` at ``address``."""
        return self.w3.eth.contract(address=address, abi=load_artifact(name)["abi"])

    def call(self, function: ContractFunction, block: BlockIdentifier = "latest") -> Any:
        """``eth_call`` of ``function``; a revert raises TransactionReverted, a result that
        does not decode RpcError."""
        try:
            return function.call(block_identifier=block)
        except ContractLogicError as error:
            raise _reverted(error) from None
        except BadFunctionCallOutput as error:
            raise RpcError(str(error)) from None

    def call_batch(
        self,
        contract: Contract,
        function: str,
        argument_lists: Sequence[Sequence[Any]],
        block: int,
    ) -> list[Any]:
        """``eth_call`` of ``contract.function`` once per argument list at ``block``: see
        ``call_many``."""
        return self.call_many(
            [Call(contract, function, tuple(arguments)) for arguments in argument_lists], block
        )

    def call_many(self, calls: Sequence[Call], block: int) -> list[Any]:
        """The decoded results of ``calls`` at ``block``, in order, read with ``try_call_many``;
        the first revert raises TransactionReverted."""
        results = self.try_call_many(calls, block)
        for result in results:
            if isinstance(result, TransactionReverted):
                raise result
        return results

    def try_call_many(self, calls: Sequence[Call], block: int) -> list[Any]:
        """``eth_call`` of each call at ``block``, sent with ``batch`` and encoded and decoded
        here with eth_abi: web3's ``batch_requests`` builds a contract function per call,
        over ten times slower for a thousand calls, and raises at the first revert. Returns,
        in order, each call's decoded result (one output alone, several as a tuple), or the
        TransactionReverted it reverted with, classified and decoded as ``call`` does. A call
        the node fails otherwise (an unknown block, an internal error) raises RpcError."""
        functions = [_function(call.contract, call.function) for call in calls]
        requests = [
            (
                "eth_call",
                [
                    {"to": call.contract.address, "data": function.encode(call.arguments)},
                    hex(block),
                ],
            )
            for call, function in zip(calls, functions, strict=True)
        ]
        return [
            _call_result(function, response)
            for function, response in zip(functions, self.batch(requests), strict=True)
        ]

    def batch(self, requests: Sequence[tuple[str, list[Any]]]) -> list[RPCResponse]:
        """The node's responses to JSON-RPC ``requests`` (method, parameters), in order, sent
        as batches of at most ``BATCH_CALL_LIMIT`` requests and ``BATCH_CALLDATA_LIMIT``
        characters of parameters. A batch whose methods web3 retries singly is retried as
        web3 retries a single request (the provider's ``exception_retry_configuration``;
        ``connect``'s: a refused or dropped connection, an HTTP error or a timeout, 5
        attempts, 0.125 s apart doubling); a batch the node refuses as a whole raises
        RpcError."""
        responses: list[RPCResponse] = []
        start = 0
        while start < len(requests):
            end, size = start, 0
            while end < len(requests) and (
                end == start or (size < BATCH_CALLDATA_LIMIT and end - start < BATCH_CALL_LIMIT)
            ):
                size += len(json.dumps(requests[end][1]))
                end += 1
            responses += self._send_batch(requests[start:end])
            start = end
        return responses

    def results(self, requests: Sequence[tuple[str, list[Any]]]) -> list[Any]:
        """The results of JSON-RPC ``requests``, sent as ``batch`` sends them; a request the
        node fails raises RpcError."""
        results = []
        for (method, params), response in zip(requests, self.batch(requests), strict=True):
            if "error" in response:
                raise RpcError(f"{method} {params} failed: {response['error']}")
            results.append(response["result"])
        return results

    def block_hashes(self, numbers: Iterable[int]) -> dict[int, str | None]:
        """The hash (0x-hex) of each block in ``numbers``, in batches; None for a block the
        chain does not have."""
        numbers = list(numbers)
        headers = self.results([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
        return {
            number: None if header is None else header["hash"]
            for number, header in zip(numbers, headers, strict=True)
        }

    def _send_batch(self, requests: Sequence[tuple[str, list[Any]]]) -> list[RPCResponse]:
        """One batch request, retried as ``batch`` says; the responses in request order."""
        provider = cast(HTTPProvider, self.w3.provider)
        retry = provider.exception_retry_configuration
        batch = [(RPCEndpoint(method), params) for method, params in requests]
        retried = retry is not None and all(
            check_if_retry_on_failure(method, retry.method_allowlist) for method, _ in batch
        )
        attempts, errors = (max(retry.retries, 1), tuple(retry.errors)) if retried else (1, ())
        for attempt in range(attempts):
            try:
                responses = provider.make_batch_request(batch)
                break
            except errors:
                if attempt == attempts - 1:
                    raise
                time.sleep(retry.backoff_factor * 2**attempt)
        if not isinstance(responses, list) or len(responses) != len(requests):
            raise RpcError(f"the node refused a batch of {len(requests)} requests: {responses}")
        # web3 numbers a batch's requests in order and sorts the answers by id.
        ids = [response.get("id") if isinstance(response, dict) else None for response in responses]
        numbered = [id_ for id_ in ids if type(id_) is int]
        if len(numbered) != len(ids) or any(a >= b for a, b in pairwise(numbered)):
            raise RpcError(f"the node answered a batch with ids {ids}, not one per request")
        return responses

    def fees(self, priority_fee: int = DEFAULT_PRIORITY_FEE) -> Fees:
        """EIP-1559 fees for the next blocks: ``priority_fee`` (wei per gas) on top of twice
        the latest base fee, which covers six full blocks of base-fee rise (12.5% each)."""
        base_fee = self.w3.eth.get_block("latest")["baseFeePerGas"]
        return Fees(max_fee=2 * base_fee + priority_fee, priority_fee=priority_fee)

    def simulate(self, sender: str, to: str, data: str) -> Simulation:
        """Run a transaction of calldata ``data`` (0x-hex) from ``sender`` to ``to`` on top of
        the latest block with ``eth_simulateV1``, without signing or sending it: its gas used
        and logs, or its revert decoded as TransactionReverted. A node error or a malformed
        response raises RpcError, and so does a log of a project event that does not decode
        with its ABI (``_check_log``, as for ``eth_getLogs`` and receipts)."""
        call = {"from": sender, "to": to, "data": data}
        response = self.w3.provider.make_request(
            RPCEndpoint("eth_simulateV1"), [{"blockStateCalls": [{"calls": [call]}]}, "latest"]
        )
        try:
            simulation = _simulation(response)
            for log in simulation.logs:
                _check_log(self.w3, log, {})
        except MALFORMED_ANSWER as error:
            raise RpcError(f"eth_simulateV1 returned a malformed response: {error!r}") from None
        return simulation

    def sign(
        self,
        sender: LocalAccount,
        *,
        nonce: int,
        to: ChecksumAddress,
        data: HexStr | bytes,
        gas: int,
        fees: Fees,
    ) -> SignedTransaction:
        """An EIP-1559 transaction of ``data`` to ``to`` with every field given, signed by
        ``sender`` and not sent (for callers that manage their own nonces)."""
        return sender.sign_transaction(
            {
                "chainId": self.chain_id,
                "nonce": nonce,
                "to": to,
                "value": 0,
                "data": data,
                "gas": gas,
                "maxFeePerGas": fees.max_fee,
                "maxPriorityFeePerGas": fees.priority_fee,
            }
        )

    def send(self, sender: LocalAccount, transaction: dict[str, Any]) -> TxReceipt:
        """Fill nonce, gas (the estimate plus a fifth, at most a block) and EIP-1559 fees, sign with
        ``sender``, send, and wait for the receipt. A revert (at gas estimation or in the
        block) raises TransactionReverted."""
        fees = self.fees()
        transaction = {
            "chainId": self.chain_id,
            "from": sender.address,
            "nonce": self.w3.eth.get_transaction_count(sender.address, "pending"),
            "maxPriorityFeePerGas": fees.priority_fee,
            "maxFeePerGas": fees.max_fee,
            **transaction,
        }
        try:
            if "gas" not in transaction:
                # One dict serves web3, typed as its TypedDict TxParams, and eth-account,
                # typed as a plain dict: neither type is the other.
                estimate = self.w3.eth.estimate_gas(transaction)  # type: ignore[arg-type]
                block_limit = self.w3.eth.get_block("latest")["gasLimit"]
                transaction["gas"] = min(estimate + estimate // GAS_BUFFER_DIVISOR, block_limit)
        except ContractLogicError as error:
            raise _reverted(error) from None
        signed = sender.sign_transaction(transaction)
        tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120)
        if receipt["status"] != 1:
            raise TransactionReverted("Reverted", {"tx": tx_hash.to_0x_hex()}, "")
        return receipt

    def transact(self, sender: LocalAccount, function: ContractFunction) -> TxReceipt:
        """Send ``function`` as a transaction from ``sender``; see ``send``."""
        try:
            transaction = function.build_transaction({"from": sender.address, "gas": 0})
        except ContractLogicError as error:
            raise _reverted(error) from None
        del transaction["gas"]
        return self.send(sender, dict(transaction))

    def deploy(self, sender: LocalAccount, name: str, *arguments: Any) -> Contract:
        """Deploy project contract ``name`` with constructor ``arguments``, after deploying
        each library it links (``LiquidationLogic`` for the clearinghouse)."""
        return self.deploy_artifact(sender, load_artifact(name), *arguments)

    def deploy_artifact(
        self, sender: LocalAccount, artifact: dict[str, Any], *arguments: Any
    ) -> Contract:
        """Deploy the contract of ``artifact`` (``abi``, creation ``bytecode`` and the byte
        offsets of the ``libraries`` it links, each a project contract deployed first and its
        address written in) with constructor ``arguments``."""
        bytecode = artifact["bytecode"]
        for library, starts in artifact.get("libraries", {}).items():
            linked = self.deploy(sender, library).address.removeprefix("0x").lower()
            for start in starts:
                at = 2 + 2 * start
                bytecode = bytecode[:at] + linked + bytecode[at + 40 :]
        factory = self.w3.eth.contract(abi=artifact["abi"], bytecode=bytecode)
        transaction = factory.constructor(*arguments).build_transaction(
            {"from": sender.address, "gas": 0}
        )
        del transaction["gas"]
        receipt = self.send(sender, dict(transaction))
        address = receipt["contractAddress"]
        if address is None:
            raise RpcError(
                f"the receipt of deployment {receipt['transactionHash']!r} has no address"
            )
        return self.w3.eth.contract(address=address, abi=artifact["abi"])


def emitted(contract: Contract, event: str, receipt: TxReceipt) -> list[Any]:
    """The arguments of every ``event`` that ``contract`` emitted in ``receipt``."""
    logs = getattr(contract.events, event)().process_receipt(receipt, errors=DISCARD)
    return [log["args"] for log in logs]

"""What vmargin relies on in web3's private helpers (``vmargin.chain.web3_internals``), for
the inputs vmargin passes them: a web3 upgrade that changes one of them fails here first.
No node: the responses are built here, shaped as Anvil answers."""

from typing import Any

import pytest
from eth_abi import encode
from eth_typing import ABIEvent
from eth_utils import function_signature_to_4byte_selector
from hexbytes import HexBytes
from web3.exceptions import (
    BadResponseFormat,
    ContractCustomError,
    ContractLogicError,
    ContractPanicError,
    MethodUnavailable,
    TransactionNotFound,
    Web3Exception,
    Web3RPCError,
)
from web3.types import RPCEndpoint, RPCResponse

from vmargin.chain.client import MALFORMED_ANSWER, REQUIRED_FIELDS
from vmargin.chain.web3_internals import (
    PYTHONIC_RESULT_FORMATTERS,
    exclude_indexed_event_inputs,
    get_event_abi_types_for_decoding,
    get_indexed_event_inputs,
    normalize_event_input_types,
    raise_contract_logic_error_on_revert,
    validate_rpc_response_and_raise_if_error,
)

ADDRESS = "0x" + "12" * 20
HASH = "0x" + "ab" * 32


def revert_data(signature: str, types: list[str], values: list[Any]) -> str:
    """0x-hex revert data of the Solidity error ``signature`` with ``values``."""
    selector = function_signature_to_4byte_selector(signature)
    return "0x" + (selector + encode(types, values)).hex()


def error_response(**error: Any) -> Any:
    """An error answer of a node, well-formed or not: data off the wire, which the answer
    check takes as Any."""
    return {"jsonrpc": "2.0", "id": 1, "error": error}


CUSTOM_ERROR = revert_data("AccountHealthy(address,int256)", ["address", "int256"], [ADDRESS, -5])
OVERFLOW = revert_data("Panic(uint256)", ["uint256"], [0x11])
REASON = revert_data("Error(string)", ["string"], ["not the settler"])


# validate_rpc_response_and_raise_if_error: the envelope check of every answer.


@pytest.mark.parametrize(
    "response",
    [
        {"jsonrpc": "2.0", "id": 1, "result": "0x1"},
        {"jsonrpc": "2.0", "id": "7", "result": None},
    ],
)
def test_a_well_formed_result_passes(response: RPCResponse) -> None:
    validate_rpc_response_and_raise_if_error(response, None, params=[])


@pytest.mark.parametrize(
    "response",
    [
        {"id": 1, "result": "0x1"},
        {"jsonrpc": "1.0", "id": 1, "result": "0x1"},
        {"jsonrpc": "2.0", "result": "0x1"},
        {"jsonrpc": "2.0", "id": "seven", "result": "0x1"},
        {"jsonrpc": "2.0", "id": 1.5, "result": "0x1"},
        {"jsonrpc": "2.0", "id": 1},
        {"jsonrpc": "2.0", "id": 1, "result": "0x1", "error": {"code": 1, "message": "m"}},
        {"jsonrpc": "2.0", "id": 1, "error": "boom"},
        error_response(code=3),
        error_response(message="execution reverted"),
        error_response(code="3", message="execution reverted"),
    ],
)
def test_a_malformed_envelope_is_a_bad_response_format(response: Any) -> None:
    with pytest.raises(BadResponseFormat):
        validate_rpc_response_and_raise_if_error(response, None, params=[])


@pytest.mark.parametrize(
    ("response", "kind"),
    [
        (error_response(code=3, message="execution reverted", data=CUSTOM_ERROR), Web3RPCError),
        (
            {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse"}},
            Web3RPCError,
        ),
        (error_response(code=-32601, message="eth_simulateV1 does not exist"), MethodUnavailable),
        (error_response(code=-32000, message="transaction not found"), TransactionNotFound),
    ],
)
def test_a_well_formed_error_is_a_web3_rpc_error(response: Any, kind: type[Web3RPCError]) -> None:
    with pytest.raises(Web3RPCError) as raised:
        validate_rpc_response_and_raise_if_error(response, None, params=[HASH])
    assert type(raised.value) is kind


# raise_contract_logic_error_on_revert: a revert, told from any other eth_call error.


def test_custom_error_data_is_a_contract_custom_error_with_the_data() -> None:
    response = error_response(code=3, message="execution reverted", data=CUSTOM_ERROR)
    with pytest.raises(ContractCustomError) as raised:
        raise_contract_logic_error_on_revert(response)
    assert raised.value.data == CUSTOM_ERROR


def test_a_panic_is_a_contract_panic_error_with_the_data() -> None:
    response = error_response(code=3, message="execution reverted", data=OVERFLOW)
    with pytest.raises(ContractPanicError) as raised:
        raise_contract_logic_error_on_revert(response)
    assert raised.value.data == OVERFLOW


def test_a_panic_code_web3_does_not_know_is_a_key_error() -> None:
    """Caught by ``_call_failure`` as revert data that does not decode."""
    data = revert_data("Panic(uint256)", ["uint256"], [0x99])
    with pytest.raises(KeyError):
        raise_contract_logic_error_on_revert(error_response(code=3, message="x", data=data))


@pytest.mark.parametrize(
    ("error", "message", "data"),
    [
        (
            {"code": 3, "message": "execution reverted: not the settler", "data": REASON},
            "execution reverted: not the settler",
            REASON,
        ),
        ({"code": 3, "message": "execution reverted", "data": "0x"}, "execution reverted", "0x"),
        (
            {"code": 3, "message": "execution reverted", "data": "0x1234"},
            "execution reverted",
            "0x1234",
        ),
        ({"code": 3, "message": "", "data": None}, "execution reverted", None),
        ({"code": -32003, "message": "execution reverted"}, "execution reverted", "no data"),
    ],
)
def test_a_revert_without_custom_data_is_a_plain_contract_logic_error(
    error: dict[str, Any], message: str, data: str | None
) -> None:
    with pytest.raises(ContractLogicError) as raised:
        raise_contract_logic_error_on_revert(error_response(**error))
    assert type(raised.value) is ContractLogicError
    assert raised.value.message == message
    assert raised.value.data == data


def test_an_error_that_is_not_a_revert_is_returned() -> None:
    response = error_response(code=-32000, message="header not found")
    assert raise_contract_logic_error_on_revert(response) is response


# PYTHONIC_RESULT_FORMATTERS: the results the answer check formats as web3 will.

RECEIPT: dict[str, Any] = {
    "transactionHash": HASH,
    "transactionIndex": "0x0",
    "blockNumber": "0x5",
    "blockHash": HASH,
    "from": ADDRESS,
    "to": None,
    "contractAddress": ADDRESS,
    "status": "0x1",
    "gasUsed": "0x5208",
    "logs": [
        {
            "address": ADDRESS,
            "topics": [HASH],
            "data": "0x",
            "blockNumber": "0x5",
            "blockHash": HASH,
            "transactionHash": HASH,
            "transactionIndex": "0x0",
            "logIndex": "0x0",
            "removed": False,
        }
    ],
}


def formatted(method: str, result: Any) -> Any:
    return PYTHONIC_RESULT_FORMATTERS[RPCEndpoint(method)](result)


def test_the_methods_whose_answers_are_checked_have_formatters() -> None:
    for method in [*REQUIRED_FIELDS, "eth_getLogs", "eth_call", "eth_simulateV1"]:
        assert RPCEndpoint(method) in PYTHONIC_RESULT_FORMATTERS


def test_a_receipt_is_formatted_into_python_values_under_the_same_fields() -> None:
    receipt = formatted("eth_getTransactionReceipt", RECEIPT)
    assert set(receipt) == set(RECEIPT)
    assert receipt["transactionHash"] == HexBytes(HASH)
    assert (receipt["blockNumber"], receipt["status"], receipt["gasUsed"]) == (5, 1, 21_000)
    assert receipt["contractAddress"] == ADDRESS
    (log,) = receipt["logs"]
    assert log["topics"] == [HexBytes(HASH)] and log["data"] == HexBytes("0x")
    assert (log["blockNumber"], log["logIndex"]) == (5, 0)


def test_a_missing_field_stays_missing() -> None:
    receipt = {name: value for name, value in RECEIPT.items() if name != "status"}
    assert "status" not in formatted("eth_getTransactionReceipt", receipt)


def test_no_block_is_none() -> None:
    assert formatted("eth_getBlockByNumber", None) is None


@pytest.mark.parametrize(
    ("method", "result"),
    [
        ("eth_getTransactionReceipt", {**RECEIPT, "blockNumber": "0xzz"}),
        ("eth_getTransactionReceipt", {**RECEIPT, "transactionHash": "not hex"}),
        ("eth_getTransactionReceipt", {**RECEIPT, "logs": 5}),
        (
            "eth_getBlockByNumber",
            {"number": "0x1", "timestamp": "soon", "gasLimit": "0x1", "baseFeePerGas": "0x1"},
        ),
    ],
)
def test_a_malformed_result_raises_what_the_answer_check_catches(method: str, result: Any) -> None:
    with pytest.raises((*MALFORMED_ANSWER, Web3Exception)):
        formatted(method, result)


# The event helpers: an event's topics and data, typed as get_event_data decodes them.

EVENT: ABIEvent = {
    "type": "event",
    "name": "Traded",
    "anonymous": False,
    "inputs": [
        {"name": "account", "type": "address", "indexed": True},
        {"name": "tag", "type": "string", "indexed": True},
        {"name": "ids", "type": "uint256[]", "indexed": True},
        {
            "name": "pair",
            "type": "tuple",
            "components": [
                {"name": "size", "type": "uint256"},
                {"name": "prices", "type": "int256[2]"},
            ],
            "indexed": False,
        },
        {"name": "note", "type": "bytes", "indexed": False},
        {"name": "amount", "type": "int256", "indexed": False},
    ],
}


def test_indexed_inputs_are_the_topics_and_the_others_the_data_in_order() -> None:
    topics = normalize_event_input_types(get_indexed_event_inputs(EVENT))
    data = normalize_event_input_types(exclude_indexed_event_inputs(EVENT))
    assert [item["name"] for item in topics] == ["account", "tag", "ids"]
    assert [item["name"] for item in data] == ["pair", "note", "amount"]


def test_an_indexed_dynamic_type_decodes_as_its_hash_and_a_tuple_collapses() -> None:
    topics = normalize_event_input_types(get_indexed_event_inputs(EVENT))
    data = normalize_event_input_types(exclude_indexed_event_inputs(EVENT))
    assert list(get_event_abi_types_for_decoding(topics)) == ["address", "bytes32", "bytes32"]
    assert list(get_event_abi_types_for_decoding(data)) == [
        "(uint256,int256[2])",
        "bytes",
        "int256",
    ]

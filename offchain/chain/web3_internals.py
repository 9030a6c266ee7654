"""The private web3 helpers that vmargin uses, in one place.

web3 keeps these in ``web3._utils``, which any release may change without notice. vmargin
uses them to read a node's answers exactly as web3 itself reads them, so that the checks it
makes before web3 sees an answer (``vmargin.chain.client``) agree with what web3 then does.
No other module imports ``web3._utils``; ``tests/unit/test_web3_internals.py`` pins what each
name returns or raises for the inputs vmargin passes, so that a web3 upgrade that changes one
fails there first.

- ``validate_rpc_response_and_raise_if_error(response, None, params=params)``: web3's check of
  a JSON-RPC response's envelope. It returns None for a well-formed result, raises
  ``BadResponseFormat`` for a malformed envelope (no ``jsonrpc`` 2.0, no integer id, both or
  neither of ``result`` and ``error``, an error that is not an object with a string message
  and an integer code) and ``Web3RPCError`` (or a subclass) for a well-formed error. The
  answer check tells a malformed answer (an RpcError) from an error the node answered with.
- ``raise_contract_logic_error_on_revert(response)``: web3's rule for telling a revert from
  any other ``eth_call`` error. It raises ``ContractCustomError`` (custom error data) or
  ``ContractPanicError`` (``Panic(uint256)``) with the 0x-hex revert data as ``data``, or
  ``ContractLogicError`` for a revert with a message only; it returns the response for an
  error that is not a revert. ``Chain.try_call_many`` classifies each call of a batch, which
  web3 does not check, by this same rule.
- ``PYTHONIC_RESULT_FORMATTERS``: method name -> the function with which web3 turns a
  result into Python values (hex quantities into ints, hashes into HexBytes), keeping the
  fields a result has and adding none. The answer check runs it to find a result that web3
  would fail on, and the fields it lacks.
- ``get_indexed_event_inputs``, ``exclude_indexed_event_inputs``,
  ``normalize_event_input_types`` and ``get_event_abi_types_for_decoding``: an event ABI's
  indexed inputs (its topics) and the others (its data), and their types as
  ``get_event_data`` decodes them (an indexed dynamic type as ``bytes32``, its hash; a tuple
  as ``(inner,types)``). The answer check decodes every log of a project event with them, as
  web3 decodes it later.
"""

from web3._utils.abi import (
    exclude_indexed_event_inputs,
    get_indexed_event_inputs,
    normalize_event_input_types,
)
from web3._utils.error_formatters_utils import raise_contract_logic_error_on_revert
from web3._utils.events import get_event_abi_types_for_decoding
from web3._utils.method_formatters import PYTHONIC_RESULT_FORMATTERS
from web3._utils.validation import validate_rpc_response_and_raise_if_error

__all__ = [
    "PYTHONIC_RESULT_FORMATTERS",
    "exclude_indexed_event_inputs",
    "get_event_abi_types_for_decoding",
    "get_indexed_event_inputs",
    "normalize_event_input_types",
    "raise_contract_logic_error_on_revert",
    "validate_rpc_response_and_raise_if_error",
]

"""Talking to a chain: forge artifacts, deployment, signed transactions, decoded reverts.

Transactions are signed locally (EIP-1559) with the sender's key and sent raw, as
a keeper on a real network does; Anvil's unlocked accounts are not used. A revert
is raised as :class:`TransactionReverted` with the custom error decoded by name
from the project's ABIs, e.g. ``Clearinghouse.AccountHealthy(account=..., ...)``.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from eth_abi import decode, encode
from eth_account import Account
from eth_account.datastructures import SignedTransaction
from eth_account.signers.local import LocalAccount
from eth_utils import function_signature_to_4byte_selector
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError
from web3.logs import DISCARD
from web3.types import TxReceipt

from offchain.toolchain import artifact_path

# Anvil's default development mnemonic: its accounts hold test ether on a fresh node.
ANVIL_MNEMONIC = "test test test test test test test test test test test junk"

PANIC_SELECTOR = function_signature_to_4byte_selector("Panic(uint256)")

PROJECT_CONTRACTS = (
    "MarginEngine",
    "Clearinghouse",
    "OracleAdapter",
    "ScenarioRegistry",
    "OperatorRegistry",
    "AttestedMargin",
    "SignedPriceFeed",
    "MockAggregator",
    "MockToken",
)


# Anvil refuses a JSON-RPC request body of a few MB: a batch holds at most this many
# calls and this many characters of calldata.
BATCH_CALL_LIMIT = 1_000
BATCH_CALLDATA_LIMIT = 1_000_000


# The gas limit is the estimate plus a fifth: a transaction mined one block later can take
# another code path (an option a second closer to expiry), and gas unused is refunded.
GAS_BUFFER_DIVISOR = 5


# The tip a transaction offers by default, wei per gas.
DEFAULT_PRIORITY_FEE = 10**9

# A replacement raises both fees by at least 1/8 (12.5%).
REPLACEMENT_BUMP = 8


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


class RpcError(RuntimeError):
    """The node refused a request (not a revert); the message is the node's."""


class TransactionReverted(RuntimeError):
    """A call or transaction reverted; ``error`` is the decoded custom error's name."""

    def __init__(self, error: str, arguments: dict[str, Any], raw: str) -> None:
        self.error = error
        self.arguments = arguments
        self.raw = raw
        shown = ", ".join(f"{name}={value}" for name, value in arguments.items())
        super().__init__(f"{error}({shown})")


def anvil_accounts(count: int) -> list[LocalAccount]:
    """The first ``count`` accounts of Anvil's default mnemonic, with their keys."""
    Account.enable_unaudited_hdwallet_features()
    return [
        Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}")
        for i in range(count)
    ]


@cache
def load_artifact(contract: str) -> dict[str, Any]:
    """The ABI and creation bytecode of ``contract`` from forge's ``out/``."""
    with artifact_path(contract).open() as handle:
        artifact = json.load(handle)
    return {"abi": artifact["abi"], "bytecode": artifact["bytecode"]["object"]}


@cache
def _error_table() -> dict[bytes, tuple[str, list[dict[str, Any]]]]:
    """4-byte selector -> (Contract.ErrorName, inputs) over every contract forge built
    (the project's, its libraries' and its dependencies'), the project's first."""
    out = artifact_path("Clearinghouse").parent.parent
    abis = [(name, load_artifact(name)["abi"]) for name in PROJECT_CONTRACTS]
    for path in sorted(out.glob("*.sol/*.json")):
        with path.open() as handle:
            abis.append((path.stem, json.load(handle)["abi"]))
    table: dict[bytes, tuple[str, list[dict[str, Any]]]] = {}
    for contract, abi in abis:
        for entry in abi:
            if entry["type"] != "error":
                continue
            types = ",".join(_abi_type(item) for item in entry["inputs"])
            selector = function_signature_to_4byte_selector(f"{entry['name']}({types})")
            table.setdefault(selector, (f"{contract}.{entry['name']}", entry["inputs"]))
    return table


def _abi_type(item: dict[str, Any]) -> str:
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


@dataclass(frozen=True)
class Chain:
    """A connection and the chain id its transactions are signed for."""

    w3: Web3
    chain_id: int

    @classmethod
    def connect(cls, rpc_url: str) -> "Chain":
        """Connect over HTTP JSON-RPC."""
        w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 60}))
        return cls(w3=w3, chain_id=w3.eth.chain_id)

    def contract(self, name: str, address: str) -> Contract:
        """The deployed project contract ``name`` at ``address``."""
        return self.w3.eth.contract(address=address, abi=load_artifact(name)["abi"])

    def call(self, function: ContractFunction, block: int | str = "latest") -> Any:
        """``eth_call`` of ``function``; a revert raises TransactionReverted."""
        try:
            return function.call(block_identifier=block)
        except ContractLogicError as error:
            raise _reverted(error) from None

    def call_batch(
        self,
        contract: Contract,
        function: str,
        argument_lists: Sequence[Sequence[Any]],
        block: int,
    ) -> list[Any]:
        """``eth_call`` of ``contract.function`` once per argument list at ``block``, sent as
        JSON-RPC batches of at most ``BATCH_CALL_LIMIT`` calls and ``BATCH_CALLDATA_LIMIT``
        characters of calldata (web3's
        per-call overhead is 20x the node's work here). Returns the decoded results in
        order; the first revert raises TransactionReverted."""
        entry = next(
            item for item in contract.abi if item["type"] == "function" and item["name"] == function
        )
        input_types = [_abi_type(item) for item in entry["inputs"]]
        output_types = [_abi_type(item) for item in entry["outputs"]]
        selector = function_signature_to_4byte_selector(f"{function}({','.join(input_types)})")
        requests = [
            (
                "eth_call",
                [
                    {
                        "to": contract.address,
                        "data": "0x" + (selector + encode(input_types, list(arguments))).hex(),
                    },
                    hex(block),
                ],
            )
            for arguments in argument_lists
        ]
        results = []
        start = 0
        while start < len(requests):
            end, size = start, 0
            while end < len(requests) and (
                end == start or (size < BATCH_CALLDATA_LIMIT and end - start < BATCH_CALL_LIMIT)
            ):
                size += len(requests[end][1][0]["data"])
                end += 1
            results.extend(self._decoded_batch(requests[start:end], output_types))
            start = end
        return results

    def _decoded_batch(
        self, requests: list[tuple[str, list[Any]]], output_types: list[str]
    ) -> list[Any]:
        responses = self.w3.provider.make_batch_request(requests)  # type: ignore[arg-type]
        if not isinstance(responses, list):
            raise RpcError(f"the node refused a batch of {len(requests)} calls: {responses}")
        results = []
        for response in sorted(responses, key=lambda response: int(response["id"])):
            if "error" in response:
                error = response["error"]
                if error.get("data"):
                    raise decode_revert(error["data"])
                raise TransactionReverted("Revert", {"message": error.get("message")}, "")
            values = decode(output_types, bytes.fromhex(response["result"][2:]))
            results.append(values[0] if len(values) == 1 else values)
        return results

    def fees(self, priority_fee: int = DEFAULT_PRIORITY_FEE) -> Fees:
        """EIP-1559 fees for the next blocks: ``priority_fee`` (wei per gas) on top of twice
        the latest base fee, which covers six full blocks of base-fee rise (12.5% each)."""
        base_fee = self.w3.eth.get_block("latest")["baseFeePerGas"]
        return Fees(max_fee=2 * base_fee + priority_fee, priority_fee=priority_fee)

    def simulate(self, sender: str, to: str, data: str) -> Simulation:
        """Run a transaction of calldata ``data`` (0x-hex) from ``sender`` to ``to`` on top of
        the latest block with ``eth_simulateV1``, without signing or sending it: its gas used
        and logs, or its revert decoded as TransactionReverted."""
        call = {"from": sender, "to": to, "data": data}
        response = self.w3.provider.make_request(
            "eth_simulateV1",  # type: ignore[arg-type]
            [{"blockStateCalls": [{"calls": [call]}]}, "latest"],
        )
        if "error" in response:
            raise RpcError(f"eth_simulateV1 failed: {response['error']}")
        (result,) = response["result"][0]["calls"]
        gas_used = int(result["gasUsed"], 16)
        if int(result["status"], 16) != 1:
            error = result.get("error", {})
            data = error.get("data")
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

    def sign(
        self,
        sender: LocalAccount,
        nonce: int,
        to: str,
        data: str | bytes,
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
        """Deploy project contract ``name`` with constructor ``arguments``."""
        artifact = load_artifact(name)
        factory = self.w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
        transaction = factory.constructor(*arguments).build_transaction(
            {"from": sender.address, "gas": 0}
        )
        del transaction["gas"]
        receipt = self.send(sender, dict(transaction))
        return self.contract(name, receipt["contractAddress"])


def emitted(contract: Contract, event: str, receipt: TxReceipt) -> list[Any]:
    """The arguments of every ``event`` that ``contract`` emitted in ``receipt``."""
    logs = getattr(contract.events, event)().process_receipt(receipt, errors=DISCARD)
    return [log["args"] for log in logs]

"""Anvil's test methods, for the tests that run on a node: one JSON-RPC call, and a block
after which the chain is as it was before."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from web3.types import RPCEndpoint

from vmargin.chain.client import Chain


def rpc(chain: Chain, method: str, *params: Any) -> Any:
    """The result of JSON-RPC ``method`` with ``params`` on ``chain``'s node; it must not
    fail."""
    response = chain.w3.provider.make_request(RPCEndpoint(method), list(params))
    assert "error" not in response, response
    return response["result"]


@contextmanager
def reverted(chain: Chain) -> Iterator[None]:
    """Run the block, then put the chain back as it was before it, mempool included.

    A revert keeps the mempool: a transaction the block left pending would be mined, with
    a timestamp from before the revert, into whatever runs next; so the mempool is dropped
    and automine turned back on first. Anvil also keeps the base fee the block's blocks
    left for the next block across a revert, so that is reset to the restored block's."""
    snapshot = rpc(chain, "evm_snapshot")
    try:
        yield
    finally:
        rpc(chain, "anvil_dropAllTransactions")
        rpc(chain, "evm_setAutomine", True)
        assert rpc(chain, "evm_revert", snapshot) is True
        base_fee = chain.w3.eth.get_block("latest")["baseFeePerGas"]
        rpc(chain, "anvil_setNextBlockBaseFeePerGas", hex(base_fee))

"""Driving the mock Chainlink aggregators on a local chain.

Prices are given as ``Decimal`` in quote units and written as the feed's integer
answer (``price * 10**decimals``), which must be exact: a price with more digits
than the feed has raises instead of being rounded silently.
"""

from decimal import Decimal

from eth_account.signers.local import LocalAccount
from web3.contract import Contract
from web3.types import TxReceipt

from offchain.chain import Chain


def feed_answer(price: Decimal, decimals: int) -> int:
    """The aggregator answer for ``price`` with ``decimals``; raise if not exact or not > 0."""
    scaled = price.scaleb(decimals)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"price {price} has more than {decimals} decimals")
    if scaled <= 0:
        raise ValueError(f"price {price} is not positive")
    return int(scaled)


def push_price(
    chain: Chain,
    owner: LocalAccount,
    aggregator: Contract,
    price: Decimal,
    updated_at: int | None = None,
) -> TxReceipt:
    """Start a new round on ``aggregator`` at ``price``, dated ``updated_at`` (unix seconds;
    default: the latest block's timestamp)."""
    decimals = chain.call(aggregator.functions.decimals())
    if updated_at is None:
        updated_at = chain.w3.eth.get_block("latest")["timestamp"]
    answer = feed_answer(price, decimals)
    return chain.transact(owner, aggregator.functions.setAnswer(answer, updated_at))

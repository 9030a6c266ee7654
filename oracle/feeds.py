"""Driving the mock Chainlink aggregators on a local chain, and the oracle's breaker rule.

Prices are given as ``Decimal`` in quote units and written as the feed's integer
answer (``price * 10**decimals``), which must be exact: a price with more digits
than the feed has raises instead of being rounded silently. Implied volatilities are
annualized fractions (``Decimal("0.65")`` is 65%) written the same way.
``push_answer`` writes any raw answer and timestamp, for fault injection (stale,
future-dated, zero or negative rounds).

``deviation_exceeds`` is the Python twin of ``OracleAdapter``'s circuit-breaker rule.
"""

from decimal import Decimal

from eth_account.signers.local import LocalAccount
from web3.contract import Contract
from web3.types import TxReceipt

from vmargin.chain.client import Chain
from vmargin.errors import InputError

# Basis points in one; a breaker bound is 1..BPS.
BPS = 10_000


def feed_answer(price: Decimal, decimals: int, what: str = "price") -> int:
    """The aggregator answer for ``price`` with ``decimals``; raise if not exact or not > 0.
    ``what`` names the value in the error message."""
    scaled = price.scaleb(decimals)
    if scaled != scaled.to_integral_value():
        raise InputError(f"{what} {price} has more than {decimals} decimals")
    if scaled <= 0:
        raise InputError(f"{what} {price} is not positive")
    return int(scaled)


def _latest_timestamp(chain: Chain) -> int:
    return int(chain.w3.eth.get_block("latest")["timestamp"])


def push_answer(
    chain: Chain,
    owner: LocalAccount,
    aggregator: Contract,
    answer: int,
    updated_at: int | None = None,
) -> TxReceipt:
    """Start a new round on ``aggregator`` with the raw integer ``answer`` (in the feed's
    decimals, unchecked: zero and negative answers are allowed), dated ``updated_at`` (unix
    seconds, may be old or in the future; default: the latest block's timestamp)."""
    if updated_at is None:
        updated_at = _latest_timestamp(chain)
    return chain.transact(owner, aggregator.functions.setAnswer(answer, updated_at))


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
    answer = feed_answer(price, decimals)
    return push_answer(chain, owner, aggregator, answer, updated_at)


def push_volatility(
    chain: Chain,
    owner: LocalAccount,
    aggregator: Contract,
    volatility: Decimal,
    updated_at: int | None = None,
) -> TxReceipt:
    """Start a new round on the implied-volatility feed ``aggregator`` at the annualized
    ``volatility`` (a fraction: ``Decimal("0.65")`` is 65%), dated ``updated_at`` (unix
    seconds; default: the latest block's timestamp)."""
    decimals = chain.call(aggregator.functions.decimals())
    answer = feed_answer(volatility, decimals, "volatility")
    return push_answer(chain, owner, aggregator, answer, updated_at)


def deviation_exceeds(price: int, reference: int, max_bps: int) -> bool:
    """Whether ``price`` deviates from ``reference`` by more than ``max_bps`` basis points of
    the reference: ``|price - reference| * 10000 > max_bps * reference``, exactly in
    integers (the reference is the denominator; exactly at the bound is not exceeded).
    Both in the same units (the contract compares WAD). Twin of
    ``OracleAdapter._deviationExceeds``; raises ``ValueError`` where the contract never
    evaluates the rule (a non-positive price or reference, a bound outside 1..10000)."""
    if price <= 0 or reference <= 0:
        raise InputError(f"price {price} and reference {reference} must be positive")
    if not 0 < max_bps <= BPS:
        raise InputError(f"max_bps {max_bps} is not in 1..{BPS}")
    return abs(price - reference) * BPS > max_bps * reference

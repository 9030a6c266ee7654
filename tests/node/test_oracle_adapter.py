"""OracleAdapter's volatility feed and circuit breaker on Anvil, driven by vmargin.oracle.feeds.

The deviation rule is compared with its Python twin ``deviation_exceeds`` twice: on
thousands of random and near-the-bound pairs through ``OracleHarness.deviationExceeds``
(the adapter's own internal function, in JSON-RPC batches), and on about fifty pairs
pushed through real feeds (8 and 18 decimals) and read back with ``riskPaused``.
Timestamps are set relative to the latest block, so the node's clock never moves.
"""

import random
from decimal import Decimal
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from support.project import deploy_harness
from vmargin.chain.anvil import AnvilNode
from vmargin.chain.client import Chain, TransactionReverted, anvil_accounts, emitted
from vmargin.numerics.fixedpoint import WAD
from vmargin.oracle.feeds import (
    BPS,
    deviation_exceeds,
    push_answer,
    push_price,
    push_volatility,
)

ETH = 0
HEARTBEAT = 3600
MAX_BPS = 500  # 5%


class Setup:
    """An OracleAdapter with asset 0 on an 8-decimal spot feed, plus unbound feeds."""

    def __init__(self, chain: Chain, owner: LocalAccount) -> None:
        self.chain = chain
        self.owner = owner
        self.oracle = chain.deploy(owner, "OracleAdapter", owner.address)
        self.spot = self.aggregator(8, "ETH / USD")
        self.vol = self.aggregator(8, "ETH IV")
        self.reference = self.aggregator(18, "ETH / USD (reference)")
        push_price(chain, owner, self.spot, Decimal(2000))
        self.transact(self.oracle.functions.setFeed(ETH, self.spot.address, HEARTBEAT))

    def aggregator(self, decimals: int, description: str) -> Contract:
        return self.chain.deploy(
            self.owner, "MockAggregator", self.owner.address, decimals, description
        )

    def transact(self, function: Any) -> Any:
        return self.chain.transact(self.owner, function)

    def call(self, function: Any) -> Any:
        return self.chain.call(function)

    def now(self) -> int:
        return int(self.chain.w3.eth.get_block("latest")["timestamp"])

    def reverted(self, function: Any) -> TransactionReverted:
        with pytest.raises(TransactionReverted) as caught:
            self.call(function)
        return caught.value


@pytest.fixture(scope="module")
def setup(anvil: AnvilNode) -> Setup:
    (owner,) = anvil_accounts(1)
    return Setup(Chain.connect(anvil.rpc_url), owner)


def test_volatility_is_read_in_wad_with_its_own_errors(setup: Setup) -> None:
    oracle = setup.oracle
    missing = setup.reverted(oracle.functions.volatility(ETH))
    assert missing.error == "OracleAdapter.UnknownVolatilityFeed"
    assert missing.arguments == {"asset": ETH}

    receipt = setup.transact(oracle.functions.setVolatilityFeed(ETH, setup.vol.address, HEARTBEAT))
    (event,) = emitted(oracle, "VolatilityFeedSet", receipt)
    assert (event["asset"], event["aggregator"], event["heartbeat"], event["decimals"]) == (
        ETH,
        setup.vol.address,
        HEARTBEAT,
        8,
    )
    push_volatility(setup.chain, setup.owner, setup.vol, Decimal("0.65"))
    assert setup.call(oracle.functions.volatility(ETH)) == 65 * WAD // 100
    push_volatility(setup.chain, setup.owner, setup.vol, Decimal("1.23456789"))
    assert setup.call(oracle.functions.volatility(ETH)) == 123_456_789 * 10**10
    with pytest.raises(ValueError, match=r"volatility 0\.123456789 has more than 8 decimals"):
        push_volatility(setup.chain, setup.owner, setup.vol, Decimal("0.123456789"))

    push_answer(setup.chain, setup.owner, setup.vol, 0)
    zero = setup.reverted(oracle.functions.volatility(ETH))
    assert zero.error == "OracleAdapter.NonPositiveVolatility"
    assert zero.arguments == {"asset": ETH, "answer": 0}

    old = setup.now() - 2 * HEARTBEAT
    push_answer(setup.chain, setup.owner, setup.vol, 65_000_000, old)
    stale = setup.reverted(oracle.functions.volatility(ETH))
    assert stale.error == "OracleAdapter.StaleVolatility"
    assert (stale.arguments["updatedAt"], stale.arguments["heartbeat"]) == (old, HEARTBEAT)

    future = setup.now() + 10 * HEARTBEAT
    push_answer(setup.chain, setup.owner, setup.vol, 65_000_000, future)
    ahead = setup.reverted(oracle.functions.volatility(ETH))
    assert ahead.error == "OracleAdapter.VolatilityFromFuture"
    assert ahead.arguments["updatedAt"] == future
    assert setup.call(oracle.functions.price(ETH)) == 2000 * WAD


def test_breaker_pauses_on_a_moved_reference_and_never_stops_price(setup: Setup) -> None:
    oracle = setup.oracle
    chain, owner = setup.chain, setup.owner
    push_price(chain, owner, setup.spot, Decimal(2000))
    assert setup.call(oracle.functions.riskPaused(ETH)) is False  # no reference feed
    setup.call(oracle.functions.checkRiskAllowed(ETH))

    push_price(chain, owner, setup.reference, Decimal(2000))
    receipt = setup.transact(
        oracle.functions.setReferenceFeed(ETH, setup.reference.address, HEARTBEAT, MAX_BPS)
    )
    (event,) = emitted(oracle, "ReferenceFeedSet", receipt)
    assert (event["aggregator"], event["decimals"], event["maxDeviationBps"]) == (
        setup.reference.address,
        18,
        MAX_BPS,
    )
    assert setup.call(oracle.functions.riskPaused(ETH)) is False

    # |2000 - 1900| / 1900 = 5.26% of the reference: paused.
    push_price(chain, owner, setup.reference, Decimal(1900))
    assert setup.call(oracle.functions.riskPaused(ETH)) is True
    paused = setup.reverted(oracle.functions.checkRiskAllowed(ETH))
    assert paused.error == "OracleAdapter.RiskPaused"
    assert paused.arguments == {
        "asset": ETH,
        "spotPrice": 2000 * WAD,
        "referencePrice": 1900 * WAD,
    }
    assert setup.call(oracle.functions.price(ETH)) == 2000 * WAD
    # 5% of 1905 is 95.25 >= 95: allowed again.
    push_price(chain, owner, setup.reference, Decimal(1905))
    assert setup.call(oracle.functions.riskPaused(ETH)) is False

    # An unusable reference pauses (fail closed); price() still answers.
    old = setup.now() - 2 * HEARTBEAT
    push_answer(chain, owner, setup.reference, 2000 * WAD, old)
    assert setup.call(oracle.functions.riskPaused(ETH)) is True
    stale = setup.reverted(oracle.functions.checkRiskAllowed(ETH))
    assert stale.error == "OracleAdapter.StaleReference"
    assert (stale.arguments["updatedAt"], stale.arguments["heartbeat"]) == (old, HEARTBEAT)
    future = setup.now() + 10 * HEARTBEAT
    push_answer(chain, owner, setup.reference, 2000 * WAD, future)
    assert setup.reverted(oracle.functions.checkRiskAllowed(ETH)).error == (
        "OracleAdapter.ReferenceFromFuture"
    )
    push_answer(chain, owner, setup.reference, -1)
    negative = setup.reverted(oracle.functions.checkRiskAllowed(ETH))
    assert negative.error == "OracleAdapter.NonPositiveReference"
    assert negative.arguments == {"asset": ETH, "answer": -1}
    assert setup.call(oracle.functions.riskPaused(ETH)) is True
    assert setup.call(oracle.functions.price(ETH)) == 2000 * WAD

    receipt = setup.transact(oracle.functions.removeReferenceFeed(ETH))
    assert [e["previous"] for e in emitted(oracle, "ReferenceFeedRemoved", receipt)] == [
        setup.reference.address
    ]
    assert setup.call(oracle.functions.riskPaused(ETH)) is False


def near_bound_pair(rng: random.Random, reference: int, max_bps: int) -> int:
    """A price within a few units of the bound, above or below ``reference`` (> 0)."""
    edge = reference * max_bps // BPS + rng.randint(-2, 2)
    price = reference + edge if rng.random() < 0.5 else reference - edge
    return max(price, 1)


def test_deviation_rule_matches_the_harness(anvil: AnvilNode) -> None:
    chain = Chain.connect(anvil.rpc_url)
    (deployer,) = anvil_accounts(1)
    harness = deploy_harness(chain, deployer, "OracleHarness")
    rng = random.Random(4)
    cases = [
        (p, r, b)
        for p in (1, 2, 19, 20, 21, WAD, 2**255 - 1)
        for r in (1, 20, WAD, 2**255 - 1)
        for b in (1, 500, BPS)
    ]
    for _ in range(2000):
        reference = rng.getrandbits(rng.randint(1, 255)) or 1
        max_bps = rng.randint(1, BPS)
        cases.append((rng.getrandbits(rng.randint(1, 255)) or 1, reference, max_bps))
        cases.append((near_bound_pair(rng, reference, max_bps), reference, max_bps))
    onchain = chain.call_batch(harness, "deviationExceeds", cases, chain.w3.eth.block_number)
    expected = [deviation_exceeds(p, r, b) for p, r, b in cases]
    assert onchain == expected
    assert len(cases) > 4000
    assert 1000 < sum(expected) < len(cases) - 1000  # both outcomes, often
    at_bound = [(p, r, b) for p, r, b in cases if abs(p - r) * BPS == b * r]
    assert at_bound and not any(deviation_exceeds(*case) for case in at_bound)


def test_risk_paused_matches_the_twin_through_real_feeds(setup: Setup) -> None:
    """Spot at 8 decimals and reference at 18, compared in WAD, on ~50 pushed pairs."""
    oracle, chain, owner = setup.oracle, setup.chain, setup.owner
    max_bps = 250
    setup.transact(
        oracle.functions.setReferenceFeed(ETH, setup.reference.address, HEARTBEAT, max_bps)
    )
    rng = random.Random(7)
    outcomes = []
    for round_number in range(5):
        reference = rng.randint(100, 5000) * WAD + rng.getrandbits(60)
        push_answer(chain, owner, setup.reference, reference)
        for _ in range(10):
            if round_number == 0:
                spot_answer = rng.randint(1, 10_000 * 10**8)
            else:  # within a few 1e-8 of the bound, in the spot feed's units
                spot_answer = near_bound_pair(rng, reference // 10**10, max_bps)
            push_answer(chain, owner, setup.spot, spot_answer)
            spot = spot_answer * 10**10
            expected = deviation_exceeds(spot, reference, max_bps)
            assert setup.call(oracle.functions.riskPaused(ETH)) is expected, (spot, reference)
            status, spot_read, reference_read = setup.call(oracle.functions.riskStatus(ETH))
            assert (spot_read, reference_read) == (spot, reference)
            assert status == (2 if expected else 1)  # Deviation / WithinBound
            outcomes.append(expected)
    assert 10 < sum(outcomes) < 40

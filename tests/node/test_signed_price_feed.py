"""The BLS-signed push feed on Anvil: a committee's signed report becomes the oracle
adapter's price in WAD; the adapter's heartbeat and deviation breaker still bound it; and
every bad report is refused with its own error (wrong key, altered price, no quorum,
another chain, another feed, a replayed or skipped round, an old or future timestamp, a
non-positive price, a point off the curve)."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import partial

import pytest
from eth_account.signers.local import LocalAccount
from web3.contract import Contract
from web3.types import TxReceipt

from support.node import reverted, rpc
from vmargin.attestation.operator_registry import deploy_operator_registry
from vmargin.chain.anvil import AnvilNode
from vmargin.chain.client import Chain, TransactionReverted, anvil_accounts, emitted
from vmargin.chain.deployment import Deployment, RiskParameters, deploy_vmargin
from vmargin.oracle.feeds import push_price
from vmargin.oracle.signed_feed import (
    REPORT_TAG,
    PriceReport,
    push_signed_price,
    report_digest,
    signed_report,
)
from vmargin.proofs.bls import BlsKey, P, key_from_secret
from vmargin.proofs.quorum import QuorumSignature, quorum_signature

USDC = 10**6
BOND = 10_000 * USDC
QUORUM_BPS = 6_600
DECIMALS = 8
HEARTBEAT = 3600
ETH = 0
HONEST = (0, 1, 2)


@dataclass(kw_only=True, frozen=True)
class Setup:
    chain: Chain
    owner: LocalAccount
    relayer: LocalAccount
    deployment: Deployment
    keys: tuple[BlsKey, ...]
    feed: Contract
    other_feed: Contract


@pytest.fixture(scope="module")
def module_setup(anvil: AnvilNode) -> Setup:
    chain = Chain.connect(anvil.rpc_url)
    owner, backstop, relayer, *operators = anvil_accounts(7)
    deployment = deploy_vmargin(
        chain, owner, backstop=backstop.address, assets=("ETH",), risk=RiskParameters()
    )
    keys = tuple(key_from_secret(27_644_437 * (i + 5)) for i in range(len(operators)))
    registry = deploy_operator_registry(
        deployment,
        owner,
        operators=operators,
        keys=keys,
        bond=BOND,
        quorum_bps=QUORUM_BPS,
        unbonding_delay=7 * 24 * 3600,
    )
    feed, other_feed = (
        chain.deploy(owner, "SignedPriceFeed", registry.address, DECIMALS, "ETH / USD")
        for _ in range(2)
    )
    chain.transact(owner, deployment.oracle.functions.setFeed(ETH, feed.address, HEARTBEAT))
    return Setup(
        chain=chain,
        owner=owner,
        relayer=relayer,
        deployment=deployment,
        keys=keys,
        feed=feed,
        other_feed=other_feed,
    )


@pytest.fixture
def setup(module_setup: Setup) -> Iterator[Setup]:
    """The module's chain; state changes are reverted after the test."""
    with reverted(module_setup.chain):
        yield module_setup


def now(setup: Setup) -> int:
    return int(setup.chain.w3.eth.get_block("latest")["timestamp"])


def sign(
    setup: Setup,
    price: Decimal,
    timestamp: int,
    round: int,
    *,
    signers: tuple[int, ...] = HONEST,
    feed: str | None = None,
    chain_id: int | None = None,
) -> tuple[PriceReport, QuorumSignature]:
    """A report signed by ``signers`` for ``feed`` (default: the adapter's) on
    ``chain_id`` (default: this chain)."""
    return signed_report(
        {i: setup.keys[i] for i in signers},
        chain_id=setup.chain.chain_id if chain_id is None else chain_id,
        feed_address=setup.feed.address if feed is None else feed,
        price=price,
        decimals=DECIMALS,
        timestamp=timestamp,
        round=round,
    )


def resigned(setup: Setup, report: PriceReport) -> QuorumSignature:
    """The honest quorum's signature on ``report`` as it is (for reports ``sign`` refuses
    to build)."""
    digest = report_digest(setup.feed.address, report)
    return quorum_signature({i: setup.keys[i] for i in HONEST}, digest)


def push(setup: Setup, report: PriceReport, quorum: QuorumSignature) -> TxReceipt:
    return push_signed_price(setup.chain, setup.relayer, setup.feed, report, quorum)


def refusal(call: Callable[[], object]) -> TransactionReverted:
    with pytest.raises(TransactionReverted) as refused:
        call()
    return refused.value


def test_the_digest_twin_matches_the_contract(setup: Setup) -> None:
    report, _ = sign(setup, Decimal("1999.5"), 1_700_000_000, 7)
    feed = setup.feed
    assert bytes(setup.chain.call(feed.functions.REPORT_TAG())) == REPORT_TAG
    onchain = setup.chain.call(feed.functions.reportDigest(report.as_abi()))
    assert bytes(onchain) == report_digest(feed.address, report)
    assert report_digest(setup.other_feed.address, report) != report_digest(feed.address, report)


def test_a_signed_report_is_the_adapters_price_in_wad(setup: Setup) -> None:
    chain, feed, oracle = setup.chain, setup.feed, setup.deployment.oracle
    error = refusal(lambda: chain.call(feed.functions.latestRoundData()))
    assert (error.error, error.arguments) == ("SignedPriceFeed.NoSuchRound", {"roundId": 0})
    first = now(setup) - 60
    receipt = push(setup, *sign(setup, Decimal("2345.67891234"), first, 1))
    assert emitted(feed, "PriceReported", receipt) == [
        {
            "round": 1,
            "price": 234_567_891_234,
            "timestamp": first,
            "signers": 0b111,
            "signedBond": 3 * BOND,
        }
    ]
    assert chain.call(oracle.functions.price(ETH)) == 2_345_678_912_340_000_000_000
    assert chain.call(feed.functions.latestRoundData()) == [1, 234_567_891_234, first, first, 1]

    second = now(setup)
    push(setup, *sign(setup, Decimal(2400), second, 2, signers=(1, 2, 3)))
    assert chain.call(oracle.functions.price(ETH)) == 2400 * 10**18
    assert chain.call(feed.functions.latestRound()) == 2
    assert chain.call(feed.functions.getRoundData(1)) == [1, 234_567_891_234, first, first, 1]
    assert chain.call(feed.functions.getRoundData(2)) == [2, 2400 * 10**8, second, second, 2]
    for unknown in (0, 3):
        error = refusal(partial(chain.call, feed.functions.getRoundData(unknown)))
        assert (error.error, error.arguments) == (
            "SignedPriceFeed.NoSuchRound",
            {"roundId": unknown},
        )
    assert chain.call(feed.functions.decimals()) == DECIMALS
    assert chain.call(feed.functions.description()) == "ETH / USD"
    assert chain.call(feed.functions.version()) == 1


def test_the_adapter_still_bounds_what_a_committee_signs(setup: Setup) -> None:
    """A committee's price away from the reference feed pauses new risk; a committee that
    stops signing leaves a stale price that the adapter refuses."""
    chain, owner, oracle = setup.chain, setup.owner, setup.deployment.oracle
    reference = setup.deployment.aggregators[ETH]
    push_price(chain, owner, reference, Decimal(2000))
    chain.transact(owner, oracle.functions.setReferenceFeed(ETH, reference.address, HEARTBEAT, 500))
    signed_at = now(setup)
    push(setup, *sign(setup, Decimal(2100), signed_at - 1, 1))
    assert chain.call(oracle.functions.riskPaused(ETH)) is False
    push(setup, *sign(setup, Decimal("2100.00000001"), signed_at, 2))
    error = refusal(lambda: chain.call(oracle.functions.checkRiskAllowed(ETH)))
    assert (error.error, error.arguments) == (
        "OracleAdapter.RiskPaused",
        {
            "asset": ETH,
            "spotPrice": 2_100_000_000_010_000_000_000,
            "referencePrice": 2000 * 10**18,
        },
    )
    assert chain.call(oracle.functions.price(ETH)) == 2_100_000_000_010_000_000_000

    rpc(chain, "evm_increaseTime", HEARTBEAT + 2)
    rpc(chain, "evm_mine")
    error = refusal(lambda: chain.call(oracle.functions.price(ETH)))
    assert error.error == "OracleAdapter.StalePrice"
    assert error.arguments["updatedAt"] == signed_at


def test_each_bad_report_is_refused_with_its_own_error(setup: Setup) -> None:
    chain, feed = setup.chain, setup.feed
    first = now(setup) - 60
    report, quorum = sign(setup, Decimal(2000), first, 1)

    digest = report_digest(feed.address, report)
    impostor = key_from_secret(32_452_843)
    wrong_key = quorum_signature({0: setup.keys[0], 1: setup.keys[1], 2: impostor}, digest)
    error = refusal(lambda: push(setup, report, wrong_key))
    assert (error.error, error.arguments) == (
        "OperatorRegistry.InvalidSignature",
        {"digest": digest},
    )

    altered = replace(report, price=report.price + 1)
    assert refusal(lambda: push(setup, altered, quorum)).error == (
        "OperatorRegistry.InvalidSignature"
    )

    error = refusal(lambda: push(setup, *sign(setup, Decimal(2000), first, 1, signers=(0, 3))))
    assert (error.error, error.arguments) == (
        "OperatorRegistry.QuorumNotReached",
        {"signedBond": 2 * BOND, "requiredBond": -(-4 * BOND * QUORUM_BPS // 10_000)},
    )

    error = refusal(lambda: push(setup, *sign(setup, Decimal(2000), first, 1, chain_id=1)))
    assert (error.error, error.arguments) == (
        "SignedPriceFeed.ReportForAnotherChain",
        {"chainId": 1, "expected": chain.chain_id},
    )

    elsewhere = sign(setup, Decimal(2000), first, 1, feed=setup.other_feed.address)
    error = refusal(lambda: push(setup, *elsewhere))
    assert (error.error, error.arguments) == (
        "OperatorRegistry.InvalidSignature",
        {"digest": digest},
    )

    x, y = quorum.signature
    off_curve = replace(quorum, signature=(x, (y + 1) % P))
    error = refusal(lambda: push(setup, report, off_curve))
    assert (error.error, error.arguments) == (
        "OperatorRegistry.NotOnCurve",
        {"x": x, "y": (y + 1) % P},
    )

    for price in (0, -1):
        bad = replace(report, price=price)
        error = refusal(partial(push, setup, bad, resigned(setup, bad)))
        assert (error.error, error.arguments) == (
            "SignedPriceFeed.NonPositivePrice",
            {"price": price},
        )

    assert chain.call(feed.functions.latestRound()) == 0
    push(setup, report, quorum)

    error = refusal(lambda: push(setup, report, quorum))
    assert (error.error, error.arguments) == (
        "SignedPriceFeed.RoundOutOfOrder",
        {"round": 1, "expected": 2},
    )
    skipped = sign(setup, Decimal(2000), first + 1, 3)
    error = refusal(lambda: push(setup, *skipped))
    assert (error.error, error.arguments) == (
        "SignedPriceFeed.RoundOutOfOrder",
        {"round": 3, "expected": 2},
    )
    same_time = sign(setup, Decimal(2001), first, 2)
    error = refusal(lambda: push(setup, *same_time))
    assert (error.error, error.arguments) == (
        "SignedPriceFeed.TimestampNotIncreasing",
        {"timestamp": first, "previous": first},
    )
    later = now(setup) + 3600
    error = refusal(lambda: push(setup, *sign(setup, Decimal(2001), later, 2)))
    assert error.error == "SignedPriceFeed.ReportFromFuture"
    assert error.arguments["timestamp"] == later
    assert error.arguments["now_"] < later

    assert chain.call(feed.functions.latestRound()) == 1
    assert chain.call(setup.deployment.oracle.functions.price(ETH)) == 2000 * 10**18

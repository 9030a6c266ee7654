"""Mixed portfolios of perps and options on Anvil: chain and Python agree to the wei.

Two assets (ETH, BTC) with spot and implied-vol feeds, a 64-scenario set with spot
returns and vol shifts on both, and three accounts: a long ETH perp hedged with puts
and holding wrapped-ETH collateral at a haircut, a short BTC straddle, and the market
maker on the other side; a liquidity add-on in IM and one round of funding on both
perp markets. Equity, every scenario loss, ES, IM, MM and the certificate's numbers are
read from the contract and recomputed in Python; then a crash with a vol spike sends the
straddle seller to liquidation.
"""

import random
from dataclasses import dataclass, replace
from decimal import Decimal

import pytest
from eth_account.signers.local import LocalAccount

from offchain.anvil import AnvilNode
from offchain.chain import Chain, TransactionReverted, anvil_accounts, emitted
from offchain.deployment import (
    Deployment,
    RiskParameters,
    add_spot_collateral,
    deploy_vmargin,
    mint_and_deposit,
    mint_and_deposit_collateral,
)
from offchain.expected_shortfall import (
    weighted_lower_bound,
    worst_scenarios,
)
from offchain.fixedpoint import WAD, Rounding, mul_wad
from offchain.keeper import read_account, read_initial_margin_parameters, read_marks
from offchain.keeper_service import run_once
from offchain.margin import initial_margin
from offchain.portfolio import balance, charges, equity, scenario_losses
from offchain.scenario_registry import PublishedScenarioSet, post_scenario_set, read_scenario_set
from offchain.settlement import settle_option_trade, settle_perp_trade
from oracle.feeds import push_price, push_volatility
from proofs.certificate import (
    NO_MARGIN_CERTIFICATE,
    MarginCertificate,
    liquidation_certificate,
    margin_certificate,
)

N = 64
ALPHA_BPS = 9750  # k = 1.6: two witnesses, the smaller at weight 0.6


@dataclass(frozen=True)
class Book:
    chain: Chain
    deployment: Deployment
    owner: LocalAccount
    keeper: LocalAccount
    hedged: LocalAccount
    straddle: LocalAccount
    scenarios: PublishedScenarioSet


def scenario_rows(rng: random.Random) -> tuple[tuple[tuple[int, ...], ...], ...]:
    """N scenarios of (spot returns, vol shifts) for two assets, crash-heavy in the tail."""
    returns, shifts = [], []
    for _ in range(N):
        crash = rng.random() < 0.1
        eth = (
            rng.randint(-35 * WAD // 100, -10 * WAD // 100)
            if crash
            else rng.randint(-8 * WAD // 100, 8 * WAD // 100)
        )
        btc = eth * 7 // 10 + rng.randint(-3 * WAD // 100, 3 * WAD // 100)
        spike = (
            rng.randint(10 * WAD // 100, 60 * WAD // 100)
            if crash
            else rng.randint(-5 * WAD // 100, 5 * WAD // 100)
        )
        returns.append((eth, btc))
        shifts.append((spike, spike * 8 // 10))
    return tuple(returns), tuple(shifts)


@pytest.fixture(scope="module")
def book(anvil: AnvilNode) -> Book:
    chain = Chain.connect(anvil.rpc_url)
    owner, backstop, settler, keeper, maker, hedged, straddle = anvil_accounts(7)
    deployment = deploy_vmargin(chain, owner, backstop.address, ("ETH", "BTC"), RiskParameters())
    clearinghouse = deployment.clearinghouse
    chain.transact(owner, clearinghouse.functions.setSettler(settler.address, True))
    for aggregator, price in zip(deployment.aggregators, ("3000", "60000"), strict=True):
        push_price(chain, owner, aggregator, Decimal(price))
    for aggregator, vol in zip(deployment.volatility_aggregators, ("0.7", "0.55"), strict=True):
        push_volatility(chain, owner, aggregator, Decimal(vol))
    returns, shifts = scenario_rows(random.Random(64))
    epoch = post_scenario_set(chain, owner, deployment.registry, returns, shifts, ALPHA_BPS)

    now = chain.w3.eth.get_block("latest")["timestamp"]
    expiry = now + 30 * 24 * 3600
    series = {}
    for name, asset, strike, is_call in (
        ("eth put", 0, 2800 * WAD, False),
        ("btc call", 1, 60000 * WAD, True),
        ("btc put", 1, 60000 * WAD, False),
    ):
        receipt = chain.transact(
            owner, clearinghouse.functions.listSeries(asset, strike, expiry, is_call)
        )
        (listed,) = clearinghouse.events.SeriesListed().process_receipt(receipt)
        series[name] = listed["args"]["seriesId"]

    for who, usdc in (
        (backstop, 5_000_000),
        (maker, 5_000_000),
        (hedged, 12_000),
        (straddle, 40_000),
    ):
        mint_and_deposit(deployment, owner, who, usdc)
    chain.transact(owner, clearinghouse.functions.setLiquidityAddOn(WAD // 200))
    weth = add_spot_collateral(deployment, owner, 0, 15 * WAD // 100)
    mint_and_deposit_collateral(deployment, owner, hedged, weth, 0, WAD // 2)
    published = read_scenario_set(chain, deployment.registry, epoch)
    settle_perp_trade(
        deployment, settler, published, hedged.address, maker.address, 0, 10 * WAD, 3000 * WAD
    )
    for buyer, seller, name, size, premium in (
        (hedged, maker, "eth put", 10, 60),
        (maker, straddle, "btc call", 2, 3500),
        (maker, straddle, "btc put", 2, 3400),
    ):
        settle_option_trade(
            deployment,
            settler,
            published,
            buyer.address,
            seller.address,
            series[name],
            size * WAD,
            premium * WAD,
        )
    # One funding interval: ETH longs pay 0.05% of the mark, BTC shorts pay 0.03%.
    chain.transact(settler, clearinghouse.functions.applyFunding(0, 5 * WAD // 10_000))
    chain.transact(settler, clearinghouse.functions.applyFunding(1, -3 * WAD // 10_000))
    return Book(
        chain=chain,
        deployment=deployment,
        owner=owner,
        keeper=keeper,
        hedged=hedged,
        straddle=straddle,
        scenarios=published,
    )


def test_equity_and_every_scenario_loss_match_the_chain(book: Book) -> None:
    chain, clearinghouse = book.chain, book.deployment.clearinghouse
    block = chain.w3.eth.block_number
    for who in (book.hedged, book.straddle):
        account = read_account(book.deployment, who.address, block)
        assert account.options
        assert chain.call(clearinghouse.functions.portfolioOf(who.address), block)[0] == balance(
            account
        )
        marks = read_marks(book.deployment, account, block)
        assert chain.call(clearinghouse.functions.equity(who.address), block) == equity(
            account, marks
        )
        onchain = chain.call_batch(
            clearinghouse,
            "scenarioLoss",
            [
                (who.address, list(r), list(v))
                for r, v in zip(book.scenarios.spot_returns, book.scenarios.vol_shifts, strict=True)
            ],
            block,
        )
        python = scenario_losses(
            account, marks, book.scenarios.spot_returns, book.scenarios.vol_shifts
        )
        assert onchain == python
        assert len(set(python)) > N // 2  # the options make every scenario different


def test_certificate_numbers_match_python(book: Book) -> None:
    chain, clearinghouse = book.chain, book.deployment.clearinghouse
    block = chain.w3.eth.block_number
    scenarios = book.scenarios
    mm_factor = chain.call(clearinghouse.functions.maintenanceMarginFactor(), block)
    for who in (book.hedged, book.straddle):
        account = read_account(book.deployment, who.address, block)
        marks = read_marks(book.deployment, account, block)
        losses = scenario_losses(account, marks, scenarios.spot_returns, scenarios.vol_shifts)
        certificate = liquidation_certificate(
            scenarios.epoch, scenarios.tree, losses, scenarios.tail
        )
        assert certificate.indices == tuple(worst_scenarios(losses, scenarios.tail.witness_count))
        bound = weighted_lower_bound([losses[i] for i in certificate.indices], scenarios.tail)
        check = chain.call(
            clearinghouse.functions.isLiquidatable(who.address, certificate.as_abi()), block
        )
        assert check == (
            equity(account, marks),
            bound,
            mul_wad(mm_factor, bound, Rounding.FLOOR),
            mul_wad(mm_factor, bound, Rounding.FLOOR) > equity(account, marks),
        )


def test_a_crash_with_a_vol_spike_liquidates_the_straddle_seller(book: Book) -> None:
    chain, deployment = book.chain, book.deployment
    push_price(chain, book.owner, deployment.aggregators[1], Decimal("40000"))
    push_volatility(chain, book.owner, deployment.volatility_aggregators[1], Decimal("1.5"))
    keeper_pass = run_once(deployment, book.keeper)
    liquidated = {liquidation.account for liquidation in keeper_pass.liquidations}
    assert book.straddle.address in liquidated
    assert book.hedged.address not in liquidated
    clearinghouse = deployment.clearinghouse
    (event,) = [
        log
        for log in clearinghouse.events.Liquidated().get_logs(from_block=keeper_pass.block)
        if log["args"]["account"] == book.straddle.address
    ]
    before = event["blockNumber"] - 1
    account = read_account(deployment, book.straddle.address, before)
    marks = read_marks(deployment, account, before)
    # The transaction ran in its own block: its timestamp prices the options.
    executed = chain.w3.eth.get_block(event["blockNumber"])["timestamp"]
    marks = type(marks)(spot=marks.spot, vol=marks.vol, now=executed)
    losses = scenario_losses(account, marks, book.scenarios.spot_returns, book.scenarios.vol_shifts)
    witnesses = worst_scenarios(losses, book.scenarios.tail.witness_count)
    bound = weighted_lower_bound([losses[i] for i in witnesses], book.scenarios.tail)
    assert event["args"]["equity"] == equity(account, marks)
    assert event["args"]["expectedShortfallLowerBound"] == bound
    after = read_account(deployment, book.straddle.address, event["blockNumber"])
    assert after.options == () and after.positions == {}


def test_trades_and_withdrawals_need_a_valid_margin_certificate(book: Book) -> None:
    """A withdrawal from an account with options: a valid certificate passes; a missing,
    short, stale or reordered one, or too little margin, fails on-chain with its own error."""
    chain, deployment = book.chain, book.deployment
    clearinghouse = deployment.clearinghouse
    block = chain.w3.eth.block_number
    account = read_account(deployment, book.hedged.address, block)
    marks = read_marks(deployment, account, block)
    losses = scenario_losses(account, marks, book.scenarios.spot_returns, book.scenarios.vol_shifts)
    parameters = read_initial_margin_parameters(deployment, block)
    valid = margin_certificate(
        book.scenarios.epoch, book.scenarios.tree, losses, parameters.alpha_bps
    )
    margin = initial_margin(account, marks, losses, valid.threshold, parameters)
    headroom = equity(account, marks) - margin
    assert headroom > 0

    def withdraw(amount_usdc: int, certificate: MarginCertificate) -> None:
        chain.transact(
            book.hedged, clearinghouse.functions.withdraw(amount_usdc, certificate.as_abi())
        )

    swapped = replace(
        valid,
        spot_returns=(valid.spot_returns[1], valid.spot_returns[0], *valid.spot_returns[2:]),
    )
    for certificate, error in (
        (NO_MARGIN_CERTIFICATE, "MarginCertificateRequired"),
        (replace(valid, indices=valid.indices[:-1]), "WrongScenarioCount"),
        (replace(valid, epoch=valid.epoch + 1), "StaleEpoch"),
        (swapped, "InvalidMarginCertificate"),
    ):
        with pytest.raises(TransactionReverted, match=error):
            withdraw(1, certificate)
    # One wei of USDC more than the headroom is refused with the exact numbers.
    too_much = headroom // 10**12 + 1
    with pytest.raises(TransactionReverted, match="InsufficientInitialMargin") as refused:
        withdraw(too_much, valid)
    assert refused.value.arguments["initialMargin"] == margin
    withdraw(headroom // 10**12 // 2, valid)


def test_the_initial_margin_check_matches_python(book: Book) -> None:
    """A withdrawal's InitialMarginChecked event carries the equity and IM (with the
    liquidity add-on on the perp, the puts and the haircut collateral) that Python computes
    for the account as the block left it, and the account pays its pending funding."""
    chain, deployment = book.chain, book.deployment
    clearinghouse = deployment.clearinghouse
    before = read_account(deployment, book.hedged.address, chain.w3.eth.block_number)
    eth = before.market(0)
    assert eth.funding > 0 and charges(before.positions[0], eth.funding, eth.loss) > 0
    assert before.collateral[0].haircut_units == WAD // 2 * 85 // 100
    parameters = read_initial_margin_parameters(deployment)
    assert parameters.liquidity_add_on > 0
    marks = read_marks(deployment, before, "latest")
    losses = scenario_losses(before, marks, book.scenarios.spot_returns, book.scenarios.vol_shifts)
    certificate = margin_certificate(
        book.scenarios.epoch, book.scenarios.tree, losses, parameters.alpha_bps
    )
    receipt = chain.transact(book.hedged, clearinghouse.functions.withdraw(1, certificate.as_abi()))
    (event,) = emitted(clearinghouse, "InitialMarginChecked", receipt)
    block = receipt["blockNumber"]
    account = read_account(deployment, book.hedged.address, block)
    marks = read_marks(deployment, account, block)
    losses = scenario_losses(account, marks, book.scenarios.spot_returns, book.scenarios.vol_shifts)
    assert event["equity"] == equity(account, marks)
    assert event["initialMargin"] == initial_margin(
        account, marks, losses, certificate.threshold, parameters
    )

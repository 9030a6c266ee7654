"""Mixed portfolios of perps and options on Anvil: chain and Python agree to the wei.

Two assets (ETH, BTC) with spot and implied-vol feeds, a 64-scenario set with spot
returns and vol shifts on both, and three accounts: a long ETH perp hedged with puts
and holding wrapped-ETH collateral at a haircut, a short BTC straddle, and the market
maker on the other side; a liquidity add-on in IM and one round of funding on both
perp markets. Equity, every scenario loss, ES, IM, MM and the certificate's numbers are
read from the contract and recomputed in Python, negative ES and bounds (margin floored
at 0) and thresholds at and beyond the ends of their domain included; the keeper's
batched reads are checked against one ``eth_call`` per view; then a crash with a vol
spike sends the straddle seller to liquidation.
"""

import random
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from requests.exceptions import Timeout
from web3 import HTTPProvider
from web3.types import RPCEndpoint, RPCResponse

from support.node import reverted
from vmargin.chain.anvil import AnvilNode
from vmargin.chain.client import Chain, RpcError, TransactionReverted, anvil_accounts, emitted
from vmargin.chain.deployment import (
    Deployment,
    RiskParameters,
    add_spot_collateral,
    deploy_vmargin,
    mint_and_deposit,
    mint_and_deposit_collateral,
)
from vmargin.chain.reads import (
    read_account,
    read_accounts,
    read_initial_margin_parameters,
    read_marks,
    read_oracle,
)
from vmargin.chain.scenario_registry import (
    PublishedScenarioSet,
    post_scenario_set,
    read_scenario_set,
)
from vmargin.keeper.screen import known_accounts, screen
from vmargin.keeper.service import run_once
from vmargin.numerics.expected_shortfall import (
    weighted_lower_bound,
    worst_scenarios,
)
from vmargin.numerics.fixedpoint import INT256_MAX, INT256_MIN, WAD, Rounding, mul_wad
from vmargin.numerics.margin import (
    MAX_THRESHOLD,
    ThresholdOutOfDomain,
    initial_margin,
    margin_from_expected_shortfall,
    needs_initial_margin,
)
from vmargin.numerics.option_valuation import OptionSeries
from vmargin.numerics.portfolio import (
    Account,
    MarketIndex,
    Marks,
    OptionPosition,
    Position,
    SpotCollateral,
    balance,
    charges,
    equity,
    gross_notional,
    scenario_losses,
)
from vmargin.oracle.feeds import push_answer, push_price, push_volatility
from vmargin.proofs.certificate import (
    NO_MARGIN_CERTIFICATE,
    MarginCertificate,
    liquidation_certificate,
    margin_certificate,
    witness_certificate,
)
from vmargin.settlement import (
    after_option_trade,
    settle_option_trade,
    settle_perp_trade,
    side_certificate,
)

N = 64
ALPHA_BPS = 9750  # k = 1.6: two witnesses, the smaller at weight 0.6


@dataclass(kw_only=True, frozen=True)
class Book:
    chain: Chain
    deployment: Deployment
    owner: LocalAccount
    settler: LocalAccount
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
    deployment = deploy_vmargin(
        chain, owner, backstop=backstop.address, assets=("ETH", "BTC"), risk=RiskParameters()
    )
    clearinghouse = deployment.clearinghouse
    chain.transact(owner, clearinghouse.functions.setSettler(settler.address, True))
    for aggregator, price in zip(deployment.aggregators, ("3000", "60000"), strict=True):
        push_price(chain, owner, aggregator, Decimal(price))
    for aggregator, vol in zip(deployment.volatility_aggregators, ("0.7", "0.55"), strict=True):
        push_volatility(chain, owner, aggregator, Decimal(vol))
    returns, shifts = scenario_rows(random.Random(64))
    epoch = post_scenario_set(
        chain,
        owner,
        deployment.registry,
        spot_returns=returns,
        vol_shifts=shifts,
        alpha_bps=ALPHA_BPS,
    )

    now = chain.w3.eth.get_block("latest")["timestamp"]
    expiry = now + 30 * 24 * 3600
    series = {}
    for name, asset, strike, is_call in (
        ("eth put", 0, 2800 * WAD, False),
        ("btc call", 1, 60000 * WAD, True),
        ("btc put", 1, 60000 * WAD, False),
    ):
        receipt = chain.transact(
            owner, deployment.series_registry.functions.listSeries(asset, strike, expiry, is_call)
        )
        (listed,) = deployment.series_registry.events.SeriesListed().process_receipt(receipt)
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
    mint_and_deposit_collateral(deployment, owner, hedged, token=weth, asset=0, units=WAD // 2)
    published = read_scenario_set(chain, deployment.registry, epoch)
    settle_perp_trade(
        deployment,
        settler,
        published,
        buyer=hedged.address,
        seller=maker.address,
        asset=0,
        size=10 * WAD,
        price=3000 * WAD,
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
            buyer=buyer.address,
            seller=seller.address,
            series_id=series[name],
            size=size * WAD,
            premium=premium * WAD,
        )
    # One funding interval: ETH longs pay 0.05% of the mark, BTC shorts pay 0.03%.
    chain.transact(settler, clearinghouse.functions.applyFunding(0, 5 * WAD // 10_000))
    chain.transact(settler, clearinghouse.functions.applyFunding(1, -3 * WAD // 10_000))
    return Book(
        chain=chain,
        deployment=deployment,
        owner=owner,
        settler=settler,
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
    """The certificate of each account's worst scenarios, and of its best (two gains: a
    negative bound, so MM = 0), checked on chain and in Python."""
    chain, clearinghouse = book.chain, book.deployment.clearinghouse
    block = chain.w3.eth.block_number
    scenarios = book.scenarios
    mm_factor = chain.call(clearinghouse.functions.maintenanceMarginFactor(), block)
    for who in (book.hedged, book.straddle):
        account = read_account(book.deployment, who.address, block)
        marks = read_marks(book.deployment, account, block)
        losses = scenario_losses(account, marks, scenarios.spot_returns, scenarios.vol_shifts)
        strongest = liquidation_certificate(scenarios.epoch, scenarios.tree, losses, scenarios.tail)
        assert strongest.indices == tuple(worst_scenarios(losses, scenarios.tail.witness_count))
        weakest = witness_certificate(
            scenarios.epoch,
            scenarios.tree,
            worst_scenarios([-loss for loss in losses], scenarios.tail.witness_count),
        )
        for certificate in (strongest, weakest):
            bound = weighted_lower_bound([losses[i] for i in certificate.indices], scenarios.tail)
            margin = margin_from_expected_shortfall(mm_factor, bound, Rounding.FLOOR)
            check = chain.call(
                clearinghouse.functions.isLiquidatable(who.address, certificate.as_abi()), block
            )
            assert check == (
                equity(account, marks),
                bound,
                margin,
                margin > equity(account, marks),
            )
        assert bound < 0 and margin == 0  # the best scenarios are gains


def account_view_by_view(deployment: Deployment, address: str, block: int) -> Account:
    """The account read with one ``eth_call`` per view, through web3's contract functions."""
    chain, clearinghouse = deployment.chain, deployment.clearinghouse
    markets, collateral, positions, options = {}, {}, {}, []
    for asset in range(len(deployment.assets)):
        funding, loss, _, _ = chain.call(clearinghouse.functions.markets(asset), block)
        markets[asset] = MarketIndex(funding=funding, loss=loss)
        held = chain.call(clearinghouse.functions.collateralBalance(address, asset), block)
        if held != 0:
            _, _, haircut = chain.call(clearinghouse.functions.collateralAssets(asset), block)
            collateral[asset] = SpotCollateral(balance=held, haircut=haircut)
        position = Position(*chain.call(clearinghouse.functions.positionOf(address, asset), block))
        if position.size != 0:
            positions[asset] = position
    for series_id in chain.call(clearinghouse.functions.heldSeries(address), block):
        asset, strike, expiry, is_call = chain.call(
            deployment.series_registry.functions.series(series_id), block
        )
        options.append(
            OptionPosition(
                series_id=series_id,
                series=OptionSeries(asset=asset, strike=strike, expiry=expiry, is_call=is_call),
                position=Position(
                    *chain.call(clearinghouse.functions.optionPositionOf(address, series_id), block)
                ),
                settlement_price=chain.call(
                    deployment.series_registry.functions.settlementPrice(series_id), block
                ),
            )
        )
    return Account(
        address=address,
        cash=chain.call(clearinghouse.functions.cash(address), block),
        positions=positions,
        options=tuple(options),
        markets=markets,
        collateral=collateral,
    )


def marks_view_by_view(deployment: Deployment, account: Account, block: int) -> Marks:
    """The marks ``account`` needs, read with one ``eth_call`` per price and vol."""
    chain, oracle = deployment.chain, deployment.oracle
    spot, vol = [0] * len(deployment.assets), [0] * len(deployment.assets)
    for asset in account.assets:
        spot[asset] = chain.call(oracle.functions.price(asset), block)
    for asset in account.option_assets:
        vol[asset] = chain.call(oracle.functions.volatility(asset), block)
    return Marks(spot=spot, vol=vol, now=chain.w3.eth.get_block(block)["timestamp"])


def test_batched_reads_equal_one_call_per_view(book: Book) -> None:
    """Every account of the book (and one that never deposited), with perps, puts, a BTC
    straddle, haircut collateral and funding paid, read in batches: the same accounts and
    marks as one ``eth_call`` per view."""
    deployment = book.deployment
    block = book.chain.w3.eth.block_number
    addresses = [*known_accounts(deployment, block), book.keeper.address]
    accounts = read_accounts(deployment, addresses, block)
    assert accounts == [account_view_by_view(deployment, a, block) for a in addresses]
    assert {asset for account in accounts for asset in account.option_assets} == {0, 1}
    assert any(account.collateral for account in accounts)
    assert any(account.market(0).funding for account in accounts)
    oracle = read_oracle(deployment, block)
    for account in accounts:
        assert oracle.marks(account) == marks_view_by_view(deployment, account, block)


def test_a_stale_price_fails_only_the_accounts_that_need_it(book: Book) -> None:
    """With BTC's price stale, the accounts without BTC are still screened, in the same
    screen as one holding BTC options, which is left out with the revert one ``eth_call`` of
    the price raises (issue 19, attack 4: one account never stops a keeper's pass)."""
    chain, deployment = book.chain, book.deployment
    with reverted(chain):
        now = chain.w3.eth.get_block("latest")["timestamp"]
        answer = chain.call(deployment.aggregators[1].functions.latestRoundData())[1]
        push_answer(chain, book.owner, deployment.aggregators[1], answer, now - 2 * 3600)
        block = chain.w3.eth.block_number
        with pytest.raises(TransactionReverted) as direct:
            chain.call(deployment.oracle.functions.price(1), block)
        assert direct.value.error == "OracleAdapter.StalePrice"
        alone = screen(deployment, block, [book.hedged.address])
        assert [risk.account.address for risk in alone.risks] == [book.hedged.address]
        both = screen(deployment, block, [book.hedged.address, book.straddle.address])
        assert [risk.account.address for risk in both.risks] == [book.hedged.address]
        assert both.risks == alone.risks
        refusal = both.unreadable[book.straddle.address]
        assert (refusal.error, refusal.arguments) == (direct.value.error, direct.value.arguments)


def test_a_node_error_inside_a_batch_is_named(book: Book) -> None:
    """A call the node fails for another reason than a revert (here a block it does not
    have) raises RpcError with the node's message, not a revert."""
    deployment = book.deployment
    beyond = book.chain.w3.eth.block_number + 1_000
    with pytest.raises(RpcError, match=r"eth_call failed: .*BlockOutOfRange"):
        read_accounts(deployment, [book.hedged.address], beyond)


def test_a_batch_that_times_out_is_retried(book: Book, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch that times out is sent again, as web3 retries a single ``eth_call``."""
    provider = book.chain.w3.provider
    assert isinstance(provider, HTTPProvider)
    send = provider.make_batch_request
    sent = []

    def slow_twice(
        requests: list[tuple[RPCEndpoint, Any]],
    ) -> list[RPCResponse] | RPCResponse:
        sent.append(len(requests))
        if len(sent) <= 2:
            raise Timeout("read timed out")
        return send(requests)

    monkeypatch.setattr(provider, "make_batch_request", slow_twice)
    block = book.chain.w3.eth.block_number
    (account,) = read_accounts(book.deployment, [book.hedged.address], block)
    assert account == account_view_by_view(book.deployment, book.hedged.address, block)
    assert len(sent) == 4  # the first round three times, the option positions once


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
    short, stale or reordered one, one whose threshold is beyond MAX_THRESHOLD (where
    Python raises too), or too little margin, fails on-chain with its own error; at either
    end of the threshold's domain both compute the same IM."""
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
    for threshold in (INT256_MIN, -MAX_THRESHOLD - 1, MAX_THRESHOLD + 1, INT256_MAX):
        with pytest.raises(ThresholdOutOfDomain):
            initial_margin(account, marks, losses, threshold, parameters)
        with pytest.raises(TransactionReverted) as beyond:
            withdraw(1, replace(valid, threshold=threshold))
        assert beyond.value.error == "MarginEngine.ThresholdOutOfDomain"
        assert beyond.value.arguments == {"threshold": threshold}
    for threshold in (-MAX_THRESHOLD, MAX_THRESHOLD):
        with pytest.raises(TransactionReverted, match="InsufficientInitialMargin") as at_end:
            withdraw(1, replace(valid, threshold=threshold))
        assert at_end.value.arguments["initialMargin"] == initial_margin(
            account, marks, losses, threshold, parameters
        )
    # One wei of USDC more than the headroom is refused with the exact numbers.
    too_much = headroom // 10**12 + 1
    with pytest.raises(TransactionReverted, match="InsufficientInitialMargin") as refused:
        withdraw(too_much, valid)
    assert refused.value.arguments["initialMargin"] == margin
    withdraw(headroom // 10**12 // 2, valid)


def check_a_withdrawal(book: Book, scenarios: PublishedScenarioSet) -> tuple[Account, Marks, int]:
    """Withdraw 1 unit of USDC from the hedged account with its optimal margin certificate
    of ``scenarios`` (the current epoch), and check that its InitialMarginChecked event
    carries the equity and IM (with the liquidity add-on on the perp, the puts and the
    haircut collateral) that Python computes for the account as the block left it. Returns
    that account, its marks and the IM."""
    chain, deployment = book.chain, book.deployment
    clearinghouse = deployment.clearinghouse
    before = read_account(deployment, book.hedged.address, chain.w3.eth.block_number)
    parameters = read_initial_margin_parameters(deployment)
    marks = read_marks(deployment, before, "latest")
    losses = scenario_losses(before, marks, scenarios.spot_returns, scenarios.vol_shifts)
    certificate = margin_certificate(scenarios.epoch, scenarios.tree, losses, parameters.alpha_bps)
    receipt = chain.transact(book.hedged, clearinghouse.functions.withdraw(1, certificate.as_abi()))
    (event,) = emitted(clearinghouse, "InitialMarginChecked", receipt)
    block = receipt["blockNumber"]
    account = read_account(deployment, book.hedged.address, block)
    marks = read_marks(deployment, account, block)
    losses = scenario_losses(account, marks, scenarios.spot_returns, scenarios.vol_shifts)
    margin = initial_margin(account, marks, losses, certificate.threshold, parameters)
    assert event["equity"] == equity(account, marks)
    assert event["initialMargin"] == margin
    return account, marks, margin


def test_the_initial_margin_check_matches_python(book: Book) -> None:
    """A withdrawal's IM check matches Python (``check_a_withdrawal``), and the account pays
    its pending funding."""
    before = read_account(book.deployment, book.hedged.address, book.chain.w3.eth.block_number)
    eth = before.market(0)
    assert eth.funding > 0 and charges(before.positions[0], eth.funding, eth.loss) > 0
    assert before.collateral[0].haircut_units == WAD // 2 * 85 // 100
    assert read_initial_margin_parameters(book.deployment).liquidity_add_on > 0
    check_a_withdrawal(book, book.scenarios)


def test_an_all_gain_book_owes_only_the_liquidity_add_on(book: Book) -> None:
    """Under a scenario set in which ETH and BTC only rise (+1% to +8%, no vol shifts), the
    hedged account (long 10 ETH and 0.425 of haircut ETH, long 10 puts) gains in every
    scenario: its ES at the IM level is negative, and chain and Python agree that its IM is
    the liquidity add-on alone, the ES term floored at 0. The set is posted in a snapshot
    and taken back."""
    chain, deployment = book.chain, book.deployment
    with reverted(chain):
        returns = tuple((WAD * percent // 100,) * 2 for percent in range(1, 9))
        shifts = tuple((0, 0) for _ in returns)
        epoch = post_scenario_set(
            chain,
            book.owner,
            deployment.registry,
            spot_returns=returns,
            vol_shifts=shifts,
            alpha_bps=ALPHA_BPS,
        )
        scenarios = read_scenario_set(chain, deployment.registry, epoch)
        account, marks, margin = check_a_withdrawal(book, scenarios)
        assert max(scenario_losses(account, marks, returns, shifts)) < 0
        add_on = read_initial_margin_parameters(deployment).liquidity_add_on
        assert margin == mul_wad(add_on, gross_notional(account, marks), Rounding.CEIL) > 0


def test_selling_a_hedge_needs_the_settlers_certificate(book: Book) -> None:
    """Issue 19, attack 1, end to end: the hedged account (long 10 ETH perp, WETH collateral,
    long 10 ETH puts) sells one put, a reduction of one position among several. The contract
    refuses it without a certificate for that side (MarginCertificateRequired); the settler,
    whose rule is the contract's (``needs_initial_margin``), attaches one, and the trade passes
    with the IM Python computes for the account after it. In a snapshot, taken back."""
    chain, deployment = book.chain, book.deployment
    clearinghouse = deployment.clearinghouse
    with reverted(chain):
        block = chain.w3.eth.block_number
        hedged = read_account(deployment, book.hedged.address, block)
        (put,) = (option for option in hedged.options if not option.series.is_call)
        premium, cost = 60 * WAD, 60 * WAD
        after = after_option_trade(hedged, put.series_id, put.series, -WAD, -cost)
        assert needs_initial_margin(after, put.position.size, put.position.size - WAD)
        buyer = read_account(deployment, book.straddle.address, block)
        buyer_after = after_option_trade(buyer, put.series_id, put.series, WAD, cost)
        buyer_margin = side_certificate(deployment, book.scenarios, buyer_after, True, block)
        with pytest.raises(TransactionReverted, match="MarginCertificateRequired"):
            chain.transact(
                book.settler,
                clearinghouse.functions.settleOptionTrade(
                    book.straddle.address,
                    book.hedged.address,
                    put.series_id,
                    WAD,
                    premium,
                    buyer_margin.as_abi(),
                    NO_MARGIN_CERTIFICATE.as_abi(),
                ),
            )
        receipt = settle_option_trade(
            deployment,
            book.settler,
            book.scenarios,
            buyer=book.straddle.address,
            seller=book.hedged.address,
            series_id=put.series_id,
            size=WAD,
            premium=premium,
        )
        checked = {e["account"]: e for e in emitted(clearinghouse, "InitialMarginChecked", receipt)}
        marks = read_marks(deployment, after, block)
        losses = scenario_losses(
            after, marks, book.scenarios.spot_returns, book.scenarios.vol_shifts
        )
        parameters = read_initial_margin_parameters(deployment, block)
        certificate = margin_certificate(
            book.scenarios.epoch, book.scenarios.tree, losses, parameters.alpha_bps
        )
        assert checked[book.hedged.address]["initialMargin"] == initial_margin(
            after, marks, losses, certificate.threshold, parameters
        )

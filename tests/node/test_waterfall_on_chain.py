"""A crash drives one account into bad debt, and the default waterfall runs on Anvil.

One asset (ETH at 3000), 32 scenarios within +-10%, a 200 USDC insurance fund. The victim
goes long 2 ETH with 1,500 USDC; two other traders hold ETH perps too. ETH falls to 2000:
the victim's equity is -500. The keeper liquidates it in full (the close-factor rule allows
it below health 0.95) and the contract walks the waterfall: the victim's cash is written
off, the insurance fund pays what it holds, the rest is socialized over ETH's open
interest. Every step is an event, and Python predicts each amount and every other
account's equity after the socialized loss to the wei.
"""

import random
from decimal import Decimal

import pytest

from vmargin.chain.anvil import AnvilNode
from vmargin.chain.client import Chain, anvil_accounts, emitted
from vmargin.chain.deployment import RiskParameters, deploy_vmargin, mint_and_deposit
from vmargin.chain.reads import read_account, read_marks
from vmargin.chain.scenario_registry import post_scenario_set, read_scenario_set
from vmargin.keeper.service import KeeperPolicy, run_once
from vmargin.numerics.fixedpoint import WAD, Rounding, mul_div
from vmargin.numerics.portfolio import balance, equity
from vmargin.oracle.feeds import push_price
from vmargin.settlement import settle_perp_trade

N = 32
USDC = 10**6


@pytest.fixture(scope="module")
def crash(anvil: AnvilNode) -> dict:
    chain = Chain.connect(anvil.rpc_url)
    owner, backstop, settler, keeper, maker, victim, carol, dave = anvil_accounts(8)
    deployment = deploy_vmargin(
        chain, owner, backstop=backstop.address, assets=("ETH",), risk=RiskParameters()
    )
    clearinghouse = deployment.clearinghouse
    chain.transact(owner, clearinghouse.functions.setSettler(settler.address, True))
    push_price(chain, owner, deployment.aggregators[0], Decimal("3000"))
    rng = random.Random(32)
    returns = tuple((rng.randint(-WAD // 10, WAD // 10),) for _ in range(N))
    epoch = post_scenario_set(
        chain,
        owner,
        deployment.registry,
        spot_returns=returns,
        vol_shifts=tuple((0,) for _ in range(N)),
        alpha_bps=9750,
    )
    scenarios = read_scenario_set(chain, deployment.registry, epoch)
    for who, usdc in ((maker, 1_000_000), (victim, 1_500), (carol, 5_000), (dave, 5_000)):
        mint_and_deposit(deployment, owner, who, usdc)
    chain.transact(owner, deployment.stablecoin.functions.mint(owner.address, 200 * USDC))
    chain.transact(
        owner, deployment.stablecoin.functions.approve(clearinghouse.address, 200 * USDC)
    )
    chain.transact(owner, clearinghouse.functions.fundInsurance(200 * USDC))
    for buyer, seller, size in ((victim, maker, 2), (carol, dave, 1)):
        settle_perp_trade(
            deployment,
            settler,
            scenarios,
            buyer=buyer.address,
            seller=seller.address,
            asset=0,
            size=size * WAD,
            price=3000 * WAD,
        )
    push_price(chain, owner, deployment.aggregators[0], Decimal("2000"))
    block = chain.w3.eth.block_number
    others = (maker, carol, dave, backstop)
    before = {who.address: read_account(deployment, who.address, block) for who in others}
    victim_before = read_account(deployment, victim.address, block)
    marks = read_marks(deployment, victim_before, block)
    actions: list[dict] = []
    keeper_pass = run_once(
        deployment, keeper, policy=KeeperPolicy(min_profit=None), report=actions.append
    )
    return {
        "chain": chain,
        "deployment": deployment,
        "victim": victim,
        "others": others,
        "before": before,
        "victim_equity": equity(victim_before, marks),
        "insurance_before": chain.call(clearinghouse.functions.insuranceFund(), block),
        "open_interest_before": chain.call(clearinghouse.functions.markets(0), block)[2],
        "keeper_pass": keeper_pass,
        "keeper_actions": actions,
    }


def test_the_victim_is_liquidated_in_full_with_negative_equity(crash: dict) -> None:
    # The keeper's actions are shown if it did not liquidate (one unexplained CI failure).
    assert len(crash["keeper_pass"].liquidations) == 1, crash["keeper_actions"]
    (liquidation,) = crash["keeper_pass"].liquidations
    assert liquidation.account == crash["victim"].address
    assert liquidation.fraction == WAD
    assert liquidation.equity == crash["victim_equity"] == -500 * WAD
    assert liquidation.keeper_reward == 0 and liquidation.insurance_fee == 0
    assert liquidation.bad_debt == 500 * WAD
    assert liquidation.covered_by_insurance == 200 * WAD
    assert liquidation.socialized == 300 * WAD
    assert liquidation.absorbed_by_backstop == 0


def test_every_waterfall_step_is_an_event_with_the_predicted_amount(crash: dict) -> None:
    chain, clearinghouse = crash["chain"], crash["deployment"].clearinghouse
    receipt = chain.w3.eth.get_transaction_receipt(crash["keeper_pass"].liquidations[0].tx_hash)
    victim = crash["victim"].address
    (bad_debt,) = emitted(clearinghouse, "BadDebt", receipt)
    assert bad_debt == {"account": victim, "badDebt": 500 * WAD}
    (covered,) = emitted(clearinghouse, "BadDebtCoveredByInsurance", receipt)
    assert covered["amount"] == crash["insurance_before"] == 200 * WAD
    assert covered["fundAfter"] == 0
    (socialized,) = emitted(clearinghouse, "LossSocialized", receipt)
    rest = 300 * WAD
    # The victim's 2 ETH moved to the backstop: ETH's open interest is unchanged.
    open_interest = crash["open_interest_before"]
    assert open_interest == 6 * WAD  # victim 2 + maker 2 + carol 1 + dave 1
    assert socialized["amount"] == rest and socialized["openInterest"] == open_interest
    assert socialized["lossIndexAfter"] == mul_div(rest, WAD, open_interest, Rounding.CEIL)
    assert emitted(clearinghouse, "BadDebtAbsorbedByBackstop", receipt) == []


def test_every_other_account_bears_its_share_to_the_wei(crash: dict) -> None:
    chain, deployment = crash["chain"], crash["deployment"]
    clearinghouse = deployment.clearinghouse
    block = chain.w3.eth.block_number
    index = chain.call(clearinghouse.functions.markets(0), block)[1]
    for who in crash["others"]:
        account = read_account(deployment, who.address, block)
        marks = read_marks(deployment, account, block)
        assert chain.call(clearinghouse.functions.equity(who.address), block) == equity(
            account, marks
        )
        size = account.positions[0].size
        previous = crash["before"][who.address]
        if who.address == crash["victim"].address or previous.positions.get(0) is None:
            continue
        # The socialized loss is |size| * index / WAD, rounded up, off each balance.
        owed = mul_div(abs(size), index, WAD, Rounding.CEIL)
        assert balance(account) == balance(previous) - owed
    assert chain.call(clearinghouse.functions.cash(crash["victim"].address), block) == 0


def test_the_ledger_still_balances(crash: dict) -> None:
    """Collateral held = insurance fund + every balance, up to a rounding surplus that only
    the contract keeps (socialization rounds each charge up)."""
    chain, deployment = crash["chain"], crash["deployment"]
    clearinghouse = deployment.clearinghouse
    block = chain.w3.eth.block_number
    held = chain.call(deployment.stablecoin.functions.balanceOf(clearinghouse.address), block)
    accounts = [crash["victim"].address, *(who.address for who in crash["others"])]
    keeper = crash["keeper_pass"].liquidations[0]
    total = chain.call(clearinghouse.functions.insuranceFund(), block)
    total += sum(balance(read_account(deployment, a, block)) for a in accounts)
    assert keeper.keeper_reward == 0
    surplus = held * 10**12 - total
    assert 0 <= surplus <= 10

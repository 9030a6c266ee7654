"""Position bookkeeping, Python against the contract on Anvil, over random trades and funding.

Four traders trade one ETH perp at random sizes (18 significant digits, with exact closes
and flips through zero) and prices, and the settler applies funding every few trades. After
every step each trader's cash, position (size, cost basis, funding and loss snapshots) and
balance as the contract stores them equal what Python's twins (``portfolio.fill``,
``portfolio.charges``, ``settlement.after_perp_trade``) predict from the trades alone.
"""

import random
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal

import pytest
from web3.types import RPCEndpoint

from vmargin.chain.anvil import AnvilNode
from vmargin.chain.client import Chain, anvil_accounts
from vmargin.chain.deployment import RiskParameters, deploy_vmargin, mint_and_deposit
from vmargin.chain.reads import read_account
from vmargin.chain.scenario_registry import post_scenario_set, read_scenario_set
from vmargin.numerics.fixedpoint import WAD, Rounding, mul_wad
from vmargin.numerics.portfolio import Account, MarketIndex, balance
from vmargin.oracle.feeds import push_price
from vmargin.settlement import after_perp_trade, settle_perp_trade

STEPS = 120
CASH = 1_000_000


@pytest.fixture(scope="module")
def node() -> Iterator[AnvilNode]:
    """A node of this module's own: funding moves its clock forward."""
    with AnvilNode(accounts=8) as own:
        yield own


def test_random_trades_and_funding_keep_python_and_chain_identical(node: AnvilNode) -> None:
    chain = Chain.connect(node.rpc_url)
    owner, backstop, settler, *traders = anvil_accounts(7)
    deployment = deploy_vmargin(
        chain, owner, backstop=backstop.address, assets=("ETH",), risk=RiskParameters()
    )
    clearinghouse = deployment.clearinghouse
    chain.transact(owner, clearinghouse.functions.setSettler(settler.address, True))
    # An IM factor of 1 wei: every trade passes, the test is about the books.
    chain.transact(owner, clearinghouse.functions.setInitialMarginParameters(1, 9900))
    mark = Decimal(2000)
    push_price(chain, owner, deployment.aggregators[0], mark)
    rng = random.Random(2026)
    returns = tuple((rng.randint(-WAD // 20, WAD // 20),) for _ in range(8))
    epoch = post_scenario_set(
        chain,
        owner,
        deployment.registry,
        spot_returns=returns,
        vol_shifts=tuple((0,) for _ in range(8)),
        alpha_bps=7500,
    )
    scenarios = read_scenario_set(chain, deployment.registry, epoch)
    for trader in traders:
        mint_and_deposit(deployment, owner, trader, CASH)
    model = {t.address: Account(address=t.address, cash=CASH * WAD) for t in traders}
    market = MarketIndex()
    fundings = flips = closes = 0

    for _ in range(STEPS):
        if rng.random() < 0.15:
            chain.w3.provider.make_request(RPCEndpoint("evm_increaseTime"), [3600])
            # the price is dated after it
            chain.w3.provider.make_request(RPCEndpoint("evm_mine"), [])
            mark = (mark * Decimal(rng.randint(97, 103)) / 100).quantize(Decimal("0.01"))
            push_price(chain, owner, deployment.aggregators[0], mark)
            rate = rng.randint(-(10**16), 10**16)
            chain.transact(settler, clearinghouse.functions.applyFunding(0, rate))
            funding, loss, _, _ = chain.call(clearinghouse.functions.markets(0))
            market = MarketIndex(funding=funding, loss=loss)
            fundings += 1
        else:
            buyer, seller = rng.sample(traders, 2)
            held = model[seller.address].positions.get(0)
            size = rng.randint(1, 5 * WAD)
            if held is not None and held.size > 0 and rng.random() < 0.3:
                size = held.size  # the seller closes exactly
                closes += 1
            elif held is not None and held.size > 0 and rng.random() < 0.3:
                size = held.size + rng.randint(1, WAD)  # the seller flips through zero
                flips += 1
            price = int(mark * WAD) * rng.randint(9_900, 10_100) // 10_000
            settle_perp_trade(
                deployment,
                settler,
                scenarios,
                buyer=buyer.address,
                seller=seller.address,
                asset=0,
                size=size,
                price=price,
            )
            cost = mul_wad(size, price, Rounding.CEIL)
            for who, signed_size, signed_cost in ((buyer, size, cost), (seller, -size, -cost)):
                account = replace(model[who.address], markets={0: market})
                model[who.address] = after_perp_trade(account, 0, signed_size, signed_cost)
        for trader in traders:
            onchain = read_account(deployment, trader.address, "latest")
            expected = replace(model[trader.address], markets={0: market})
            assert onchain.cash == expected.cash
            assert dict(onchain.positions) == dict(expected.positions)
            assert balance(onchain) == balance(expected)
    assert fundings >= 5 and flips >= 3 and closes >= 3

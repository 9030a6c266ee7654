"""A crowd of leveraged perp accounts on a fresh Anvil node, for keeper tests and the
keeper benchmark.

Deploys vmargin with one ETH market, posts the demo's historical ETH scenario set, and
opens ``size`` one-ETH longs against a market maker at the last historical close, with
collateral spread evenly from ``LOWEST_COLLATERAL`` to ``HIGHEST_COLLATERAL`` USD: a 25%
crash then leaves the thinnest accounts insolvent, the next ones liquidatable with a
reward, and the rest healthy. Trader keys are derived from their index and funded with
``anvil_setBalance``, so a crowd is not limited to Anvil's ten default accounts.
"""

from dataclasses import dataclass
from decimal import Decimal

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from offchain.chain import Chain, anvil_accounts
from offchain.demo import CRASH, eth_history_scenarios
from offchain.deployment import Deployment, RiskParameters, deploy_vmargin, mint_and_deposit
from offchain.fixedpoint import WAD
from offchain.scenario_registry import post_scenario_set, read_scenario_set
from offchain.settlement import settle_perp_trade
from oracle.feeds import push_price

LOWEST_COLLATERAL = 860
HIGHEST_COLLATERAL = 2_600
MARKET_MAKER_COLLATERAL_PER_TRADER = 10_000
TRADER_GAS_MONEY = 10**20  # 100 ETH of test ether, wei


@dataclass(frozen=True)
class Crowd:
    """The deployment, its owner (the feeds' writer), the keys Anvil funds for keepers, and
    the traders; ``open_price`` is the ETH price the longs were opened at."""

    deployment: Deployment
    owner: LocalAccount
    keepers: tuple[LocalAccount, ...]
    traders: tuple[LocalAccount, ...]
    open_price: Decimal


def trader_key(index: int) -> LocalAccount:
    """The key of trader ``index``: derived from its index, the same on every run."""
    return Account.from_key(keccak(text=f"vmargin crowd trader {index}"))


def open_crowd(rpc_url: str, size: int, scenario_count: int) -> Crowd:
    """Deploy and open ``size`` long accounts (see the module docstring) on the fresh node
    at ``rpc_url`` (its first 10 accounts funded), with the last ``scenario_count`` daily
    ETH returns as the scenario set."""
    chain = Chain.connect(rpc_url)
    owner, backstop, settler, market_maker, *keepers = anvil_accounts(10)
    deployment = deploy_vmargin(chain, owner, backstop.address, ("ETH",), RiskParameters())
    clearinghouse = deployment.clearinghouse
    chain.transact(owner, clearinghouse.functions.setSettler(settler.address, True))
    scenario_set, open_price = eth_history_scenarios(scenario_count)
    epoch = post_scenario_set(
        chain,
        owner,
        deployment.registry,
        scenario_set.spot_returns,
        scenario_set.vol_shifts,
        scenario_set.alpha_bps,
    )
    push_price(chain, owner, deployment.aggregators[0], open_price)
    mint_and_deposit(deployment, owner, backstop, MARKET_MAKER_COLLATERAL_PER_TRADER)
    mint_and_deposit(deployment, owner, market_maker, MARKET_MAKER_COLLATERAL_PER_TRADER * size)
    published = read_scenario_set(chain, deployment.registry, epoch)
    price_wad = int(open_price.scaleb(18))
    traders = tuple(trader_key(index) for index in range(size))
    for index, trader in enumerate(traders):
        chain.w3.provider.make_request(
            "anvil_setBalance",  # type: ignore[arg-type]
            [trader.address, hex(TRADER_GAS_MONEY)],
        )
        spread = (HIGHEST_COLLATERAL - LOWEST_COLLATERAL) * index // max(size - 1, 1)
        mint_and_deposit(deployment, owner, trader, LOWEST_COLLATERAL + spread)
        settle_perp_trade(
            deployment, settler, published, trader.address, market_maker.address, 0, WAD, price_wad
        )
    return Crowd(
        deployment=deployment,
        owner=owner,
        keepers=tuple(keepers),
        traders=traders,
        open_price=open_price,
    )


def crash(crowd: Crowd) -> int:
    """Move the ETH feed down by the demo's crash; returns the block it landed in."""
    receipt = push_price(
        crowd.deployment.chain,
        crowd.owner,
        crowd.deployment.aggregators[0],
        crowd.open_price * CRASH,
    )
    return receipt["blockNumber"]

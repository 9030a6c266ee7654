"""The whole loop on a local chain, end to end.

Deploy the contracts; post a scenario set (historical simulation over the last 1,000
daily ETH/USD returns of the shipped history, built by ``oracle/scenario_methods.py`` and
quantized once, ES at 97.5%, so k = 25); hand the clearinghouse, the oracle adapter and
the registry to a ParameterTimelock (owner calls take effect 2 days after they are
scheduled, ``offchain/chain/governance.py``);
open perp accounts on ETH at the last historical close against a market maker, each
trade carrying both sides' initial-margin certificates (ES at 99%);
crash the ETH feed by 25%; then one keeper pass screens every account with exact
ES and liquidates those whose maintenance margin exceeds their equity. The keeper is the
protocol's own: it also liquidates an insolvent account, which pays no reward.
"""

from dataclasses import dataclass
from decimal import Decimal

from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from vmargin.chain.client import Chain, anvil_accounts
from vmargin.chain.deployment import Deployment, RiskParameters, deploy_vmargin, mint_and_deposit
from vmargin.chain.governance import hand_over_to_timelock
from vmargin.chain.scenario_registry import post_scenario_set, read_scenario_set
from vmargin.keeper.service import KeeperPass, KeeperPolicy, run_once
from vmargin.numerics.fixedpoint import WAD
from vmargin.oracle.feeds import push_price
from vmargin.oracle.prices import load_shipped
from vmargin.oracle.scenario_file import quantize_scenarios
from vmargin.oracle.scenario_methods import historical
from vmargin.oracle.scenarios import ScenarioSet
from vmargin.settlement import settle_perp_trade

SCENARIO_COUNT = 1000
ALPHA_BPS = 9750
CRASH = Decimal("0.75")
# Owner calls take effect this long after they are scheduled (seconds).
PARAMETER_DELAY = 2 * 24 * 3600


@dataclass(frozen=True)
class Trader:
    """A demo account: its collateral (whole USDC) and its ETH perp size (whole ETH)."""

    label: str
    collateral: int
    eth: int


TRADERS = (
    Trader("long 10 ETH, 1x", 43_000, 10),
    Trader("long 10 ETH, 2x", 21_500, 10),
    Trader("long 10 ETH, 3x", 14_300, 10),
    Trader("long 10 ETH, 5x", 8_600, 10),
    Trader("short 10 ETH, 3x", 14_300, -10),
)
MARKET_MAKER = Trader("market maker", 1_000_000, 0)
BACKSTOP_DEPOSIT = 1_000_000
PROTOCOL_KEEPER = KeeperPolicy(min_profit=None)


@dataclass(kw_only=True, frozen=True)
class DemoResult:
    """What the demo did: the set it posted, the keeper's screening and liquidations."""

    deployment: Deployment
    scenario_set: ScenarioSet
    epoch: int
    labels: dict[str, str]
    open_price: Decimal
    crash_price: Decimal
    keeper_pass: KeeperPass
    timelock: Contract


def eth_history_scenarios(scenario_count: int) -> tuple[ScenarioSet, Decimal]:
    """The set of the last ``scenario_count`` daily ETH/USD returns of the shipped history
    (historical simulation, ES at 97.5%), and the last close to open positions at."""
    closes = load_shipped(["ETH"])
    raw = historical(closes.closes_array(), scenario_count)
    ends = raw.parameters["period_end_rows"]  # the row of the last close of each scenario
    assert isinstance(ends, list)
    scenario_set = quantize_scenarios(
        closes.assets,
        raw.spot_returns,
        raw.vol_shifts,
        stress=raw.stress,
        alpha_bps=ALPHA_BPS,
        method="historical",
        parameters=raw.parameters,
        source=f"ETH one-day returns {closes.dates[ends[0]]} to {closes.dates[ends[-1]]}",
    )
    return scenario_set, closes.closes[-1][0]


def open_eth_market(
    chain: Chain,
    owner: LocalAccount,
    backstop: LocalAccount,
    settler: LocalAccount,
    scenario_count: int,
) -> tuple[Deployment, ScenarioSet, int, Decimal]:
    """Deploy vmargin with one ETH market, let ``settler`` settle trades, post the set of
    ``eth_history_scenarios(scenario_count)`` and set the ETH feed to the last close. Returns
    the deployment, the set, its epoch and that price."""
    deployment = deploy_vmargin(
        chain, owner, backstop=backstop.address, assets=("ETH",), risk=RiskParameters()
    )
    chain.transact(owner, deployment.clearinghouse.functions.setSettler(settler.address, True))
    scenario_set, open_price = eth_history_scenarios(scenario_count)
    epoch = post_scenario_set(
        chain,
        owner,
        deployment.registry,
        spot_returns=scenario_set.spot_returns,
        vol_shifts=scenario_set.vol_shifts,
        alpha_bps=scenario_set.alpha_bps,
    )
    push_price(chain, owner, deployment.aggregators[0], open_price)
    return deployment, scenario_set, epoch, open_price


def run_demo(rpc_url: str, scenario_count: int = SCENARIO_COUNT) -> DemoResult:
    """Run the loop against a fresh chain at ``rpc_url`` (its first 10 accounts funded),
    with the last ``scenario_count`` daily returns as the scenario set."""
    chain = Chain.connect(rpc_url)
    owner, backstop, settler, keeper, market_maker, *trader_keys = anvil_accounts(5 + len(TRADERS))
    deployment, scenario_set, epoch, open_price = open_eth_market(
        chain, owner, backstop, settler, scenario_count
    )
    timelock = hand_over_to_timelock(deployment, owner, PARAMETER_DELAY)
    mint_and_deposit(deployment, owner, backstop, BACKSTOP_DEPOSIT)
    mint_and_deposit(deployment, owner, market_maker, MARKET_MAKER.collateral)
    labels: dict[str, str] = {
        backstop.address: "backstop",
        market_maker.address: MARKET_MAKER.label,
    }
    price_wad = int(open_price.scaleb(18))
    published = read_scenario_set(chain, deployment.registry, epoch)
    for trader, key in zip(TRADERS, trader_keys, strict=False):
        labels[key.address] = trader.label
        mint_and_deposit(deployment, owner, key, trader.collateral)
        buyer, seller = (key, market_maker) if trader.eth > 0 else (market_maker, key)
        size = abs(trader.eth) * WAD
        settle_perp_trade(
            deployment,
            settler,
            published,
            buyer=buyer.address,
            seller=seller.address,
            asset=0,
            size=size,
            price=price_wad,
        )

    crash_price = open_price * CRASH
    push_price(chain, owner, deployment.aggregators[0], crash_price)
    keeper_pass = run_once(deployment, keeper, policy=PROTOCOL_KEEPER)
    return DemoResult(
        deployment=deployment,
        scenario_set=scenario_set,
        epoch=epoch,
        labels=labels,
        open_price=open_price,
        crash_price=crash_price,
        keeper_pass=keeper_pass,
        timelock=timelock,
    )

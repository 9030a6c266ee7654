"""Gas of on-chain margin checks against N and the number of positions, on a real Anvil node.

Eight assets with spot and implied-vol feeds. For 1, 4 and 8 positions, perps (long one
unit on each of the first P assets) and options (short one 30-day at-the-money put on
each), one account per configuration opens its book against its own market maker while
a 64-scenario epoch is current. Then, for N = 64 and N = 256 (ES at 97.5%), the
initial-margin check is measured as a withdrawal of 1 USDC carrying the account's full
margin certificate; and for N = 1,000 (k = 25) a crash and an MM factor of 1,000 make
every account liquidatable, and the liquidation with its 25-witness certificate is
measured. A transaction that needs more gas than a block holds (30 M here, as on
Ethereum mainnet) is reported as such: that limit is what attested margin exists for.
Prints a Markdown table; run with ``make bench``.
"""

import random
from decimal import Decimal
from typing import Any

from eth_account.signers.local import LocalAccount
from web3.contract.contract import ContractFunction
from web3.exceptions import Web3RPCError
from web3.types import RPCEndpoint

from vmargin.chain.anvil import AnvilNode
from vmargin.chain.client import Chain, TransactionReverted, anvil_accounts
from vmargin.chain.deployment import Deployment, RiskParameters, deploy_vmargin, mint_and_deposit
from vmargin.chain.reads import read_account
from vmargin.chain.scenario_registry import post_scenario_set, read_scenario_set
from vmargin.keeper.screen import screen
from vmargin.numerics.fixedpoint import WAD
from vmargin.oracle.feeds import push_price, push_volatility
from vmargin.proofs.certificate import witness_certificate
from vmargin.settlement import settle_option_trade, settle_perp_trade, side_certificate

ASSETS = tuple(f"A{i}" for i in range(8))
POSITIONS = (1, 4, 8)
USDC = 10**6
ALPHA_BPS = 9750


def scenario_rows(n: int, rng: random.Random) -> tuple[tuple, tuple]:
    returns = tuple(tuple(int(rng.gauss(0, 0.05) * WAD) for _ in ASSETS) for _ in range(n))
    shifts = tuple(tuple(int(rng.gauss(0, 0.05) * WAD) for _ in ASSETS) for _ in range(n))
    return returns, shifts


def post(chain: Chain, owner: LocalAccount, deployment: Deployment, n: int) -> int:
    returns, shifts = scenario_rows(n, random.Random(n))
    return post_scenario_set(
        chain,
        owner,
        deployment.registry,
        spot_returns=returns,
        vol_shifts=shifts,
        alpha_bps=ALPHA_BPS,
    )


def out_of_gas(chain: Chain, sender: str, call: ContractFunction) -> bool:
    """Whether ``call`` (a contract function call) runs out of gas somewhere within a
    whole block's gas: an inner call that does (the margin engine's) makes the outer one
    revert with empty data, so the call tree is traced to tell that from a real revert."""
    transaction = call.build_transaction({"from": sender, "gas": 30_000_000})
    trace = chain.w3.provider.make_request(
        RPCEndpoint("debug_traceCall"),
        [
            {k: transaction[k] for k in ("from", "to", "data", "gas")},
            "latest",
            {"tracer": "callTracer"},
        ],
    )
    frames: list[dict[str, Any]] = [trace.get("result", {})]
    while frames:
        frame = frames.pop()
        if "gas" in str(frame.get("error", "")).lower():
            return True
        frames.extend(frame.get("calls", []))
    return False


def gas_or_limit(chain: Chain, sender: LocalAccount, call: ContractFunction) -> str:
    """The gas ``call`` uses when ``sender`` sends it, or that it does not fit a block."""
    try:
        return f"{chain.transact(sender, call)['gasUsed']:,}"
    except (TransactionReverted, Web3RPCError, ValueError) as error:
        if "gas" in str(error).lower() or out_of_gas(chain, sender.address, call):
            return "does not fit a 30 M block"
        raise


def main() -> None:
    with AnvilNode(accounts=20) as node:
        chain = Chain.connect(node.rpc_url)
        owner, backstop, settler, keeper, *traders = anvil_accounts(20)
        deployment = deploy_vmargin(
            chain, owner, backstop=backstop.address, assets=ASSETS, risk=RiskParameters()
        )
        clearinghouse = deployment.clearinghouse
        chain.transact(owner, clearinghouse.functions.setSettler(settler.address, True))
        for aggregator in deployment.aggregators:
            push_price(chain, owner, aggregator, Decimal(1000))
        for aggregator in deployment.volatility_aggregators:
            push_volatility(chain, owner, aggregator, Decimal("0.6"))
        scenarios = read_scenario_set(
            chain, deployment.registry, post(chain, owner, deployment, 64)
        )
        expiry = chain.w3.eth.get_block("latest")["timestamp"] + 30 * 24 * 3600
        puts = []
        for asset in range(len(ASSETS)):
            series = deployment.series_registry
            receipt = chain.transact(
                owner, series.functions.listSeries(asset, 1000 * WAD, expiry, False)
            )
            puts.append(
                series.events.SeriesListed().process_receipt(receipt)[0]["args"]["seriesId"]
            )

        books: dict[tuple[str, int], LocalAccount] = {}
        for kind in ("perps", "options"):
            for count in POSITIONS:
                trader, maker = traders.pop(), traders.pop()
                mint_and_deposit(deployment, owner, trader, 10_000)
                mint_and_deposit(deployment, owner, maker, 10_000)
                for asset in range(count):
                    if kind == "perps":
                        settle_perp_trade(
                            deployment,
                            settler,
                            scenarios,
                            buyer=trader.address,
                            seller=maker.address,
                            asset=asset,
                            size=WAD,
                            price=1000 * WAD,
                        )
                    else:
                        settle_option_trade(
                            deployment,
                            settler,
                            scenarios,
                            buyer=maker.address,
                            seller=trader.address,
                            series_id=puts[asset],
                            size=WAD,
                            premium=50 * WAD,
                        )
                books[(kind, count)] = trader

        rows: dict[tuple[str, int], dict[str, str]] = {key: {} for key in books}
        for n in (64, 256):
            scenarios = read_scenario_set(
                chain, deployment.registry, post(chain, owner, deployment, n)
            )
            for key, trader in books.items():
                block = chain.w3.eth.block_number
                account = read_account(deployment, trader.address, block)
                certificate = side_certificate(deployment, scenarios, account, True, block)
                rows[key][f"IM, N = {n}"] = gas_or_limit(
                    chain, trader, clearinghouse.functions.withdraw(USDC, certificate.as_abi())
                )

        post(chain, owner, deployment, 1000)
        for aggregator in deployment.aggregators:
            push_price(chain, owner, aggregator, Decimal(600))
        for aggregator in deployment.volatility_aggregators:
            push_volatility(chain, owner, aggregator, Decimal("1.2"))
        # The books are well collateralized; an MM factor of 1,000 makes each liquidatable,
        # so that the liquidation path itself is what is measured.
        chain.transact(
            owner, clearinghouse.functions.setRiskParameters(1000 * WAD, WAD // 100, WAD // 2)
        )
        screened = screen(deployment, chain.w3.eth.block_number)
        scenarios, risks = screened.scenarios, screened.risks
        by_address = {risk.account.address: risk for risk in risks}
        for key, trader in books.items():
            risk = by_address[trader.address]
            if not risk.liquidatable:
                rows[key]["liquidation, k = 25"] = "not liquidatable"
                continue
            witnesses = witness_certificate(scenarios.epoch, scenarios.tree, risk.witnesses)
            rows[key]["liquidation, k = 25"] = gas_or_limit(
                chain,
                keeper,
                clearinghouse.functions.liquidate(trader.address, witnesses.as_abi(), WAD),
            )

    columns = ["IM, N = 64", "IM, N = 256", "liquidation, k = 25"]
    print("| book | " + " | ".join(columns) + " |")
    print("| --- | " + " | ".join("---:" for _ in columns) + " |")
    for (kind, count), row in rows.items():
        print(f"| {count} {kind} | " + " | ".join(row[c] for c in columns) + " |")


if __name__ == "__main__":
    main()

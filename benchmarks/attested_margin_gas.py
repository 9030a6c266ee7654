"""Gas of a trade with attested margin against one with full margin certificates, on a
real Anvil node.

For N = 256 and N = 1,000 scenarios (one asset, random returns, ES at 97.5%), a fresh
deployment with five bonded BLS operators (``contracts/OperatorRegistry.sol``) and
``AttestedMargin`` opens the same one-unit long twice against a market maker: once with
both sides' full margin certificates (every scenario's loss on-chain), once with an
attestation of each side's post-trade state, signed by four of the five operators and
accepted on-chain first with the state's preimage, and empty certificates in the trade.
Prints a Markdown table; run with ``make bench``.
"""

import random
from decimal import Decimal

from vmargin.attestation.attested_margin import accept_attestation, attestation_of, state_abi
from vmargin.attestation.operator_registry import deploy_attested_margin
from vmargin.chain.anvil import AnvilNode
from vmargin.chain.client import Chain, anvil_accounts
from vmargin.chain.deployment import RiskParameters, deploy_vmargin, mint_and_deposit
from vmargin.chain.reads import read_account, read_initial_margin_parameters, read_marks
from vmargin.chain.scenario_registry import post_scenario_set, read_scenario_set
from vmargin.numerics.fixedpoint import WAD, Rounding, mul_wad
from vmargin.oracle.feeds import push_price
from vmargin.proofs.attestation import attestation_digest
from vmargin.proofs.bls import key_from_secret
from vmargin.proofs.certificate import NO_MARGIN_CERTIFICATE
from vmargin.proofs.quorum import quorum_signature
from vmargin.settlement import after_perp_trade, settle_perp_trade

SCENARIO_COUNTS = (256, 1000)
BOND = 10_000 * 10**6
PRICE = 2000


def measure(n: int) -> tuple[int, int, int]:
    """Gas of the certified trade, of accepting one attestation, and of the attested trade."""
    with AnvilNode() as node:
        chain = Chain.connect(node.rpc_url)
        owner, backstop, settler, maker, trader, *operators = anvil_accounts(10)
        deployment = deploy_vmargin(
            chain, owner, backstop=backstop.address, assets=("ETH",), risk=RiskParameters()
        )
        clearinghouse = deployment.clearinghouse
        chain.transact(owner, clearinghouse.functions.setSettler(settler.address, True))
        rng = random.Random(n)
        returns = tuple((int(rng.gauss(0, 0.05) * WAD),) for _ in range(n))
        epoch = post_scenario_set(
            chain,
            owner,
            deployment.registry,
            spot_returns=returns,
            vol_shifts=((0,),) * n,
            alpha_bps=9750,
        )
        push_price(chain, owner, deployment.aggregators[0], Decimal(PRICE))
        keys = [key_from_secret(7_919 * (i + 11)) for i in range(len(operators))]
        attested = deploy_attested_margin(
            deployment,
            owner,
            operators=operators,
            keys=keys,
            bond=BOND,
            quorum_bps=6_600,
            challenge_window=3600,
        )
        scenarios = read_scenario_set(chain, deployment.registry, epoch)
        mint_and_deposit(deployment, owner, maker, 1_000_000)
        mint_and_deposit(deployment, owner, trader, 10_000)

        price = PRICE * WAD
        certified = settle_perp_trade(
            deployment,
            settler,
            scenarios,
            buyer=trader.address,
            seller=maker.address,
            asset=0,
            size=WAD,
            price=price,
        )

        block = chain.w3.eth.block_number
        parameters = read_initial_margin_parameters(deployment, block)
        cost = mul_wad(WAD, price, Rounding.CEIL)
        quorum_keys = {i: keys[i] for i in range(4)}
        accept_gas = []
        for address, size, signed_cost in (
            (trader.address, WAD, cost),
            (maker.address, -WAD, -cost),
        ):
            after = after_perp_trade(read_account(deployment, address, block), 0, size, signed_cost)
            marks = read_marks(deployment, after, block)
            attestation = attestation_of(
                chain.chain_id,
                attested.address,
                account=after,
                marks=marks,
                block_number=block,
                scenarios=scenarios,
                parameters=parameters,
                expiry=marks.now + 600,
            )
            quorum = quorum_signature(
                quorum_keys, attestation_digest(attested.address, attestation)
            )
            receipt = accept_attestation(
                chain,
                owner,
                attested,
                attestation=attestation,
                quorum=quorum,
                state=state_abi(after, marks),
            )
            accept_gas.append(receipt["gasUsed"])
        empty = NO_MARGIN_CERTIFICATE.as_abi()
        trade = chain.transact(
            settler,
            clearinghouse.functions.settleTrade(
                trader.address, maker.address, 0, WAD, price, empty, empty
            ),
        )
        return certified["gasUsed"], max(accept_gas), trade["gasUsed"]


def main() -> None:
    print(
        "| N | trade, full certificates | accept one attestation | trade, attested "
        "| attested total (2 accepts + trade) |"
    )
    print("| ---: | ---: | ---: | ---: | ---: |")
    for n in SCENARIO_COUNTS:
        certified, accept, trade = measure(n)
        print(f"| {n:,} | {certified:,} | {accept:,} | {trade:,} | {2 * accept + trade:,} |")


if __name__ == "__main__":
    main()

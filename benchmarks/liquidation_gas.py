"""Gas of one liquidation against the number of scenarios N, on a real Anvil node.

Runs the demo loop once per N (ES at 97.5%, so k = N / 40) and reports, for each
liquidation, the witnesses named, the proof length of the first witness, the calldata
size, the gas used, and the EIP-7623 calldata floor (Prague): a transaction pays at least
21,000 + 10 * (zero bytes + 4 * nonzero bytes) of its calldata, which is what a large
certificate costs once execution is cheaper than its data. Prints a Markdown table;
run with ``make bench``. (N stops at 1,000: at 2,000 the demo's trades, each with two
full margin certificates, no longer fit a 30 M gas block.)
"""

from vmargin.chain.anvil import AnvilNode
from vmargin.cli.demo import run_demo

SCENARIO_COUNTS = (250, 500, 1000)


def main() -> None:
    print("| N | k | witnesses | proof length | calldata bytes | outcome | gas used | floor |")
    print("| ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |")
    for n in SCENARIO_COUNTS:
        with AnvilNode() as node:
            result = run_demo(node.rpc_url, scenario_count=n)
            w3 = result.deployment.chain.w3
            tail = result.keeper_pass.scenarios.tail
            for liquidation in result.keeper_pass.liquidations:
                calldata = w3.eth.get_transaction(liquidation.tx_hash)["input"]
                outcome = "bad debt" if liquidation.bad_debt else "reward paid"
                zero_bytes = calldata.count(0)
                floor = 21_000 + 10 * (zero_bytes + 4 * (len(calldata) - zero_bytes))
                print(
                    f"| {n} | {tail.k_num / 10_000:g} | {tail.witness_count} "
                    f"| {len(liquidation.certificate.proofs[0])} | {len(calldata)} "
                    f"| {outcome} | {liquidation.gas_used:,} | {floor:,} |"
                )


if __name__ == "__main__":
    main()

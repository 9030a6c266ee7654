"""Gas of verifying one aggregate BLS signature on BN254, on a real Anvil node.

Signs one digest with quorums of 1, 4 and 16 operators (``proofs/bls.py``) and measures
``BN254.verify`` through ``BN254Harness.verifyGas`` (gasleft() around the library call:
two ecMul, two ecAdd, hash-to-G1 with modexp, and one two-pair ecPairing at 113,000 gas).
The cost does not depend on the quorum's size: the keys arrive aggregated. Prints a
Markdown table; run with ``make bench``.
"""

from offchain.anvil import AnvilNode
from offchain.chain import Chain, anvil_accounts
from proofs.bls import aggregate_g1, aggregate_g2, g1_words, g2_abi, key_from_secret, sign

DIGEST = bytes.fromhex("5f" * 32)
QUORUMS = (1, 4, 16)


def main() -> None:
    print("| signers | verify gas |")
    print("| ---: | ---: |")
    with AnvilNode() as node:
        chain = Chain.connect(node.rpc_url)
        (deployer,) = anvil_accounts(1)
        harness = chain.deploy(deployer, "BN254Harness")
        for signers in QUORUMS:
            keys = [key_from_secret(1_000_003 * (i + 1)) for i in range(signers)]
            signature = aggregate_g1([sign(key, DIGEST) for key in keys])
            apk_g1 = aggregate_g1([key.public_g1 for key in keys])
            apk_g2 = aggregate_g2([key.public_g2 for key in keys])
            valid, gas = chain.call(
                harness.functions.verifyGas(
                    DIGEST, tuple(g1_words(signature)), tuple(g1_words(apk_g1)), g2_abi(apk_g2)
                )
            )
            if not valid:
                raise RuntimeError(f"the aggregate of {signers} signers did not verify")
            print(f"| {signers} | {gas:,} |")


if __name__ == "__main__":
    main()

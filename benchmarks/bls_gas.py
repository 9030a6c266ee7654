"""Gas of verifying one aggregate BLS signature on BN254, on a real Anvil node.

Signs one digest with quorums of 1, 4 and 16 operators (``proofs/bls.py``) and measures
``BN254.verify`` through ``BN254Harness.verifyGas`` (gasleft() around the library call:
two ecMul at 6,000 gas, two ecAdd at 150, hash-to-G1 at one 1,338-gas modexp per try, and
one two-pair ecPairing at 113,000). The cost does not depend on the quorum's size: the
keys arrive aggregated. It does depend on the digest: try-and-increment needs one try
with probability 1/2, two with 1/4, ...; the second table spreads it over 64 digests.
Prints Markdown tables; run with ``make bench``.
"""

from eth_utils import keccak
from web3.contract import Contract

from support.project import deploy_harness
from vmargin.chain.anvil import AnvilNode
from vmargin.chain.client import Chain, anvil_accounts
from vmargin.proofs.bls import (
    BlsKey,
    P,
    aggregate_g1,
    aggregate_g2,
    g1_words,
    g2_abi,
    hash_to_g1,
    key_from_secret,
    sign,
)

DIGEST = bytes.fromhex("5f" * 32)
QUORUMS = (1, 4, 16)
DIGESTS = 64


def verify_gas(harness: Contract, chain: Chain, digest: bytes, keys: list[BlsKey]) -> int:
    """Gas of ``BN254.verify`` of the aggregate of ``keys``' signatures on ``digest``."""
    signature = aggregate_g1([sign(key, digest) for key in keys])
    apk_g1 = aggregate_g1([key.public_g1 for key in keys])
    apk_g2 = aggregate_g2([key.public_g2 for key in keys])
    valid, gas = chain.call(
        harness.functions.verifyGas(
            digest, tuple(g1_words(signature)), tuple(g1_words(apk_g1)), g2_abi(apk_g2)
        )
    )
    if not valid:
        raise RuntimeError(f"the aggregate of {len(keys)} signers did not verify")
    return gas


def hash_tries(digest: bytes) -> int:
    """How many x values try-and-increment tests for ``digest``."""
    return hash_to_g1(digest)[0] - int.from_bytes(digest) % P + 1


def main() -> None:
    with AnvilNode() as node:
        chain = Chain.connect(node.rpc_url)
        (deployer,) = anvil_accounts(1)
        harness = deploy_harness(chain, deployer, "BN254Harness")
        keys = [key_from_secret(1_000_003 * (i + 1)) for i in range(max(QUORUMS))]
        print(f"digest 0x{DIGEST.hex()[:8]}..., {hash_tries(DIGEST)} hash tries")
        print()
        print("| signers | verify gas |")
        print("| ---: | ---: |")
        for signers in QUORUMS:
            print(f"| {signers} | {verify_gas(harness, chain, DIGEST, keys[:signers]):,} |")
        by_tries: dict[int, list[int]] = {}
        for index in range(DIGESTS):
            digest = keccak(index.to_bytes(32))
            gas = verify_gas(harness, chain, digest, keys[:4])
            by_tries.setdefault(hash_tries(digest), []).append(gas)
        print()
        print(f"| hash tries | digests (of {DIGESTS}) | verify gas, mean |")
        print("| ---: | ---: | ---: |")
        for tries, gases in sorted(by_tries.items()):
            print(f"| {tries} | {len(gases)} | {sum(gases) // len(gases):,} |")
        every = [gas for gases in by_tries.values() for gas in gases]
        print(f"| all | {len(every)} | {sum(every) // len(every):,} |")


if __name__ == "__main__":
    main()

"""BN254 BLS: the Python twin (``proofs/bls.py``) against the Solidity library
(``contracts/libraries/BN254.sol``) on Anvil, through ``BN254Harness``."""

import random
from collections.abc import Iterator

import pytest
from web3.contract import Contract

from support.project import deploy_harness
from vmargin.chain.anvil import AnvilNode
from vmargin.chain.client import Chain, TransactionReverted, anvil_accounts
from vmargin.proofs.bls import (
    BlsError,
    G1Point,
    G2Point,
    P,
    aggregate_g1,
    aggregate_g2,
    g1_words,
    g2_abi,
    hash_to_g1,
    key_from_secret,
    sign,
    verify,
)

DIGEST = bytes.fromhex("5f" * 32)


@pytest.fixture(scope="module")
def harness(anvil: AnvilNode) -> Iterator[tuple[Chain, Contract]]:
    chain = Chain.connect(anvil.rpc_url)
    (deployer,) = anvil_accounts(1)
    yield chain, deploy_harness(chain, deployer, "BN254Harness")


def quorum() -> tuple[G1Point, G1Point, G2Point]:
    """Three operators' aggregate signature on DIGEST and their aggregate keys."""
    keys = [key_from_secret(secret) for secret in (12345, 67890, 2**200 + 7)]
    return (
        aggregate_g1([sign(key, DIGEST) for key in keys]),
        aggregate_g1([key.public_g1 for key in keys]),
        aggregate_g2([key.public_g2 for key in keys]),
    )


def onchain_verify(
    chain: Chain,
    contract: Contract,
    *,
    digest: bytes,
    signature: G1Point,
    apk_g1: G1Point,
    apk_g2: G2Point,
) -> bool:
    return chain.call(
        contract.functions.verify(
            digest, tuple(g1_words(signature)), tuple(g1_words(apk_g1)), g2_abi(apk_g2)
        )
    )


def test_hash_to_g1_matches_on_2000_digests_and_the_edges(
    harness: tuple[Chain, Contract],
) -> None:
    chain, contract = harness
    rng = random.Random(254)
    digests = [rng.randbytes(32) for _ in range(2000)]
    digests += [n.to_bytes(32, "big") for n in (0, 1, 2, P - 1, P, P + 1, 2**256 - 1)]
    block = chain.w3.eth.block_number
    onchain = chain.call_batch(contract, "hashToG1", [(digest,) for digest in digests], block)
    assert [tuple(point) for point in onchain] == [hash_to_g1(digest) for digest in digests]


def test_an_honest_quorum_verifies_on_both_sides(harness: tuple[Chain, Contract]) -> None:
    chain, contract = harness
    signature, apk_g1, apk_g2 = quorum()
    assert verify(DIGEST, signature, apk_g1, apk_g2)
    assert onchain_verify(
        chain, contract, digest=DIGEST, signature=signature, apk_g1=apk_g1, apk_g2=apk_g2
    )


def test_a_wrong_message_or_a_missing_signer_fails_on_both_sides(
    harness: tuple[Chain, Contract],
) -> None:
    chain, contract = harness
    signature, apk_g1, apk_g2 = quorum()
    other = bytes.fromhex("60" * 32)
    assert not verify(other, signature, apk_g1, apk_g2)
    assert not onchain_verify(
        chain, contract, digest=other, signature=signature, apk_g1=apk_g1, apk_g2=apk_g2
    )
    # A G1 key sum that does not match the G2 sum: the binding factor catches it.
    short_g1 = aggregate_g1([key_from_secret(12345).public_g1])
    assert not verify(DIGEST, signature, short_g1, apk_g2)
    assert not onchain_verify(
        chain, contract, digest=DIGEST, signature=signature, apk_g1=short_g1, apk_g2=apk_g2
    )


def test_a_point_off_the_curve_is_refused_by_name(harness: tuple[Chain, Contract]) -> None:
    chain, contract = harness
    signature, apk_g1, apk_g2 = quorum()
    off_curve = (signature[0], (signature[1] + 1) % P)
    with pytest.raises(BlsError, match="not a point of G1"):
        verify(DIGEST, off_curve, apk_g1, apk_g2)
    with pytest.raises(TransactionReverted) as refused:
        onchain_verify(
            chain, contract, digest=DIGEST, signature=off_curve, apk_g1=apk_g1, apk_g2=apk_g2
        )
    assert refused.value.error.endswith("NotOnCurve")
    (x_real, x_imag), (y_real, y_imag) = apk_g2
    off_twist = ((x_real, x_imag), (y_real, (y_imag + 1) % P))
    with pytest.raises(BlsError, match="not a point of the G2 twist"):
        verify(DIGEST, signature, apk_g1, off_twist)
    with pytest.raises(TransactionReverted) as refused:
        onchain_verify(
            chain, contract, digest=DIGEST, signature=signature, apk_g1=apk_g1, apk_g2=off_twist
        )
    assert refused.value.error.endswith("PrecompileFailed")

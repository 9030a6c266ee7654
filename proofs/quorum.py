"""Operator quorums: the proof of possession an operator registers with, and the quorum
signature ``OperatorRegistry.checkQuorum`` accepts (``contracts/OperatorRegistry.sol``).

A quorum signature names its signers by a bitmap of operator indices, carries their
aggregate signature and the sum of their G2 keys (the contract sums their G1 keys).
"""

from collections.abc import Mapping
from dataclasses import dataclass

from eth_abi import encode
from eth_utils import keccak

from vmargin.proofs.bls import (
    BlsKey,
    G1Point,
    G2Point,
    aggregate_g1,
    aggregate_g2,
    g1_words,
    g2_abi,
    sign,
)

PROOF_OF_POSSESSION_TAG = keccak(text="vmargin.OperatorRegistry.ProofOfPossession")


def proof_of_possession_digest(
    chain_id: int, registry: str, account: str, public_g1: G1Point
) -> bytes:
    """``OperatorRegistry.proofOfPossessionDigest``: the tag, the chain, the registry, the
    operator's account and its G1 key, ``abi.encode``d and hashed."""
    return keccak(
        encode(
            ["bytes32", "uint256", "address", "address", "uint256", "uint256"],
            [PROOF_OF_POSSESSION_TAG, chain_id, registry, account, *public_g1],
        )
    )


def proof_of_possession(key: BlsKey, chain_id: int, registry: str, account: str) -> G1Point:
    """``key``'s signature on its own proof-of-possession message."""
    return sign(key, proof_of_possession_digest(chain_id, registry, account, key.public_g1))


@dataclass(frozen=True)
class QuorumSignature:
    """``OperatorRegistry.QuorumSignature``: signer bitmap, aggregate signature, G2 key sum."""

    signers: int
    signature: G1Point
    apk_g2: G2Point

    def as_abi(self) -> tuple:
        """The struct as web3 encodes it."""
        return (self.signers, tuple(g1_words(self.signature)), g2_abi(self.apk_g2))


def quorum_signature(keys: Mapping[int, BlsKey], digest: bytes) -> QuorumSignature:
    """The quorum signature of the operators ``keys`` (by operator index) on ``digest``."""
    return aggregate_quorum(
        {index: (sign(key, digest), key.public_g2) for index, key in keys.items()}
    )


def aggregate_quorum(signatures: Mapping[int, tuple[G1Point, G2Point]]) -> QuorumSignature:
    """The quorum signature of operators' signatures on one digest, each given with the
    signer's G2 key, by operator index."""
    signers = 0
    for index in signatures:
        signers |= 1 << index
    return QuorumSignature(
        signers=signers,
        signature=aggregate_g1([signature for signature, _ in signatures.values()]),
        apk_g2=aggregate_g2([public_g2 for _, public_g2 in signatures.values()]),
    )

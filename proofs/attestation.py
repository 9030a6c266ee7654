"""Attested margin: the message risk operators sign, as ``AttestedMargin`` hashes it
(``contracts/AttestedMargin.sol``), and the state hash it commits to.

An attestation states an account's ES at the IM level and the IM it makes (WAD) for a
state hash (its portfolio and the oracle marks it was valued at) under one scenario epoch
and root, valued at a time from the marks of a block, and usable until an expiry. The
digest is keccak256 of
``abi.encode(tag, verifier, attestation)``; the attestation carries its chain id and
epoch, so a replay on another chain or in a later epoch is refused by name before any
signature is checked.
"""

from dataclasses import astuple, dataclass

from eth_abi import encode
from eth_utils import keccak

ATTESTATION_TAG = keccak(text="vmargin.AttestedMargin.Attestation")
ATTESTATION_TYPE = (
    "(uint256,address,bytes32,uint64,bytes32,uint16,int256,int256,uint64,uint64,uint64)"
)


@dataclass(kw_only=True, frozen=True)
class Attestation:
    """``AttestedMargin.Attestation``, field for field."""

    chain_id: int
    account: str
    state_hash: bytes
    epoch: int
    scenario_root: bytes
    alpha_bps: int
    expected_shortfall: int
    initial_margin: int
    block_number: int
    valuation_time: int
    expiry: int

    def as_abi(self) -> tuple:
        """The struct as web3 encodes it."""
        return astuple(self)


def attestation_digest(verifier: str, attestation: Attestation) -> bytes:
    """``AttestedMargin.attestationDigest``: what the operators sign."""
    return keccak(
        encode(
            ["bytes32", "address", ATTESTATION_TYPE],
            [ATTESTATION_TAG, verifier, attestation.as_abi()],
        )
    )

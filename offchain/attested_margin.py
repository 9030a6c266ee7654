"""Attested margin, off chain: the state hash an attestation commits to, and a quorum's
attestation of an account's ES and IM (``contracts/AttestedMargin.sol``).

The state hash is ``MarginEngine.attestedState``'s: keccak256 of ``abi.encode`` of the
account's ``Portfolio`` struct (balance, spot exposure per oracle asset, option holdings
in held order) and the spot and vol marks (WAD, 0 for assets the portfolio does not need).
"""

from collections.abc import Mapping

from eth_abi import encode
from eth_utils import keccak

from offchain.expected_shortfall import expected_shortfall
from offchain.margin import InitialMarginParameters, initial_margin
from offchain.portfolio import Account, Marks, balance, scenario_losses
from offchain.scenario_registry import PublishedScenarioSet
from proofs.attestation import Attestation, attestation_digest
from proofs.bls import BlsKey
from proofs.certificate import margin_certificate
from proofs.quorum import QuorumSignature, quorum_signature

PORTFOLIO_TYPE = "(int256,int256[],((uint256,int256,uint64,bool),int256,int256)[])"


def portfolio_abi(account: Account, asset_count: int) -> tuple:
    """``Clearinghouse._portfolio(account)`` as web3 encodes ``MarginEngine.Portfolio``."""
    exposure = account.spot_exposure
    return (
        balance(account),
        [exposure.get(asset, 0) for asset in range(asset_count)],
        [
            (
                (o.series.asset, o.series.strike, o.series.expiry, o.series.is_call),
                o.position.size,
                o.settlement_price,
            )
            for o in account.options
        ],
    )


def state_hash(account: Account, marks: Marks) -> bytes:
    """``MarginEngine.attestedState``'s hash of ``account`` at ``marks``."""
    asset_count = len(marks.spot)
    return keccak(
        encode(
            [PORTFOLIO_TYPE, "int256[]", "int256[]"],
            [portfolio_abi(account, asset_count), list(marks.spot), list(marks.vol)],
        )
    )


def attest(
    keys: Mapping[int, BlsKey],
    chain_id: int,
    attested_margin: str,
    account: Account,
    marks: Marks,
    block_number: int,
    scenarios: PublishedScenarioSet,
    parameters: InitialMarginParameters,
    expiry: int,
) -> tuple[Attestation, QuorumSignature]:
    """The operators ``keys`` (by operator index) attest ``account``'s exact ES (at the
    epoch's level, rounded up) and IM (as a margin certificate would bound it: the
    IM level's exact ES, times the IM factor, plus the liquidity add-on) at ``marks``, read
    at ``block_number``; the attestation and their quorum signature."""
    losses = scenario_losses(account, marks, scenarios.spot_returns, scenarios.vol_shifts)
    certificate = margin_certificate(scenarios.epoch, scenarios.tree, losses, parameters.alpha_bps)
    attestation = Attestation(
        chain_id=chain_id,
        account=account.address,
        state_hash=state_hash(account, marks),
        epoch=scenarios.epoch,
        scenario_root=scenarios.tree.root,
        expected_shortfall=expected_shortfall(losses, scenarios.alpha_bps),
        initial_margin=initial_margin(account, marks, losses, certificate.threshold, parameters),
        block_number=block_number,
        valuation_time=marks.now,
        expiry=expiry,
    )
    digest = attestation_digest(attested_margin, attestation)
    return attestation, quorum_signature(keys, digest)

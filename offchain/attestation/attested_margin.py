"""Attested margin, off chain: the state an attestation commits to, a quorum's
attestation of an account's ES and IM, and submitting it (``contracts/AttestedMargin.sol``).

A state is ``AttestedMargin.State``: the account's ``Portfolio`` struct (balance, spot
exposure per oracle asset, option holdings in held order) and the spot and vol marks
(WAD, 0 for assets the portfolio does not need). Its hash, ``MarginEngine.attestedState``'s,
is keccak256 of ``abi.encode(portfolio, spot, vol)``. The attested ES is the exact ES at
the clearinghouse's IM level, rounded up; the attested IM is what the IM factor and
liquidity add-on make of it (``vmargin.numerics.margin.initial_margin_of``), which ``accept``
recomputes on chain.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eth_abi import encode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3.contract import Contract
from web3.types import TxReceipt

from vmargin.chain.client import Chain
from vmargin.chain.scenario_registry import PublishedScenarioSet
from vmargin.errors import InputError
from vmargin.numerics.expected_shortfall import (
    expected_shortfall,
    tail_weight,
    weighted_lower_bound,
)
from vmargin.numerics.margin import InitialMarginParameters, initial_margin_of
from vmargin.numerics.option_valuation import OptionSeries
from vmargin.numerics.portfolio import (
    Account,
    Marks,
    OptionPosition,
    Position,
    balance,
    scenario_losses,
)
from vmargin.proofs.attestation import Attestation
from vmargin.proofs.certificate import LiquidationCertificate, liquidation_certificate
from vmargin.proofs.quorum import QuorumSignature

# ``AttestedMargin.VOIDED``: what ``claimHashes(id)`` holds once ``id`` is disproven.
VOIDED = (1).to_bytes(32)
PORTFOLIO_TYPE = "(int256,int256[],((uint256,int256,uint64,bool),int256,int256)[])"


class MalformedState(InputError):
    """A state whose marks do not cover its assets: one spot mark, one vol mark and one
    spot exposure per oracle asset, and options only on those assets."""


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


def state_abi(account: Account, marks: Marks) -> tuple:
    """``AttestedMargin.State`` of ``account`` at ``marks``, as web3 encodes it."""
    return (portfolio_abi(account, len(marks.spot)), list(marks.spot), list(marks.vol))


def state_hash(account: Account, marks: Marks) -> bytes:
    """``MarginEngine.attestedState``'s hash of ``account`` at ``marks``."""
    return keccak(encode([PORTFOLIO_TYPE, "int256[]", "int256[]"], state_abi(account, marks)))


def attested_state(address: str, state: tuple, valuation_time: int) -> tuple[Account, Marks]:
    """An account and marks that value exactly as ``state`` (``AttestedMargin.State`` as
    ``state_abi`` gives it, or ``abi_tuple`` of a decoded event's) does at
    ``valuation_time``: the balance as cash, each spot exposure as a perp with no cost
    basis, the options as held (numbered by their place: the state carries no series ids).
    ``state_abi`` of the result is ``state`` again; MalformedState if the marks do not
    cover the assets."""
    (cash, exposure, holdings), spot, vol = state
    assets = len(spot)
    if len(exposure) != assets or len(vol) != assets:
        raise MalformedState(
            f"{len(exposure)} spot exposures, {assets} spot marks and {len(vol)} vol marks"
        )
    for (asset, _, _, _), _, _ in holdings:
        if asset >= assets:
            raise MalformedState(f"an option on asset {asset}; the marks cover {assets}")
    options = tuple(
        OptionPosition(
            series_id=index,
            series=OptionSeries(asset=asset, strike=strike, expiry=expiry, is_call=is_call),
            position=Position(size=size, cost_basis=0),
            settlement_price=settlement_price,
        )
        for index, ((asset, strike, expiry, is_call), size, settlement_price) in enumerate(holdings)
    )
    positions = {
        asset: Position(size=units, cost_basis=0) for asset, units in enumerate(exposure) if units
    }
    account = Account(address=address, cash=cash, positions=positions, options=options)
    return account, Marks(spot=list(spot), vol=list(vol), now=valuation_time)


def abi_tuple(value: Any) -> Any:
    """A struct as web3 decodes it from an event (nested named mappings) as the tuples
    web3 and eth_abi encode."""
    if isinstance(value, Mapping):
        return tuple(abi_tuple(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return [abi_tuple(item) for item in value]
    return value


def attestation_of(
    chain_id: int,
    attested_margin: str,
    *,
    account: Account,
    marks: Marks,
    block_number: int,
    scenarios: PublishedScenarioSet,
    parameters: InitialMarginParameters,
    expiry: int,
) -> Attestation:
    """The honest attestation of ``account`` at ``marks`` (read at ``block_number``) under
    ``scenarios`` and the clearinghouse's IM ``parameters``, usable until ``expiry``."""
    losses = scenario_losses(account, marks, scenarios.spot_returns, scenarios.vol_shifts)
    es = expected_shortfall(losses, parameters.alpha_bps)
    return Attestation(
        chain_id=chain_id,
        account=account.address,
        state_hash=state_hash(account, marks),
        epoch=scenarios.epoch,
        scenario_root=scenarios.tree.root,
        alpha_bps=parameters.alpha_bps,
        expected_shortfall=es,
        initial_margin=initial_margin_of(account, marks, es, parameters),
        block_number=block_number,
        valuation_time=marks.now,
        expiry=expiry,
    )


def accept_attestation(
    chain: Chain,
    sender: LocalAccount,
    attested_margin: Contract,
    *,
    attestation: Attestation,
    quorum: QuorumSignature,
    state: tuple,
) -> TxReceipt:
    """Submit ``attestation`` with its quorum signature and its ``state`` (``state_abi``)
    to ``AttestedMargin.accept``."""
    return chain.transact(
        sender,
        attested_margin.functions.accept(attestation.as_abi(), quorum.as_abi(), state),
    )


@dataclass(frozen=True)
class Disproof:
    """What a challenge shows: the certificate of the worst scenarios at the attested level
    and the lower bound of ES (WAD, rounded down) it proves on chain."""

    certificate: LiquidationCertificate
    bound: int


def disproof(
    account: Account, marks: Marks, scenarios: PublishedScenarioSet, alpha_bps: int
) -> Disproof:
    """The strongest challenge of any ES attested for ``account`` at ``marks`` at level
    ``alpha_bps``: it disproves every attestation below ``bound``."""
    losses = scenario_losses(account, marks, scenarios.spot_returns, scenarios.vol_shifts)
    tail = tail_weight(len(losses), alpha_bps)
    certificate = liquidation_certificate(scenarios.epoch, scenarios.tree, losses, tail)
    bound = weighted_lower_bound([losses[i] for i in certificate.indices], tail)
    return Disproof(certificate=certificate, bound=bound)


def challenge_attestation(
    chain: Chain,
    sender: LocalAccount,
    attested_margin: Contract,
    accepted: Mapping[str, Any],
    certificate: LiquidationCertificate,
) -> TxReceipt:
    """Challenge the attestation of the ``AttestationAccepted`` event ``accepted`` (as web3
    decodes it) with ``certificate`` evaluated on its published state."""
    return chain.transact(
        sender,
        attested_margin.functions.challenge(
            accepted["id"], accepted["claim"], accepted["state"], certificate.as_abi()
        ),
    )

"""Initial margin as the clearinghouse checks it, the Python twin of
``MarginEngine.initialMargin``.

IM = im_factor * RU(t) + liquidity_add_on * gross notional, where RU(t) is the
Rockafellar-Uryasev bound of ES at the IM level for the certificate's threshold t
(``offchain/expected_shortfall.py``) and the gross notional is the sum of |units| * spot
over spot exposures and options (``offchain/portfolio.py``). Both products round up:
margin is never understated. All amounts WAD.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from offchain.expected_shortfall import rockafellar_uryasev_bound
from offchain.fixedpoint import Rounding, int256, mul_wad
from offchain.portfolio import Account, Marks, gross_notional


@dataclass(frozen=True)
class InitialMarginParameters:
    """The clearinghouse's IM parameters: factor (WAD), ES level (basis points) and the
    liquidity add-on (WAD fraction of gross notional)."""

    factor: int
    alpha_bps: int
    liquidity_add_on: int


def initial_margin(
    account: Account,
    marks: Marks,
    losses: Sequence[int],
    threshold: int,
    parameters: InitialMarginParameters,
) -> int:
    """IM of ``account`` at ``marks`` as a certificate with ``threshold`` shows it, given the
    account's loss under every scenario (``losses``)."""
    bound = rockafellar_uryasev_bound(losses, threshold, parameters.alpha_bps)
    return initial_margin_of(account, marks, bound, parameters)


def initial_margin_of(
    account: Account, marks: Marks, expected_shortfall: int, parameters: InitialMarginParameters
) -> int:
    """IM of ``account`` at ``marks`` for an ES (or bound of it) at the IM level: the
    ``MarginEngine``'s ``_initialMargin``, which attested margin applies to the attested ES."""
    add_on = mul_wad(parameters.liquidity_add_on, gross_notional(account, marks), Rounding.CEIL)
    return int256(mul_wad(parameters.factor, expected_shortfall, Rounding.CEIL) + add_on)

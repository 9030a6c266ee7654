"""Margin from Expected Shortfall, the Python twin of ``MarginEngine``'s ``_margin``,
``_initialMargin`` and ``initialMargin``.

Every margin formed from an ES or a bound of it floors that ES at zero:
``factor * max(ES, 0) / WAD`` (``margin_from_expected_shortfall``). A book whose tail
scenarios are all gains needs no margin, but never a negative one: a negative IM would let
an account withdraw into negative equity, and a negative MM would keep an insolvent account
out of liquidation. MM is that margin at the maintenance factor, of the exact ES (rounded
up, what the account needs) or of a certificate's lower bound (rounded down, what the
certificate proves); IM at the IM factor, of the Rockafellar-Uryasev bound of a margin
certificate with threshold t (``offchain/numerics/expected_shortfall.py``) or of an attested ES,
rounded up, plus ``liquidity_add_on * gross notional`` (``offchain/numerics/portfolio.py``), rounded
up too: margin is never understated. All amounts WAD.

Which trade sides need initial margin at all is the clearinghouse's account-level rule,
``needs_initial_margin`` here (``Clearinghouse._book``): only a scale-down of the account's
only exposure skips it.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from vmargin.errors import InputError
from vmargin.numerics.expected_shortfall import rockafellar_uryasev_bound
from vmargin.numerics.fixedpoint import INT256_MAX, WAD, Rounding, int256, mul_wad
from vmargin.numerics.portfolio import Account, Marks, gross_notional

MAX_THRESHOLD = INT256_MAX // WAD + 1
"""The largest |threshold| a margin certificate may carry (``MarginEngine.MAX_THRESHOLD``):
the largest |loss| a scenario can produce, ceil(INT256_MAX / WAD), since a loss is an int256
sum divided by WAD. The optimal threshold is a loss, and one outside the losses' range only
raises the bound; inside it no intermediate of the bound overflows for any N < 2^32."""


class ThresholdOutOfDomain(InputError):
    """A margin certificate's threshold is outside [-MAX_THRESHOLD, MAX_THRESHOLD]; the
    contract reverts ``MarginEngine.ThresholdOutOfDomain`` on the same threshold."""


@dataclass(frozen=True)
class InitialMarginParameters:
    """The clearinghouse's IM parameters: factor (WAD), ES level (basis points) and the
    liquidity add-on (WAD fraction of gross notional)."""

    factor: int
    alpha_bps: int
    liquidity_add_on: int


def margin_from_expected_shortfall(factor: int, expected_shortfall: int, rounding: Rounding) -> int:
    """The margin ``factor`` (WAD) makes of an ES or a bound of it (WAD):
    ``factor * max(expected_shortfall, 0) / WAD``, rounded as given."""
    return mul_wad(factor, max(expected_shortfall, 0), rounding)


def initial_margin(
    account: Account,
    marks: Marks,
    losses: Sequence[int],
    threshold: int,
    parameters: InitialMarginParameters,
) -> int:
    """IM of ``account`` at ``marks`` as a certificate with ``threshold`` shows it, given the
    account's loss under every scenario (``losses``); ThresholdOutOfDomain unless
    ``|threshold| <= MAX_THRESHOLD``."""
    if not -MAX_THRESHOLD <= threshold <= MAX_THRESHOLD:
        raise ThresholdOutOfDomain(
            f"threshold {threshold}; a margin certificate carries one in "
            f"[-{MAX_THRESHOLD}, {MAX_THRESHOLD}]"
        )
    bound = rockafellar_uryasev_bound(losses, threshold, parameters.alpha_bps)
    return initial_margin_of(account, marks, bound, parameters)


def initial_margin_of(
    account: Account, marks: Marks, expected_shortfall: int, parameters: InitialMarginParameters
) -> int:
    """IM of ``account`` at ``marks`` for an ES (or bound of it) at the IM level: the
    ``MarginEngine``'s ``_initialMargin``, which attested margin applies to the attested ES."""
    add_on = mul_wad(parameters.liquidity_add_on, gross_notional(account, marks), Rounding.CEIL)
    es_margin = margin_from_expected_shortfall(parameters.factor, expected_shortfall, Rounding.CEIL)
    return int256(es_margin + add_on)


def scales_down(size_before: int, size_after: int) -> bool:
    """Whether a position going from ``size_before`` to ``size_after`` moved toward zero
    without flipping: 0 after, or the same sign and smaller (``PositionAccounting.addToPosition``'s
    ``scaledDown``)."""
    return abs(size_after) < abs(size_before) and (
        size_after == 0 or (size_after > 0) == (size_before > 0)
    )


def needs_initial_margin(after: Account, size_before: int, size_after: int) -> bool:
    """Whether a trade side that took one position from ``size_before`` to ``size_after``,
    leaving the account as ``after``, must show initial margin (``Clearinghouse._book``):
    unless it scaled down the account's only exposure. That is, the position scaled down
    (``scales_down``), and afterwards no other position is open and no spot collateral is
    held: every exposure then shrank by the same fraction, so no scenario's loss grows. A
    flip, a sold hedge (another position, or spot collateral, left behind) or any growth
    needs it."""
    if not scales_down(size_before, size_after):
        return True
    open_positions = len(after.positions) + len(after.options)
    still_open = 0 if size_after == 0 else 1
    holds_collateral = any(c.balance != 0 for c in after.collateral.values())
    return open_positions != still_open or holds_collateral

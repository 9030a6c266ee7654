"""Expected Shortfall of many accounts at once: exact at BLAS speed, or screened in floats.

Both take the accounts' sizes (A x I, WAD units of each instrument) and the instruments'
unit P&L in every scenario (I x N, WAD quote per unit; ``offchain/scenario_pnl.py``); the
losses are ``ceil(-(sizes @ unit_pnl) / WAD)``, exactly what ``portfolio.scenario_losses``
computes one account at a time.

``exact_tail_risk`` returns for every account the exact ES (``expected_shortfall``), the
certificate's witnesses and lower bound, and the VaR, equal bit for bit to the Python-int
reference. It never computes all A x N exact losses. The float64 product (one BLAS call)
approximates every loss with a proven error bound (``product_error_bound``). Selection
(``numpy.partition``, no sort) finds each account's ceil(k)-th largest approximate loss,
and the bound rules out every scenario that cannot be among the ceil(k) worst. Only the
candidates left, about ceil(k) per account, get exact losses, from limb products
(``offchain/exact_products.py``). Their exact order picks the witnesses, ties to the lower
index.

``screened_tail_risk`` is the float engine for screening: ES from the float64 product and
an upper bound on the exact ES that accounts for every float error, the pricer's included,
so a screen that compares that bound with equity never misses a liquidatable account.

Accounts are processed in row blocks (``exact_products.block_rows``), so memory stays
bounded for any A; ``offchain/sharding.py`` spreads the blocks over processes or machines.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from offchain.exact_products import (
    INT64_BUDGET,
    bit_length,
    block_rows,
    digits_to_ints,
    limb_dots,
    limb_layout,
    losses_from_digits,
    packed_words,
    signed_limbs,
)
from offchain.expected_shortfall import BPS, TailWeight, tail_weight
from offchain.fixedpoint import WAD

WAD_FLOAT = float(WAD)
PRODUCT_ERROR = 2.0**-50
SCREEN_ERROR = 2.0**-48


class OutsideEngineDomain(ValueError):
    """Sizes and unit P&L so large that a loss could leave int256."""


@dataclass(frozen=True)
class TailRisk:
    """The exact tail of A accounts' losses in one scenario set (WAD, Python ints).

    ``expected_shortfall``: Acerbi-Tasche ES, rounded up (``expected_shortfall``);
    ``lower_bound``: what the certificate of ``witnesses`` proves, rounded down
    (``weighted_lower_bound``); ``value_at_risk``: the ceil(k)-th largest loss, the smallest
    witness loss and the optimal Rockafellar-Uryasev threshold; ``witnesses``: A x ceil(k)
    scenario indices, the worst losses with ties to the lower index, increasing per row.
    """

    expected_shortfall: tuple[int, ...]
    lower_bound: tuple[int, ...]
    value_at_risk: tuple[int, ...]
    witnesses: np.ndarray


@dataclass(frozen=True)
class ScreenedRisk:
    """Float ES of A accounts (WAD, float64) and, per account, an integer that is at least
    the exact ES: ``expected_shortfall_bound``."""

    expected_shortfall: np.ndarray
    expected_shortfall_bound: tuple[int, ...]


def as_int_matrix(values: object, name: str) -> np.ndarray:
    """A 2-D object array of Python ints (numpy integer arrays are converted), or ValueError
    naming ``name``."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "iu":
        values = values.astype(object)
    matrix = np.array(values, dtype=object)
    if matrix.ndim != 2:
        raise ValueError(f"{name} must be a matrix, got shape {matrix.shape}")
    if not set(map(type, matrix.flat)) <= {int}:
        raise ValueError(f"{name} must hold integers")
    return matrix


def check_domain(sizes: np.ndarray, unit_pnl: np.ndarray) -> None:
    """Raise OutsideEngineDomain unless every partial sum of every loss fits in int256:
    ``I * max|size| * max|unit P&L| < 2^255``, where the engines equal the reference."""
    if sizes.shape[1] != unit_pnl.shape[0]:
        raise ValueError(
            f"sizes have {sizes.shape[1]} instruments, unit P&L has {unit_pnl.shape[0]}"
        )
    bits = bit_length(sizes) + bit_length(unit_pnl) + max(sizes.shape[1], 1).bit_length()
    if bits > 255:
        raise OutsideEngineDomain(
            f"sizes of {bit_length(sizes)} bits and unit P&L of {bit_length(unit_pnl)} bits "
            f"over {sizes.shape[1]} instruments can overflow int256"
        )


def product_error_bound(sizes: np.ndarray, unit_pnl: np.ndarray) -> np.ndarray:
    """Per account, a bound on |float64(sizes @ unit_pnl) - exact| in every scenario, for
    float64 operands that are the exact integers rounded to nearest.

    With u = 2^-53, each operand carries a relative error u, the product u, and a sum of I
    terms, in any order, gamma_I = I*u/(1 - I*u) of the sum of magnitudes (Higham, Accuracy
    and Stability, 3.1); so the error is below (I + 2) * u * (1 + (I+2)*u) * sum_i |s_i d_i|
    and sum_i |s_i d_i| <= sum_i |s_i| * max_s |d_is|. The bound returned,
    ``2^-50 * (I + 2) * |sizes| @ max|unit_pnl|``, is 8 times the leading term: it covers the
    float rounding of this computation and of the thresholds compared with it.
    """
    largest = np.abs(unit_pnl).max(axis=1, initial=0.0)
    return PRODUCT_ERROR * (sizes.shape[1] + 2) * (np.abs(sizes) @ largest)


def exact_tail_risk(sizes: object, unit_pnl: object, alpha_bps: int) -> TailRisk:
    """ES at ``alpha_bps``, witnesses, lower bound and VaR of every account, exactly.

    ``sizes`` is A x I and ``unit_pnl`` I x N, integers (lists or object arrays).
    """
    sizes = as_int_matrix(sizes, "sizes")
    unit_pnl = as_int_matrix(unit_pnl, "unit P&L")
    check_domain(sizes, unit_pnl)
    tail = tail_weight(unit_pnl.shape[1], alpha_bps)
    layout = limb_layout(bit_length(sizes), bit_length(unit_pnl), sizes.shape[1], INT64_BUDGET)
    right = signed_limbs(unit_pnl, layout.width, layout.right_limbs)
    unit_pnl_float = unit_pnl.astype(np.float64)
    blocks = []
    step = block_rows(unit_pnl.shape[1])
    for start in range(0, sizes.shape[0], step):
        block = sizes[start : start + step]
        left = signed_limbs(block, layout.width, layout.left_limbs)
        blocks.append(
            _exact_block(block.astype(np.float64), unit_pnl_float, left, right, layout.width, tail)
        )
    return concatenate_tail_risks(blocks, tail.witness_count)


def concatenate_tail_risks(parts: Sequence[TailRisk], witness_count: int) -> TailRisk:
    """The tail risks of consecutive groups of accounts as one."""
    return TailRisk(
        expected_shortfall=tuple(es for part in parts for es in part.expected_shortfall),
        lower_bound=tuple(bound for part in parts for bound in part.lower_bound),
        value_at_risk=tuple(var for part in parts for var in part.value_at_risk),
        witnesses=np.concatenate(
            [part.witnesses for part in parts] or [np.empty((0, witness_count), dtype=np.int64)]
        ),
    )


def concatenate_screened_risks(parts: Sequence[ScreenedRisk]) -> ScreenedRisk:
    """The screened risks of consecutive groups of accounts as one."""
    return ScreenedRisk(
        expected_shortfall=np.concatenate([part.expected_shortfall for part in parts] or [[]]),
        expected_shortfall_bound=tuple(
            bound for part in parts for bound in part.expected_shortfall_bound
        ),
    )


def _exact_block(
    sizes: np.ndarray,
    unit_pnl: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    width: int,
    tail: TailWeight,
) -> TailRisk:
    """``exact_tail_risk`` of one row block: float sizes and unit P&L, their limbs of
    ``width`` bits."""
    accounts, scenarios = sizes.shape[0], unit_pnl.shape[1]
    count = tail.witness_count
    # Approximate WAD * loss = -pnl; the ceil(k)-th largest per account, by selection.
    approximate = -(sizes @ unit_pnl)
    error = product_error_bound(sizes, unit_pnl)
    kth = np.partition(approximate, scenarios - count, axis=1)[:, scenarios - count]
    # A witness s has loss >= the ceil(k)-th largest loss, so -pnl_s > (kth exact) - WAD >=
    # kth - error - WAD, and its approximation exceeds kth - 2 * error - WAD.
    threshold = kth - 3 * error - 2 * WAD_FLOAT
    rows, cols = np.divmod(np.flatnonzero(approximate >= threshold[:, None]), scenarios)
    counts = np.bincount(rows, minlength=accounts)
    # Accounts with exactly ceil(k) candidates need no ranking: all of them are witnesses.
    numerators = np.empty(accounts, dtype=object)
    value_at_risk = np.empty(accounts, dtype=object)
    witnesses = np.empty((accounts, count), dtype=np.int64)
    for group in (counts == count, counts > count):
        if not group.any():
            continue
        members = np.flatnonzero(group)
        chosen = group[rows]
        renumbered = np.cumsum(group) - 1
        candidates, padding = _candidate_matrix(
            renumbered[rows[chosen]], cols[chosen], len(members)
        )
        found = _exact_tail(left[:, members], right, candidates, padding, width, tail)
        numerators[members], value_at_risk[members], witnesses[members] = found
    # k_num > 0: // floors, and -(-x // k_num) is the ceiling, as mul_div rounds them.
    return TailRisk(
        expected_shortfall=tuple(-(-int(x) // tail.k_num) for x in numerators),
        lower_bound=tuple(int(x) // tail.k_num for x in numerators),
        value_at_risk=tuple(int(x) for x in value_at_risk),
        witnesses=witnesses,
    )


def _candidate_matrix(
    rows: np.ndarray, cols: np.ndarray, accounts: int
) -> tuple[np.ndarray, np.ndarray]:
    """The candidate scenarios ``cols`` of each account ``rows`` (sorted) as a matrix, each
    row padded with its first candidate, and the mask of the padding."""
    counts = np.bincount(rows, minlength=accounts)
    slots = np.arange(len(rows)) - (np.cumsum(counts) - counts)[rows]
    candidates = np.zeros((accounts, counts.max()), dtype=np.int64)
    candidates[rows, slots] = cols
    padding = np.arange(candidates.shape[1]) >= counts[:, None]
    candidates[padding] = np.broadcast_to(candidates[:, :1], candidates.shape)[padding]
    return candidates, padding


def _exact_tail(
    left: np.ndarray,
    right: np.ndarray,
    candidates: np.ndarray,
    padding: np.ndarray,
    width: int,
    tail: TailWeight,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact losses of the candidates, and per account the ES numerator
    ``10_000 * sum of the witness losses - (10_000 - frac) * smallest`` (k_num * ES before
    rounding), the smallest witness loss (VaR) and the witnesses, increasing."""
    count = tail.witness_count
    losses = losses_from_digits(limb_dots(left, right, candidates), width)
    words = packed_words(losses, width // 2)
    if candidates.shape[1] == count:
        picked = np.broadcast_to(np.arange(count), (len(candidates), count))
        smallest = _smallest(words)
    else:
        picked = _ranked(words, candidates, padding)[:, :count]
        smallest = picked[:, -1]
    smallest_loss = np.take_along_axis(losses, smallest[None, :, None], axis=2)[..., 0]
    numerator = BPS * np.take_along_axis(losses, picked[None], axis=2).sum(axis=2)
    if tail.frac:
        numerator -= (BPS - tail.frac) * smallest_loss
    return (
        digits_to_ints(numerator, width // 2),
        digits_to_ints(smallest_loss, width // 2),
        np.sort(np.take_along_axis(candidates, picked, axis=1), axis=1),
    )


def _smallest(words: np.ndarray) -> np.ndarray:
    """Per account, the position of its smallest loss (any of equal ones); ``words`` are the
    losses' packed words (``packed_words``: W x A x C)."""
    tied = np.ones(words.shape[1:], dtype=bool)
    for word in words[::-1]:
        masked = np.where(tied, word, np.iinfo(np.int64).max)
        tied &= word == masked.min(axis=1, keepdims=True)
    return tied.argmax(axis=1)


def _ranked(words: np.ndarray, candidates: np.ndarray, padding: np.ndarray) -> np.ndarray:
    """Per account, candidate positions by decreasing loss, ties to the lower scenario,
    padding last (A x C)."""
    accounts, width = candidates.shape
    rows = np.repeat(np.arange(accounts), width)
    keys = (candidates.ravel(), *(-word.ravel() for word in words), padding.ravel(), rows)
    return np.lexsort(keys).reshape(accounts, width) - (np.arange(accounts) * width)[:, None]


def screened_tail_risk(
    sizes: np.ndarray, unit_pnl: np.ndarray, unit_pnl_error: np.ndarray, alpha_bps: int
) -> ScreenedRisk:
    """Float ES of every account and an integer upper bound on its exact ES.

    ``sizes`` (A x I) are the exact sizes rounded to float64; ``unit_pnl`` (I x N) is within
    ``unit_pnl_error[i]`` (WAD) of the exact unit P&L of instrument i in every scenario (0
    where it is the exact integer rounded to float64). The bound is ``ceil(es + delta)``:
    exact losses are within ``(product_error_bound + |sizes| @ unit_pnl_error) / WAD + 1`` of
    the float ones; ES is monotone and moves by at most the largest move of a loss, plus 1
    for its rounding up; the float sum of ceil(k) losses adds at most ``ceil(k)^2 * u`` of
    the largest. ``delta = (2^-48 * (I + 2 + ceil(k)^2) * |sizes| @ max|unit_pnl| +
    |sizes| @ unit_pnl_error) / WAD + 2`` covers all three with room for its own rounding.
    """
    accounts, instruments = sizes.shape
    tail = tail_weight(unit_pnl.shape[1], alpha_bps)
    count = tail.witness_count
    largest = np.abs(unit_pnl).max(axis=1, initial=0.0)
    shortfall = np.empty(accounts)
    bound = np.empty(accounts)
    step = block_rows(unit_pnl.shape[1])
    for start in range(0, accounts, step):
        block = np.abs(sizes[start : start + step])
        approximate = -(sizes[start : start + step] @ unit_pnl)
        worst = np.partition(approximate, -count, axis=1)[:, -count:]
        numerator = BPS * worst.sum(axis=1)
        if tail.frac:
            numerator -= (BPS - tail.frac) * worst[:, 0]
        es = numerator / tail.k_num / WAD_FLOAT
        error = SCREEN_ERROR * (instruments + 2 + count**2) * (block @ largest)
        shortfall[start : start + step] = es
        bound[start : start + step] = es + (error + block @ unit_pnl_error) / WAD_FLOAT + 2
    return ScreenedRisk(
        expected_shortfall=shortfall,
        expected_shortfall_bound=tuple(int(np.ceil(value)) for value in bound),
    )


def may_be_liquidatable(
    screened: ScreenedRisk, equities: Sequence[int], mm_factor: int
) -> np.ndarray:
    """Which accounts a screen must check exactly: those whose MM at the ES bound,
    ``mm_factor * bound / WAD`` rounded up, exceeds equity (WAD). The certified MM is at
    most ``mm_factor * ES / WAD``, so every liquidatable account is among them."""
    return np.array(
        [
            -(-mm_factor * bound // WAD) > equity
            for bound, equity in zip(screened.expected_shortfall_bound, equities, strict=True)
        ],
        dtype=bool,
    )

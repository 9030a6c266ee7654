"""Expected Shortfall of many accounts at once: exact at BLAS speed, or screened in floats.

Both take the accounts' sizes (A x I, WAD units of each instrument) and the instruments'
unit P&L in every scenario (I x N, WAD quote per unit; ``offchain/risk/scenario_pnl.py``); the
losses are ``ceil(-(sizes @ unit_pnl) / WAD)``, exactly what ``portfolio.scenario_losses``
computes one account at a time.

``exact_tail_risk`` returns for every account the exact ES (``expected_shortfall``), the
certificate's witnesses and lower bound, and the VaR, equal bit for bit to the Python-int
reference. It never computes all A x N exact losses. The float64 product (one BLAS call)
approximates every loss with a proven error bound (``product_error_bound``). Selection
(``numpy.partition``, no sort) finds each account's ceil(k)-th largest approximate loss,
and the bound rules out every scenario that cannot be among the ceil(k) worst. Only the
candidates left, about ceil(k) per account, get exact losses from int64 limb products
(layout and bound: ``offchain/risk/exact_products.py``; per-entry arithmetic in the compiled
``offchain/risk/exact_kernels.py``). Their exact order picks the witnesses, ties to the lower
index.

``screened_tail_risk`` is the float engine for screening: ES from the float64 product and
an upper bound on the exact ES that accounts for every float error, the pricer's included,
so a screen that compares that bound with equity never misses a liquidatable account.

Accounts are processed in row blocks (``exact_products.block_rows``), so memory stays
bounded for any A; ``offchain/risk/sharding.py`` spreads shards of accounts over processes or
machines.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vmargin.errors import InputError
from vmargin.numerics.expected_shortfall import BPS, tail_weight
from vmargin.numerics.fixedpoint import WAD, Rounding
from vmargin.numerics.margin import margin_from_expected_shortfall
from vmargin.risk.exact_kernels import LOSS_DIGIT_BITS, loss_digit_count, tail_rows
from vmargin.risk.exact_products import (
    INT64_BUDGET,
    bit_bound,
    block_rows,
    digits_to_ints,
    limb_layout,
    signed_limbs,
)

WAD_FLOAT = float(WAD)
PRODUCT_ERROR = 2.0**-50
SCREEN_ERROR = 2.0**-48


class OutsideEngineDomain(InputError):
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
        raise InputError(f"{name} must be a matrix, got shape {matrix.shape}")
    if not set(map(type, matrix.flat)) <= {int}:
        raise InputError(f"{name} must hold integers")
    return matrix


def as_floats(matrix: np.ndarray) -> np.ndarray:
    """The float64 roundings of an object array of ints; OutsideEngineDomain if one is
    beyond float64's range (far beyond the engines' domain)."""
    try:
        return matrix.astype(np.float64)
    except OverflowError:
        raise OutsideEngineDomain(
            "an integer beyond 2^1024 is outside the engines' domain"
        ) from None


def check_domain(sizes: np.ndarray, unit_pnl: np.ndarray) -> tuple[int, int]:
    """Bounds on the bit lengths of the sizes and the unit P&L (``bit_bound`` of their
    float64 roundings); raises OutsideEngineDomain unless every partial sum of every loss
    fits in int256: ``I * 2^size bits * 2^P&L bits <= 2^255``, where the engines equal the
    reference (the bounds may exceed the bit lengths by one)."""
    if sizes.shape[1] != unit_pnl.shape[0]:
        raise InputError(
            f"sizes have {sizes.shape[1]} instruments, unit P&L has {unit_pnl.shape[0]}"
        )
    size_bits, pnl_bits = bit_bound(sizes), bit_bound(unit_pnl)
    if size_bits + pnl_bits + max(sizes.shape[1], 1).bit_length() > 255:
        raise OutsideEngineDomain(
            f"sizes of {size_bits} bits and unit P&L of {pnl_bits} bits "
            f"over {sizes.shape[1]} instruments can overflow int256"
        )
    return size_bits, pnl_bits


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
    sizes_float, unit_pnl_float = as_floats(sizes), as_floats(unit_pnl)
    size_bits, pnl_bits = check_domain(sizes_float, unit_pnl_float)
    tail = tail_weight(unit_pnl.shape[1], alpha_bps)
    layout = limb_layout(size_bits, pnl_bits, sizes.shape[1], INT64_BUDGET)
    left = signed_limbs(sizes, layout.width, layout.left_limbs)
    right = np.ascontiguousarray(
        signed_limbs(unit_pnl, layout.width, layout.right_limbs).transpose(0, 2, 1)
    )
    digits = loss_digit_count(layout.digit_count, layout.width)
    numerators = np.empty((sizes.shape[0], digits), dtype=np.int64)
    smallest = np.empty((sizes.shape[0], digits), dtype=np.int64)
    witnesses = np.empty((sizes.shape[0], tail.witness_count), dtype=np.int64)
    step = block_rows(unit_pnl.shape[1])
    for start in range(0, sizes.shape[0], step):
        block = slice(start, start + step)
        approximate = -(sizes_float[block] @ unit_pnl_float)
        tail_rows(
            approximate,
            _candidate_threshold(
                approximate, sizes_float[block], unit_pnl_float, tail.witness_count
            ),
            np.ascontiguousarray(left[:, block]),
            right,
            width=layout.width,
            count=tail.witness_count,
            frac=tail.frac,
            numerators=numerators[block],
            smallest=smallest[block],
            witnesses=witnesses[block],
        )
    totals = [int(total) for total in digits_to_ints(numerators.T, LOSS_DIGIT_BITS)]
    # k_num > 0: // floors, and -(-x // k_num) is the ceiling, as mul_div rounds them.
    return TailRisk(
        expected_shortfall=tuple(-(-total // tail.k_num) for total in totals),
        lower_bound=tuple(total // tail.k_num for total in totals),
        value_at_risk=tuple(int(x) for x in digits_to_ints(smallest.T, LOSS_DIGIT_BITS)),
        witnesses=witnesses,
    )


def _candidate_threshold(
    approximate: np.ndarray, sizes: np.ndarray, unit_pnl: np.ndarray, count: int
) -> np.ndarray:
    """Per account, a value of ``approximate`` (float64 ``-(sizes @ unit_pnl)``, WAD * loss)
    that every one of its ``count`` worst scenarios reaches.

    With h the count-th largest approximation and e the product's error bound, a witness s
    has loss >= the count-th largest loss, so ``-pnl_s > (count-th largest -pnl) - WAD >=
    h - e - WAD`` and its approximation exceeds ``h - 2e - WAD``; ``h - 3e - 2 WAD`` leaves
    room for the rounding of this computation.
    """
    scenarios = approximate.shape[1]
    kth = np.partition(approximate, scenarios - count, axis=1)[:, scenarios - count]
    return kth - 3 * product_error_bound(sizes, unit_pnl) - 2 * WAD_FLOAT


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
        expected_shortfall=np.concatenate(
            [part.expected_shortfall for part in parts] or [np.empty(0, dtype=np.float64)]
        ),
        expected_shortfall_bound=tuple(
            bound for part in parts for bound in part.expected_shortfall_bound
        ),
    )


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
    ``mm_factor * max(bound, 0) / WAD`` rounded up, exceeds equity (WAD). The certified MM,
    ``mm_factor * max(LB, 0) / WAD`` rounded down with LB <= ES <= bound, is at most that,
    so every liquidatable account is among them."""
    return np.array(
        [
            margin_from_expected_shortfall(mm_factor, bound, Rounding.CEIL) > equity
            for bound, equity in zip(screened.expected_shortfall_bound, equities, strict=True)
        ],
        dtype=bool,
    )

"""Compiled (numba) kernels of the exact engines: per-entry integer arithmetic on int64 digits.

``offchain/risk/exact_products.py`` states the digit layout and proves the bounds; this module
runs the per-entry steps that numpy would spread over dozens of array passes:

- ``loss_digits``: ``ceil(-pnl / WAD)`` of one entry from its product digits Z_t
  (``pnl = sum_t Z_t * 2^(width*t)``), in base-2^21 digits (least significant first, all
  in [0, 2^21) but the signed top one): place ``-pnl - 1`` in base 2^21 and normalize the
  carries, shift right 18 bits, long division by 5^18 from the top digit (a remainder below
  5^18 times 2^21, plus a digit, stays below 5^18 * 2^21 < 2^63), add one.
  ``ceil(y / WAD) = floor((y - 1) / WAD) + 1`` for integer y, and nested floors divide by
  2^18 then 5^18.
- ``tail_rows``: for each account, the scenarios a float screen cannot rule out, their
  exact losses (limb dot products, ``INT64_BUDGET``), the ceil(k) worst (loss decreasing,
  ties to the lower index, as ``worst_scenarios``), the smallest of them and the ES
  numerator ``10_000 * sum - (10_000 - frac) * smallest`` in digits.

Digits are int64 and every operation is exact integer arithmetic (numba's ``//`` and
``>>`` on int64 floor, as Python's do); ``tests/test_batch_expected_shortfall.py`` checks
the results against Python ints. Kernels compile on first use and are cached on disk.
"""

import numpy as np
from numba import njit

WAD_TWOS = 18
WAD_FIVES = 5**18
LOSS_DIGIT_BITS = 21
BPS = 10_000


@njit(cache=True)
def loss_digit_count(product_digits: int, width: int) -> int:
    """Base-2^21 digits of a loss from ``product_digits`` digits Z_t of ``width`` bits: one
    past the position of the top Z_t's high part; the signed top digit absorbs the rest."""
    return width * (product_digits - 1) // LOSS_DIGIT_BITS + 2


@njit(cache=True, inline="always")
def _normalize(values: np.ndarray, width: int) -> None:
    """In place: digits 0..n-2 into [0, 2^width), the carry into the signed top digit."""
    mask = (1 << width) - 1
    carry = 0
    for m in range(len(values) - 1):
        total = values[m] + carry
        values[m] = total & mask
        carry = total >> width
    values[len(values) - 1] += carry


@njit(cache=True, inline="always")
def loss_digits(product: np.ndarray, width: int, out: np.ndarray) -> None:
    """``out`` (``loss_digit_count`` base-2^21 digits) = ``ceil(-pnl / WAD)`` for the
    product digits ``product`` (``pnl = sum_t Z_t * 2^(width*t)``)."""
    mask = (1 << LOSS_DIGIT_BITS) - 1
    out[:] = 0
    for t in range(len(product)):
        value = -product[t]
        if t == 0:
            value -= 1
        # Z_t at bit width*t = 21*q + r: its low 21 - r bits to digit q, the rest to q + 1.
        q, r = divmod(width * t, LOSS_DIGIT_BITS)
        out[q] += (value & ((1 << (LOSS_DIGIT_BITS - r)) - 1)) << r
        out[q + 1] += value >> (LOSS_DIGIT_BITS - r)
    _normalize(out, LOSS_DIGIT_BITS)
    count = len(out)
    for m in range(count - 1):
        out[m] = ((out[m] >> WAD_TWOS) | (out[m + 1] << (LOSS_DIGIT_BITS - WAD_TWOS))) & mask
    out[count - 1] >>= WAD_TWOS
    remainder = 0
    for m in range(count - 1, -1, -1):
        dividend = out[m] if m == count - 1 else (remainder << LOSS_DIGIT_BITS) + out[m]
        quotient = dividend // WAD_FIVES
        remainder = dividend - quotient * WAD_FIVES
        out[m] = quotient
    out[0] += 1
    _normalize(out, LOSS_DIGIT_BITS)


@njit(cache=True)
def normalized_columns(digits: np.ndarray, width: int) -> np.ndarray:
    """A copy of ``digits`` (K x n: column j holds one integer, least significant digit
    first) with every column normalized as ``_normalize`` does."""
    columns = digits.T.copy()
    for column in columns:
        _normalize(column, width)
    return columns.T.copy()


@njit(cache=True)
def losses_of(products: np.ndarray, width: int) -> np.ndarray:
    """Loss digits (K x P) of P entries from their product digits (T x P)."""
    count, entries = products.shape
    losses = np.empty((loss_digit_count(count, width), entries), dtype=np.int64)
    product = np.empty(count, dtype=np.int64)
    loss = np.empty(losses.shape[0], dtype=np.int64)
    for p in range(entries):
        product[:] = products[:, p]
        loss_digits(product, width, loss)
        losses[:, p] = loss
    return losses


@njit(cache=True, inline="always")
def _greater(losses: np.ndarray, p: int, q: int) -> bool:
    """Whether candidate p's loss exceeds candidate q's (normalized digits, top first)."""
    for m in range(losses.shape[1] - 1, -1, -1):
        if losses[p, m] != losses[q, m]:
            return losses[p, m] > losses[q, m]
    return False


@njit(cache=True)
def tail_rows(
    approximate: np.ndarray,
    threshold: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    *,
    width: int,
    count: int,
    frac: int,
    numerators: np.ndarray,
    smallest: np.ndarray,
    witnesses: np.ndarray,
) -> None:
    """For each account a: the scenarios s with ``approximate[a, s] >= threshold[a]``, their
    exact losses from the limbs ``left`` (Ll x A x I) and ``right`` (Lr x N x I, scenario
    major), the ``count`` worst; writes the ES numerator digits, the smallest witness loss
    (``numerators``, ``smallest``: A x K) and the witnesses, increasing (A x count)."""
    accounts, scenarios = approximate.shape
    left_limbs, right_limbs, instruments = left.shape[0], right.shape[0], left.shape[2]
    product_count = left_limbs + right_limbs - 1
    digit_count = numerators.shape[1]
    candidates = np.empty(scenarios, dtype=np.int64)
    losses = np.empty((scenarios, digit_count), dtype=np.int64)
    order = np.empty(scenarios, dtype=np.int64)
    product = np.empty(product_count, dtype=np.int64)
    for a in range(accounts):
        found = 0
        for s in range(scenarios):
            if approximate[a, s] >= threshold[a]:
                candidates[found] = s
                found += 1
        for p in range(found):
            s = candidates[p]
            product[:] = 0
            for j in range(left_limbs):
                for k in range(right_limbs):
                    total = 0
                    for i in range(instruments):
                        total += left[j, a, i] * right[k, s, i]
                    product[j + k] += total
            loss_digits(product, width, losses[p])
        if found == count:
            # All candidates are witnesses; only the smallest loss is needed.
            least = 0
            for p in range(count):
                order[p] = p
                if _greater(losses, least, p):
                    least = p
        else:
            # Rank: loss decreasing, then scenario increasing (candidates are increasing).
            for p in range(found):
                q = p
                while q > 0 and _greater(losses, p, order[q - 1]):
                    order[q] = order[q - 1]
                    q -= 1
                order[q] = p
            least = order[count - 1]
        for m in range(digit_count):
            total = 0
            for r in range(count):
                total += losses[order[r], m]
            total *= BPS
            if frac:
                total -= (BPS - frac) * losses[least, m]
            numerators[a, m] = total
            smallest[a, m] = losses[least, m]
        for r in range(count):
            witnesses[a, r] = candidates[order[r]]
        if found > count:
            witnesses[a].sort()

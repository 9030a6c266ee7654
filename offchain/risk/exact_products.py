"""Exact integer matrix products at BLAS speed, and the losses they give.

Losses of A accounts in N scenarios are ``pnl = sizes (A x I) @ unit_pnl (I x N)``, the sum
exact, then ``loss = ceil(-pnl / WAD)`` per entry (``offchain/numerics/portfolio.py``,
``scenario_loss``). Sizes and unit P&L are WAD integers of 60 to 100 bits, so their
products reach 200 bits: neither float64 nor int64 holds them. Each operand is split into
limbs, the limb products run as matrix multiplications, and the results are recombined
in integers.

Limbs. An integer x with ``|x| < 2^bits`` is written ``x = sum_j d_j * 2^(b*j)`` with
``ceil(bits / b)`` signed digits: ``d_j = sign(x) * (the j-th b bits of |x|)``, so
``|d_j| < 2^b``.

Exactness bound. The product's digit t is ``Z_t = sum_{j+k=t} sum_i L_j[a,i] * R_k[i,s]``.
It has at most ``min(left limbs, right limbs) * I`` terms, each of magnitude below
``2^b * 2^b = 2^(2b)``, so every partial sum, in any order and any blocking, is an integer
of magnitude below ``min(Ll, Lr) * I * 2^(2b)``. ``limb_layout`` picks the widest even b
with that at most ``2^budget``: with budget 53 every partial sum is an integer that
float64 represents exactly, so a float64 matrix multiplication (BLAS, any summation order,
FMA or not) returns Z_t exactly; with budget 62 int64 arithmetic never overflows.

Recombination. ``pnl = sum_t Z_t * 2^(b*t)``. ``exact_kernels.loss_digits`` computes
``ceil(-pnl / WAD) = floor((-pnl - 1) / WAD) + 1`` in base-2^21 digits: normalize carries,
shift right by 18 bits (WAD = 2^18 * 5^18), divide by 5^18 from the top digit down (a
remainder below 5^18 times 2^21, plus a digit, stays below 2^63), add one. Every step is
exact integer arithmetic on int64, so the loss equals the Python-int one bit for bit;
``tests/test_batch_expected_shortfall.py`` checks it on adversarial magnitudes.
"""

import math
from dataclasses import dataclass

import numpy as np

from vmargin.errors import InputError
from vmargin.numerics.fixedpoint import WAD
from vmargin.risk.exact_kernels import (
    LOSS_DIGIT_BITS,
    WAD_FIVES,
    WAD_TWOS,
    losses_of,
    normalized_columns,
)

MAX_LIMB_WIDTH = 30
FLOAT64_BUDGET = 53
INT64_BUDGET = 62
BLOCK_ENTRIES = 1 << 18
assert WAD == 2**WAD_TWOS * WAD_FIVES


@dataclass(frozen=True)
class LimbLayout:
    """Limb width ``width`` (even, bits) and the limb counts of the two operands."""

    width: int
    left_limbs: int
    right_limbs: int

    @property
    def digit_count(self) -> int:
        """The number of product digits Z_t."""
        return self.left_limbs + self.right_limbs - 1


def bit_bound(values: np.ndarray) -> int:
    """At least the bit length of every integer whose float64 rounding is in ``values``:
    rounding to nearest takes an |x| below 2^b at most to 2^b, whose ``frexp`` exponent is
    b + 1, so the exponent of the largest magnitude bounds them all."""
    return math.frexp(float(np.abs(values).max(initial=0.0)))[1]


def limb_count(bits: int, width: int) -> int:
    """Signed digits of ``width`` bits enough for any |x| < 2^bits (at least one)."""
    return max(1, -(-bits // width))


def limb_layout(left_bits: int, right_bits: int, inner: int, budget: int) -> LimbLayout:
    """The widest even limb width (at most 30) whose digit sums stay within 2^budget:
    ``min(left limbs, right limbs) * inner * 2^(2 * width) <= 2^budget`` (module docstring).
    """
    for width in range(MAX_LIMB_WIDTH, 1, -2):
        left, right = limb_count(left_bits, width), limb_count(right_bits, width)
        if min(left, right) * max(inner, 1) << (2 * width) <= 1 << budget:
            return LimbLayout(width=width, left_limbs=left, right_limbs=right)
    raise InputError(f"{inner} instruments is too many for exact limb products")


def signed_limbs(values: np.ndarray, width: int, count: int) -> np.ndarray:
    """int64 digits (``count`` x values' shape) of an object array of ints, least significant
    first: ``sign(x) * ((|x| >> (width * j)) & (2^width - 1))``. The magnitudes are cut into
    62-bit int64 words first (two object operations a word), the digits taken from those."""
    word_mask = (1 << 62) - 1
    rest = np.abs(values)
    words = []
    for _ in range(-(-width * count // 62)):
        words.append((rest & word_mask).astype(np.int64))
        rest = rest >> 62
    signs = np.where(values < 0, -1, 1)
    mask = (1 << width) - 1
    digits = np.empty((count, *values.shape), dtype=np.int64)
    for j in range(count):
        word, offset = divmod(width * j, 62)
        field = words[word] >> offset
        if offset + width > 62 and word + 1 < len(words):
            field |= words[word + 1] << (62 - offset)  # wraps past bit 63: only low bits kept
        digits[j] = (field & mask) * signs
    return digits


def limb_matmul(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Digits Z_t (t x A x N, int64) of ``left @ right`` from limbs (Ll x A x I, Lr x I x N)
    laid out for ``FLOAT64_BUDGET``: one float64 matrix multiplication per digit, the limb
    pairs of digit t side by side in the inner dimension."""
    left_f, right_f = left.astype(np.float64), right.astype(np.float64)
    count = len(left) + len(right) - 1
    digits = np.empty((count, left.shape[1], right.shape[2]), dtype=np.int64)
    for t in range(count):
        pairs = range(max(0, t - len(right) + 1), min(t, len(left) - 1) + 1)
        product = np.hstack([left_f[j] for j in pairs]) @ np.vstack([right_f[t - j] for j in pairs])
        digits[t] = product.astype(np.int64)
    return digits


def packed_words(digits: np.ndarray, width: int) -> np.ndarray:
    """The integers ``sum_m digits[m, j] * 2^(width*m)`` (digits K x n, any int64 below 2^62)
    as int64 words of ``62 // width`` digits each, least significant first: every word in
    [0, 2^62) but the signed top one."""
    room = np.zeros((64 // width + 1, digits.shape[1]), dtype=np.int64)
    normalized = normalized_columns(np.concatenate([digits, room]), width)
    per_word = 62 // width
    words = np.zeros((-(-len(normalized) // per_word), digits.shape[1]), dtype=np.int64)
    for m, digit in enumerate(normalized):
        words[m // per_word] += digit << (width * (m % per_word))
    return words


def digits_to_ints(digits: np.ndarray, width: int) -> np.ndarray:
    """Object array of the Python ints ``sum_m digits[m, j] * 2^(width*m)`` (digits K x n)."""
    words = packed_words(digits, width)
    shift = width * (62 // width)
    total = words[-1].astype(object)
    for word in words[-2::-1]:
        total = (total << shift) + word.astype(object)
    return total


def block_rows(columns: int) -> int:
    """Rows per block so that a block's arrays of ``columns`` entries per row hold about
    ``BLOCK_ENTRIES`` entries: small arrays stay in cache and reuse freed memory."""
    return max(1, BLOCK_ENTRIES // max(columns, 1))


def exact_losses(sizes: np.ndarray, unit_pnl: np.ndarray) -> np.ndarray:
    """``ceil(-(sizes @ unit_pnl) / WAD)`` exactly (A x N object array of ints) from object
    arrays of ints (A x I, I x N), by float64 limb matrix multiplications, in row blocks."""
    layout = limb_layout(
        bit_bound(sizes.astype(np.float64)),
        bit_bound(unit_pnl.astype(np.float64)),
        sizes.shape[1],
        FLOAT64_BUDGET,
    )
    left = signed_limbs(sizes, layout.width, layout.left_limbs)
    right = signed_limbs(unit_pnl, layout.width, layout.right_limbs)
    losses = np.empty((sizes.shape[0], unit_pnl.shape[1]), dtype=object)
    step = block_rows(unit_pnl.shape[1])
    for start in range(0, sizes.shape[0], step):
        block = slice(start, start + step)
        products = limb_matmul(left[:, block], right)
        digits = losses_of(products.reshape(len(products), -1), layout.width)
        losses[block] = digits_to_ints(digits, LOSS_DIGIT_BITS).reshape(losses[block].shape)
    return losses

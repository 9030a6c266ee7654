"""Inputs for exp_wad, ln_wad and pow_wad: edges, log-uniform magnitudes and random draws
over each domain, shared by the on-chain differential tests and the mpmath checks."""

import random

from mpmath import mp, mpf

from vmargin.numerics.exponential import (
    EXP_MAX_INPUT,
    EXP_ZERO_BOUND,
    ExpOverflow,
    LnOfNonPositive,
    ln_wad,
    pow_wad,
)
from vmargin.numerics.fixedpoint import INT256_MAX, INT256_MIN, WAD, FixedPointOverflow


def log_uniform(rng: random.Random, max_bits: int) -> int:
    """A positive integer whose bit length is uniform in [1, max_bits]."""
    return rng.getrandbits(rng.randint(1, max_bits)) | 1


def around(*values: int) -> list[int]:
    """Each value and its neighbours at +-1 wei."""
    return [value + delta for value in values for delta in (-1, 0, 1)]


def exp_cases(rng: random.Random) -> list[int]:
    edges = around(0, WAD, -WAD, EXP_ZERO_BOUND, EXP_MAX_INPUT - 1, 10**15, -(10**15))
    edges += [EXP_ZERO_BOUND - 10**18, INT256_MIN, INT256_MIN + 1, 2, -2]
    # The range reduction's rounding boundaries, x = (k + 1/2) ln 2, for every k.
    with mp.workdps(50):
        ln2 = mp.log(2)
        edges += around(*(int((k + mpf(1) / 2) * ln2 * WAD) for k in range(-60, 195)))
    uniform = [rng.randint(EXP_ZERO_BOUND, EXP_MAX_INPUT) for _ in range(RANDOM_INPUTS // 2)]
    magnitudes = [rng.choice((-1, 1)) * log_uniform(rng, 67) for _ in range(RANDOM_INPUTS // 2)]
    magnitudes = [x for x in magnitudes if x <= EXP_MAX_INPUT]
    return edges + uniform + magnitudes


def ln_cases(rng: random.Random) -> list[int]:
    edges = around(WAD, 2 * WAD, WAD // 2, 10 * WAD, 10**36, INT256_MAX - 1)
    edges += [1, 2, 3, INT256_MAX, *around(*(2**bits for bits in range(1, 255)))]
    magnitudes = [log_uniform(rng, 255) for _ in range(RANDOM_INPUTS // 2)]
    magnitudes = [x for x in magnitudes if x <= INT256_MAX]
    near_one = [rng.randint(1, 10 * WAD) for _ in range(RANDOM_INPUTS // 2)]
    return edges + magnitudes + near_one


def in_pow_domain(x: int, y: int) -> bool:
    try:
        pow_wad(x, y)
    except (ExpOverflow, FixedPointOverflow, LnOfNonPositive):
        return False
    return True


def pow_cases(rng: random.Random) -> list[tuple[int, int]]:
    """In-domain (x, y): log-uniform x and y, and y aimed at a random exponent, for
    log-uniform x and for x near 1 (where a large |y| stays in the domain)."""
    cases = [
        (WAD, 0),
        (WAD, INT256_MAX),
        (WAD, INT256_MIN),
        (1, 0),
        (1, 1),
        (1, -1),
        (INT256_MAX, WAD - 1),
        (INT256_MAX, -WAD),
        (WAD, 1),
        (WAD, -1),
        (2 * WAD, 1),
        (2 * WAD, -1),
        (2 * WAD, WAD // 2),
        (WAD // 2, 100 * WAD),
        (WAD + 1, WAD),
        (WAD - 1, -WAD),
        (3, -(10**18)),
    ]
    assert all(in_pow_domain(x, y) for x, y in cases)
    edges = len(cases)
    while len(cases) < edges + RANDOM_INPUTS:
        kind = rng.randrange(3)
        near_one = WAD + rng.choice((-1, 1)) * log_uniform(rng, 59)
        x = log_uniform(rng, 200) if kind < 2 else near_one
        if kind == 0:
            y = rng.choice((-1, 1)) * log_uniform(rng, 90)
        else:
            ln_x = ln_wad(x)
            if ln_x == 0:
                continue
            y = rng.randint(EXP_ZERO_BOUND - WAD, EXP_MAX_INPUT) * WAD // ln_x
        if in_pow_domain(x, y):
            cases.append((x, y))
    return cases


RANDOM_INPUTS = 10_000

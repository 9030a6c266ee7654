"""Inputs for the normal distribution and Black-Scholes: edges and random draws over each
domain, shared by the on-chain differential tests and the mpmath checks."""

import math
import random

from vmargin.numerics import black_scholes as bs
from vmargin.numerics.exponential import EXP_ZERO_BOUND
from vmargin.numerics.fixedpoint import INT256_MAX, INT256_MIN, WAD, Rounding, mul_wad
from vmargin.numerics.normal_distribution import CONTINUED_FRACTION_FROM, CUTOFF


def wad(value: float) -> int:
    return round(value * WAD)


def log_uniform(rng: random.Random, low: float, high: float) -> float:
    return 10 ** rng.uniform(math.log10(low), math.log10(high))


# ------------------------------------------------------------------ normal distribution

# Where a^2/2 reaches expWad's zero bound: the last a with a nonzero exponential.
EXP_ZERO_FROM = math.isqrt(2 * -EXP_ZERO_BOUND * WAD)

NORMAL_EDGES = sorted(
    {
        edge * sign
        for sign in (1, -1)
        for edge in (
            0,
            1,
            2,
            10**9,
            WAD - 1,
            WAD,
            WAD + 1,
            CONTINUED_FRACTION_FROM - 1,
            CONTINUED_FRACTION_FROM,
            CONTINUED_FRACTION_FROM + 1,
            8_835_109_788_175_395_786,  # N(-x) = 0.5e-18
            EXP_ZERO_FROM - 1,
            EXP_ZERO_FROM,
            EXP_ZERO_FROM + 1,
            EXP_ZERO_FROM + 2,
            CUTOFF - 1,
            CUTOFF,
            CUTOFF + 1,
            10**40,
            INT256_MAX,
        )
    }
    | {INT256_MIN}
)


def normal_inputs() -> list[int]:
    """The edges and 10,000+ random inputs: the working range, the tails, every magnitude."""
    rng = random.Random(11)
    xs = list(NORMAL_EDGES)
    xs += [rng.randint(-10 * WAD, 10 * WAD) for _ in range(RANDOM_COUNT // 2)]
    xs += [rng.randint(-40 * WAD, 40 * WAD) for _ in range(RANDOM_COUNT // 5)]
    xs += [
        rng.choice([-1, 1]) * max(1, wad(log_uniform(rng, 1e-18, 40)))
        for _ in range(RANDOM_COUNT // 5)
    ]
    xs += [rng.randint(INT256_MIN, INT256_MAX) for _ in range(RANDOM_COUNT // 10)]
    return xs


RANDOM_COUNT = 10_000


Inputs = tuple[int, int, int, int, int]


def random_spot_inputs(rng: random.Random, group: str) -> Inputs:
    """(S, K, sigma, T, r) inside the domain: realistic, wide, or anywhere in the domain."""
    while True:
        if group == "typical":
            s = wad(log_uniform(rng, 1, 1e5))
            k = wad(s / WAD * log_uniform(rng, 0.5, 2))
            sigma, t = wad(rng.uniform(0.05, 2)), wad(rng.uniform(1 / 365, 5))
            r = wad(rng.uniform(-0.05, 0.2))
        elif group == "wide":
            s = wad(log_uniform(rng, 1e-3, 1e9))
            k = wad(s / WAD * log_uniform(rng, 1e-2, 1e2))
            sigma, t = wad(log_uniform(rng, 1e-4, 20)), wad(log_uniform(rng, 1e-6, 50))
            r = wad(rng.uniform(-0.1, 0.3))
        else:  # the whole domain, magnitudes log-uniform down to 1 wei
            s = max(1, int(log_uniform(rng, 1, bs.MAX_PRICE)))
            k = max(1, int(log_uniform(rng, 1, bs.MAX_PRICE)))
            sigma = rng.choice([0, max(1, int(log_uniform(rng, 1, bs.MAX_VOLATILITY)))])
            t = rng.choice([0, rng.randint(0, bs.MAX_TIME), int(log_uniform(rng, 1, bs.MAX_TIME))])
            r = rng.choice([0, rng.randint(-bs.MAX_RATE, bs.MAX_RATE)])
        if abs(mul_wad(r, t, Rounding.TRUNC)) <= bs.MAX_RATE_TIME and s > 0 and k > 0:
            return s, k, sigma, t, r

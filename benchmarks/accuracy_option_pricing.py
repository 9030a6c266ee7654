"""Accuracy of the normal distribution and the option pricers against mpmath at 50 digits.

The Python twins are bit-identical to ``contracts/libraries/NormalDistribution.sol`` and
``contracts/libraries/BlackScholes.sol`` (checked on Anvil by tests/test_option_pricing.py),
so this needs no chain. Each integer input is read as the exact decimal number it stands
for (x / 1e18) and the exact function value is computed with mpmath at 50 significant
digits; ``error = computed / 1e18 - exact``. Prints Markdown tables; run as
``.venv/bin/python benchmarks/accuracy_option_pricing.py [samples]`` (default 20,000 for
the normal distribution and 4,000 per group for the pricers).

Price errors are shown relative to the spot (forward) S and to max(S, K): the pricers'
error is a few 1e-17 of the larger of the two (the normal CDF's absolute error times
each leg's notional), plus a few wei of rounding. Last, the float64 pricer that screening
uses (``offchain/risk/scenario_pnl.py``) against the fixed-point one, and the error it declares.
"""

import math
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from mpmath import exp, log, mp, mpf, ncdf, npdf, sqrt

from vmargin.numerics import black_scholes as bs
from vmargin.numerics.fixedpoint import WAD
from vmargin.numerics.normal_distribution import cdf, pdf
from vmargin.numerics.option_valuation import OptionSeries, option_value, years_to_expiry
from vmargin.risk.scenario_pnl import FLOAT_PRICER_ERROR, float_option_values

mp.dps = 50
SEED = 20240611

Inputs = tuple[int, int, int, int, int]


def wad(value: float) -> int:
    """A float as the nearest WAD integer (for building inputs only)."""
    return round(value * WAD)


def exact(value: int) -> mpf:
    """The exact number a WAD integer stands for."""
    return mpf(value) / WAD


def exact_spot_prices(spot: int, strike: int, sigma: int, time_: int, rate: int) -> dict:
    """Black-Scholes call, put, deltas and vega at the exact inputs (limits at v = 0)."""
    s, k, vol, t, r = (exact(v) for v in (spot, strike, sigma, time_, rate))
    kd = k * exp(-r * t)
    v = vol * sqrt(t)
    if v == 0:
        atm = 1 if s > kd else (0 if s < kd else mpf(1) / 2)
        vega = s * sqrt(t) * npdf(0) if s == kd else mpf(0)
        return {
            "call": max(s - kd, 0),
            "put": max(kd - s, 0),
            "call_delta": atm,
            "put_delta": atm - 1,
            "vega": vega,
        }
    d1 = (log(s / k) + r * t) / v + v / 2
    d2 = d1 - v
    return {
        "call": s * ncdf(d1) - kd * ncdf(d2),
        "put": kd * ncdf(-d2) - s * ncdf(-d1),
        "call_delta": ncdf(d1),
        "put_delta": -ncdf(-d1),
        "vega": s * npdf(d1) * sqrt(t),
    }


def exact_black76(forward: int, strike: int, sigma: int, time_: int, rate: int) -> dict:
    """Black-76 call and put at the exact inputs (discounted intrinsic at v = 0)."""
    f, k, vol, t, r = (exact(v) for v in (forward, strike, sigma, time_, rate))
    discount = exp(-r * t)
    v = vol * sqrt(t)
    if v == 0:
        return {"call": discount * max(f - k, 0), "put": discount * max(k - f, 0)}
    d1 = log(f / k) / v + v / 2
    d2 = d1 - v
    return {
        "call": discount * (f * ncdf(d1) - k * ncdf(d2)),
        "put": discount * (k * ncdf(-d2) - f * ncdf(-d1)),
    }


def log_uniform(rng: random.Random, low: float, high: float) -> float:
    return 10 ** rng.uniform(math.log10(low), math.log10(high))


def spot_inputs(rng: random.Random, group: str) -> Inputs:
    """One random (S, K, sigma, T, r) of a named group (see ``GROUPS``), inside the domain."""
    while True:
        if group == "typical":
            s = log_uniform(rng, 1, 1e5)
            k = s * log_uniform(rng, 0.5, 2)
            sigma, t = rng.uniform(0.05, 2), rng.uniform(1 / 365, 5)
            r = rng.uniform(-0.05, 0.2)
        elif group == "wide":
            s = log_uniform(rng, 1e-3, 1e9)
            k = s * log_uniform(rng, 1e-2, 1e2)
            sigma, t = log_uniform(rng, 1e-4, 20), log_uniform(rng, 1e-6, 50)
            r = rng.uniform(-0.1, 0.3)
        elif group == "rates":
            s = log_uniform(rng, 1e-3, 1e9)
            k = s * log_uniform(rng, 0.1, 10)
            sigma, t = log_uniform(rng, 1e-2, 5), log_uniform(rng, 1e-3, 100)
            r = rng.uniform(-10, 10)
        else:  # "limits": sigma == 0 or T == 0
            s = log_uniform(rng, 1e-3, 1e9)
            k = s * log_uniform(rng, 0.5, 2)
            sigma, t = rng.choice([(0, rng.uniform(0, 10)), (rng.uniform(0, 5), 0)])
            r = rng.uniform(-1, 1)
        inputs = (wad(s), wad(k), wad(sigma), wad(t), wad(r))
        if abs(inputs[3] * inputs[4]) <= bs.MAX_RATE_TIME * WAD:
            return inputs


GROUPS = {
    "typical": "S in [1, 1e5], K/S in [0.5, 2], sigma in [0.05, 2], T in [1/365, 5], "
    "r in [-0.05, 0.2]",
    "wide": "S in [1e-3, 1e9], K/S in [1e-2, 1e2], sigma in [1e-4, 20], T in [1e-6, 50] "
    "(all log-uniform), r in [-0.1, 0.3]",
    "rates": "S in [1e-3, 1e9], K/S in [0.1, 10], sigma in [0.01, 5], T in [1e-3, 100], "
    "r in [-10, 10] with |rT| <= 40",
    "limits": "S in [1e-3, 1e9], K/S in [0.5, 2], sigma = 0 or T = 0, r in [-1, 1]",
}


@dataclass
class Worst:
    """The largest error of one function over one group, in three scales."""

    count: int = 0
    by_spot: mpf = field(default_factory=lambda: mpf(0))
    by_scale: mpf = field(default_factory=lambda: mpf(0))
    by_bound: mpf | None = None
    at: Inputs | None = None

    def add(self, error: mpf, spot: mpf, scale: mpf, at: Inputs, bound: mpf | None = None) -> None:
        """Record ``error``; ``scale`` is the larger leg, floored at 1 (absolute below 1);
        ``bound`` the documented error bound of a price."""
        self.count += 1
        if error / max(scale, 1) > self.by_scale:
            self.by_scale, self.at = error / max(scale, 1), at
        self.by_spot = max(self.by_spot, error / spot)
        if bound is not None:
            self.by_bound = max(self.by_bound or mpf(0), error / bound)


def price_bound(legs: mpf, s: mpf, k: mpf) -> mpf:
    """The documented bound of a price's error: 1e-16 of the larger discounted leg (the
    normal CDF's 4.2e-17 on each leg), 2e-18 of the larger undiscounted price (the discount
    factor's last wei), and 10 wei of rounding."""
    return mpf("1e-16") * legs + mpf("2e-18") * max(s, k) + mpf("1e-17")


def shown(inputs: Inputs | None) -> str:
    if inputs is None:
        return "-"
    return "(" + ", ".join(f"{value / WAD:.6g}" for value in inputs) + ")"


def normal_table(samples: int) -> None:
    rng = random.Random(SEED)
    groups: dict[str, list[int]] = {
        "grid [-10, 10], step 1e-3": [i * 10**15 for i in range(-10_000, 10_001)],
        "uniform [-10, 10]": [rng.randint(-10 * WAD, 10 * WAD) for _ in range(samples)],
        "log-uniform |x| in [1e-18, 40]": [
            rng.choice([-1, 1]) * max(1, wad(log_uniform(rng, 1e-18, 40))) for _ in range(samples)
        ],
    }
    print("### Normal distribution: absolute error (computed - exact)\n")
    print("| function | inputs | count | max abs error | at x | mean abs error |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for name, function, reference in (("cdf", cdf, ncdf), ("pdf", pdf, npdf)):
        for label, xs in groups.items():
            worst, at, total = mpf(0), 0, mpf(0)
            for x in xs:
                error = abs(exact(function(x)) - reference(exact(x)))
                total += error
                if error > worst:
                    worst, at = error, x
            print(
                f"| {name} | {label} | {len(xs):,} | {float(worst):.3e} | {at / WAD:.6g} "
                f"| {float(total / len(xs)):.2e} |"
            )
    print()


def pricing_tables(samples: int) -> None:
    rng = random.Random(SEED + 1)
    spot_functions: dict[str, Callable[..., int]] = {
        "call": bs.call_price,
        "put": bs.put_price,
        "call_delta": bs.call_delta,
        "put_delta": bs.put_delta,
        "vega": bs.vega,
    }
    forward_functions: dict[str, Callable[..., int]] = {
        "black76 call": bs.black76_call,
        "black76 put": bs.black76_put,
    }
    print("### Black-Scholes and Black-76: max |computed - exact|\n")
    print(
        "Prices: the error relative to the larger discounted leg L = max(S, K e^-rT)"
        " (Black-76: e^-rT max(F, K)) floored at 1, i.e. relative for L >= 1 and absolute"
        " (1e-18 = 1 wei) below; and relative to the spot S (Black-76: the forward F)."
        " The bound column is max(error / B) with B = 1e-16 L + 2e-18 max(S, K) + 1e-17:"
        " the documented error bound holds where it is at most 1."
        " Deltas: absolute. Vega: relative to max(S sqrt(T), 1), and to S.\n"
    )
    print(
        "| function | inputs | count | max error / max(L, 1) | max error / S | bound "
        "| worst (first column) at (S, K, sigma, T, r) |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | --- |")
    for group in GROUPS:
        cases = [spot_inputs(rng, group) for _ in range(samples)]
        worst = {name: Worst() for name in (*spot_functions, *forward_functions)}
        for inputs in cases:
            s, k, t, r = exact(inputs[0]), exact(inputs[1]), exact(inputs[3]), exact(inputs[4])
            legs = max(s, k * exp(-r * t))
            reference = exact_spot_prices(*inputs)
            for name, function in spot_functions.items():
                error = abs(exact(function(*inputs)) - reference[name])
                if name.endswith("delta"):
                    worst[name].add(error, mpf(1), mpf(1), inputs)
                elif name == "vega":
                    worst[name].add(error, s, s * sqrt(t), inputs)
                else:
                    worst[name].add(error, s, legs, inputs, price_bound(legs, s, k))
            reference = exact_black76(*inputs)
            legs = max(s, k) * exp(-r * t)
            for name, function in forward_functions.items():
                error = abs(exact(function(*inputs)) - reference[name.split()[1]])
                worst[name].add(error, s, legs, inputs, price_bound(legs, s, k))
        for name, result in worst.items():
            print(
                f"| {name} | {group} | {result.count:,} | {float(result.by_scale):.2e} "
                f"| {float(result.by_spot):.2e} "
                f"| {'-' if result.by_bound is None else f'{float(result.by_bound):.2f}'} "
                f"| {shown(result.at)} |"
            )
    print()
    for group, description in GROUPS.items():
        print(f"- {group}: {description}")
    print()


def screening_pricer_table(samples: int) -> None:
    """The float64 screening pricer (``scenario_pnl.float_option_values``) against the
    fixed-point one (``options.option_value``, rate 0) it stands in for: the largest
    |float - fixed| / max(S, K), which the screen's declared bound must cover."""
    rng = random.Random(SEED)
    now = 1_800_000_000
    worst = 0.0
    for _ in range(samples):
        spot = wad(log_uniform(rng, 0.01, 1e7))
        strike = max(wad(spot / WAD * log_uniform(rng, 0.01, 100)), 1)
        vol = wad(log_uniform(rng, 0.001, 10))
        expiry = now + round(log_uniform(rng, 1, 10 * 365 * 86_400))
        series = OptionSeries(asset=0, strike=strike, expiry=expiry, is_call=rng.random() < 0.5)
        fixed = option_value(series, spot, vol, now)
        years = years_to_expiry(expiry, now) / WAD
        floating = float_option_values(
            series, np.array([float(spot)]), np.array([float(vol)]), years
        )[0]
        worst = max(worst, abs(floating - fixed) / max(spot, strike))
    print("### Screening pricer: float64 against fixed point (rate 0)\n")
    print("| options | max abs(float - fixed) / max(S, K) | declared bound | within |")
    print("| ---: | ---: | ---: | --- |")
    within = worst <= FLOAT_PRICER_ERROR
    print(
        f"| {samples:,} | {worst:.2e} | {FLOAT_PRICER_ERROR:.2e} | {'yes' if within else 'NO'} |\n"
    )
    if not within:
        raise SystemExit("the float64 pricer exceeds the error the screen declares")


def main() -> None:
    samples = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    start = time.perf_counter()
    print(f"## Accuracy against mpmath ({mp.dps} digits), seed {SEED}\n")
    normal_table(samples)
    pricing_tables(max(samples // 5, 100))
    screening_pricer_table(max(samples // 5, 100))
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()

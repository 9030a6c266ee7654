"""Accuracy of exp_wad, ln_wad and pow_wad against mpmath at 50 significant digits.

The Python twins are bit-identical to ``contracts/libraries/Exponential.sol`` (checked
on Anvil by tests/test_exponential.py), so this needs no chain. Inputs are random over
the whole domain, uniform and with log-uniform magnitudes, plus the edges; errors are
``computed - exact`` with the exact value of the integer inputs taken as WAD numbers.
Prints one Markdown table per function; run as
``.venv/bin/python benchmarks/accuracy_exponential.py [samples]``.
"""

import random
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from mpmath import mp, mpf

from vmargin.numerics.exponential import (
    EXP_MAX_INPUT,
    EXP_ZERO_BOUND,
    ExpOverflow,
    exp_wad,
    ln_wad,
    pow_wad,
)
from vmargin.numerics.fixedpoint import INT256_MAX, WAD, FixedPointOverflow

mp.dps = 50
SEED = 20240601


@dataclass(kw_only=True)
class Errors:
    """Error statistics of one group of inputs; ``error = computed - exact``."""

    label: str
    count: int = 0
    max_abs: mpf = field(default_factory=lambda: mpf(0))
    # max |error| / |exact| over the results with |exact| >= 1 (1e18 wei).
    max_rel: mpf = field(default_factory=lambda: mpf(0))
    large: int = 0
    # error / max(|exact|, 1e18) * 1e18: wei for results below 1, 1e-18 relative above.
    low: mpf = field(default_factory=lambda: mpf(0))
    high: mpf = field(default_factory=lambda: mpf(0))
    # max |error| / (max(|exact|, 1e18) * (1 + |y| / 1e18)) * 1e18 (pow's error bound).
    max_scaled: mpf = field(default_factory=lambda: mpf(0))

    def add(self, computed: int, exact: mpf, y: int = 0) -> None:
        error = computed - exact
        unit = max(abs(exact), WAD)
        self.count += 1
        self.max_abs = max(self.max_abs, abs(error))
        if abs(exact) >= WAD:
            self.large += 1
            self.max_rel = max(self.max_rel, abs(error) / abs(exact))
        self.low = min(self.low, error / unit * WAD)
        self.high = max(self.high, error / unit * WAD)
        self.max_scaled = max(self.max_scaled, abs(error) / (unit * (1 + abs(mpf(y)) / WAD)) * WAD)

    def row(self, scaled: bool) -> str:
        cells = [
            self.label,
            f"{self.count:,}",
            _fmt(self.max_abs),
            _fmt(self.max_rel) if self.large else "-",
            f"[{_fmt(self.low)}, {_fmt(self.high)}]",
        ]
        if scaled:
            cells.append(f"{float(self.max_scaled):.4f}")
        return "| " + " | ".join(cells) + " |"


def _fmt(value: mpf) -> str:
    return f"{float(value):.7g}"


def _print_table(title: str, groups: Iterable[Errors], scaled: bool = False) -> None:
    print(f"### {title}\n")
    header = [
        "inputs",
        "evaluated",
        "max abs error (wei)",
        "max rel error (results >= 1)",
        "error / max(result, 1), range (1e-18)",
    ]
    if scaled:
        header.append("max abs error / (max(result, 1) (1 + abs(y))) (1e-18)")
    print("| " + " | ".join(header) + " |")
    print("| --- | " + " | ".join("---:" for _ in header[1:]) + " |")
    for group in groups:
        if group.count:
            print(group.row(scaled))
    print()


def log_uniform(rng: random.Random, max_bits: int) -> int:
    """A positive integer whose bit length is uniform in [1, max_bits]."""
    return rng.getrandbits(rng.randint(1, max_bits)) | 1


def exp_inputs(rng: random.Random, samples: int) -> list[int]:
    """Uniform over the domain, log-uniform magnitudes of both signs, and the edges."""
    inputs = [rng.randint(EXP_ZERO_BOUND + 1, EXP_MAX_INPUT) for _ in range(samples // 2)]
    inputs += [rng.choice((-1, 1)) * log_uniform(rng, 67) for _ in range(samples // 2)]
    inputs += [EXP_ZERO_BOUND + 1, EXP_MAX_INPUT, EXP_MAX_INPUT - 1, 0, 1, -1, WAD, -WAD]
    return [x for x in inputs if EXP_ZERO_BOUND < x <= EXP_MAX_INPUT]


def ln_inputs(rng: random.Random, samples: int) -> list[int]:
    """Log-uniform over (0, 2**255), uniform over (0, 10], and powers of two +-1."""
    inputs = [log_uniform(rng, 255) for _ in range(samples // 2)]
    inputs += [rng.randint(1, 10 * WAD) for _ in range(samples // 2)]
    inputs += [2**b + d for b in range(255) for d in (-1, 0, 1)]
    inputs += [1, WAD - 1, WAD + 1, INT256_MAX]
    return [x for x in inputs if 0 < x <= INT256_MAX]


def pow_inputs(rng: random.Random, samples: int) -> list[tuple[int, int]]:
    """In-domain (x, y): log-uniform x and y; and y aimed at a random exponent, for
    log-uniform x and for x near 1 (where large |y| stay in the domain)."""
    cases: list[tuple[int, int]] = []
    while len(cases) < samples:
        kind = rng.randrange(3)
        x = log_uniform(rng, 200) if kind < 2 else WAD + rng.choice((-1, 1)) * log_uniform(rng, 59)
        if kind == 0:
            y = rng.choice((-1, 1)) * log_uniform(rng, 90)
        else:
            ln_x = ln_wad(x)
            if ln_x == 0:
                continue
            target = rng.randint(EXP_ZERO_BOUND, EXP_MAX_INPUT)
            y = target * WAD // ln_x
        try:
            pow_wad(x, y)
        except (ExpOverflow, FixedPointOverflow):
            continue
        cases.append((x, y))
    return cases


def measure(
    cases: Iterable[tuple[int, ...]],
    function: Callable[..., int],
    exact: Callable[..., mpf],
    *,
    groups: list[Errors],
    group_of: Callable[..., int],
    with_y: bool = False,
) -> None:
    """Add every case's error to its group (index from ``group_of``)."""
    for case in cases:
        computed = function(*case)
        groups[group_of(*case)].add(computed, exact(*case), case[1] if with_y else 0)


def main() -> None:
    samples = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    rng = random.Random(SEED)
    started = time.perf_counter()

    def exact_exp(x: int) -> mpf:
        return mp.exp(mpf(x) / WAD) * WAD

    def exact_ln(x: int) -> mpf:
        return mp.log(mpf(x) / WAD) * WAD

    def exact_pow(x: int, y: int) -> mpf:
        return mp.power(mpf(x) / WAD, mpf(y) / WAD) * WAD

    exp_groups = [Errors(label="x < 0 (result < 1)"), Errors(label="x >= 0 (result >= 1)")]
    measure(
        ((x,) for x in exp_inputs(rng, samples)),
        exp_wad,
        exact_exp,
        groups=exp_groups,
        group_of=lambda x: int(x >= 0),
    )
    ln_groups = [Errors(label="x < 1"), Errors(label="x >= 1")]
    measure(
        ((x,) for x in ln_inputs(rng, samples)),
        ln_wad,
        exact_ln,
        groups=ln_groups,
        group_of=lambda x: int(x >= WAD),
    )
    pow_groups = [
        Errors(label="abs(y) <= 1"),
        Errors(label="1 < abs(y) <= 100"),
        Errors(label="100 < abs(y) <= 1e6"),
        Errors(label="abs(y) > 1e6"),
    ]
    measure(
        pow_inputs(rng, samples),
        pow_wad,
        exact_pow,
        groups=pow_groups,
        group_of=lambda x, y: sum(abs(y) > bound * WAD for bound in (1, 100, 10**6)),
        with_y=True,
    )

    print(f"## Accuracy of exp_wad, ln_wad, pow_wad vs mpmath ({mp.dps} digits)\n")
    print(f"{samples:,} random inputs per function (seed {SEED}) plus edges.\n")
    _print_table("exp_wad", exp_groups)
    _print_table("ln_wad", ln_groups)
    _print_table("pow_wad", pow_groups, scaled=True)
    print(f"({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()

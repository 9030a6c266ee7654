"""Batch ES off-chain: the exact engine against float64 numpy and a plain Python-int loop.

A synthetic book of 10 instruments (perps on three assets and seven options on them, the
unit P&L priced exactly by ``offchain/risk/scenario_pnl.py`` under Student-t spot returns and
normal vol shifts), accounts holding one to five of them, ES at 97.5%. For every
accounts x scenarios case it times:

- float64: the integer sizes and unit P&L rounded to float64, then ``screened_tail_risk``
  (one BLAS product, ``numpy.partition``, float ES and its bound), the practical limit on
  this hardware;
- exact: ``exact_tail_risk`` from the same integers (exact ES, lower bound, VaR and
  witnesses; its numba kernels are compiled before the first timing);
- Python ints: one account at a time, losses as ``-(sum(size * unit P&L) // WAD)`` (the
  ceiling of ``-pnl / WAD``) and ``expected_shortfall`` and ``worst_scenarios``, the naive
  baseline; its results must equal the exact engine's for every account, or the run fails;
- screen: what a keeper does at 100k accounts: float unit P&L (the float64 pricer),
  ``screened_tail_risk``, ``may_be_liquidatable`` against equities, then the exact unit
  P&L and ``exact_tail_risk`` for the flagged accounts only.

Throughput is loss entries (accounts x scenarios) per second; peak memory is what
``tracemalloc`` sees numpy and Python allocate during one engine call (inputs excluded).
BLAS runs on one thread (``OPENBLAS_NUM_THREADS=1``, set before numpy loads), so the
engines compare on equal footing; each engine's time is the fastest of three to seven runs
(this virtual machine's timings vary by a third from run to run). Writes
``benchmarks/results/batch_es.md`` and ``batch_es.png``. Run
``.venv/bin/python benchmarks/batch_es.py [--quick]`` (``make bench`` runs it; the full grid
takes about ten minutes, most of it the Python-int loop).
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import platform
import random
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from operator import mul
from pathlib import Path
from typing import Any

import numpy as np

from vmargin.numerics.expected_shortfall import expected_shortfall, tail_weight, worst_scenarios
from vmargin.numerics.fixedpoint import WAD, Rounding
from vmargin.numerics.margin import margin_from_expected_shortfall
from vmargin.numerics.option_valuation import OptionSeries
from vmargin.numerics.portfolio import Marks
from vmargin.plotting import pyplot, save_figure
from vmargin.risk.batch_expected_shortfall import (
    exact_tail_risk,
    may_be_liquidatable,
    screened_tail_risk,
)
from vmargin.risk.scenario_pnl import Instrument, exact_unit_pnl, float_unit_pnl

RESULTS = Path(__file__).parent / "results"
ALPHA_BPS = 9750
NOW = 1_800_000_000
DAY = 86_400
SPOTS = (60_000 * WAD, 3_000 * WAD, 150 * WAD)
VOLS = (WAD // 2, 7 * WAD // 10, WAD)
INSTRUMENTS = (
    Instrument(asset=0),
    Instrument(asset=1),
    Instrument(asset=2),
    *(
        Instrument(asset, series_id, OptionSeries(asset, strike, NOW + days * DAY, is_call))
        for series_id, (asset, strike, days, is_call) in enumerate(
            [
                (0, 66_000 * WAD, 30, True),
                (0, 50_000 * WAD, 60, False),
                (1, 3_300 * WAD, 7, True),
                (1, 2_700 * WAD, 30, False),
                (1, 3_000 * WAD, 90, True),
                (2, 180 * WAD, 14, True),
                (2, 120 * WAD, 45, False),
            ]
        )
    ),
)
FULL_GRID = [(a, n) for a in (1_000, 10_000, 100_000) for n in (250, 1_000)]
QUICK_GRID = [(1_000, 250), (10_000, 1_000)]
SCREEN_CASES = [(100_000, 1_000)]


@dataclass(frozen=True)
class Scenarios:
    """Spot returns and vol shifts per scenario and asset (WAD)."""

    spot_returns: list[list[int]]
    vol_shifts: list[list[int]]


def scenarios(count: int, rng: np.random.Generator) -> Scenarios:
    """Ten-day Student-t(4) returns at each asset's vol, and normal vol shifts of 5 points."""
    scale = np.array(VOLS, dtype=float) / WAD * np.sqrt(10 / 365) / np.sqrt(2)
    returns = np.clip(rng.standard_t(4, size=(count, 3)) * scale, -0.9, 3.0)
    shifts = rng.normal(0, 0.05, size=(count, 3))
    return Scenarios(
        spot_returns=[[int(r * WAD) for r in row] for row in returns],
        vol_shifts=[[int(v * WAD) for v in row] for row in shifts],
    )


def sizes(accounts: int, rng: random.Random) -> np.ndarray:
    """Each account holds one to five instruments, perps up to 100 units and options up to
    500, long or short, every size with all 18 decimals."""
    book = np.zeros((accounts, len(INSTRUMENTS)), dtype=object)
    for row in book:
        for i in rng.sample(range(len(INSTRUMENTS)), rng.randint(1, 5)):
            limit = 100 if INSTRUMENTS[i].series is None else 500
            row[i] = rng.choice((-1, 1)) * rng.randint(WAD // 1000, limit * WAD)
    return book


def python_tail(book: np.ndarray, unit_pnl: np.ndarray) -> list[tuple[int, list[int]]]:
    """ES and witnesses one account at a time in Python ints: the naive baseline."""
    columns = [tuple(column) for column in unit_pnl.T.tolist()]
    witness_count = tail_weight(len(columns), ALPHA_BPS).witness_count
    results = []
    for row in book.tolist():
        losses = [-(sum(map(mul, row, column)) // WAD) for column in columns]
        results.append(
            (expected_shortfall(losses, ALPHA_BPS), worst_scenarios(losses, witness_count))
        )
    return results


def timed(function: Callable[[], Any], repeats: int = 1) -> tuple[float, Any]:
    """The fastest of ``repeats`` calls, in seconds, and the result."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def peak_bytes(function: Callable[[], Any]) -> int:
    """Peak bytes allocated during one call, as tracemalloc sees them."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    function()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def engine_row(accounts: int, count: int, seed: int) -> dict[str, Any]:
    """Time the three engines on one case and check exact == Python ints."""
    rng = np.random.default_rng(seed)
    marks = Marks(spot=list(SPOTS), vol=list(VOLS), now=NOW)
    scenario_set = scenarios(count, rng)
    unit_pnl = exact_unit_pnl(
        INSTRUMENTS, marks, scenario_set.spot_returns, scenario_set.vol_shifts
    )
    book = sizes(accounts, random.Random(seed))
    error = np.zeros(len(INSTRUMENTS))

    def float_engine() -> Any:
        book_float, pnl_float = book.astype(np.float64), unit_pnl.astype(np.float64)
        return screened_tail_risk(book_float, pnl_float, error, ALPHA_BPS)

    repeats = max(3, min(7, 20_000_000 // (accounts * count)))
    float_seconds, _ = timed(float_engine, repeats)
    exact_seconds, exact = timed(lambda: exact_tail_risk(book, unit_pnl, ALPHA_BPS), repeats)
    python_seconds, reference = timed(lambda: python_tail(book, unit_pnl))
    for account, (es, witnesses) in enumerate(reference):
        if (
            exact.expected_shortfall[account] != es
            or exact.witnesses[account].tolist() != witnesses
        ):
            raise SystemExit(f"exact engine differs from Python ints at account {account}")
    entries = accounts * count
    return {
        "accounts": accounts,
        "scenarios": count,
        "float": entries / float_seconds,
        "exact": entries / exact_seconds,
        "python": entries / python_seconds,
        "ratio": exact_seconds / float_seconds,
        "float_mib": peak_bytes(float_engine) / 2**20,
        "exact_mib": peak_bytes(lambda: exact_tail_risk(book, unit_pnl, ALPHA_BPS)) / 2**20,
        "seconds": (float_seconds, exact_seconds, python_seconds),
    }


def screen_row(accounts: int, count: int, seed: int) -> dict[str, Any]:
    """Time a keeper's screen of ``accounts``: float screen, exact for the flagged ones."""
    rng = np.random.default_rng(seed)
    marks = Marks(spot=list(SPOTS), vol=list(VOLS), now=NOW)
    scenario_set = scenarios(count, rng)
    book = sizes(accounts, random.Random(seed))
    exact_all = exact_tail_risk(
        book,
        exact_unit_pnl(INSTRUMENTS, marks, scenario_set.spot_returns, scenario_set.vol_shifts),
        ALPHA_BPS,
    )
    # Equity between 0.5 and 3 times MM (factor 1): about a fifth of the book is liquidatable.
    equities = [
        int(es * random.Random(i).uniform(0.5, 3.0))
        for i, es in enumerate(exact_all.expected_shortfall)
    ]

    def screen() -> tuple[np.ndarray, Any]:
        pnl_float, error = float_unit_pnl(
            INSTRUMENTS, marks, scenario_set.spot_returns, scenario_set.vol_shifts
        )
        screened = screened_tail_risk(book.astype(np.float64), pnl_float, error, ALPHA_BPS)
        flagged = np.flatnonzero(may_be_liquidatable(screened, equities, WAD))
        held = np.flatnonzero((book[flagged] != 0).any(axis=0))
        unit_pnl = exact_unit_pnl(
            [INSTRUMENTS[i] for i in held],
            marks,
            scenario_set.spot_returns,
            scenario_set.vol_shifts,
        )
        return flagged, exact_tail_risk(book[np.ix_(flagged, held)], unit_pnl, ALPHA_BPS)

    seconds, (flagged, exact) = timed(screen)
    liquidatable = {
        a
        for a, (bound, equity) in enumerate(zip(exact_all.lower_bound, equities, strict=True))
        if margin_from_expected_shortfall(WAD, bound, Rounding.FLOOR) > equity
    }
    if not liquidatable <= set(flagged.tolist()):
        raise SystemExit("the screen missed a liquidatable account")
    if list(exact.expected_shortfall) != [exact_all.expected_shortfall[a] for a in flagged]:
        raise SystemExit("the screen's exact ES differs from the whole book's")
    return {
        "accounts": accounts,
        "scenarios": count,
        "seconds": seconds,
        "flagged": len(flagged),
        "liquidatable": len(liquidatable),
    }


def table(rows: list[dict[str, Any]], screens: list[dict[str, Any]]) -> str:
    """The Markdown tables of the results, with the machine they ran on."""
    lines = [
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.processor() or 'cpu'}, "
        f"Python {platform.python_version()}, numpy {np.__version__}, one BLAS thread; "
        f"10 instruments, ES at 97.5%.",
        "",
        "| accounts | scenarios | float64 entries/s | exact entries/s | Python entries/s "
        "| exact / float time | float peak MiB | exact peak MiB | exact == Python |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        lines.append(
            f"| {row['accounts']:,} | {row['scenarios']:,} | {row['float']:,.3g} "
            f"| {row['exact']:,.3g} | {row['python']:,.3g} | {row['ratio']:.2f} "
            f"| {row['float_mib']:,.0f} | {row['exact_mib']:,.0f} | yes |"
        )
    if screens:
        lines += [
            "",
            "| screen: accounts | scenarios | seconds | flagged | liquidatable | missed |",
            "| ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for row in screens:
            lines.append(
                f"| {row['accounts']:,} | {row['scenarios']:,} | {row['seconds']:.2f} "
                f"| {row['flagged']:,} | {row['liquidatable']:,} | 0 |"
            )
    return "\n".join(lines) + "\n"


def chart(rows: list[dict[str, Any]], path: Path) -> None:
    """Throughput of the three engines per case, log scale."""
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(9, 4.5))
    labels = [f"{row['accounts'] // 1000}k x {row['scenarios']:,}" for row in rows]
    positions = np.arange(len(rows))
    for offset, (key, name) in zip(
        (-0.27, 0, 0.27),
        (("float", "float64"), ("exact", "exact"), ("python", "Python ints")),
        strict=True,
    ):
        axis.bar(positions + offset, [row[key] for row in rows], width=0.27, label=name)
    axis.set_xticks(positions, labels)
    axis.set_yscale("log")
    axis.set_ylabel("loss entries per second")
    axis.set_xlabel("accounts x scenarios (10 instruments)")
    axis.set_title("Batch ES throughput, ES 97.5%")
    axis.legend()
    save_figure(figure, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two small cases, no 100k screen")
    arguments = parser.parse_args()
    grid = QUICK_GRID if arguments.quick else FULL_GRID
    rows = [engine_row(accounts, count, seed) for seed, (accounts, count) in enumerate(grid)]
    screens = [] if arguments.quick else [screen_row(a, n, 99) for a, n in SCREEN_CASES]
    RESULTS.mkdir(exist_ok=True)
    markdown = table(rows, screens)
    (RESULTS / "batch_es.md").write_text(markdown)
    chart(rows, RESULTS / "batch_es.png")
    print(markdown, end="")


if __name__ == "__main__":
    main()

"""``vmargin scenarios build`` without a node: every method on real data, the same bytes
for the same inputs, and bad inputs named in one line."""

import argparse
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from vmargin.cli.main import main
from vmargin.cli.scenarios import build_scenarios
from vmargin.numerics.expected_shortfall import expected_shortfall
from vmargin.numerics.fixedpoint import WAD
from vmargin.oracle.prices import load_shipped
from vmargin.oracle.scenario_methods import (
    FloatArray,
    RawScenarios,
    VolatilityModel,
    filtered_historical,
    historical,
    monte_carlo,
)

WINDOW = 1000


def _arguments(**overrides: object) -> argparse.Namespace:
    values: dict[str, object] = {
        "method": "historical",
        "assets": "ETH,BTC",
        "csv": None,
        "start": None,
        "end": None,
        "window": WINDOW,
        "horizon": 1,
        "non_overlapping": False,
        "model": "ewma",
        "ewma_lambda": 0.94,
        "n": 2000,
        "seed": 7,
        "stress": [],
        "alpha_bps": 9750,
    }
    values.update(overrides)
    return argparse.Namespace(**values)


def float_expected_shortfall(losses: np.ndarray, alpha_bps: int) -> float:
    """ES of float losses, computed independently of the integer engine: the floor(k)
    largest losses in full and the next one weighted by the fractional part of k."""
    k = len(losses) * (10_000 - alpha_bps) / 10_000
    ordered = np.sort(losses)[::-1]
    whole = int(k)
    total = ordered[:whole].sum() + (k - whole) * (ordered[whole] if k > whole else 0.0)
    return float(total / k)


@pytest.mark.parametrize(
    ("method", "overrides", "generate"),
    [
        ("historical", {}, lambda c: historical(c, WINDOW)),
        (
            "filtered-historical",
            {"model": "ewma"},
            lambda c: filtered_historical(c, WINDOW, model=VolatilityModel.EWMA),
        ),
        (
            "filtered-historical",
            {"model": "garch"},
            lambda c: filtered_historical(c, WINDOW, model=VolatilityModel.GARCH),
        ),
        ("monte-carlo", {}, lambda c: monte_carlo(c, WINDOW, n=2000, seed=7)),
    ],
)
@pytest.mark.parametrize("alpha_bps", [9750, 9900])
def test_every_method_on_real_data_matches_an_independent_float_es(
    method: str,
    overrides: dict[str, object],
    generate: Callable[[FloatArray], RawScenarios],
    alpha_bps: int,
) -> None:
    """The integer ES of a quantized set equals the float ES of the method's own floats to
    within the quantization (half a wei per scenario) and float rounding."""
    scenario_set = build_scenarios(_arguments(method=method, alpha_bps=alpha_bps, **overrides))
    raw = generate(load_shipped(["ETH", "BTC"]).closes_array())
    for asset in range(2):
        losses = [-row[asset] for row in scenario_set.spot_returns]
        exact = Decimal(expected_shortfall(losses, alpha_bps)) / WAD
        reference = float_expected_shortfall(-raw.spot_returns[:, asset], alpha_bps)
        assert abs(float(exact) - reference) < 1e-15
        assert 0.02 < reference < 0.5  # a daily ES of a crypto asset, in a sane range


def test_the_same_inputs_give_the_same_bytes(tmp_path: Path) -> None:
    for name in ("a.json", "b.json"):
        assert (
            main(
                [
                    "scenarios",
                    "build",
                    "--method",
                    "monte-carlo",
                    "--assets",
                    "ETH,BTC",
                    "--n",
                    "500",
                    "--seed",
                    "11",
                    "-o",
                    str(tmp_path / name),
                ]
            )
            == 0
        )
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--method", "historical", "--window", "100000"], "window"),
        (["--method", "historical", "--stress=-0.4"], "expected RETURN:VOLSHIFT"),
        (["--method", "historical", "--assets", "DOGE"], "DOGE"),
    ],
)
def test_build_errors_are_one_line_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    code = main(["scenarios", "build", *arguments, "-o", str(tmp_path / "x.json")])
    error = capsys.readouterr().err
    assert code == 1
    assert error.startswith("vmargin: ") and message in error and "Traceback" not in error
    assert not (tmp_path / "x.json").exists()


def test_a_malformed_user_csv_is_named_by_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "prices.csv"
    csv.write_text("date,asset,close\n2024-01-01,XYZ,10\n2024-01-02,XYZ,-3\n")
    build = ["scenarios", "build", "--method", "historical", "--csv", str(csv), "--window", "1"]
    code = main([*build, "-o", str(tmp_path / "x.json")])
    assert code == 1
    assert f"{csv}:3" in capsys.readouterr().err

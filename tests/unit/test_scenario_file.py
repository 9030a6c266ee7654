"""Quantization to WAD and the scenario file format."""

import json
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from vmargin.numerics.fixedpoint import WAD
from vmargin.oracle.scenario_file import (
    SCHEMA,
    ScenarioFileError,
    quantize,
    quantize_scenarios,
    read_scenario_file,
    scenario_file_json,
    write_scenario_file,
)
from vmargin.oracle.scenarios import ScenarioSet
from vmargin.proofs.scenario_commitment import ScenarioOutOfDomain, scenario_tree


def test_quantize_is_the_exact_float_rounded_to_the_nearest_wei() -> None:
    # 0.1 is the float 0.1000000000000000055511151231257827...: 6 wei above 1e17.
    assert quantize(0.1) == round(Fraction(0.1) * WAD) == 100_000_000_000_000_006
    assert quantize(-0.25) == -WAD // 4
    assert quantize(2.0**-61) == 0  # 0.43 wei
    assert quantize(2.0**-60) == 1  # 0.87 wei
    assert quantize(-(2.0**-60)) == -1
    for bad in (float("nan"), float("inf"), -float("inf")):
        with pytest.raises(ValueError, match="cannot quantize"):
            quantize(bad)


def _set(spot: list[list[float]], shifts: list[list[float]] | None = None) -> ScenarioSet:
    returns = np.array(spot)
    return quantize_scenarios(
        ("ETH", "BTC")[: returns.shape[1]],
        returns,
        np.array(shifts) if shifts is not None else np.zeros_like(returns),
        stress=np.array([False] * (len(spot) - 1) + [True]),
        alpha_bps=7500,
        method="historical",
        parameters={"window": 4, "horizon": 1},
        source="test closes",
    )


def test_quantize_scenarios_refuses_a_return_at_minus_one_hundred_percent() -> None:
    with pytest.raises(ScenarioOutOfDomain, match=r"scenario 1, asset 1: spot return -10{18},"):
        _set([[0.1, 0.2], [0.0, -1.0], [0.0, 0.0], [0.1, 0.1]])


def test_file_round_trip_and_canonical_bytes(tmp_path: Path) -> None:
    scenario_set = _set([[0.1, -0.2], [-0.05, 0.03], [0.2, 0.1], [-0.4, -0.3]])
    path = tmp_path / "set.json"
    root = write_scenario_file(path, scenario_set)
    assert root == scenario_tree(scenario_set.spot_returns, scenario_set.vol_shifts).root
    loaded = read_scenario_file(path)
    assert loaded.scenario_set == scenario_set
    assert loaded.epoch is None and loaded.root == root
    assert scenario_set.stress == (False, False, False, True)
    # The same set writes the same bytes; a posted epoch is recorded.
    assert path.read_text() == scenario_file_json(scenario_set)
    write_scenario_file(path, scenario_set, epoch=3)
    assert read_scenario_file(path).epoch == 3
    document = json.loads(path.read_text())
    assert document["schema"] == SCHEMA
    assert document["k"] == "1"
    assert document["scenarios"][0]["spot_returns"] == [str(quantize(0.1)), str(quantize(-0.2))]


def _tampered(tmp_path: Path, change: Callable[[dict[str, Any]], object]) -> Path:
    scenario_set = _set([[0.1, -0.2], [-0.05, 0.03], [0.2, 0.1], [-0.4, -0.3]])
    path = tmp_path / "set.json"
    write_scenario_file(path, scenario_set)
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["scenarios"][2]["spot_returns"].__setitem__(0, "1"), "hash to 0x"),
        (lambda d: d.__setitem__("schema", "other/1"), "not a vmargin.scenario-set/1 file"),
        (lambda d: d.__setitem__("n", 5), "n is 5 but the file holds 4"),
        (lambda d: d.__setitem__("k", "2"), "k does not match"),
        (lambda d: d["scenarios"][1].__setitem__("index", 7), "scenario 1 is missing or out of"),
        (lambda d: d["scenarios"][1]["vol_shifts"].pop(), "vol_shifts needs 2 values"),
        (
            lambda d: d["scenarios"][0]["spot_returns"].__setitem__(1, 5),
            "must be integers written as strings",
        ),
        (lambda d: d["scenarios"][3].__setitem__("stress", "yes"), "stress must be true"),
        (
            lambda d: d["scenarios"][2]["vol_shifts"].__setitem__(1, str(101 * 10**18)),
            r"scenario 2, asset 1: spot return \d+, vol shift 101000000000000000000;",
        ),
        (lambda d: d.__setitem__("alpha_bps", "9750"), "field 'alpha_bps' must be a int"),
        (lambda d: d.__setitem__("epoch", 0), "epoch must be null or a positive"),
    ],
)
def test_a_malformed_or_tampered_file_is_refused_with_its_reason(
    tmp_path: Path, change: Callable[[dict[str, Any]], object], message: str
) -> None:
    with pytest.raises(ScenarioFileError, match=message):
        read_scenario_file(_tampered(tmp_path, change))


def test_unreadable_and_non_json_files(tmp_path: Path) -> None:
    with pytest.raises(ScenarioFileError, match="cannot read"):
        read_scenario_file(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ScenarioFileError, match="not JSON"):
        read_scenario_file(tmp_path / "bad.json")

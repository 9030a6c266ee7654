"""Scenario set files: quantization to WAD and the versioned JSON format.

A scenario set is built in floats (``oracle/scenario_methods.py``) and quantized to
WAD integers exactly once: each float is converted to the exact rational it stands for
and rounded to the nearest integer multiple of 1e-18 (``quantize``; a float is a dyadic
rational and 1e-18 is not, so no float lies halfway and there are no ties). Floats from
the methods are deterministic, so the same inputs and seed give the same integers, the
same file bytes and the same Merkle root on any machine.

The file (schema ``vmargin.scenario-set/1``) holds the epoch (``null`` until posted),
the method and every parameter it used, the data source, the asset list, alpha, N, k,
the leaf encoding, the Merkle root and every scenario (index, WAD spot returns, WAD vol
shifts, stress flag). Integers are decimal strings, because JSON numbers above 2^53 do
not survive every reader. The root is OpenZeppelin's StandardMerkleTree over the leaves
``(index, spotReturns, volShifts)`` (``proofs/scenario_commitment.py``), so OpenZeppelin's
own tooling rebuilds it; reading a file recomputes it and refuses a mismatch.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from math import isfinite
from pathlib import Path
from typing import Any

import numpy as np

from vmargin.errors import InputError
from vmargin.numerics.expected_shortfall import tail_weight
from vmargin.numerics.fixedpoint import WAD
from vmargin.oracle.scenarios import ScenarioSet
from vmargin.proofs.scenario_commitment import SCENARIO_LEAF_ENCODING, scenario_tree

SCHEMA = "vmargin.scenario-set/1"


class ScenarioFileError(InputError):
    """A scenario file is malformed or inconsistent; the message names the field."""


def quantize(value: float) -> int:
    """``value`` as a WAD integer: the exact rational of the float, rounded to the nearest
    integer multiple of 1e-18 (never a tie). Refuses NaN and infinities."""
    if not isfinite(value):
        raise InputError(f"cannot quantize {value!r}")
    return round(Fraction(value) * WAD)


def quantize_scenarios(
    assets: Sequence[str],
    spot_returns: np.ndarray,
    vol_shifts: np.ndarray,
    *,
    stress: np.ndarray,
    alpha_bps: int,
    method: str,
    parameters: Mapping[str, Any],
    source: str,
) -> ScenarioSet:
    """The WAD scenario set of float scenarios (N x A arrays, ``stress`` of length N).

    After quantization every scenario must be in the domain certificates carry
    (``vmargin.proofs.scenario_commitment.check_scenario_domain``): a spot return above -100% (a
    price cannot go to zero) and at most +10,000%, a vol shift within +-100 vol.
    """
    n, count = spot_returns.shape
    if count != len(assets) or vol_shifts.shape != (n, count) or stress.shape != (n,):
        raise InputError(
            f"shapes {spot_returns.shape}, {vol_shifts.shape}, {stress.shape} do not fit "
            f"{len(assets)} assets"
        )
    return ScenarioSet(
        assets=tuple(assets),
        alpha_bps=alpha_bps,
        spot_returns=tuple(tuple(quantize(float(x)) for x in row) for row in spot_returns),
        vol_shifts=tuple(tuple(quantize(float(x)) for x in row) for row in vol_shifts),
        description=f"{method.replace('_', ' ')}, {source}",
        method=method,
        parameters=dict(parameters),
        stress=tuple(bool(flag) for flag in stress),
    )


@dataclass(frozen=True)
class ScenarioFile:
    """A scenario set as a file holds it: the set, its epoch once posted, and its root."""

    scenario_set: ScenarioSet
    epoch: int | None
    root: bytes


def scenario_file_json(scenario_set: ScenarioSet, epoch: int | None = None) -> str:
    """The canonical JSON text of ``scenario_set`` (sorted keys, one scenario per line)."""
    tree = scenario_tree(scenario_set.spot_returns, scenario_set.vol_shifts)
    tail = tail_weight(scenario_set.n, scenario_set.alpha_bps)
    header = {
        "schema": SCHEMA,
        "epoch": epoch,
        "method": scenario_set.method,
        "parameters": scenario_set.parameters,
        "description": scenario_set.description,
        "assets": list(scenario_set.assets),
        "alpha_bps": scenario_set.alpha_bps,
        "n": scenario_set.n,
        "k": str(Decimal(tail.k_num) / 10_000),
        "leaf_encoding": list(SCENARIO_LEAF_ENCODING),
        "root": "0x" + tree.root.hex(),
    }
    lines = [json.dumps(header, sort_keys=True)[:-1] + ', "scenarios": [']
    rows = []
    for index, (returns, shifts, flag) in enumerate(
        zip(scenario_set.spot_returns, scenario_set.vol_shifts, scenario_set.stress, strict=True)
    ):
        row = {
            "index": index,
            "spot_returns": [str(r) for r in returns],
            "vol_shifts": [str(v) for v in shifts],
            "stress": flag,
        }
        rows.append(json.dumps(row, sort_keys=True))
    lines.append(",\n".join(rows))
    lines.append("]}")
    return "\n".join(lines) + "\n"


def write_scenario_file(path: Path, scenario_set: ScenarioSet, epoch: int | None = None) -> bytes:
    """Write ``scenario_set`` to ``path`` (replacing it atomically); returns its root. A path
    that cannot be written (a directory, a missing folder) raises OSError and leaves no
    partial file."""
    text = scenario_file_json(scenario_set, epoch)
    partial = path.parent / f"{path.name}.partial"
    partial.write_text(text)
    try:
        partial.replace(path)
    except OSError:
        partial.unlink()
        raise
    return scenario_tree(scenario_set.spot_returns, scenario_set.vol_shifts).root


def read_scenario_file(path: Path) -> ScenarioFile:
    """Read and check a scenario file: schema, fields, shapes, N, k and the root."""
    try:
        document = json.loads(path.read_text())
    except OSError as error:
        raise ScenarioFileError(f"{path}: cannot read: {error.strerror}") from error
    except json.JSONDecodeError as error:
        raise ScenarioFileError(f"{path}: not JSON: {error}") from error
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        raise ScenarioFileError(f"{path}: not a {SCHEMA} file")
    assets = _field(path, document, "assets", list)
    if not assets or not all(isinstance(a, str) for a in assets):
        raise ScenarioFileError(f"{path}: assets must be a non-empty list of names")
    rows = _field(path, document, "scenarios", list)
    returns, shifts, stress = [], [], []
    for position, row in enumerate(rows):
        if not isinstance(row, dict) or row.get("index") != position:
            raise ScenarioFileError(f"{path}: scenario {position} is missing or out of order")
        returns.append(_wad_row(path, row, "spot_returns", position, len(assets)))
        shifts.append(_wad_row(path, row, "vol_shifts", position, len(assets)))
        if not isinstance(row.get("stress"), bool):
            raise ScenarioFileError(f"{path}: scenario {position}: stress must be true or false")
        stress.append(row["stress"])
    n = _field(path, document, "n", int)
    if n != len(rows):
        raise ScenarioFileError(f"{path}: n is {n} but the file holds {len(rows)} scenarios")
    epoch = document.get("epoch")
    if epoch is not None and (not isinstance(epoch, int) or epoch < 1):
        raise ScenarioFileError(f"{path}: epoch must be null or a positive integer")
    try:
        scenario_set = ScenarioSet(
            assets=tuple(assets),
            alpha_bps=_field(path, document, "alpha_bps", int),
            spot_returns=tuple(returns),
            vol_shifts=tuple(shifts),
            description=_field(path, document, "description", str),
            method=_field(path, document, "method", str),
            parameters=_field(path, document, "parameters", dict),
            stress=tuple(stress),
        )
    except ValueError as error:
        raise ScenarioFileError(f"{path}: {error}") from error
    tail = tail_weight(n, scenario_set.alpha_bps)
    if _field(path, document, "k", str) != str(Decimal(tail.k_num) / 10_000):
        raise ScenarioFileError(f"{path}: k does not match n and alpha_bps")
    root = scenario_tree(scenario_set.spot_returns, scenario_set.vol_shifts).root
    if _field(path, document, "root", str) != "0x" + root.hex():
        raise ScenarioFileError(
            f"{path}: the scenarios hash to 0x{root.hex()}, the file says {document['root']}"
        )
    return ScenarioFile(scenario_set=scenario_set, epoch=epoch, root=root)


def _field(path: Path, document: dict[str, Any], name: str, kind: type) -> Any:
    value = document.get(name)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise ScenarioFileError(f"{path}: field {name!r} must be a {kind.__name__}")
    return value


def _wad_row(
    path: Path, row: dict[str, Any], name: str, position: int, count: int
) -> tuple[int, ...]:
    values = row.get(name)
    if not isinstance(values, list) or len(values) != count:
        raise ScenarioFileError(f"{path}: scenario {position}: {name} needs {count} values")
    if not all(isinstance(v, str) and _is_integer_text(v) for v in values):
        raise ScenarioFileError(
            f"{path}: scenario {position}: {name} must be integers written as strings"
        )
    return tuple(int(v) for v in values)


def _is_integer_text(text: str) -> bool:
    digits = text[1:] if text.startswith("-") else text
    return digits.isdigit() and digits.isascii()

"""Fuzzing the files and options users feed (hypothesis): every malformed input gets the
parser's own named error, never another exception.

Targets: price CSVs (``read_price_csv``: ``PriceDataError``), scenario files
(``read_scenario_file``: ``ScenarioFileError``), decimal and key options
(``decimal_option``, ``read_key``: ``ServiceInputError``) and the batch engines' matrices
(``exact_tail_risk``: ``ValueError`` naming the argument). Inputs are both arbitrary and
near-valid: a valid file with one field replaced. ``EXAMPLES`` examples per target
(``tests/support/fuzzing.py``); the seed is fixed so a failure reproduces."""

import argparse
import contextlib
import json
import string
from decimal import Decimal
from typing import Any

from hypothesis import given, seed
from hypothesis import strategies as st

from support.fuzzing import FUZZ, JSON, VALID_SET, replaced, written
from vmargin.cli.arguments import (
    ServiceInputError,
    decimal_option,
    read_key,
)
from vmargin.oracle.prices import PriceDataError, read_price_csv
from vmargin.oracle.scenario_file import (
    ScenarioFileError,
    read_scenario_file,
)
from vmargin.risk.batch_expected_shortfall import exact_tail_risk


@seed(8)
@FUZZ
@given(document=JSON)
def test_any_json_document_is_refused_by_name(document: Any) -> None:
    path = written(json.dumps(document), ".json")
    with contextlib.suppress(ScenarioFileError):
        read_scenario_file(path)


@seed(9)
@FUZZ
@given(
    key=st.sampled_from([*VALID_SET, "scenarios.0", "scenarios.3", "scenarios.0.spot_returns"]),
    value=JSON,
)
def test_a_valid_scenario_file_with_one_field_replaced_is_refused_by_name(
    key: str, value: Any
) -> None:
    path = tuple(int(part) if part.isdigit() else part for part in key.split("."))
    with contextlib.suppress(ScenarioFileError):
        read_scenario_file(written(json.dumps(replaced(VALID_SET, path, value)), ".json"))


@seed(10)
@FUZZ
@given(text=st.text(max_size=300))
def test_any_text_as_a_price_csv_is_refused_by_name(text: str) -> None:
    with contextlib.suppress(PriceDataError):
        read_price_csv(written(text, ".csv"))


CELL = st.text(alphabet=string.printable, max_size=12) | st.sampled_from(
    ["", "nan", "inf", "-1", "0", "1e400", "2024-02-30", "0x10", "1_000", " 5 ", "١٢"]
)


@seed(11)
@FUZZ
@given(row=st.integers(0, 3), column=st.integers(0, 2), cell=CELL)
def test_a_valid_price_csv_with_one_cell_replaced_is_read_or_refused_by_name(
    row: int, column: int, cell: str
) -> None:
    rows = [
        ["date", "asset", "close"],
        ["2024-01-01", "ETH", "2300.5"],
        ["2024-01-02", "ETH", "2310"],
        ["2024-01-03", "ETH", "2290.25"],
    ]
    rows[row][column] = cell
    text = "\n".join(",".join(f'"{c}"' if "," in c or '"' in c else c for c in r) for r in rows)
    with contextlib.suppress(PriceDataError):
        read_price_csv(written(text, ".csv"))


@seed(12)
@FUZZ
@given(text=st.text(max_size=40))
def test_any_text_as_a_decimal_option_is_a_decimal_or_refused_by_name(text: str) -> None:
    try:
        value = decimal_option("--min-profit", text)
    except ServiceInputError as error:
        assert str(error).startswith("--min-profit: ")
    else:
        assert isinstance(value, Decimal) and value.is_finite()


@seed(13)
@FUZZ
@given(text=st.text(max_size=80) | st.text(alphabet="0123456789abcdefABCDEFx", max_size=70))
def test_any_text_as_a_key_is_a_key_or_refused_by_name(text: str) -> None:
    with contextlib.suppress(ServiceInputError):
        read_key(argparse.Namespace(key=text, key_file=None))


INTEGERS = st.lists(
    st.lists(st.integers(-(2**130), 2**130), min_size=1, max_size=3), min_size=1, max_size=3
)
MATRIX = INTEGERS | st.lists(st.lists(JSON, max_size=3), max_size=3) | JSON


@seed(14)
@FUZZ
@given(sizes=MATRIX, unit_pnl=MATRIX, alpha=st.integers(-5, 20_000) | JSON)
def test_any_engine_input_is_computed_or_refused_by_name(
    sizes: Any, unit_pnl: Any, alpha: Any
) -> None:
    try:
        exact_tail_risk(sizes, unit_pnl, alpha)
    except ValueError as error:
        assert str(error)


# ------------------------------------------------ attestations and certificates from outside

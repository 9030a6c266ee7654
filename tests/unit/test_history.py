"""Loading real daily closes exactly, and the ScenarioSet's own checks."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from vmargin.oracle.history import DailyCloses, PriceHistoryError, load_yahoo_daily_closes
from vmargin.oracle.scenarios import ScenarioSet

NULL_DATES = (date(2020, 4, 17), date(2020, 10, 9), date(2020, 10, 12), date(2020, 10, 13))


@pytest.fixture(scope="module")
def eth() -> DailyCloses:
    return load_yahoo_daily_closes()


def write_csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "prices.csv"
    path.write_text(text)
    return path


# --- the shipped ETH file --------------------------------------------------------------------


def test_shipped_eth_file_loads(eth: DailyCloses) -> None:
    assert len(eth.closes) == len(eth.dates) == 2298
    assert eth.dates[0] == date(2015, 8, 7)
    assert eth.dates[-1] == date(2021, 11, 24)
    assert eth.closes[0] == Decimal("2.772120")
    assert all(isinstance(close, Decimal) and close > 0 for close in eth.closes)


def test_shipped_eth_file_reports_its_four_null_rows(eth: DailyCloses) -> None:
    assert eth.missing == NULL_DATES
    assert not set(NULL_DATES) & set(eth.dates)


def test_scenario_set_refuses_rows_of_the_wrong_asset_count() -> None:
    with pytest.raises(ValueError, match="scenario 1 has 1 returns and 2 vol shifts for 2 assets"):
        ScenarioSet(
            assets=("ETH", "BTC"),
            alpha_bps=9750,
            spot_returns=((1, 2), (3,), (4, 5)),
            vol_shifts=((0, 0), (0, 0), (0, 0)),
            description="test",
        )


def test_scenario_set_checks_its_tail_parameters() -> None:
    with pytest.raises(ValueError, match="positive"):
        ScenarioSet(
            assets=("ETH",), alpha_bps=9750, spot_returns=(), vol_shifts=(), description="empty"
        )
    with pytest.raises(ValueError, match="alpha"):
        ScenarioSet(
            assets=("ETH",),
            alpha_bps=10_000,
            spot_returns=((1,),),
            vol_shifts=((0,),),
            description="x",
        )


# --- malformed files -------------------------------------------------------------------------


def test_a_small_valid_file_with_a_null_row(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "Date,Close\n2021-01-01,100\n2021-01-02,null\n2021-01-03,110.5\n2021-01-04,99.45\n",
    )
    history = load_yahoo_daily_closes(path)
    assert history.dates == (date(2021, 1, 1), date(2021, 1, 3), date(2021, 1, 4))
    assert history.closes == (Decimal("100"), Decimal("110.5"), Decimal("99.45"))
    assert history.missing == (date(2021, 1, 2),)


def test_non_numeric_close_names_the_row(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "Date,Close\n2021-01-01,100\n2021-01-02,abc\n")
    with pytest.raises(PriceHistoryError, match=r"prices\.csv:3: close 'abc' is not a number"):
        load_yahoo_daily_closes(path)


@pytest.mark.parametrize("close", ["0", "0.000", "-12.5"])
def test_zero_or_negative_close_names_the_row(tmp_path: Path, close: str) -> None:
    path = write_csv(tmp_path, f"Date,Close\n2021-01-01,100\n2021-01-02,101\n2021-01-03,{close}\n")
    with pytest.raises(PriceHistoryError, match=r"prices\.csv:4: close .* is not positive"):
        load_yahoo_daily_closes(path)


def test_dates_out_of_order_name_the_row(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "Date,Close\n2021-01-02,100\n2021-01-01,101\n")
    with pytest.raises(PriceHistoryError, match=r"prices\.csv:3: 2021-01-01 is not after"):
        load_yahoo_daily_closes(path)


def test_duplicated_date_names_the_row(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "Date,Close\n2021-01-01,100\n2021-01-02,101\n2021-01-02,102\n")
    with pytest.raises(PriceHistoryError, match=r"prices\.csv:4: 2021-01-02 is not after"):
        load_yahoo_daily_closes(path)


def test_bad_date_names_the_row(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "Date,Close\n2021-01-01,100\n01/02/2021,101\n")
    with pytest.raises(PriceHistoryError, match=r"prices\.csv:3: bad date '01/02/2021'"):
        load_yahoo_daily_closes(path)


@pytest.mark.parametrize(
    "header", ["Date,Open\n2021-01-01,1\n", "Day,Close\n2021-01-01,1\n", "date,close\n", ""]
)
def test_missing_columns_are_named(tmp_path: Path, header: str) -> None:
    path = write_csv(tmp_path, header)
    with pytest.raises(PriceHistoryError, match="needs columns Date and Close"):
        load_yahoo_daily_closes(path)


def test_row_without_a_close_field_names_the_row(tmp_path: Path) -> None:
    """A short row leaves Close as None: a PriceHistoryError naming the file and row, not the
    TypeError of Decimal(None)."""
    path = write_csv(tmp_path, "Date,Close\n2021-01-01,100\n2021-01-02\n")
    with pytest.raises(PriceHistoryError, match=r"prices\.csv:3"):
        load_yahoo_daily_closes(path)

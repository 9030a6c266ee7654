"""Real daily closes of several assets: the shipped series and a user's long-format CSV."""

import random
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy
import pytest

from vmargin.oracle.prices import (
    SHIPPED_ASSETS,
    PriceDataError,
    PriceTable,
    load_shipped,
    read_price_csv,
)

ETH_NULL_DATES = (date(2020, 4, 17), date(2020, 10, 9), date(2020, 10, 12), date(2020, 10, 13))
HEADER = "date,asset,close\n"


def write_csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "prices.csv"
    path.write_text(text)
    return path


def error_of(tmp_path: Path, text: str) -> str:
    """The PriceDataError message read_price_csv gives for a file holding ``text``."""
    path = write_csv(tmp_path, text)
    with pytest.raises(PriceDataError) as caught:
        read_price_csv(path)
    return str(caught.value)


@pytest.fixture(scope="module")
def btc_eth() -> PriceTable:
    return load_shipped(["BTC", "ETH"])


@pytest.fixture(scope="module")
def markets() -> PriceTable:
    return load_shipped(["SP500", "NASDAQ", "WTI"])


def assert_well_formed(table: PriceTable) -> None:
    assert all(a < b for a, b in zip(table.dates, table.dates[1:], strict=False))
    assert len(table.closes) == len(table.dates)
    for row in table.closes:
        assert len(row) == len(table.assets)
        assert all(isinstance(close, Decimal) and close.is_finite() and close > 0 for close in row)
    array = table.closes_array()
    assert array.dtype == numpy.float64
    assert array.shape == (len(table.dates), len(table.assets))
    assert "\n" not in table.source and table.source


# --- the shipped series ----------------------------------------------------------------------


def test_shipped_asset_names() -> None:
    assert SHIPPED_ASSETS == ("BTC", "ETH", "SP500", "NASDAQ", "WTI")


def test_btc_eth_common_range_starts_with_eth(btc_eth: PriceTable) -> None:
    assert btc_eth.assets == ("BTC", "ETH")
    assert btc_eth.dates[0] == date(2015, 8, 7)
    assert btc_eth.dates[-1] == date(2021, 11, 24)
    assert btc_eth.closes[0] == (Decimal("279.94"), Decimal("2.772120"))
    assert_well_formed(btc_eth)


def test_btc_eth_leaves_out_the_eth_null_dates(btc_eth: PriceTable) -> None:
    assert not set(ETH_NULL_DATES) & set(btc_eth.dates)
    assert date(2020, 4, 16) in btc_eth.dates
    assert date(2020, 4, 18) in btc_eth.dates
    # 2015-08-07 .. 2021-11-24 is 2,302 calendar days; BTC has all of them, ETH 4 fewer.
    assert len(btc_eth.dates) == 2302 - len(ETH_NULL_DATES)


def test_btc_eth_closes_are_exact_from_the_files(btc_eth: PriceTable) -> None:
    row = btc_eth.closes[btc_eth.dates.index(date(2020, 3, 12))]
    assert row[0] == Decimal("4857.1")
    row = btc_eth.closes[btc_eth.dates.index(date(2020, 4, 16))]
    assert row[1] == Decimal("172.157379")
    assert str(row[1]) == "172.157379"


def test_btc_alone_covers_its_whole_file() -> None:
    table = load_shipped(["BTC"])
    assert table.dates[0] == date(2011, 8, 18)
    assert table.dates[-1] == date(2025, 9, 24)
    assert len(table.dates) == 5152
    assert table.closes[0] == (Decimal("10.9"),)


def test_asset_order_is_the_order_named(btc_eth: PriceTable) -> None:
    table = load_shipped(["ETH", "BTC"])
    assert table.assets == ("ETH", "BTC")
    assert table.dates == btc_eth.dates
    assert table.closes[0] == (Decimal("2.772120"), Decimal("279.94"))


def test_start_and_end_are_inclusive() -> None:
    table = load_shipped(["BTC", "ETH"], start=date(2020, 4, 10), end=date(2020, 4, 20))
    assert table.dates[0] == date(2020, 4, 10)
    assert table.dates[-1] == date(2020, 4, 20)
    assert len(table.dates) == 11 - 1  # 2020-04-17 has no ETH close
    assert "2020-04-10" in table.source and "2020-04-20" in table.source
    assert_well_formed(table)


def test_start_alone_and_end_alone() -> None:
    assert load_shipped(["BTC"], start=date(2025, 9, 20)).dates == tuple(
        date(2025, 9, day) for day in range(20, 25)
    )
    assert load_shipped(["BTC"], end=date(2011, 8, 20)).dates == tuple(
        date(2011, 8, day) for day in range(18, 21)
    )


def test_sp500_nasdaq_wti(markets: PriceTable) -> None:
    assert markets.assets == ("SP500", "NASDAQ", "WTI")
    assert markets.dates[0] == date(1999, 1, 4)
    assert markets.dates[-1] == date(2018, 12, 28)
    assert markets.closes[0] == (
        Decimal("1228.099976"),
        Decimal("2208.050049"),
        Decimal("12.42"),
    )
    assert_well_formed(markets)
    # trading days only: no weekends
    assert all(day.weekday() < 5 for day in markets.dates)


def test_sp500_and_nasdaq_cover_1999_to_2018() -> None:
    for name in ("SP500", "NASDAQ"):
        table = load_shipped([name])
        assert table.dates[0] == date(1999, 1, 4)
        assert table.dates[-1] == date(2018, 12, 31)
        assert len(table.dates) == 5031
        assert name in table.source


def test_wti_drops_its_missing_values() -> None:
    table = load_shipped(["WTI"])
    assert table.dates[0] == date(1986, 1, 2)
    assert table.dates[-1] == date(2019, 1, 3)
    assert table.closes[0] == (Decimal("25.56"),)
    assert str(table.closes[1][0]) == "26.0"  # shortest repr of the float, not its expansion
    assert len(table.dates) == 8611 - 290
    assert date(1986, 7, 4) not in table.dates  # a US holiday, NaN in the data set
    assert_well_formed(table)


def test_all_shipped_assets_together() -> None:
    table = load_shipped(SHIPPED_ASSETS)
    assert table.assets == SHIPPED_ASSETS
    assert table.dates[0] == date(2015, 8, 7)
    assert table.dates[-1] == date(2018, 12, 28)
    assert_well_formed(table)


def test_unknown_asset_lists_the_known_ones() -> None:
    with pytest.raises(PriceDataError) as caught:
        load_shipped(["BTC", "DOGE"])
    message = str(caught.value)
    assert "DOGE" in message
    for name in SHIPPED_ASSETS:
        assert name in message


def test_asset_names_are_case_sensitive() -> None:
    with pytest.raises(PriceDataError, match="btc"):
        load_shipped(["btc"])


def test_a_bare_string_is_refused() -> None:
    with pytest.raises(PriceDataError, match="not the string"):
        load_shipped("BTC")


def test_no_assets_and_repeated_assets_are_refused() -> None:
    with pytest.raises(PriceDataError, match="at least one"):
        load_shipped([])
    with pytest.raises(PriceDataError, match="more than once: BTC"):
        load_shipped(["BTC", "ETH", "BTC"])


def test_no_common_dates_is_an_error() -> None:
    # ETH starts in 2015; WTI in this window is 2011 only.
    with pytest.raises(PriceDataError, match="no date"):
        load_shipped(["ETH", "WTI"], end=date(2012, 1, 1))
    # The window lies after every series ends.
    with pytest.raises(PriceDataError, match="no date"):
        load_shipped(["BTC"], start=date(2030, 1, 1))


def test_start_after_end_is_an_error() -> None:
    with pytest.raises(PriceDataError, match="after end"):
        load_shipped(["BTC"], start=date(2020, 2, 1), end=date(2020, 1, 1))


# --- a user's long CSV -----------------------------------------------------------------------


def long_rows() -> list[str]:
    closes = {
        "AAA": ("100", "101.5", "99.25", "102"),
        "BBB": ("0.5", "0.51", "0.49", "0.5000"),
        "CCC": ("2000", "1990", "2010", "1e3"),
    }
    days = ("2024-01-01", "2024-01-02", "2024-01-05", "2024-02-01")
    return [
        f"{day},{asset},{values[index]}\n"
        for asset, values in closes.items()
        for index, day in enumerate(days)
    ]


def test_valid_shuffled_long_csv(tmp_path: Path) -> None:
    rows = long_rows()
    random.Random(7).shuffle(rows)
    path = write_csv(tmp_path, HEADER + "".join(rows))
    table = read_price_csv(path)
    first_seen = []
    for row in rows:
        asset = row.split(",")[1]
        if asset not in first_seen:
            first_seen.append(asset)
    assert table.assets == tuple(first_seen)
    assert table.dates == (date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 5), date(2024, 2, 1))
    by_asset = {asset: [row[i] for row in table.closes] for i, asset in enumerate(table.assets)}
    assert by_asset["AAA"] == [Decimal("100"), Decimal("101.5"), Decimal("99.25"), Decimal("102")]
    assert str(by_asset["BBB"][3]) == "0.5000"
    assert by_asset["CCC"][3] == Decimal(1000)
    assert str(path) in table.source
    assert_well_formed(table)
    assert table.closes_array()[0].tolist() == [float(by_asset[asset][0]) for asset in table.assets]


def test_sorted_csv_keeps_first_appearance_order(tmp_path: Path) -> None:
    text = HEADER + "2024-01-01,ZZZ,1\n2024-01-01,AAA,2\n2024-01-02,AAA,3\n2024-01-02,ZZZ,4\n"
    table = read_price_csv(write_csv(tmp_path, text))
    assert table.assets == ("ZZZ", "AAA")
    assert table.closes == ((Decimal(1), Decimal(2)), (Decimal(4), Decimal(3)))


def test_blank_lines_and_spaces_are_tolerated(tmp_path: Path) -> None:
    text = HEADER + "2024-01-01, AAA , 1.5\n\n2024-01-02,AAA,2\n"
    table = read_price_csv(write_csv(tmp_path, text))
    assert table.assets == ("AAA",)
    assert table.closes == ((Decimal("1.5"),), (Decimal(2),))


def test_empty_file(tmp_path: Path) -> None:
    assert ":1:" in error_of(tmp_path, "")


def test_header_only(tmp_path: Path) -> None:
    message = error_of(tmp_path, HEADER)
    assert "no price rows" in message


def test_missing_header(tmp_path: Path) -> None:
    message = error_of(tmp_path, "2024-01-01,AAA,1\n2024-01-02,AAA,2\n")
    assert "prices.csv:1:" in message
    assert "header" in message


def test_wrong_header(tmp_path: Path) -> None:
    message = error_of(tmp_path, "day,asset,price\n2024-01-01,AAA,1\n")
    assert "prices.csv:1:" in message
    assert "date,asset,close" in message


@pytest.mark.parametrize("row", ["2024-01-02,AAA\n", "2024-01-02,AAA,2,extra\n"])
def test_wrong_number_of_fields(tmp_path: Path, row: str) -> None:
    message = error_of(tmp_path, HEADER + "2024-01-01,AAA,1\n" + row)
    assert "prices.csv:3:" in message
    assert "fields" in message


@pytest.mark.parametrize("bad", ["2024-02-30", "2024/01/02", "02-01-2024", "20240102", "", "x"])
def test_bad_date(tmp_path: Path, bad: str) -> None:
    message = error_of(tmp_path, HEADER + "2024-01-01,AAA,1\n" + f"{bad},AAA,2\n")
    assert "prices.csv:3:" in message
    assert "bad date" in message


@pytest.mark.parametrize(
    "bad", ["abc", "", "NaN", "nan", "inf", "-Infinity", "1_000", "1,5", "0x10"]
)
def test_non_numeric_close(tmp_path: Path, bad: str) -> None:
    row = f'2024-01-02,AAA,"{bad}"\n'
    message = error_of(tmp_path, HEADER + "2024-01-01,AAA,1\n" + row)
    assert "prices.csv:3:" in message
    assert "not a finite decimal number" in message


@pytest.mark.parametrize("bad", ["0", "0.000", "-1", "-0.5"])
def test_non_positive_close(tmp_path: Path, bad: str) -> None:
    message = error_of(tmp_path, HEADER + "2024-01-01,AAA,1\n" + f"2024-01-02,AAA,{bad}\n")
    assert "prices.csv:3:" in message
    assert "not positive" in message


def test_duplicate_names_both_lines(tmp_path: Path) -> None:
    text = HEADER + "2024-01-01,AAA,1\n2024-01-01,BBB,5\n2024-01-02,AAA,2\n2024-01-01,AAA,1\n"
    message = error_of(tmp_path, text)
    assert "prices.csv:5:" in message
    assert "lines 2 and 5" in message
    assert "AAA" in message and "2024-01-01" in message


def test_gap_names_the_asset_and_the_date(tmp_path: Path) -> None:
    text = (
        HEADER
        + "2024-01-01,AAA,1\n2024-01-01,BBB,5\n"
        + "2024-01-02,AAA,2\n"  # no BBB on 2024-01-02
        + "2024-01-03,AAA,3\n2024-01-03,BBB,6\n"
    )
    message = error_of(tmp_path, text)
    assert "prices.csv:4:" in message
    assert "BBB has no close on 2024-01-02" in message


def test_gap_reported_at_the_earliest_date_and_counted(tmp_path: Path) -> None:
    text = HEADER + "2024-01-03,AAA,3\n2024-01-02,BBB,2\n2024-01-01,AAA,1\n"
    message = error_of(tmp_path, text)
    # dates 01, 02, 03 for AAA and BBB: BBB misses 01 and 03, AAA misses 02
    assert "prices.csv:4:" in message
    assert "BBB has no close on 2024-01-01" in message
    assert "2 more" in message


# --- the table itself ------------------------------------------------------------------------


def test_price_table_refuses_bad_shapes_and_values() -> None:
    day1, day2 = date(2024, 1, 1), date(2024, 1, 2)
    good = PriceTable(
        assets=("A",), dates=(day1, day2), closes=((Decimal(1),), (Decimal(2),)), source="test"
    )
    bad: list[Callable[[], PriceTable]] = [
        lambda: replace(good, dates=(day2, day1)),
        lambda: replace(good, dates=(day1, day1)),
        lambda: replace(good, closes=((Decimal(1),),)),
        lambda: replace(good, closes=((Decimal(1),), (Decimal(0),))),
        lambda: replace(good, closes=((Decimal(1),), (Decimal(1), Decimal(2)))),
        lambda: replace(good, assets=()),
        lambda: replace(good, assets=("A", "A"), closes=((Decimal(1),) * 2, (Decimal(2),) * 2)),
        lambda: replace(good, source="two\nlines"),
    ]
    for table in bad:
        with pytest.raises(PriceDataError):
            table()

"""Loading real daily closes exactly and building historical-simulation scenario sets."""

from datetime import date
from decimal import Decimal

import pytest

from offchain.fixedpoint import WAD
from oracle.history import DailyCloses, PriceHistoryError, load_yahoo_daily_closes
from oracle.scenarios import ScenarioSet, daily_returns_wad, historical_simulation

NULL_DATES = (date(2020, 4, 17), date(2020, 10, 9), date(2020, 10, 12), date(2020, 10, 13))


@pytest.fixture(scope="module")
def eth() -> DailyCloses:
    return load_yahoo_daily_closes()


@pytest.fixture(scope="module")
def eth_returns(eth) -> dict[date, int]:
    return dict(daily_returns_wad(eth))


def write_csv(tmp_path, text: str):
    path = tmp_path / "prices.csv"
    path.write_text(text)
    return path


def round_half_even(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to the nearest integer, ties to even (denominator > 0)."""
    quotient, remainder = divmod(numerator, denominator)  # floor, 0 <= remainder < denominator
    if 2 * remainder > denominator or (2 * remainder == denominator and quotient % 2 == 1):
        quotient += 1
    return quotient


# --- the shipped ETH file --------------------------------------------------------------------


def test_shipped_eth_file_loads(eth):
    assert len(eth.closes) == len(eth.dates) == 2298
    assert eth.dates[0] == date(2015, 8, 7)
    assert eth.dates[-1] == date(2021, 11, 24)
    assert eth.closes[0] == Decimal("2.772120")
    assert all(isinstance(close, Decimal) and close > 0 for close in eth.closes)


def test_shipped_eth_file_reports_its_four_null_rows(eth):
    assert eth.missing == NULL_DATES
    assert not set(NULL_DATES) & set(eth.dates)


def test_no_return_is_taken_across_a_gap(eth_returns):
    # 2020-04-17 has no close: neither the return into it nor the one out of it exists.
    assert date(2020, 4, 16) in eth_returns
    assert date(2020, 4, 17) not in eth_returns
    assert date(2020, 4, 18) not in eth_returns
    assert date(2020, 4, 19) in eth_returns
    # 2020-10-09, -12, -13 are null: 10-10 and 10-14 have no return, 10-11 (from 10-10) does.
    assert date(2020, 10, 10) not in eth_returns
    assert date(2020, 10, 11) in eth_returns
    assert date(2020, 10, 14) not in eth_returns
    assert date(2020, 10, 15) in eth_returns


def test_daily_returns_count_and_order(eth):
    returns = daily_returns_wad(eth)
    # 2297 consecutive pairs of closes, 3 of them across a gap.
    assert len(returns) == 2294
    days = [day for day, _ in returns]
    assert days == sorted(days)
    assert days[0] == date(2015, 8, 8)


def test_one_positive_return_recomputed_from_the_csv_text(eth_returns):
    # 2020-04-15 close 153.286896, 2020-04-16 close 172.157379 (six decimals in the file).
    by_hand = round_half_even((172_157_379 - 153_286_896) * WAD, 153_286_896)
    assert by_hand == 123_105_650_205_089_938  # 0.1231056502050899380205...
    assert eth_returns[date(2020, 4, 16)] == by_hand


def test_one_negative_return_recomputed_from_the_csv_text(eth_returns):
    # 2020-03-11 close 194.868530, 2020-03-12 close 112.347122: the March 2020 crash.
    by_hand = round_half_even((112_347_122 - 194_868_530) * WAD, 194_868_530)
    assert by_hand == -423_472_214_831_199_271  # -0.4234722148311992706056...
    assert eth_returns[date(2020, 3, 12)] == by_hand


def test_historical_simulation_is_deterministic_and_names_its_window(eth):
    first = historical_simulation(eth, "ETH", n=1000, alpha_bps=9750)
    second = historical_simulation(load_yahoo_daily_closes(), "ETH", n=1000, alpha_bps=9750)
    assert first == second
    assert first.spot_returns == second.spot_returns
    assert isinstance(first.spot_returns, tuple)
    assert first.n == 1000
    assert first.assets == ("ETH",)
    assert first.alpha_bps == 9750
    # The last 1000 returns span 1007 calendar days back to 2019-02-22: seven days in 2020
    # carry no return (the four null dates, and 04-18, 10-10, 10-14 right after a gap).
    assert "ETH" in first.description
    assert "2019-02-22" in first.description
    assert "2021-11-24" in first.description


def test_historical_simulation_window_matches_the_last_returns(eth):
    returns = daily_returns_wad(eth)
    scenarios = historical_simulation(eth, "ETH", n=1000, alpha_bps=9750)
    assert scenarios.spot_returns == tuple((r,) for _, r in returns[-1000:])
    assert returns[-1000][0] == date(2019, 2, 22)


def test_historical_simulation_respects_end(eth):
    scenarios = historical_simulation(eth, "ETH", n=10, alpha_bps=9000, end=date(2020, 3, 12))
    assert scenarios.description.endswith("2020-03-03 to 2020-03-12")
    assert scenarios.spot_returns[-1] == (-423_472_214_831_199_271,)


def test_historical_simulation_refuses_more_scenarios_than_returns(eth):
    with pytest.raises(ValueError, match=r"only 2294 daily returns.*asked for 3000"):
        historical_simulation(eth, "ETH", n=3000, alpha_bps=9750)
    with pytest.raises(ValueError, match="asked for 11"):
        historical_simulation(eth, "ETH", n=11, alpha_bps=9750, end=date(2015, 8, 17))


@pytest.mark.parametrize("n", [0, -5])
def test_historical_simulation_refuses_non_positive_n(eth, n):
    # BUG (kept failing on purpose): returns[-n:] with n = 0 is the whole list and with
    # n = -5 all but the first five, so a non-positive n silently yields 2294 or 2289
    # scenarios instead of an error.
    with pytest.raises(ValueError):
        historical_simulation(eth, "ETH", n=n, alpha_bps=9750)


# --- ScenarioSet -----------------------------------------------------------------------------


def test_scenario_set_refuses_rows_of_the_wrong_asset_count():
    with pytest.raises(ValueError, match="scenario 1 has 1 returns and 2 vol shifts for 2 assets"):
        ScenarioSet(
            assets=("ETH", "BTC"),
            alpha_bps=9750,
            spot_returns=((1, 2), (3,), (4, 5)),
            vol_shifts=((0, 0), (0, 0), (0, 0)),
            description="test",
        )


def test_scenario_set_checks_its_tail_parameters():
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


def test_a_small_valid_file_with_a_null_row(tmp_path):
    path = write_csv(
        tmp_path,
        "Date,Close\n2021-01-01,100\n2021-01-02,null\n2021-01-03,110.5\n2021-01-04,99.45\n",
    )
    history = load_yahoo_daily_closes(path)
    assert history.dates == (date(2021, 1, 1), date(2021, 1, 3), date(2021, 1, 4))
    assert history.closes == (Decimal("100"), Decimal("110.5"), Decimal("99.45"))
    assert history.missing == (date(2021, 1, 2),)
    assert daily_returns_wad(history) == [(date(2021, 1, 4), -WAD // 10)]


def test_non_numeric_close_names_the_row(tmp_path):
    path = write_csv(tmp_path, "Date,Close\n2021-01-01,100\n2021-01-02,abc\n")
    with pytest.raises(PriceHistoryError, match=r"prices\.csv:3: close 'abc' is not a number"):
        load_yahoo_daily_closes(path)


@pytest.mark.parametrize("close", ["0", "0.000", "-12.5"])
def test_zero_or_negative_close_names_the_row(tmp_path, close):
    path = write_csv(tmp_path, f"Date,Close\n2021-01-01,100\n2021-01-02,101\n2021-01-03,{close}\n")
    with pytest.raises(PriceHistoryError, match=r"prices\.csv:4: close .* is not positive"):
        load_yahoo_daily_closes(path)


def test_dates_out_of_order_name_the_row(tmp_path):
    path = write_csv(tmp_path, "Date,Close\n2021-01-02,100\n2021-01-01,101\n")
    with pytest.raises(PriceHistoryError, match=r"prices\.csv:3: 2021-01-01 is not after"):
        load_yahoo_daily_closes(path)


def test_duplicated_date_names_the_row(tmp_path):
    path = write_csv(tmp_path, "Date,Close\n2021-01-01,100\n2021-01-02,101\n2021-01-02,102\n")
    with pytest.raises(PriceHistoryError, match=r"prices\.csv:4: 2021-01-02 is not after"):
        load_yahoo_daily_closes(path)


def test_bad_date_names_the_row(tmp_path):
    path = write_csv(tmp_path, "Date,Close\n2021-01-01,100\n01/02/2021,101\n")
    with pytest.raises(PriceHistoryError, match=r"prices\.csv:3: bad date '01/02/2021'"):
        load_yahoo_daily_closes(path)


@pytest.mark.parametrize(
    "header", ["Date,Open\n2021-01-01,1\n", "Day,Close\n2021-01-01,1\n", "date,close\n", ""]
)
def test_missing_columns_are_named(tmp_path, header):
    path = write_csv(tmp_path, header)
    with pytest.raises(PriceHistoryError, match="needs columns Date and Close"):
        load_yahoo_daily_closes(path)


def test_row_without_a_close_field_names_the_row(tmp_path):
    # BUG (kept failing on purpose): a short row leaves Close as None, and Decimal(None)
    # raises a bare TypeError ("conversion from NoneType to Decimal is not supported")
    # instead of a PriceHistoryError naming the file and row.
    path = write_csv(tmp_path, "Date,Close\n2021-01-01,100\n2021-01-02\n")
    with pytest.raises(PriceHistoryError, match=r"prices\.csv:3"):
        load_yahoo_daily_closes(path)

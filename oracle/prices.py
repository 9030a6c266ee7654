"""Real daily closes of several assets on common dates, for the scenario engine.

Two sources:

* the shipped series (``SHIPPED_ASSETS``): BTC and ETH from the CSV files in
  ``oracle/data`` (origin and flaws in ``oracle/data/README.md``), SP500, NASDAQ and
  WTI from the data sets inside the PyPI package ``arch`` (no network needed);
* a user's long-format CSV with header ``date,asset,close``.

Closes are prices in quote units (USD for every shipped asset; whatever the user's file
uses for theirs), kept as ``Decimal``. Closes read from text keep that text exactly;
closes that come from pandas as floats are converted through their shortest repr, so
``26.0`` becomes ``Decimal("26.0")`` and never a 50-digit binary expansion, and the same
data give the same table on every machine. Dates are calendar days (``datetime.date``).
Nothing is filled in: a date on which an asset has no close is left out of a shipped
table (inner join) and is an error in a user's file.
"""

import csv
import importlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib.resources import files
from itertools import pairwise
from pathlib import Path

import numpy

from vmargin.errors import InputError
from vmargin.oracle.history import PriceHistoryError, load_yahoo_daily_closes

BTC_USD_DAILY = files("vmargin.oracle") / "data" / "btc_usd_daily.csv"

SHIPPED_ASSETS: tuple[str, ...] = ("BTC", "ETH", "SP500", "NASDAQ", "WTI")

CSV_HEADER: tuple[str, ...] = ("date", "asset", "close")

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")

Series = tuple[tuple[date, Decimal], ...]
"""One asset's closes, ``(day, close)`` in strictly increasing date order."""


class PriceDataError(InputError):
    """Malformed or unusable price data; the message names the file and line (or the asset and
    date)."""


@dataclass(frozen=True)
class PriceTable:
    """Daily closes of several assets on common dates.

    ``closes[t][a]`` is the close of ``assets[a]`` on ``dates[t]``, a positive finite
    ``Decimal`` price in quote units, exactly as the source wrote it. ``source`` is one line
    saying where the data came from (package or file, assets, date range).
    """

    assets: tuple[str, ...]
    dates: tuple[date, ...]
    closes: tuple[tuple[Decimal, ...], ...]
    source: str

    def __post_init__(self) -> None:
        if not self.assets:
            raise PriceDataError("a price table needs at least one asset")
        if len(set(self.assets)) != len(self.assets):
            raise PriceDataError(f"repeated asset in {self.assets}")
        if not self.dates:
            raise PriceDataError(f"no dates for {', '.join(self.assets)}")
        if len(self.closes) != len(self.dates):
            raise PriceDataError(f"{len(self.dates)} dates but {len(self.closes)} rows of closes")
        for previous, day in pairwise(self.dates):
            if day <= previous:
                raise PriceDataError(f"dates not strictly increasing: {day} after {previous}")
        for day, row in zip(self.dates, self.closes, strict=True):
            if len(row) != len(self.assets):
                raise PriceDataError(
                    f"{day}: {len(row)} closes for {len(self.assets)} assets {self.assets}"
                )
            for asset, close in zip(self.assets, row, strict=True):
                if not isinstance(close, Decimal) or not close.is_finite() or close <= 0:
                    raise PriceDataError(f"{asset} on {day}: close {close!r} is not positive")
        if not self.source or "\n" in self.source:
            raise PriceDataError("the source must be one non-empty line")

    def closes_array(self) -> numpy.ndarray:
        """The closes as float64, shape ``(len(dates), len(assets))``, in quote units."""
        values = [[float(close) for close in row] for row in self.closes]
        return numpy.array(values, dtype=numpy.float64).reshape(len(self.dates), len(self.assets))


# --- the shipped series ----------------------------------------------------------------------


def _decimal_from_float(value: float, asset: str, day: date) -> Decimal:
    """A pandas float price as the Decimal of its shortest repr; refuses NaN, inf and <= 0."""
    try:
        close = Decimal(repr(float(value)))
    except (TypeError, ValueError, InvalidOperation) as error:
        raise PriceDataError(f"{asset} on {day}: close {value!r} is not a number") from error
    if not close.is_finite():
        raise PriceDataError(f"{asset} on {day}: close {value!r} is not a finite number")
    if close <= 0:
        raise PriceDataError(f"{asset} on {day}: close {close} is not positive")
    return close


def _checked_series(asset: str, days: list[date], closes: list[Decimal]) -> Series:
    """Pairs the days with the closes, refusing days that are not strictly increasing."""
    for previous, day in pairwise(days):
        if day <= previous:
            raise PriceDataError(f"{asset}: date {day} is not after the previous date {previous}")
    return tuple(zip(days, closes, strict=True))


@cache
def _load_btc() -> Series:
    """BTC/USD daily closes (USD) from the shipped Bitstamp/Coinbase candle file."""
    path = Path(str(BTC_USD_DAILY))
    days: list[date] = []
    closes: list[Decimal] = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {"timestamp", "close"} <= set(reader.fieldnames):
            raise PriceDataError(f"{path}:1: needs columns timestamp and close")
        for row in reader:
            line = reader.line_num
            stamp, text = row.get("timestamp"), row.get("close")
            if stamp is None or text is None:
                raise PriceDataError(f"{path}:{line}: the row has no timestamp or close field")
            try:
                moment = datetime.fromisoformat(stamp)
            except ValueError as error:
                raise PriceDataError(f"{path}:{line}: bad timestamp {stamp!r}") from error
            if moment.time() != datetime.min.time() or moment.tzinfo is not None:
                raise PriceDataError(f"{path}:{line}: timestamp {stamp!r} is not a plain midnight")
            close = _parse_close(text, f"{path}:{line}")
            if days and moment.date() <= days[-1]:
                raise PriceDataError(f"{path}:{line}: {moment.date()} is not after {days[-1]}")
            days.append(moment.date())
            closes.append(close)
    return tuple(zip(days, closes, strict=True))


@cache
def _load_eth() -> Series:
    """ETH/USD daily closes (USD) from the shipped Yahoo file; its null rows are left out."""
    try:
        history = load_yahoo_daily_closes()
    except PriceHistoryError as error:
        raise PriceDataError(str(error)) from error
    return tuple(zip(history.dates, history.closes, strict=True))


def _load_arch(asset: str, module_name: str, column: str) -> Series:
    """One column of a data set shipped in the ``arch`` package; missing values are left out."""
    frame = importlib.import_module(f"arch.data.{module_name}").load()
    if column not in frame.columns:
        raise PriceDataError(f"{asset}: arch.data.{module_name} has no column {column!r}")
    values = frame[column].dropna()
    days: list[date] = []
    closes: list[Decimal] = []
    for stamp, value in values.items():
        moment = stamp.to_pydatetime()
        if moment.time() != datetime.min.time():
            raise PriceDataError(f"{asset}: index entry {stamp} is not a plain date")
        days.append(moment.date())
        closes.append(_decimal_from_float(value, asset, moment.date()))
    return _checked_series(asset, days, closes)


@cache
def _load_sp500() -> Series:
    """S&P 500 index daily closes (index points, USD), 1999-01-04 to 2018-12-31."""
    return _load_arch("SP500", "sp500", "Close")


@cache
def _load_nasdaq() -> Series:
    """NASDAQ Composite index daily closes (index points, USD), 1999-01-04 to 2018-12-31."""
    return _load_arch("NASDAQ", "nasdaq", "Close")


@cache
def _load_wti() -> Series:
    """WTI crude spot (USD per barrel, FRED DCOILWTICO), 1986-01-02 to 2019-01-03, holidays
    (missing values) left out."""
    return _load_arch("WTI", "wti", "DCOILWTICO")


_SHIPPED: dict[str, tuple[Callable[[], Series], str]] = {
    "BTC": (_load_btc, "oracle/data/btc_usd_daily.csv"),
    "ETH": (_load_eth, "oracle/data/eth_usd_daily.csv"),
    "SP500": (_load_sp500, "arch.data.sp500 Close"),
    "NASDAQ": (_load_nasdaq, "arch.data.nasdaq Close"),
    "WTI": (_load_wti, "arch.data.wti DCOILWTICO"),
}


def load_shipped(
    assets: Sequence[str], start: date | None = None, end: date | None = None
) -> PriceTable:
    """Closes of the named shipped assets (USD prices; index points for SP500 and NASDAQ), in
    the order named.

    This is an inner join: the table holds only the dates on which every named asset has a
    close, so a gap in any one series (an ETH null row, a stock-market holiday, a weekend for
    the indices and WTI) removes that date for all of them; nothing is filled in. ``start``
    and ``end`` (inclusive) restrict it further. Unknown or repeated names, ``start`` after
    ``end`` and an empty result raise ``PriceDataError``.
    """
    if isinstance(assets, str):
        raise PriceDataError(f"assets must be a sequence of names, not the string {assets!r}")
    names = tuple(assets)
    if not names:
        raise PriceDataError(f"name at least one asset; known: {', '.join(SHIPPED_ASSETS)}")
    unknown = [name for name in names if name not in _SHIPPED]
    if unknown:
        raise PriceDataError(
            f"unknown asset {', '.join(map(repr, unknown))}; known: {', '.join(SHIPPED_ASSETS)}"
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise PriceDataError(f"asset named more than once: {', '.join(repeated)}")
    if start is not None and end is not None and start > end:
        raise PriceDataError(f"start {start} is after end {end}")

    columns = [dict(_SHIPPED[name][0]()) for name in names]
    common = set(columns[0]).intersection(*columns[1:])
    dates = sorted(
        day for day in common if (start is None or day >= start) and (end is None or day <= end)
    )
    window = f"{start or 'the beginning'} to {end or 'the end'}"
    if not dates:
        raise PriceDataError(f"{', '.join(names)} have no date with a close in common, {window}")
    closes = tuple(tuple(column[day] for column in columns) for day in dates)
    origins = "; ".join(f"{name} from {_SHIPPED[name][1]}" for name in names)
    source = (
        f"shipped daily closes ({origins}), dates where all have a close, "
        f"{dates[0]} to {dates[-1]}, {len(dates)} dates"
    )
    return PriceTable(assets=names, dates=tuple(dates), closes=closes, source=source)


# --- a user's CSV ----------------------------------------------------------------------------


def _parse_close(text: str, where: str) -> Decimal:
    """A close from its decimal text; refuses anything but a plain positive finite number."""
    if not _DECIMAL.fullmatch(text):
        raise PriceDataError(f"{where}: close {text!r} is not a finite decimal number")
    close = Decimal(text)
    if close <= 0:
        raise PriceDataError(f"{where}: close {text} is not positive")
    return close


def read_price_csv(path: Path) -> PriceTable:
    """A user's long-format CSV with header ``date,asset,close`` (ISO dates ``YYYY-MM-DD``,
    closes as plain decimal numbers in quote units, one row per asset and date).

    Rows may come in any order; the table is sorted by date and its assets are in order of
    first appearance. Every asset must have a close on every date that appears in the file:
    nothing is filled in. Blank lines are ignored; surrounding spaces in a field are
    stripped. A missing or wrong header, a row with the wrong number of fields, a bad date, a
    close that is not a finite decimal number (NaN and inf included) or not positive, the
    same date and asset twice, a missing close and a file with no rows raise
    ``PriceDataError`` naming ``path:line``.
    """
    path = Path(path)
    found: dict[tuple[date, str], tuple[Decimal, int]] = {}
    first_line_of_date: dict[date, tuple[int, str]] = {}
    assets: list[str] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise PriceDataError(f"{path}:1: empty file; expected the header date,asset,close")
            if tuple(field.strip().lower() for field in header) != CSV_HEADER:
                raise PriceDataError(
                    f"{path}:{reader.line_num}: expected the header date,asset,close, "
                    f"found {','.join(header)!r}"
                )
            for row in reader:
                line = reader.line_num
                where = f"{path}:{line}"
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if len(row) != len(CSV_HEADER):
                    raise PriceDataError(
                        f"{where}: expected 3 fields (date,asset,close), found {len(row)}"
                    )
                day_text, asset, close_text = (field.strip() for field in row)
                if not _ISO_DATE.fullmatch(day_text):
                    raise PriceDataError(f"{where}: bad date {day_text!r}, expected YYYY-MM-DD")
                try:
                    day = date.fromisoformat(day_text)
                except ValueError as error:
                    raise PriceDataError(f"{where}: bad date {day_text!r} ({error})") from error
                if not asset:
                    raise PriceDataError(f"{where}: empty asset name")
                close = _parse_close(close_text, where)
                if (day, asset) in found:
                    earlier = found[day, asset][1]
                    raise PriceDataError(
                        f"{where}: duplicate close for {asset} on {day} "
                        f"(lines {earlier} and {line})"
                    )
                found[day, asset] = (close, line)
                first_line_of_date.setdefault(day, (line, asset))
                if asset not in assets:
                    assets.append(asset)
    except UnicodeDecodeError as error:
        raise PriceDataError(f"{path}: not UTF-8 text ({error})") from error
    except csv.Error as error:
        raise PriceDataError(f"{path}: unreadable CSV ({error})") from error

    if not found:
        raise PriceDataError(f"{path}: no price rows after the header")
    dates = sorted(first_line_of_date)
    gaps = [(day, asset) for day in dates for asset in assets if (day, asset) not in found]
    if gaps:
        day, asset = gaps[0]
        line, other = first_line_of_date[day]
        more = f" (and {len(gaps) - 1} more missing closes)" if len(gaps) > 1 else ""
        raise PriceDataError(
            f"{path}:{line}: {asset} has no close on {day} (line {line} gives {other} on that "
            f"date; every asset needs a close on every date){more}"
        )
    closes = tuple(tuple(found[day, asset][0] for asset in assets) for day in dates)
    source = (
        f"{path}: daily closes of {', '.join(assets)}, {dates[0]} to {dates[-1]}, "
        f"{len(dates)} dates"
    )
    return PriceTable(assets=tuple(assets), dates=tuple(dates), closes=closes, source=source)

"""Real daily price history, loaded exactly.

The project ships ``oracle/data/eth_usd_daily.csv`` (Yahoo Finance ETH-USD,
2015-08-07 to 2021-11-24; origin and flaws in ``oracle/data/README.md``). Closes
are kept as ``Decimal`` from their text, so returns computed from them are exact.
Rows whose close reads ``null`` are gaps in the real data: they are not filled,
they are listed in ``DailyCloses.missing`` and no return is taken across them.
"""

import csv
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib.resources import files
from pathlib import Path

from vmargin.errors import InputError

ETH_USD_DAILY = files("vmargin.oracle") / "data" / "eth_usd_daily.csv"


class PriceHistoryError(InputError):
    """A price file is malformed; the message names the file and row."""


@dataclass(frozen=True)
class DailyCloses:
    """Daily closes in date order; ``missing`` lists the dates whose close is null."""

    dates: tuple[date, ...]
    closes: tuple[Decimal, ...]
    missing: tuple[date, ...]


def load_yahoo_daily_closes(path: Path | None = None) -> DailyCloses:
    """Closes from a Yahoo Finance daily CSV (``Date`` and ``Close`` columns)."""
    source = Path(str(path or ETH_USD_DAILY))
    dates: list[date] = []
    closes: list[Decimal] = []
    missing: list[date] = []
    previous: date | None = None
    with source.open(newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {"Date", "Close"} <= set(reader.fieldnames):
            raise PriceHistoryError(f"{source}: needs columns Date and Close")
        for line, row in enumerate(reader, start=2):
            if row["Date"] is None or row["Close"] is None:
                raise PriceHistoryError(f"{source}:{line}: the row has no Date or Close field")
            try:
                day = date.fromisoformat(row["Date"])
            except ValueError as error:
                raise PriceHistoryError(f"{source}:{line}: bad date {row['Date']!r}") from error
            if previous is not None and day <= previous:
                raise PriceHistoryError(f"{source}:{line}: {day} is not after the previous row")
            previous = day
            if row["Close"] == "null":
                missing.append(day)
                continue
            try:
                close = Decimal(row["Close"])
            except InvalidOperation as error:
                raise PriceHistoryError(
                    f"{source}:{line}: close {row['Close']!r} is not a number"
                ) from error
            if not close.is_finite() or close <= 0:
                raise PriceHistoryError(f"{source}:{line}: close {close} is not positive")
            dates.append(day)
            closes.append(close)
    return DailyCloses(dates=tuple(dates), closes=tuple(closes), missing=tuple(missing))

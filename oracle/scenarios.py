"""Scenario sets from price history.

A scenario is one simple spot return and one implied-vol shift per asset, as WAD
integers. Plain
historical simulation takes the last N one-day returns of the history; a return
is taken only between two consecutive calendar days that both have a close, so a
gap in the data (a null row) removes the two returns around it rather than
inventing a two-day return. Each return ``close_t / close_{t-1} - 1`` is computed
exactly from the decimal closes and rounded once to the nearest WAD integer, ties
to even: the same file gives the same integers on every machine. Plain historical
simulation has no implied-vol history to draw from, so its vol shifts are 0
(options are revalued at an unchanged vol); vol scenarios come with the scenario
engine.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from offchain.expected_shortfall import tail_weight
from offchain.fixedpoint import WAD
from oracle.history import DailyCloses


@dataclass(frozen=True)
class ScenarioSet:
    """N scenarios over ``assets``, one WAD spot return and one WAD vol shift per asset
    each, with ES level alpha; the method that built them with every parameter it used,
    and which scenarios are added stress scenarios (default: none)."""

    assets: tuple[str, ...]
    alpha_bps: int
    spot_returns: tuple[tuple[int, ...], ...]
    vol_shifts: tuple[tuple[int, ...], ...]
    description: str
    method: str = "historical"
    parameters: Mapping[str, Any] = field(default_factory=dict)
    stress: tuple[bool, ...] = ()

    def __post_init__(self) -> None:
        if not self.stress:
            object.__setattr__(self, "stress", (False,) * len(self.spot_returns))
        if len(self.stress) != len(self.spot_returns):
            raise ValueError(
                f"{len(self.spot_returns)} scenarios but {len(self.stress)} stress flags"
            )
        tail_weight(len(self.spot_returns), self.alpha_bps)
        if len(self.vol_shifts) != len(self.spot_returns):
            raise ValueError(
                f"{len(self.spot_returns)} scenarios but {len(self.vol_shifts)} rows of vol shifts"
            )
        for index, (returns, shifts) in enumerate(
            zip(self.spot_returns, self.vol_shifts, strict=True)
        ):
            if len(returns) != len(self.assets) or len(shifts) != len(self.assets):
                raise ValueError(
                    f"scenario {index} has {len(returns)} returns and {len(shifts)} vol shifts "
                    f"for {len(self.assets)} assets"
                )

    @property
    def n(self) -> int:
        """The number of scenarios."""
        return len(self.spot_returns)


def daily_returns_wad(history: DailyCloses) -> list[tuple[date, int]]:
    """(day, WAD simple return from the day before) for every pair of consecutive days."""
    returns = []
    for i in range(1, len(history.dates)):
        if history.dates[i] - history.dates[i - 1] != timedelta(days=1):
            continue
        ratio = Fraction(history.closes[i]) / Fraction(history.closes[i - 1])
        returns.append((history.dates[i], round((ratio - 1) * WAD)))
    return returns


def historical_simulation(
    history: DailyCloses, asset: str, n: int, alpha_bps: int, end: date | None = None
) -> ScenarioSet:
    """The last ``n`` one-day returns of ``history`` up to ``end`` (inclusive; default: all)."""
    if n <= 0:
        raise ValueError(f"the number of scenarios must be positive, got {n}")
    returns = [(day, r) for day, r in daily_returns_wad(history) if end is None or day <= end]
    if len(returns) < n:
        until = "" if end is None else f" up to {end}"
        raise ValueError(f"{asset}: only {len(returns)} daily returns{until}, asked for {n}")
    window = returns[-n:]
    return ScenarioSet(
        assets=(asset,),
        alpha_bps=alpha_bps,
        spot_returns=tuple((r,) for _, r in window),
        vol_shifts=tuple((0,) for _ in window),
        description=(
            f"historical simulation, {asset} one-day returns {window[0][0]} to {window[-1][0]}"
        ),
    )

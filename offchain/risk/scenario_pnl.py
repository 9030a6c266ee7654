"""The instruments of many accounts and their P&L per unit in every scenario.

The batch engines (``offchain/risk/batch_expected_shortfall.py``) take losses as
``ceil(-(sizes @ unit_pnl) / WAD)``. An instrument is a column of that product: an asset's
spot exposure (perps and haircut spot collateral, whose unit moves with the spot) or an
unsettled option series. ``book`` lays accounts out as rows of sizes over the instruments
any of them holds; ``exact_unit_pnl`` gives each instrument's unit P&L exactly as
``portfolio.scenario_loss`` computes it (``mul_wad(spot, r, FLOOR)`` for a spot unit, the
fixed-point Black-Scholes ``shocked_value - option_value`` for an option), so
``exact_tail_risk(book.sizes, exact_unit_pnl(...))`` equals ``assess`` account by account.

The exact option pricer is Python integer arithmetic, about a hundred microseconds a
price. ``float_unit_pnl`` prices options in float64, vectorized over scenarios, for
screening, and returns per instrument a bound on its distance to the exact unit P&L:
``FLOAT_PRICER_ERROR * (max(shocked spot, K) + max(spot, K)) + 2 * PRICER_ABSOLUTE_ERROR``
over the scenarios. The fixed-point pricer is within ``1.02e-16 * max(S, K) + 10`` wei of
Black-Scholes (docs/numerics.md), the float64 one within a few 1e-16 of it
(``benchmarks/accuracy_option_pricing.py`` measures both); the constants below are far
above both, so the screen's bound holds.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from vmargin.numerics.black_scholes import MAX_VOLATILITY
from vmargin.numerics.fixedpoint import WAD, Rounding, mul_wad
from vmargin.numerics.option_valuation import (
    OptionSeries,
    option_value,
    shocked_value,
    years_to_expiry,
)
from vmargin.numerics.portfolio import Account, AssetNotInScenarioSet, Marks

FLOAT_PRICER_ERROR = 2.0**-40
PRICER_ABSOLUTE_ERROR = 1024.0


@dataclass(frozen=True)
class Instrument:
    """A column of the loss product: ``asset``'s spot exposure when ``series`` is None,
    else the option series ``series_id``."""

    asset: int
    series_id: int | None = None
    series: OptionSeries | None = None


@dataclass(frozen=True)
class Book:
    """Accounts as rows of ``sizes`` (A x I object array of WAD ints) over ``instruments``."""

    instruments: tuple[Instrument, ...]
    sizes: np.ndarray


def book(accounts: Sequence[Account], covered_assets: int) -> Book:
    """The instruments ``accounts`` hold and their sizes: spot exposures by asset, then
    unsettled option series by id (a settled series no longer moves with a scenario).

    Raises AssetNotInScenarioSet, as ``scenario_loss`` does, for an account that holds an
    asset (a settled option's included) beyond the ``covered_assets`` the scenarios cover.
    """
    columns: dict[tuple[int, int], Instrument] = {}
    for account in accounts:
        for asset in account.assets:
            if asset >= covered_assets:
                raise AssetNotInScenarioSet(
                    f"{account.address} holds asset {asset}; the scenarios cover {covered_assets}"
                )
        for asset in account.spot_exposure:
            columns.setdefault((0, asset), Instrument(asset=asset))
        for option in account.options:
            if not option.settlement_price:
                columns.setdefault(
                    (1, option.series_id),
                    Instrument(option.series.asset, option.series_id, option.series),
                )
    instruments = tuple(columns[key] for key in sorted(columns))
    index = {key: i for i, key in enumerate(sorted(columns))}
    sizes = np.zeros((len(accounts), len(instruments)), dtype=object)
    for row, account in enumerate(accounts):
        for asset, units in account.spot_exposure.items():
            sizes[row, index[(0, asset)]] = units
        for option in account.options:
            if not option.settlement_price:
                sizes[row, index[(1, option.series_id)]] += option.position.size
    return Book(instruments=instruments, sizes=sizes)


def exact_unit_pnl(
    instruments: Sequence[Instrument],
    marks: Marks,
    spot_returns: Sequence[Sequence[int]],
    vol_shifts: Sequence[Sequence[int]],
) -> np.ndarray:
    """I x N object array: each instrument's P&L per unit in every scenario (WAD), with the
    integer arithmetic of ``portfolio.scenario_loss``; scenarios give each asset's spot
    return and vol shift (WAD)."""
    rows = []
    for instrument in instruments:
        asset = instrument.asset
        spot = marks.spot[asset]
        if instrument.series is None:
            rows.append([mul_wad(spot, r[asset], Rounding.FLOOR) for r in spot_returns])
            continue
        vol = marks.vol[asset]
        value = option_value(instrument.series, spot, vol, marks.now)
        rows.append(
            [
                shocked_value(
                    instrument.series,
                    spot=spot,
                    vol=vol,
                    spot_return=r[asset],
                    vol_shift=v[asset],
                    now=marks.now,
                )
                - value
                for r, v in zip(spot_returns, vol_shifts, strict=True)
            ]
        )
    return np.array(rows, dtype=object).reshape(len(instruments), len(spot_returns))


def float_unit_pnl(
    instruments: Sequence[Instrument],
    marks: Marks,
    spot_returns: Sequence[Sequence[int]],
    vol_shifts: Sequence[Sequence[int]],
) -> tuple[np.ndarray, np.ndarray]:
    """I x N float64 unit P&L and, per instrument, a bound on its distance to
    ``exact_unit_pnl`` in every scenario (WAD). Spot units are the exact integers rounded
    (bound 0: the product's error bound covers that rounding); options are priced in
    float64 at the exact shocked spots and vols."""
    pnl = np.empty((len(instruments), len(spot_returns)))
    error = np.zeros(len(instruments))
    for i, instrument in enumerate(instruments):
        asset = instrument.asset
        spot, vol = marks.spot[asset], marks.vol[asset]
        moves = [mul_wad(spot, r[asset], Rounding.FLOOR) for r in spot_returns]
        if instrument.series is None:
            pnl[i] = np.array(moves, dtype=np.float64)
            continue
        series = instrument.series
        shocked_spots = np.array([max(spot + move, 1) for move in moves], dtype=np.float64)
        shocked_vols = np.array(
            [min(max(vol + v[asset], 0), MAX_VOLATILITY) for v in vol_shifts],
            dtype=np.float64,
        )
        years = years_to_expiry(series.expiry, marks.now) / WAD
        base = float_option_values(series, np.array([float(spot)]), np.array([float(vol)]), years)
        pnl[i] = float_option_values(series, shocked_spots, shocked_vols, years) - base
        strike = float(series.strike)
        error[i] = (
            FLOAT_PRICER_ERROR
            * (np.maximum(shocked_spots, strike).max() + max(float(spot), strike))
            + 2 * PRICER_ABSOLUTE_ERROR
        )
    return pnl, error


def float_option_values(
    series: OptionSeries, spots: np.ndarray, vols: np.ndarray, years: float
) -> np.ndarray:
    """Black-Scholes values (rate 0) of one option of ``series`` at each spot and vol (WAD
    floats), ``years`` to expiry; the intrinsic value where vol * sqrt(years) is 0."""
    strike = float(series.strike)
    sigma_root_t = vols / WAD * np.sqrt(years)
    intrinsic = (
        np.maximum(spots - strike, 0.0) if series.is_call else np.maximum(strike - spots, 0.0)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = np.log(spots / strike) / sigma_root_t + sigma_root_t / 2
        d2 = d1 - sigma_root_t
        if series.is_call:
            price = spots * ndtr(d1) - strike * ndtr(d2)
        else:
            price = strike * ndtr(-d2) - spots * ndtr(-d1)
    return np.where(sigma_root_t > 0, np.maximum(price, 0.0), intrinsic)

"""European options in an account: series, marks and scenario values, per unit of underlying.

Python twin of ``contracts/libraries/OptionValuation.sol``. Black-Scholes with rate 0;
time to expiry in years is ``floor((expiry - now) * 1e18 / 365 days)`` and 0 from expiry
on, where Black-Scholes gives the exact intrinsic value. Under a scenario the spot moves
to ``max(spot + mul_wad(spot, r, FLOOR), 1)`` and the vol to ``vol + shift`` clamped to
``[0, MAX_VOLATILITY]``. Prices, strikes and vols are WAD; times are unix seconds.
"""

from dataclasses import dataclass

from vmargin.numerics.black_scholes import MAX_VOLATILITY, call_price, put_price
from vmargin.numerics.fixedpoint import WAD, Rounding, mul_div, mul_wad

YEAR = 365 * 24 * 60 * 60


@dataclass(frozen=True)
class OptionSeries:
    """Calls or puts on ``asset`` (its oracle number) at ``strike`` (WAD) until ``expiry``."""

    asset: int
    strike: int
    expiry: int
    is_call: bool


def years_to_expiry(expiry: int, now: int) -> int:
    """Years from ``now`` to ``expiry`` as WAD, rounded down; 0 at and after expiry."""
    if expiry <= now:
        return 0
    return mul_div(expiry - now, WAD, YEAR, Rounding.FLOOR)


def option_value(series: OptionSeries, spot: int, vol: int, now: int) -> int:
    """The Black-Scholes value (rate 0) of one option at ``spot`` and implied ``vol``."""
    price = call_price if series.is_call else put_price
    return price(spot, series.strike, vol, years_to_expiry(series.expiry, now), 0)


def intrinsic_value(series: OptionSeries, price: int) -> int:
    """The value of one option at expiry when the underlying settles at ``price`` (WAD)."""
    payoff = price - series.strike if series.is_call else series.strike - price
    return max(payoff, 0)


def shocked_value(
    series: OptionSeries, *, spot: int, vol: int, spot_return: int, vol_shift: int, now: int
) -> int:
    """The value of one option after a scenario moves the spot by ``spot_return`` and the
    implied vol by ``vol_shift`` (both WAD)."""
    shocked_spot = max(spot + mul_wad(spot, spot_return, Rounding.FLOOR), 1)
    shocked_vol = min(max(vol + vol_shift, 0), MAX_VOLATILITY)
    return option_value(series, shocked_spot, shocked_vol, now)

"""European option prices and Greeks in signed WAD fixed point: Black-Scholes and Black-76.

Python twin of ``contracts/libraries/BlackScholes.sol``: the same integer for every
input in the domain, and the same failure (an :class:`OptionDomainError` subclass named
and parametrized like the contract's custom error) outside it. Spec, rounding and
measured errors: docs/numerics.md ("Black-Scholes and Black-76").

Units: every argument and result is an integer scaled by ``WAD = 10**18``. ``spot``,
``forward`` and ``strike`` are prices in quote units; ``sigma`` is the volatility per
year (1e18 = 100%); ``time`` is the time to expiry in years; ``rate`` is the
continuously compounded rate per year. Prices are in quote units, deltas in
(quote per quote), vega per unit of volatility (1e18 = 100 vol points).

One algorithm for every function::

    rT = mul_wad(r, T, TRUNC)            D = exp_wad(-rT)
    sqrtT = sqrt_wad(T) (floor)          v = mul_wad(sigma, sqrtT, FLOOR)
    Black-Scholes: s = S,                 k = mul_wad(K, D, FLOOR), m = ln(S) - ln(K) + rT
    Black-76:      s = mul_wad(F, D, FLOOR), k = mul_wad(K, D, FLOOR), m = ln(F) - ln(K)
    d1 = div_wad(m, v, TRUNC) + mul_div(v, 1, 2, FLOOR),   d2 = d1 - v
    call = mul_wad(s, N(d1), FLOOR) - mul_wad(k, N(d2), FLOOR)
    put  = mul_wad(k, N(-d2), FLOOR) - mul_wad(s, N(-d1), FLOOR)

(ln is ``ln_wad``, N is ``normal_distribution.cdf``), a price below 0 is returned as 0,
and when v == 0 (sigma == 0, T == 0, or sigma * sqrt(T) below 1 wei) the price is the
discounted intrinsic value max(s - k, 0) or max(k - s, 0).
"""

from vmargin.errors import InputError
from vmargin.numerics.exponential import exp_wad, ln_wad
from vmargin.numerics.fixedpoint import WAD, Rounding, div_wad, mul_div, mul_wad, sqrt_wad
from vmargin.numerics.normal_distribution import cdf, pdf

#: Largest spot, forward or strike: 1e18 quote units (1e36 wei).
MAX_PRICE = 10**36
#: Largest volatility: 100 (10,000% a year).
MAX_VOLATILITY = 100 * WAD
#: Largest time to expiry: 100 years.
MAX_TIME = 100 * WAD
#: Largest |rate|: 10 (1,000% a year).
MAX_RATE = 10 * WAD
#: Largest |mul_wad(rate, time, TRUNC)|: 40, so e^{-rT} is in [4e-18, 2.4e17].
MAX_RATE_TIME = 40 * WAD


class OptionDomainError(InputError):
    """An input outside the domain; the contract reverts with the error of this name.

    ``arguments`` holds the error's parameters by their Solidity names.
    """

    def __init__(self, **arguments: int) -> None:
        self.arguments = arguments
        shown = ", ".join(f"{name}={value}" for name, value in arguments.items())
        super().__init__(f"{type(self).__name__}({shown})")

    @property
    def error(self) -> str:
        """The contract's custom error name."""
        return type(self).__name__


class NonPositiveSpot(OptionDomainError):
    """spot <= 0."""


class NonPositiveForward(OptionDomainError):
    """forward <= 0."""


class NonPositiveStrike(OptionDomainError):
    """strike <= 0."""


class PriceTooLarge(OptionDomainError):
    """spot, forward or strike above MAX_PRICE."""


class NegativeVolatility(OptionDomainError):
    """sigma < 0."""


class VolatilityTooLarge(OptionDomainError):
    """sigma above MAX_VOLATILITY."""


class NegativeTime(OptionDomainError):
    """time < 0."""


class TimeTooLarge(OptionDomainError):
    """time above MAX_TIME."""


class RateOutOfRange(OptionDomainError):
    """|rate| above MAX_RATE."""


class DiscountOutOfRange(OptionDomainError):
    """|mul_wad(rate, time, TRUNC)| above MAX_RATE_TIME."""


def call_price(spot: int, strike: int, sigma: int, time: int, rate: int) -> int:
    """Black-Scholes call S N(d1) - K e^{-rT} N(d2), WAD quote units, >= 0."""
    s, k, m, v, _ = _spot_inputs(spot, strike, sigma, time, rate)
    return _call(s, k, m, v)


def put_price(spot: int, strike: int, sigma: int, time: int, rate: int) -> int:
    """Black-Scholes put K e^{-rT} N(-d2) - S N(-d1) (its own formula), WAD, >= 0."""
    s, k, m, v, _ = _spot_inputs(spot, strike, sigma, time, rate)
    return _put(s, k, m, v)


def black76_call(forward: int, strike: int, sigma: int, time: int, rate: int) -> int:
    """Black-76 call e^{-rT} (F N(d1) - K N(d2)), WAD quote units, >= 0."""
    s, k, m, v = _forward_inputs(forward, strike, sigma, time, rate)
    return _call(s, k, m, v)


def black76_put(forward: int, strike: int, sigma: int, time: int, rate: int) -> int:
    """Black-76 put e^{-rT} (K N(-d2) - F N(-d1)), WAD quote units, >= 0."""
    s, k, m, v = _forward_inputs(forward, strike, sigma, time, rate)
    return _put(s, k, m, v)


def call_delta(spot: int, strike: int, sigma: int, time: int, rate: int) -> int:
    """Black-Scholes call delta N(d1) in [0, WAD]; at v == 0: WAD, 0 or WAD/2 as s >, <, == k."""
    s, k, m, v, _ = _spot_inputs(spot, strike, sigma, time, rate)
    if v == 0:
        return WAD if s > k else (0 if s < k else WAD // 2)
    return cdf(_d1(m, v))


def put_delta(spot: int, strike: int, sigma: int, time: int, rate: int) -> int:
    """Black-Scholes put delta -N(-d1) in [-WAD, 0]; at v == 0: 0, -WAD or -WAD/2."""
    s, k, m, v, _ = _spot_inputs(spot, strike, sigma, time, rate)
    if v == 0:
        return 0 if s > k else (-WAD if s < k else -(WAD // 2))
    return -cdf(-_d1(m, v))


def vega(spot: int, strike: int, sigma: int, time: int, rate: int) -> int:
    """Black-Scholes vega S phi(d1) sqrt(T) per unit of volatility, WAD, rounded down twice.

    At v == 0 the sigma -> 0 limit: the same formula with d1 = 0 if s == k, else 0.
    """
    s, k, m, v, sqrt_t = _spot_inputs(spot, strike, sigma, time, rate)
    if v == 0:
        if s != k:
            return 0
        d1 = 0
    else:
        d1 = _d1(m, v)
    return mul_wad(mul_wad(s, pdf(d1), Rounding.FLOOR), sqrt_t, Rounding.FLOOR)


def _call(s: int, k: int, m: int, v: int) -> int:
    if v == 0:
        return max(s - k, 0)
    d1 = _d1(m, v)
    price = mul_wad(s, cdf(d1), Rounding.FLOOR) - mul_wad(k, cdf(d1 - v), Rounding.FLOOR)
    return max(price, 0)


def _put(s: int, k: int, m: int, v: int) -> int:
    if v == 0:
        return max(k - s, 0)
    d1 = _d1(m, v)
    price = mul_wad(k, cdf(v - d1), Rounding.FLOOR) - mul_wad(s, cdf(-d1), Rounding.FLOOR)
    return max(price, 0)


def _d1(m: int, v: int) -> int:
    """m / v + v / 2 for v > 0."""
    return div_wad(m, v, Rounding.TRUNC) + mul_div(v, 1, 2, Rounding.FLOOR)


def _spot_inputs(
    spot: int, strike: int, sigma: int, time: int, rate: int
) -> tuple[int, int, int, int, int]:
    """Check a spot function's inputs; return (s, k, m, v, sqrtT)."""
    if spot <= 0:
        raise NonPositiveSpot(spot=spot)
    if spot > MAX_PRICE:
        raise PriceTooLarge(price=spot)
    rt, v, sqrt_t = _check_common(strike, sigma, time, rate)
    k = mul_wad(strike, exp_wad(-rt), Rounding.FLOOR)
    m = ln_wad(spot) - ln_wad(strike) + rt
    return spot, k, m, v, sqrt_t


def _forward_inputs(
    forward: int, strike: int, sigma: int, time: int, rate: int
) -> tuple[int, int, int, int]:
    """Check a Black-76 function's inputs; return (s, k, m, v)."""
    if forward <= 0:
        raise NonPositiveForward(forward=forward)
    if forward > MAX_PRICE:
        raise PriceTooLarge(price=forward)
    rt, v, _ = _check_common(strike, sigma, time, rate)
    discount = exp_wad(-rt)
    s = mul_wad(forward, discount, Rounding.FLOOR)
    k = mul_wad(strike, discount, Rounding.FLOOR)
    return s, k, ln_wad(forward) - ln_wad(strike), v


def _check_common(strike: int, sigma: int, time: int, rate: int) -> tuple[int, int, int]:
    """Check strike, sigma, time and rate in the contract's order; return (rT, v, sqrtT)."""
    if strike <= 0:
        raise NonPositiveStrike(strike=strike)
    if strike > MAX_PRICE:
        raise PriceTooLarge(price=strike)
    if sigma < 0:
        raise NegativeVolatility(sigma=sigma)
    if sigma > MAX_VOLATILITY:
        raise VolatilityTooLarge(sigma=sigma)
    if time < 0:
        raise NegativeTime(time=time)
    if time > MAX_TIME:
        raise TimeTooLarge(time=time)
    if not -MAX_RATE <= rate <= MAX_RATE:
        raise RateOutOfRange(rate=rate)
    rt = mul_wad(rate, time, Rounding.TRUNC)
    if not -MAX_RATE_TIME <= rt <= MAX_RATE_TIME:
        raise DiscountOutOfRange(rate=rate, time=time)
    sqrt_t = sqrt_wad(time)
    return rt, mul_wad(sigma, sqrt_t, Rounding.FLOOR), sqrt_t

"""Scenario generation in floats: historical, filtered historical, Monte Carlo and stress.

Every method turns daily closes into ``RawScenarios`` (spot returns and vol shifts per
asset, stress flags, every parameter used); ``vmargin.oracle.scenario_file`` quantizes them
to WAD once. The specification (units, holding periods, the FHS filters and vol floor, the
Monte Carlo model and draw order, the realized-vol proxy behind the vol shifts, and the
rules that keep the floats identical on every machine) is ``docs/scenario_methods.md``.
"""

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from vmargin.errors import InputError

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class VolatilityModel(StrEnum):
    """The conditional vol that filtered historical simulation devolatilizes returns by;
    ``parameters["model"]`` records the value."""

    EWMA = "ewma"
    GARCH = "garch"


SEED_DAYS = 30
"""The variance filters start from the mean square of this many first returns of the history."""

VOL_PROXY_LAMBDA = 0.94
"""EWMA decay of the realized-vol proxy behind every vol shift (RiskMetrics daily value)."""

DEFAULT_DAYS_PER_YEAR = 365
"""Annualization of the vol proxy: crypto trades every day."""

DEFAULT_FLOOR_QUANTILE = 0.75
"""FHS vol floor: this quantile of the asset's conditional vol over its whole history."""

DOF_BOUNDS = (3.0, 30.0)
"""Clamp of the method-of-moments Student-t degrees of freedom."""

GARCH_SIGNIFICANT_DIGITS = 8
"""Fitted GARCH parameters are rounded to this many significant digits before use."""

GARCH_MIN_RETURNS = 100
"""A GARCH(1,1) fit needs at least this many returns."""

_PIVOT_TOLERANCE = 1e-10
"""Cholesky: a pivot at most this fraction of its diagonal entry counts as zero."""

_ABOVE_MINUS_ONE = float(np.nextafter(-1.0, 0.0))


@dataclass(frozen=True)
class RawScenarios:
    """N scenarios over A assets, floats.

    ``spot_returns`` (N, A): simple returns over the holding period, e.g. -0.2 = -20%, always
    > -1. ``vol_shifts`` (N, A): additive shifts of annualized implied vol, e.g. 0.5 = +50 vol
    points. ``stress`` (N,), bool: True for added stress scenarios. ``parameters``: every
    parameter used, including fitted or estimated ones, JSON-serializable.

    The arrays are copied and made read-only on construction.
    """

    spot_returns: FloatArray
    vol_shifts: FloatArray
    stress: BoolArray
    parameters: dict[str, object]

    def __post_init__(self) -> None:
        spot = np.array(self.spot_returns, dtype=np.float64)
        shifts = np.array(self.vol_shifts, dtype=np.float64)
        stress = np.array(self.stress)
        if spot.ndim != 2 or spot.shape[1] < 1:
            raise InputError(f"spot_returns must have shape (N, A) with A >= 1, got {spot.shape}")
        if shifts.shape != spot.shape:
            raise InputError(
                f"vol_shifts has shape {shifts.shape} but spot_returns has shape {spot.shape}"
            )
        if stress.shape != (spot.shape[0],) or stress.dtype != np.bool_:
            raise InputError(
                f"stress must be a bool array of shape ({spot.shape[0]},), "
                f"got {stress.dtype} {stress.shape}"
            )
        if not np.isfinite(spot).all() or not np.isfinite(shifts).all():
            raise InputError("spot_returns and vol_shifts must be finite")
        if not (spot > -1.0).all():
            raise InputError("every spot return must be > -1 (a price cannot reach zero)")
        try:
            json.dumps(self.parameters, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise InputError(f"parameters must be JSON-serializable: {error}") from error
        for name, array in (("spot_returns", spot), ("vol_shifts", shifts), ("stress", stress)):
            array.setflags(write=False)
            object.__setattr__(self, name, array)

    @property
    def n(self) -> int:
        """The number of scenarios N."""
        return int(self.spot_returns.shape[0])

    @property
    def assets(self) -> int:
        """The number of assets A."""
        return int(self.spot_returns.shape[1])


# --- input checks ---------------------------------------------------------------------------


def _check_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InputError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise InputError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _check_closes(closes: np.ndarray) -> FloatArray:
    """``closes`` as a float64 (T, A) array with T >= 2, A >= 1, every value finite and > 0."""
    array = np.asarray(closes, dtype=np.float64)
    if array.ndim != 2:
        raise InputError(
            f"closes must be a 2-D array (dates, assets), got {array.ndim} dimension(s)"
        )
    if array.shape[0] < 2 or array.shape[1] < 1:
        raise InputError(f"closes needs at least 2 dates and 1 asset, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise InputError("closes must be finite")
    if not (array > 0.0).all():
        row, column = np.argwhere(~(array > 0.0))[0]
        raise InputError(
            f"closes must be > 0, got {array[row, column]} at row {row}, asset {column}"
        )
    return array


def _check_window(window: object, horizon: object, returns_available: int) -> tuple[int, int]:
    window = _check_int("window", window, 1)
    horizon = _check_int("horizon", horizon, 1)
    if window > returns_available:
        raise InputError(
            f"window of {window} daily returns is longer than the data: "
            f"{returns_available + 1} closes give {returns_available} returns"
        )
    if horizon > window:
        raise InputError(f"horizon of {horizon} days does not fit in a window of {window} returns")
    return window, horizon


def _check_days_per_year(days_per_year: object) -> int:
    return _check_int("days_per_year", days_per_year, 1)


# --- deterministic arithmetic ---------------------------------------------------------------


def _elementwise(function: Callable[[float], float], values: FloatArray) -> FloatArray:
    """``function`` (a ``math`` function) applied element by element in Python floats."""
    flat = [function(x) for x in values.ravel().tolist()]
    return np.array(flat, dtype=np.float64).reshape(values.shape)


def _simple_returns(log_sums: FloatArray) -> FloatArray:
    """``exp(log_sums) - 1``, kept strictly above -1."""
    return np.maximum(_elementwise(math.expm1, log_sums), _ABOVE_MINUS_ONE)


def _mean_square(column: FloatArray) -> float:
    """Mean of the squares of a 1-D array (second moment about zero), exactly summed."""
    return math.fsum((column * column).tolist()) / column.shape[0]


def _quantile(values: FloatArray, q: float) -> float:
    """Linear-interpolation quantile of a 1-D array (numpy's default method), in Python floats."""
    ordered = sorted(values.tolist())
    position = (len(ordered) - 1) * q
    below = math.floor(position)
    if below == len(ordered) - 1:
        return ordered[below]
    return ordered[below] + (position - below) * (ordered[below + 1] - ordered[below])


def _cholesky(matrix: list[list[float]]) -> list[list[float]]:
    """Lower Cholesky factor of a symmetric positive semidefinite matrix, in Python floats.

    A pivot at most ``_PIVOT_TOLERANCE`` times its diagonal entry is taken as zero and its
    column of the factor is zero (a row/column that depends on the earlier ones). A clearly
    negative pivot raises: the matrix is not positive semidefinite.
    """
    size = len(matrix)
    lower = [[0.0] * size for _ in range(size)]
    for j in range(size):
        pivot = matrix[j][j] - math.fsum(lower[j][k] * lower[j][k] for k in range(j))
        scale = abs(matrix[j][j])
        if pivot < -1e-8 * max(scale, 1.0):
            raise InputError(f"the matrix is not positive semidefinite (pivot {pivot} at {j})")
        if pivot <= _PIVOT_TOLERANCE * scale:
            continue
        lower[j][j] = math.sqrt(pivot)
        for i in range(j + 1, size):
            dot = math.fsum(lower[i][k] * lower[j][k] for k in range(j))
            lower[i][j] = (matrix[i][j] - dot) / lower[j][j]
    return lower


def _correlate(normals: FloatArray, lower: list[list[float]]) -> FloatArray:
    """``normals @ lower.T`` as fixed-order elementwise multiply-adds, column by column."""
    result = np.empty_like(normals)
    for i, row in enumerate(lower):
        column = row[0] * normals[:, 0]
        for j in range(1, i + 1):
            column = column + row[j] * normals[:, j]
        result[:, i] = column
    return result


def _least_squares(regressors: list[FloatArray], target: FloatArray) -> list[float]:
    """Ordinary least squares coefficients of ``target`` on ``regressors`` (1-D arrays), by the
    normal equations and ``_cholesky``; a regressor collinear with earlier ones gets 0."""
    size = len(regressors)
    gram = [
        [math.fsum((regressors[i] * regressors[j]).tolist()) for j in range(size)]
        for i in range(size)
    ]
    moments = [math.fsum((x * target).tolist()) for x in regressors]
    lower = _cholesky(gram)
    kept = [lower[i][i] > 0.0 for i in range(size)]
    forward = [0.0] * size
    for i in range(size):
        if kept[i]:
            dot = math.fsum(lower[i][k] * forward[k] for k in range(i))
            forward[i] = (moments[i] - dot) / lower[i][i]
    coefficients = [0.0] * size
    for i in reversed(range(size)):
        if kept[i]:
            dot = math.fsum(lower[k][i] * coefficients[k] for k in range(i + 1, size))
            coefficients[i] = (forward[i] - dot) / lower[i][i]
    return coefficients


def _round_significant(value: float, digits: int = GARCH_SIGNIFICANT_DIGITS) -> float:
    """``value`` rounded to ``digits`` significant decimal digits (via its decimal text)."""
    return float(f"{value:.{digits - 1}e}")


# --- building blocks ------------------------------------------------------------------------


def log_returns(closes: np.ndarray) -> FloatArray:
    """Daily log returns (T - 1, A): ``log(closes[k + 1] / closes[k])``, checked input."""
    array = _check_closes(closes)
    return _elementwise(math.log, array[1:] / array[:-1])


def holding_period_starts(
    returns_available: int, window: int, horizon: int, overlapping: bool
) -> list[int]:
    """Index of the first daily return of every holding period, oldest first.

    The window is returns ``R - window .. R - 1`` (R = ``returns_available``); periods are
    aligned on the last return. Overlapping: step 1, ``window - horizon + 1`` periods;
    non-overlapping: step ``horizon``, ``window // horizon`` periods, the oldest
    ``window % horizon`` returns unused.
    """
    window, horizon = _check_window(window, horizon, returns_available)
    last_start = returns_available - horizon
    if overlapping:
        count, step = window - horizon + 1, 1
    else:
        count, step = window // horizon, horizon
    return [last_start - step * (count - 1 - i) for i in range(count)]


def _sum_over_periods(daily: FloatArray, starts: list[int], horizon: int) -> FloatArray:
    """Per period, the sum of ``horizon`` rows of ``daily`` from its start, oldest first."""
    first = np.array(starts, dtype=np.int64)
    total = daily[first].copy()
    for offset in range(1, horizon):
        total = total + daily[first + offset]
    return total


def _seed_variance(returns: FloatArray) -> FloatArray:
    """Per asset, the mean square of the first ``SEED_DAYS`` returns (or of all, if fewer)."""
    segment = returns[: min(SEED_DAYS, returns.shape[0])]
    return np.array([_mean_square(segment[:, a]) for a in range(returns.shape[1])])


def ewma_variance(returns: FloatArray, decay: float) -> FloatArray:
    """EWMA (RiskMetrics) daily variance forecasts, shape (R + 1, A).

    Row k is the forecast for return k made before it (row 0: the seed variance, row R: the
    forecast for the day after the last close): ``v[k + 1] = decay v[k] + (1 - decay) r[k]^2``.
    """
    variance = np.empty((returns.shape[0] + 1, returns.shape[1]))
    variance[0] = _seed_variance(returns)
    weight = 1.0 - decay
    for k in range(returns.shape[0]):
        variance[k + 1] = decay * variance[k] + weight * (returns[k] * returns[k])
    return variance


def garch_variance(
    returns: FloatArray, omega: FloatArray, alpha: FloatArray, beta: FloatArray
) -> FloatArray:
    """GARCH(1,1) daily variance forecasts, shape (R + 1, A), rows as in ``ewma_variance``:
    ``v[k + 1] = omega + alpha r[k]^2 + beta v[k]`` (``omega`` per asset in decimal daily
    variance, i.e. arch's percent-squared value / 10000)."""
    variance = np.empty((returns.shape[0] + 1, returns.shape[1]))
    variance[0] = _seed_variance(returns)
    for k in range(returns.shape[0]):
        variance[k + 1] = (omega + alpha * (returns[k] * returns[k])) + beta * variance[k]
    return variance


def fit_garch(returns: FloatArray) -> tuple[float, float, float]:
    """GARCH(1,1) ``(omega, alpha, beta)`` of one asset's daily log returns (1-D), fitted by
    ``arch`` on ``100 * returns`` with zero mean, each rounded to 8 significant digits;
    ``omega`` in percent squared per day."""
    from arch import arch_model  # imported here: arch pulls in pandas and is slow to load

    if returns.shape[0] < GARCH_MIN_RETURNS:
        raise InputError(
            f"a GARCH(1,1) fit needs at least {GARCH_MIN_RETURNS} returns, got {returns.shape[0]}"
        )
    result = arch_model(100.0 * returns, mean="Zero", vol="GARCH", p=1, q=1).fit(disp="off")
    if result.convergence_flag != 0:
        raise InputError(
            f"the GARCH(1,1) fit did not converge (flag {result.convergence_flag}); "
            "pass garch_params or use model='ewma'"
        )
    names = ("omega", "alpha[1]", "beta[1]")
    omega, alpha, beta = (_round_significant(float(result.params[name])) for name in names)
    return omega, alpha, beta


def realized_vol_proxy(returns: FloatArray, days_per_year: int) -> FloatArray:
    """The annualized EWMA realized vol (lambda ``VOL_PROXY_LAMBDA``), shape (R + 1, A); row k
    includes returns up to k - 1. The stand-in for implied vol behind every vol shift."""
    return np.sqrt(float(days_per_year) * ewma_variance(returns, VOL_PROXY_LAMBDA))


def _vol_proxy_parameters(days_per_year: int) -> dict[str, object]:
    return {
        "vol_shift_proxy": "annualized EWMA realized vol (not implied vol)",
        "vol_proxy_lambda": VOL_PROXY_LAMBDA,
        "filter_seed_days": SEED_DAYS,
        "days_per_year": days_per_year,
    }


# --- historical simulation ------------------------------------------------------------------


def _period_parameters(
    method: str,
    *,
    window: int,
    horizon: int,
    overlapping: bool,
    returns: FloatArray,
    starts: list[int],
) -> dict[str, object]:
    """The parameters HS and FHS record about their window and holding periods."""
    return {
        "method": method,
        "window": window,
        "horizon": horizon,
        "overlapping": bool(overlapping),
        "returns_available": int(returns.shape[0]),
        "scenarios": len(starts),
        "period_end_rows": [start + horizon for start in starts],
    }


def historical(
    closes: np.ndarray,
    window: int,
    horizon: int = 1,
    overlapping: bool = True,
    *,
    days_per_year: int = DEFAULT_DAYS_PER_YEAR,
) -> RawScenarios:
    """Historical simulation over the last ``window`` daily returns.

    One scenario per holding period of ``horizon`` days (overlapping: ``window - horizon + 1``
    scenarios; non-overlapping: ``window // horizon``; see docs/scenario_methods.md): spot return
    ``exp(sum of log returns) - 1``, vol shift the change of the realized-vol proxy over the
    same period.
    """
    returns = log_returns(closes)
    window, horizon = _check_window(window, horizon, returns.shape[0])
    days_per_year = _check_days_per_year(days_per_year)
    starts = holding_period_starts(returns.shape[0], window, horizon, overlapping)
    proxy = realized_vol_proxy(returns, days_per_year)
    first = np.array(starts, dtype=np.int64)
    return RawScenarios(
        spot_returns=_simple_returns(_sum_over_periods(returns, starts, horizon)),
        vol_shifts=proxy[first + horizon] - proxy[first],
        stress=np.zeros(len(starts), dtype=np.bool_),
        parameters={
            **_period_parameters(
                "historical",
                window=window,
                horizon=horizon,
                overlapping=overlapping,
                returns=returns,
                starts=starts,
            ),
            **_vol_proxy_parameters(days_per_year),
        },
    )


# --- filtered historical simulation ---------------------------------------------------------


def filtered_historical(
    closes: np.ndarray,
    window: int,
    *,
    horizon: int = 1,
    overlapping: bool = True,
    model: VolatilityModel = VolatilityModel.EWMA,
    ewma_lambda: float = 0.94,
    floor_quantile: float = DEFAULT_FLOOR_QUANTILE,
    garch_params: Sequence[tuple[float, float, float]] | None = None,
    days_per_year: int = DEFAULT_DAYS_PER_YEAR,
) -> RawScenarios:
    """Filtered historical simulation (Barone-Adesi): the window's daily log returns,
    devolatilized by a conditional vol (``model`` "ewma" or "garch") and rescaled to the
    current vol ``max(latest forecast, floor)``, then summed over holding periods as in
    ``historical``. The vol shifts are the proxy's changes scaled by the same factor as the
    returns at the start of each period. See docs/scenario_methods.md for the filters and floor.

    ``ewma_lambda`` is used only by the EWMA model. ``garch_params`` (GARCH only), one
    ``(omega, alpha, beta)`` per asset with ``omega`` in percent squared per day, skips the
    fit: pass ``parameters["garch_omega"]`` etc. of an earlier run to reproduce it exactly.
    """
    returns = log_returns(closes)
    assets = returns.shape[1]
    window, horizon = _check_window(window, horizon, returns.shape[0])
    days_per_year = _check_days_per_year(days_per_year)
    starts = holding_period_starts(returns.shape[0], window, horizon, overlapping)
    if not 0.0 <= floor_quantile <= 1.0:
        raise InputError(f"floor_quantile must be in [0, 1], got {floor_quantile}")
    parameters: dict[str, object] = {
        **_period_parameters(
            "filtered_historical",
            window=window,
            horizon=horizon,
            overlapping=overlapping,
            returns=returns,
            starts=starts,
        ),
        "model": str(model),
    }
    if model == VolatilityModel.EWMA:
        if not 0.0 < ewma_lambda < 1.0:
            raise InputError(f"ewma_lambda must be in (0, 1), got {ewma_lambda}")
        if garch_params is not None:
            raise InputError("garch_params is only used with model='garch'")
        variance = ewma_variance(returns, float(ewma_lambda))
        parameters["ewma_lambda"] = float(ewma_lambda)
    elif model == VolatilityModel.GARCH:
        if garch_params is None:
            fitted = [fit_garch(returns[:, a]) for a in range(assets)]
            parameters["garch_params_source"] = "fitted by arch on 100 * log returns"
        else:
            fitted = _check_garch_params(garch_params, assets)
            parameters["garch_params_source"] = "given"
        omega, alpha, beta = (np.array(values) for values in zip(*fitted, strict=True))
        variance = garch_variance(returns, omega / 10000.0, alpha, beta)
        parameters["garch_omega"] = omega.tolist()
        parameters["garch_alpha"] = alpha.tolist()
        parameters["garch_beta"] = beta.tolist()
        parameters["garch_omega_units"] = "percent squared per day"
    else:
        raise InputError(f"model must be 'ewma' or 'garch', got {model!r}")

    conditional = np.sqrt(variance)  # (R + 1, A) daily vols, row R the latest forecast
    latest = conditional[-1]
    floor = np.array([_quantile(conditional[:, a], floor_quantile) for a in range(assets)])
    current = np.maximum(latest, floor)
    window_rows = np.arange(returns.shape[0] - window, returns.shape[0])
    if not (conditional[window_rows] > 0.0).all():
        raise InputError(
            "the conditional vol is zero on a day of the window (flat prices); "
            "start the history where the asset trades"
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        standardized = np.where(conditional[:-1] > 0.0, returns / conditional[:-1], 0.0)
    rescaled = standardized * current
    first = np.array(starts, dtype=np.int64)
    proxy = realized_vol_proxy(returns, days_per_year)
    shift_scale = current / conditional[first]
    parameters.update(
        {
            "floor_quantile": float(floor_quantile),
            "floor_over": "conditional vol over the whole history (all R + 1 forecasts)",
            "latest_vol_daily": latest.tolist(),
            "floor_vol_daily": floor.tolist(),
            "current_vol_daily": current.tolist(),
            "floor_binds": [bool(b) for b in floor > latest],
            **_vol_proxy_parameters(days_per_year),
        }
    )
    return RawScenarios(
        spot_returns=_simple_returns(_sum_over_periods(rescaled, starts, horizon)),
        vol_shifts=(proxy[first + horizon] - proxy[first]) * shift_scale,
        stress=np.zeros(len(starts), dtype=np.bool_),
        parameters=parameters,
    )


def _check_garch_params(
    garch_params: Sequence[tuple[float, float, float]], assets: int
) -> list[tuple[float, float, float]]:
    if len(garch_params) != assets:
        raise InputError(f"garch_params needs one (omega, alpha, beta) per asset ({assets})")
    checked = []
    for a, triple in enumerate(garch_params):
        if len(triple) != 3:
            raise InputError(f"garch_params[{a}] must be (omega, alpha, beta), got {triple!r}")
        omega, alpha, beta = (float(x) for x in triple)
        if not (math.isfinite(omega) and math.isfinite(alpha) and math.isfinite(beta)):
            raise InputError(f"garch_params[{a}] must be finite, got {triple!r}")
        if omega <= 0.0 or alpha < 0.0 or beta < 0.0:
            raise InputError(f"garch_params[{a}] needs omega > 0, alpha >= 0, beta >= 0")
        checked.append((omega, alpha, beta))
    return checked


# --- Monte Carlo ----------------------------------------------------------------------------


def _check_dof(dof: float) -> float:
    dof = float(dof)
    if not dof > 2.0:  # also refuses NaN
        raise InputError(f"dof must be > 2 (finite variance) or math.inf, got {dof}")
    return dof


def _check_vols_and_correlation(
    vols: np.ndarray, correlation: np.ndarray
) -> tuple[FloatArray, list[list[float]]]:
    vol_array = np.asarray(vols, dtype=np.float64)
    matrix = np.asarray(correlation, dtype=np.float64)
    if vol_array.ndim != 1 or vol_array.shape[0] < 1:
        raise InputError(f"vols must be a 1-D array of at least one vol, got {vol_array.shape}")
    size = vol_array.shape[0]
    if matrix.shape != (size, size):
        raise InputError(f"correlation must have shape ({size}, {size}), got {matrix.shape}")
    if not np.isfinite(vol_array).all() or not (vol_array >= 0.0).all():
        raise InputError("vols must be finite and >= 0")
    if not np.isfinite(matrix).all() or not (np.abs(matrix) <= 1.0).all():
        raise InputError("correlations must be finite and in [-1, 1]")
    if not (matrix == matrix.T).all() or not (np.diag(matrix) == 1.0).all():
        raise InputError("the correlation matrix must be symmetric with ones on the diagonal")
    return vol_array, matrix.tolist()


def _daily_draws(
    rng: np.random.Generator,
    vols: FloatArray,
    lower: list[list[float]],
    dof: float,
    n: int,
) -> FloatArray:
    """One day of ``n`` zero-mean log-return draws (n, A) with variances ``vols**2``:
    draws ``Z`` (n x A normals) then, for finite ``dof``, ``W`` (n chi-squares)."""
    correlated = _correlate(rng.standard_normal((n, vols.shape[0])), lower)
    if math.isfinite(dof):
        correlated = correlated * np.sqrt((dof - 2.0) / rng.chisquare(dof, size=n))[:, None]
    return correlated * vols


def student_t_scenarios(
    vols: np.ndarray, correlation: np.ndarray, dof: float, n: int, seed: int
) -> FloatArray:
    """``n`` one-day zero-mean log returns (n, A), multivariate Student-t with ``dof`` degrees
    of freedom (``math.inf``: normal), scaled so asset a has standard deviation ``vols[a]``
    and the correlation matrix is ``correlation``. The sampler behind ``monte_carlo``: with the
    same inputs and seed its first day's draws are these."""
    n = _check_int("n", n, 1)
    seed = _check_int("seed", seed, 0)
    vol_array, matrix = _check_vols_and_correlation(vols, correlation)
    rng = np.random.Generator(np.random.PCG64(seed))
    return _daily_draws(rng, vol_array, _cholesky(matrix), _check_dof(dof), n)


def _window_moments(
    window_returns: FloatArray,
) -> tuple[FloatArray, list[list[float]], list[float]]:
    """Per-asset daily vols, the correlation matrix and per-asset excess kurtosis of the
    window's returns, all about zero; an asset with zero vol is uncorrelated, kurtosis 0."""
    count, assets = window_returns.shape
    columns = [window_returns[:, a] for a in range(assets)]
    squares = [math.fsum((c * c).tolist()) for c in columns]
    vols = np.array([math.sqrt(s / count) for s in squares])
    correlation = [[1.0 if i == j else 0.0 for j in range(assets)] for i in range(assets)]
    for i in range(assets):
        for j in range(i):
            if squares[i] > 0.0 and squares[j] > 0.0:
                cross = math.fsum((columns[i] * columns[j]).tolist())
                value = min(1.0, max(-1.0, cross / math.sqrt(squares[i] * squares[j])))
                correlation[i][j] = correlation[j][i] = value
    kurtosis = []
    for column, square in zip(columns, squares, strict=True):
        fourth = math.fsum((column * column * column * column).tolist())
        kurtosis.append(count * fourth / (square * square) - 3.0 if square > 0.0 else 0.0)
    return vols, correlation, kurtosis


def moment_dof(excess_kurtosis: float) -> float:
    """Method-of-moments Student-t dof from an excess kurtosis, ``4 + 6 / kappa`` clamped to
    ``DOF_BOUNDS``; the upper bound when ``kappa <= 0``."""
    low, high = DOF_BOUNDS
    if excess_kurtosis <= 0.0:
        return high
    return min(high, max(low, 4.0 + 6.0 / excess_kurtosis))


def monte_carlo(
    closes: np.ndarray,
    window: int,
    *,
    n: int,
    seed: int,
    horizon: int = 1,
    dof: float | None = None,
    days_per_year: int = DEFAULT_DAYS_PER_YEAR,
) -> RawScenarios:
    """``n`` Monte Carlo scenarios: multivariate Student-t daily log returns with zero mean and
    the vols and correlation of the last ``window`` daily returns, summed over ``horizon``
    independent days; ``dof`` estimated by the method of moments unless given (``math.inf``:
    normal). Vol shifts from the regression of the proxy's daily changes on the return and its
    absolute value, plus noise. Same inputs and seed give the same arrays bit for bit; see
    docs/scenario_methods.md for the draw order.
    """
    returns = log_returns(closes)
    window, horizon = _check_window(window, horizon, returns.shape[0])
    if window < 2:
        raise InputError(f"monte_carlo needs a window of at least 2 returns, got {window}")
    n = _check_int("n", n, 1)
    seed = _check_int("seed", seed, 0)
    days_per_year = _check_days_per_year(days_per_year)
    window_returns = returns[-window:]
    vols, correlation, kurtosis = _window_moments(window_returns)
    positive = [k for k, v in zip(kurtosis, vols.tolist(), strict=True) if v > 0.0]
    mean_kurtosis = math.fsum(positive) / len(positive) if positive else 0.0
    if dof is None:
        dof_used, dof_source = moment_dof(mean_kurtosis), "method of moments"
    else:
        dof_used, dof_source = _check_dof(dof), "given"

    proxy = realized_vol_proxy(returns, days_per_year)
    proxy_changes = proxy[-window:] - proxy[-window - 1 : -1]
    ones = np.ones(window)
    regressions = []
    for a in range(returns.shape[1]):
        x = window_returns[:, a]
        absolute = np.abs(x)
        coefficients = _least_squares([ones, x, absolute], proxy_changes[:, a])
        fitted = (coefficients[0] * ones + coefficients[1] * x) + coefficients[2] * absolute
        residuals = proxy_changes[:, a] - fitted
        free = max(window - sum(1 for c in coefficients if c != 0.0), 1)
        residual_sd = math.sqrt(math.fsum((residuals * residuals).tolist()) / free)
        regressions.append([*coefficients, residual_sd])
    intercept, beta, beta_abs, noise = (np.array(v) for v in zip(*regressions, strict=True))

    rng = np.random.Generator(np.random.PCG64(seed))
    lower = _cholesky(correlation)
    log_total = np.zeros((n, returns.shape[1]))
    shift_total = np.zeros((n, returns.shape[1]))
    for _ in range(horizon):
        daily = _daily_draws(rng, vols, lower, dof_used, n)
        shock = rng.standard_normal((n, returns.shape[1]))
        log_total = log_total + daily
        shift = ((intercept + beta * daily) + beta_abs * np.abs(daily)) + noise * shock
        shift_total = shift_total + shift
    return RawScenarios(
        spot_returns=_simple_returns(log_total),
        vol_shifts=shift_total,
        stress=np.zeros(n, dtype=np.bool_),
        parameters={
            "method": "monte_carlo",
            "window": window,
            "horizon": horizon,
            "horizon_scaling": "sum of independent daily draws",
            "n": n,
            "seed": seed,
            "generator": "numpy.random.Generator(PCG64(seed))",
            "draw_order": "per day: normals (n, A), chi-squares (n) if Student-t, noise (n, A)",
            "distribution": "student_t" if math.isfinite(dof_used) else "normal",
            "dof": dof_used if math.isfinite(dof_used) else None,
            "dof_source": dof_source,
            "mean_excess_kurtosis": mean_kurtosis,
            "mean_daily": 0.0,
            "vols_daily": vols.tolist(),
            "correlation": correlation,
            "vol_shift_regression": "daily proxy change = a + b r + c |r| + s eps",
            "vol_shift_intercept": intercept.tolist(),
            "vol_shift_beta": beta.tolist(),
            "vol_shift_beta_abs": beta_abs.tolist(),
            "vol_shift_residual_sd": noise.tolist(),
            **_vol_proxy_parameters(days_per_year),
        },
    )


# --- stress and combination -----------------------------------------------------------------


def stress_scenarios(assets: int, shocks: Sequence[tuple[float, float]]) -> RawScenarios:
    """One stress scenario per ``(spot return, vol shift)`` in ``shocks``, the same on every
    one of ``assets`` assets, flagged ``stress``: ``(-0.40, 0.50)`` is -40% spot and +50 vol
    points on every asset."""
    assets = _check_int("assets", assets, 1)
    if len(shocks) == 0:
        raise InputError("shocks is empty: give at least one (spot return, vol shift)")
    pairs = []
    for index, shock in enumerate(shocks):
        if len(shock) != 2:
            raise InputError(f"shock {index} must be (spot return, vol shift), got {shock!r}")
        spot, shift = float(shock[0]), float(shock[1])
        if not (math.isfinite(spot) and math.isfinite(shift)):
            raise InputError(f"shock {index} must be finite, got {shock!r}")
        if not spot > -1.0:
            raise InputError(f"shock {index}: a spot return must be > -1, got {spot}")
        pairs.append((spot, shift))
    spot_column = np.array([spot for spot, _ in pairs])[:, None]
    shift_column = np.array([shift for _, shift in pairs])[:, None]
    return RawScenarios(
        spot_returns=np.repeat(spot_column, assets, axis=1),
        vol_shifts=np.repeat(shift_column, assets, axis=1),
        stress=np.ones(len(pairs), dtype=np.bool_),
        parameters={"method": "stress", "shocks": [list(pair) for pair in pairs]},
    )


def combine(*sets: RawScenarios) -> RawScenarios:
    """The scenarios of ``sets`` one after the other, in the order given, with their stress
    flags; ``parameters["parts"]`` lists each set's first index, count and parameters."""
    if not sets:
        raise InputError("combine needs at least one scenario set")
    assets = {s.assets for s in sets}
    if len(assets) != 1:
        raise InputError(f"cannot combine sets over different numbers of assets: {sorted(assets)}")
    parts: list[dict[str, Any]] = []
    first = 0
    for s in sets:
        parts.append({"first": first, "count": s.n, "parameters": s.parameters})
        first += s.n
    return RawScenarios(
        spot_returns=np.concatenate([s.spot_returns for s in sets]),
        vol_shifts=np.concatenate([s.vol_shifts for s in sets]),
        stress=np.concatenate([s.stress for s in sets]),
        parameters={"method": "combined", "parts": parts},
    )

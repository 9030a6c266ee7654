"""Scenario methods in floats: HS counts and values, FHS rescaling and floor, GARCH on real
data, Monte Carlo against closed-form ES, determinism, stress, combine and input errors."""

import json
import math
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from scipy import stats

from vmargin.oracle.history import load_yahoo_daily_closes
from vmargin.oracle.scenario_methods import (
    DEFAULT_FLOOR_QUANTILE,
    RawScenarios,
    VolatilityModel,
    combine,
    filtered_historical,
    historical,
    monte_carlo,
    stress_scenarios,
    student_t_scenarios,
)

N_LARGE = 100_000
NORMAL_TOLERANCE = 0.02
"""Relative ES tolerance for the normal at N = 100,000: the estimator's relative standard
deviation is about 0.5% at 97.5% and 99% (measured over 30 seeds), so 2% is 4 of them."""
STUDENT_T_TOLERANCE = 0.04
"""Relative ES tolerance for Student-t with 5 dof at N = 100,000: the estimator's relative
standard deviation is up to about 1.3% at 99% (30 seeds), so 4% is 3 of them."""


# --- helpers ----------------------------------------------------------------------------------


def sample_es(losses: np.ndarray, alpha: float) -> float:
    """ES of float losses: the mean of the N (1 - alpha) largest (a whole number here)."""
    k = len(losses) * (1.0 - alpha)
    assert abs(k - round(k)) < 1e-9
    return float(np.sort(losses)[::-1][: round(k)].mean())


def normal_es(sigma: float, alpha: float) -> float:
    """Closed-form ES of a zero-mean normal loss with standard deviation sigma."""
    return sigma * stats.norm.pdf(stats.norm.ppf(alpha)) / (1.0 - alpha)


def student_t_es(sigma: float, dof: float, alpha: float) -> float:
    """Closed-form ES of a zero-mean Student-t loss scaled to standard deviation sigma:
    the standard t's (dof + t_q^2) / (dof - 1) * f(t_q) / (1 - alpha) times the scale
    sigma * sqrt((dof - 2) / dof)."""
    quantile = stats.t.ppf(alpha, dof)
    standard = (dof + quantile**2) / (dof - 1.0) * stats.t.pdf(quantile, dof) / (1.0 - alpha)
    return sigma * math.sqrt((dof - 2.0) / dof) * standard


def closes_from_log_returns(log_returns: np.ndarray, start: float = 100.0) -> np.ndarray:
    """(R + 1, A) closes whose daily log returns are ``log_returns`` (R, A), up to rounding."""
    path = np.vstack([np.zeros((1, log_returns.shape[1])), np.cumsum(log_returns, axis=0)])
    return start * np.exp(path)


def recorded_list(raw: RawScenarios, name: str) -> list[Any]:
    """The list a method recorded as ``raw.parameters[name]`` (JSON: its items untyped)."""
    value = raw.parameters[name]
    assert isinstance(value, list)
    return value


def recorded_number(raw: RawScenarios, name: str) -> float:
    """The number a method recorded as ``raw.parameters[name]``."""
    value = raw.parameters[name]
    assert isinstance(value, int | float)
    return value


def untyped(value: object) -> Any:
    """``value`` as a caller that no type checker sees passes it (a notebook, a script):
    the checks of bad inputs are for such callers."""
    return value


def alternating(vol: float, days: int) -> np.ndarray:
    """Daily log returns +vol, -vol, +vol, ...: root mean square exactly vol, kurtosis 1."""
    return np.where(np.arange(days) % 2 == 0, vol, -vol)


def random_closes(seed: int, days: int = 400, assets: int = 2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return closes_from_log_returns(0.03 * rng.standard_t(4, size=(days, assets)))


# --- Monte Carlo against closed forms ---------------------------------------------------------


@pytest.mark.parametrize("alpha", [0.975, 0.99])
@pytest.mark.parametrize("dof", [math.inf, 5.0])
def test_sampler_reproduces_closed_form_es(dof: float, alpha: float) -> None:
    vols = np.array([0.02, 0.05])
    correlation = np.array([[1.0, 0.6], [0.6, 1.0]])
    draws = student_t_scenarios(vols, correlation, dof, N_LARGE, seed=11)
    assert draws.shape == (N_LARGE, 2)
    tolerance = NORMAL_TOLERANCE if math.isinf(dof) else STUDENT_T_TOLERANCE
    for asset, sigma in enumerate(vols):
        expected = normal_es(sigma, alpha) if math.isinf(dof) else student_t_es(sigma, dof, alpha)
        assert sample_es(-draws[:, asset], alpha) == pytest.approx(expected, rel=tolerance)
        assert np.sqrt(np.mean(draws[:, asset] ** 2)) == pytest.approx(sigma, rel=0.03)
    assert np.corrcoef(draws[:, 0], draws[:, 1])[0, 1] == pytest.approx(0.6, abs=0.02)


@pytest.mark.parametrize("dof", [math.inf, 5.0])
def test_monte_carlo_from_closes_with_known_vol_reproduces_closed_form_es(dof: float) -> None:
    closes = closes_from_log_returns(alternating(0.02, 600)[:, None])
    raw = monte_carlo(closes, window=500, n=N_LARGE, seed=3, dof=dof)
    assert raw.parameters["vols_daily"] == [pytest.approx(0.02, rel=1e-12)]
    assert raw.parameters["dof"] == (None if math.isinf(dof) else dof)
    losses = -np.log1p(raw.spot_returns[:, 0])  # back to log returns
    for alpha in (0.975, 0.99):
        if math.isinf(dof):
            expected, tolerance = normal_es(0.02, alpha), NORMAL_TOLERANCE
        else:
            expected, tolerance = student_t_es(0.02, dof, alpha), STUDENT_T_TOLERANCE
        assert sample_es(losses, alpha) == pytest.approx(expected, rel=tolerance)


def test_monte_carlo_horizon_sums_daily_draws() -> None:
    """A 4-day normal log return is the sum of 4 independent days: vol times sqrt(4)."""
    closes = closes_from_log_returns(alternating(0.02, 300)[:, None])
    raw = monte_carlo(closes, window=300, n=N_LARGE, seed=5, horizon=4, dof=math.inf)
    losses = -np.log1p(raw.spot_returns[:, 0])
    for alpha in (0.975, 0.99):
        expected = normal_es(2.0 * 0.02, alpha)
        assert sample_es(losses, alpha) == pytest.approx(expected, rel=NORMAL_TOLERANCE)
    assert raw.parameters["horizon_scaling"] == "sum of independent daily draws"


def test_monte_carlo_estimates_dof_by_moments_and_first_day_is_the_sampler() -> None:
    # alternating returns have excess kurtosis -2: the moment estimate clamps to 30
    flat_tails = monte_carlo(
        closes_from_log_returns(alternating(0.02, 100)[:, None]), 100, n=10, seed=1
    )
    assert flat_tails.parameters["dof"] == 30.0
    assert flat_tails.parameters["dof_source"] == "method of moments"

    closes = random_closes(seed=8)
    raw = monte_carlo(closes, window=300, n=1000, seed=21)
    dof = raw.parameters["dof"]
    assert isinstance(dof, float) and 4.0 < dof < 30.0  # t(4) data: heavy tails
    kappa = recorded_number(raw, "mean_excess_kurtosis")
    assert dof == pytest.approx(4.0 + 6.0 / kappa)
    draws = student_t_scenarios(
        np.array(raw.parameters["vols_daily"]),
        np.array(raw.parameters["correlation"]),
        dof,
        1000,
        21,
    )
    np.testing.assert_allclose(np.log1p(raw.spot_returns), draws, rtol=1e-12, atol=1e-15)


def test_monte_carlo_vol_shifts_rise_with_the_size_of_the_move() -> None:
    raw = monte_carlo(random_closes(seed=9), window=300, n=20_000, seed=2)
    assert all(c > 0.0 for c in recorded_list(raw, "vol_shift_beta_abs"))
    size = np.abs(raw.spot_returns[:, 0])
    assert np.corrcoef(size, raw.vol_shifts[:, 0])[0, 1] > 0.3


# --- determinism ------------------------------------------------------------------------------


def test_same_seed_gives_identical_arrays_and_different_seed_does_not() -> None:
    closes = random_closes(seed=4)
    first = monte_carlo(closes, window=300, n=5000, seed=42, horizon=3)
    again = monte_carlo(closes.copy(), window=300, n=5000, seed=42, horizon=3)
    other = monte_carlo(closes, window=300, n=5000, seed=43, horizon=3)
    assert first.spot_returns.tobytes() == again.spot_returns.tobytes()
    assert first.vol_shifts.tobytes() == again.vol_shifts.tobytes()
    assert json.dumps(first.parameters) == json.dumps(again.parameters)
    assert not np.array_equal(first.spot_returns, other.spot_returns)
    assert not np.array_equal(first.vol_shifts, other.vol_shifts)
    sampler = student_t_scenarios(np.array([0.01]), np.eye(1), 6.0, 100, 7)
    assert (
        sampler.tobytes() == student_t_scenarios(np.array([0.01]), np.eye(1), 6.0, 100, 7).tobytes()
    )
    assert not np.array_equal(
        sampler, student_t_scenarios(np.array([0.01]), np.eye(1), 6.0, 100, 8)
    )


# --- historical simulation --------------------------------------------------------------------

# simple returns +10%, -10%, 0%, +10%
TINY = np.array([[100.0], [110.0], [99.0], [99.0], [108.9]])


@pytest.mark.parametrize(
    ("window", "horizon", "overlapping", "expected", "end_rows"),
    [
        (4, 1, True, [0.1, -0.1, 0.0, 0.1], [1, 2, 3, 4]),
        (3, 1, True, [-0.1, 0.0, 0.1], [2, 3, 4]),
        (4, 2, True, [1.1 * 0.9 - 1, -0.1, 0.1], [2, 3, 4]),
        (4, 2, False, [1.1 * 0.9 - 1, 0.1], [2, 4]),
        (4, 3, True, [1.1 * 0.9 - 1, 0.9 * 1.1 - 1], [3, 4]),
        (4, 3, False, [0.9 * 1.1 - 1], [4]),  # aligned on the last day: the oldest unused
        (3, 2, False, [0.1], [4]),
        (4, 4, False, [1.1 * 0.9 * 1.1 - 1], [4]),
    ],
)
def test_historical_counts_and_values_on_a_tiny_series(
    window: int, horizon: int, overlapping: bool, expected: list[float], end_rows: list[int]
) -> None:
    raw = historical(TINY, window, horizon, overlapping)
    count = window - horizon + 1 if overlapping else window // horizon
    assert raw.n == count == len(expected)
    np.testing.assert_allclose(raw.spot_returns[:, 0], expected, rtol=1e-13, atol=1e-15)
    assert raw.parameters["period_end_rows"] == end_rows
    assert raw.parameters["scenarios"] == count
    assert not raw.stress.any()


def test_historical_vol_shifts_are_the_change_of_the_ewma_proxy() -> None:
    returns = [math.log(110 / 100), math.log(99 / 110), 0.0, math.log(108.9 / 99)]
    variance = [math.fsum(r * r for r in returns) / 4]  # fewer than 30 returns: all of them
    for r in returns:
        variance.append(0.94 * variance[-1] + 0.06 * r * r)
    proxy = [math.sqrt(365 * v) for v in variance]
    raw = historical(TINY, 4)
    expected = [proxy[k + 1] - proxy[k] for k in range(4)]
    np.testing.assert_allclose(raw.vol_shifts[:, 0], expected, rtol=1e-12, atol=1e-15)
    two_day = historical(TINY, 4, 2, False)
    np.testing.assert_allclose(
        two_day.vol_shifts[:, 0], [proxy[2] - proxy[0], proxy[4] - proxy[2]], rtol=1e-12
    )
    trading_days = historical(TINY, 4, days_per_year=252)
    np.testing.assert_allclose(trading_days.vol_shifts, raw.vol_shifts * math.sqrt(252 / 365))


def test_spot_returns_stay_above_minus_one() -> None:
    raw = historical(np.array([[1e20], [1e-20]]), 1)  # log return -92: exp - 1 rounds to -1
    assert raw.spot_returns[0, 0] > -1.0
    assert raw.spot_returns[0, 0] == np.nextafter(-1.0, 0.0)


# --- filtered historical simulation -----------------------------------------------------------


def test_fhs_rescales_to_the_latest_vol_when_vol_doubles() -> None:
    """1,000 calm days at 1% then 250 at 2%: the latest EWMA vol is 2%, above the 75%
    quantile of the history, so every standardized calm return comes back at 2%."""
    returns = np.concatenate([alternating(0.01, 1000), alternating(0.02, 250)])
    closes = closes_from_log_returns(returns[:, None])
    raw = filtered_historical(closes, window=500)
    parameters = raw.parameters
    assert parameters["latest_vol_daily"] == [pytest.approx(0.02, rel=1e-6)]
    assert recorded_list(raw, "floor_vol_daily")[0] < 0.011
    assert parameters["floor_binds"] == [False]
    assert parameters["current_vol_daily"] == parameters["latest_vol_daily"]
    rescaled = np.log1p(raw.spot_returns[:, 0])
    calm = rescaled[:250]  # the window's calm half: standardized +-1, rescaled to +-2%
    np.testing.assert_allclose(np.abs(calm), 0.02, rtol=1e-6)
    late = rescaled[-50:]  # 200 days after the switch the filter has caught up: +-2% again
    np.testing.assert_allclose(np.abs(late), 0.02, rtol=1e-5)
    plain = np.log1p(historical(closes, window=500).spot_returns[:, 0])
    np.testing.assert_allclose(np.abs(plain[:250]), 0.01, rtol=1e-9)  # HS keeps the calm 1%


def test_fhs_floor_binds_in_a_calm_period() -> None:
    """1,000 volatile days at 2% then 400 calm at 1%: the latest vol is 1%, the floor (75%
    quantile of the history, in the volatile regime) is 2% and binds."""
    returns = np.concatenate([alternating(0.02, 1000), alternating(0.01, 400)])
    closes = closes_from_log_returns(returns[:, None])
    raw = filtered_historical(closes, window=50)
    parameters = raw.parameters
    assert parameters["floor_quantile"] == DEFAULT_FLOOR_QUANTILE
    assert parameters["latest_vol_daily"] == [pytest.approx(0.01, rel=1e-9)]
    assert parameters["floor_vol_daily"] == [pytest.approx(0.02, rel=1e-9)]
    assert parameters["floor_binds"] == [True]
    assert parameters["current_vol_daily"] == parameters["floor_vol_daily"]
    np.testing.assert_allclose(np.abs(np.log1p(raw.spot_returns[:, 0])), 0.02, rtol=1e-9)
    # the minimum as floor never binds: scenarios at the latest (calm) vol
    unfloored = filtered_historical(closes, window=50, floor_quantile=0.0)
    assert unfloored.parameters["floor_binds"] == [False]
    np.testing.assert_allclose(np.abs(np.log1p(unfloored.spot_returns[:, 0])), 0.01, rtol=1e-9)


def test_fhs_vol_shifts_scale_like_the_returns() -> None:
    """With EWMA at the proxy's lambda, one-day FHS returns and vol shifts are the HS ones
    times the same factor, current vol / conditional vol of the day."""
    closes = random_closes(seed=10, days=600)
    fhs = filtered_historical(closes, 300)
    hs = historical(closes, 300)
    factor = np.log1p(fhs.spot_returns) / np.log1p(hs.spot_returns)
    np.testing.assert_allclose(fhs.vol_shifts, hs.vol_shifts * factor, rtol=1e-9, atol=1e-15)
    assert (factor > 0.0).all() and factor.std() > 0.05


def test_fhs_ewma_lambda_changes_the_filter_and_is_recorded() -> None:
    closes = random_closes(seed=12, days=600)
    slow = filtered_historical(closes, 300, ewma_lambda=0.97)
    fast = filtered_historical(closes, 300, ewma_lambda=0.90)
    assert slow.parameters["ewma_lambda"] == 0.97
    assert not np.array_equal(slow.spot_returns, fast.spot_returns)
    json.dumps(slow.parameters)


@pytest.fixture(scope="module")
def eth_closes() -> np.ndarray:
    """Real ETH/USD closes from the shipped file: the last run of consecutive days (after the
    2020-10-13 gap), so that every return is a one-day return."""
    history = load_yahoo_daily_closes()
    start = len(history.dates) - 1
    while start > 0 and history.dates[start] - history.dates[start - 1] == timedelta(days=1):
        start -= 1
    closes = [float(close) for close in history.closes[start:]]
    assert len(closes) > 300
    return np.array(closes)[:, None]


def test_fhs_garch_runs_on_real_eth_and_is_reproducible_from_its_parameters(
    eth_closes: np.ndarray,
) -> None:
    raw = filtered_historical(eth_closes, window=250, horizon=2, model=VolatilityModel.GARCH)
    parameters = raw.parameters
    assert raw.n == 249 and np.isfinite(raw.spot_returns).all()
    omega, alpha, beta = (
        recorded_list(raw, f"garch_{name}")[0] for name in ("omega", "alpha", "beta")
    )
    for value in (omega, alpha, beta):
        assert value == float(f"{value:.7e}")  # 8 significant digits
    assert omega > 0.0 and alpha >= 0.0 and beta >= 0.0 and alpha + beta < 1.0
    current = recorded_list(raw, "current_vol_daily")[0]
    assert current == max(
        recorded_list(raw, "latest_vol_daily")[0], recorded_list(raw, "floor_vol_daily")[0]
    )
    assert 0.01 < current < 0.2
    json.dumps(parameters)
    replay = filtered_historical(
        eth_closes,
        window=250,
        horizon=2,
        model=VolatilityModel.GARCH,
        garch_params=[(omega, alpha, beta)],
    )
    assert replay.spot_returns.tobytes() == raw.spot_returns.tobytes()
    assert replay.vol_shifts.tobytes() == raw.vol_shifts.tobytes()
    assert replay.parameters["garch_params_source"] == "given"


# --- stress and combine -----------------------------------------------------------------------


def test_stress_scenarios_apply_each_shock_to_every_asset() -> None:
    raw = stress_scenarios(3, [(-0.40, 0.50), (0.30, 0.20)])
    np.testing.assert_array_equal(raw.spot_returns, [[-0.4] * 3, [0.3] * 3])
    np.testing.assert_array_equal(raw.vol_shifts, [[0.5] * 3, [0.2] * 3])
    assert raw.stress.tolist() == [True, True]
    assert raw.parameters == {"method": "stress", "shocks": [[-0.4, 0.5], [0.3, 0.2]]}


def test_combine_concatenates_in_order_with_flags_and_parts() -> None:
    hs = historical(TINY, 4)
    stress = stress_scenarios(1, [(-0.5, 1.0)])
    raw = combine(hs, stress)
    assert raw.n == 5
    assert raw.stress.tolist() == [False, False, False, False, True]
    np.testing.assert_array_equal(raw.spot_returns[:4], hs.spot_returns)
    assert raw.spot_returns[4, 0] == -0.5 and raw.vol_shifts[4, 0] == 1.0
    parts = recorded_list(raw, "parts")
    assert [(p["first"], p["count"]) for p in parts] == [(0, 4), (4, 1)]
    assert parts[0]["parameters"] == hs.parameters
    json.dumps(raw.parameters)


def test_scenario_arrays_are_read_only() -> None:
    raw = historical(TINY, 4)
    with pytest.raises(ValueError, match="read-only"):
        raw.spot_returns[0, 0] = 0.0


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: historical(TINY, 5), "window of 5 daily returns is longer than the data"),
        (lambda: historical(TINY, 0), "window must be >= 1"),
        (lambda: historical(TINY, 3, 0), "horizon must be >= 1"),
        (lambda: historical(TINY, 3, 4), "horizon of 4 days does not fit"),
        (lambda: historical(TINY, untyped(2.5)), "window must be an integer"),
        (lambda: historical(np.array([[1.0], [0.0], [2.0]]), 1), "closes must be > 0"),
        (lambda: historical(np.array([[1.0], [-1.0]]), 1), "closes must be > 0"),
        (lambda: historical(np.array([[1.0], [np.nan]]), 1), "closes must be finite"),
        (lambda: historical(np.array([1.0, 2.0, 3.0]), 1), "closes must be a 2-D array"),
        (lambda: historical(np.ones((1, 2)), 1), "at least 2 dates"),
        (lambda: filtered_historical(TINY, 3, ewma_lambda=1.0), r"ewma_lambda must be in \(0, 1\)"),
        (lambda: filtered_historical(TINY, 3, ewma_lambda=0.0), r"ewma_lambda must be in \(0, 1\)"),
        (
            lambda: filtered_historical(TINY, 3, model=untyped("egarch")),
            "model must be 'ewma' or 'garch'",
        ),
        (lambda: filtered_historical(TINY, 3, floor_quantile=1.5), r"floor_quantile must be in"),
        (
            lambda: filtered_historical(TINY, 3, model=VolatilityModel.GARCH),
            "needs at least 100 returns",
        ),
        (
            lambda: filtered_historical(
                TINY, 3, model=VolatilityModel.GARCH, garch_params=[(1.0, 0.1, 0.8)] * 2
            ),
            "one \\(omega, alpha, beta\\) per asset",
        ),
        (
            lambda: filtered_historical(np.ones((40, 1)), 3),
            "conditional vol is zero",
        ),
        (lambda: monte_carlo(TINY, 3, n=0, seed=1), "n must be >= 1"),
        (lambda: monte_carlo(TINY, 3, n=10, seed=-1), "seed must be >= 0"),
        (lambda: monte_carlo(TINY, 1, n=10, seed=1), "window of at least 2"),
        (lambda: monte_carlo(TINY, 3, n=10, seed=1, dof=2.0), "dof must be > 2"),
        (lambda: monte_carlo(TINY, 9, n=10, seed=1), "longer than the data"),
        (
            lambda: student_t_scenarios(np.ones(2), np.array([[1.0, 0.5], [0.4, 1.0]]), 5, 10, 1),
            "symmetric",
        ),
        (
            lambda: student_t_scenarios(
                np.ones(3),
                np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]]),
                5,
                10,
                1,
            ),
            "not positive semidefinite",
        ),
        (lambda: student_t_scenarios(np.ones(2), np.eye(3), 5, 10, 1), "shape \\(2, 2\\)"),
        (lambda: stress_scenarios(2, []), "shocks is empty"),
        (lambda: stress_scenarios(2, [(-1.0, 0.5)]), "must be > -1"),
        (lambda: stress_scenarios(0, [(-0.4, 0.5)]), "assets must be >= 1"),
        (lambda: combine(), "at least one scenario set"),
        (
            lambda: combine(stress_scenarios(1, [(0.1, 0.0)]), stress_scenarios(2, [(0.1, 0.0)])),
            "different numbers of assets",
        ),
        (
            lambda: RawScenarios(np.zeros((2, 1)), np.zeros((2, 2)), np.zeros(2, bool), {}),
            "vol_shifts has shape",
        ),
        (
            lambda: RawScenarios(np.full((1, 1), -1.0), np.zeros((1, 1)), np.zeros(1, bool), {}),
            "must be > -1",
        ),
        (
            lambda: RawScenarios(np.zeros((1, 1)), np.zeros((1, 1)), untyped(np.zeros(1)), {}),
            "stress must be a bool array",
        ),
        (
            lambda: RawScenarios(
                np.zeros((1, 1)), np.zeros((1, 1)), np.zeros(1, bool), {"x": object()}
            ),
            "JSON-serializable",
        ),
    ],
)
def test_bad_inputs_raise_clear_errors(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()

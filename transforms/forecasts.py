"""Forecasts of a quarterly series one to four quarters ahead, and their rolling-origin backtest.

The model is a log-linear regression with a linear trend, quarter-of-year effects and a level
shift at each series break: multiplicative trend and season, with lognormal errors whose
spread is estimated from the series itself (so overdispersion far beyond Poisson is allowed
for). It suits counts and euro values alike, has five parameters where a seasonal ETS would
fit seven states and smoothing weights to the same twelve quarters, and its prediction
intervals are exact under its assumptions: Student's t on the log scale, widened by the
uncertainty of the fitted trend and season. The point forecast is the median.

A forecast is worth printing only where it beats the seasonal-naive forecast (the same
quarter a year earlier) on the series' own history: `backtest` refits the model at every
origin with at least `MIN_TRAIN` quarters behind it and scores every horizon up to four
quarters ahead, giving interval coverage and the ratio of mean absolute errors.
Plain functions over NumPy arrays; nothing here knows about members or disclosure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

HORIZON = 4           # quarters ahead
MIN_TRAIN = 8         # quarters a backtest origin needs behind it (three residual df)
MIN_RESIDUAL_DF = 2   # fewer: the spread cannot be estimated, no forecast
LEVELS = (0.80, 0.95)


@dataclass(frozen=True)
class Forecast:
    """The model's forecast for each quarter ahead: median and prediction intervals.

    On the log scale each quarter ahead is `log_median + log_scale * T(df)`.
    """

    point: np.ndarray
    low80: np.ndarray
    high80: np.ndarray
    low95: np.ndarray
    high95: np.ndarray
    log_median: np.ndarray
    log_scale: np.ndarray
    df: int

    def probability_above(self, step: int, threshold: float) -> float:
        """The model's probability that the value `step` quarters ahead (1-based) exceeds
        `threshold`."""
        if threshold <= 0:
            return 1.0
        mean, scale = self.log_median[step - 1], self.log_scale[step - 1]
        if scale == 0:
            return float(math.log(threshold) < mean)
        return float(stats.t.sf((math.log(threshold) - mean) / scale, self.df))


@dataclass(frozen=True)
class Backtest:
    """How the model did on the series' own history, against the seasonal-naive forecast."""

    forecasts: int            # (origin, horizon) pairs scored
    coverage80: float         # share of outcomes inside the 80% interval
    coverage95: float
    mae_model: float          # mean absolute error, in the series' unit
    mae_naive: float

    @property
    def relative_error(self) -> float:
        """The model's mean absolute error over the seasonal-naive one (< 1: model better)."""
        if self.mae_naive == 0:
            return 0.0 if self.mae_model == 0 else math.inf
        return self.mae_model / self.mae_naive

    @property
    def beats_naive(self) -> bool:
        return self.forecasts > 0 and self.relative_error < 1


def quarter_of_year(quarters: list[str]) -> np.ndarray:
    """1-4 for each label `YYYY-Qn`."""
    return np.array([int(q.rsplit("Q", 1)[1]) for q in quarters])


def design(first_season: int, breaks: list[int], n: int) -> np.ndarray:
    """`n` consecutive quarters from one whose quarter of the year is `first_season`:
    intercept, time, a dummy for each other quarter of the year, a step from each break."""
    t = np.arange(n)
    season = (first_season - 1 + t) % 4 + 1
    columns = [np.ones(n), t.astype(float)]
    columns += [(season == s).astype(float) for s in (1, 2, 3, 4) if s != first_season]
    columns += [(t >= b).astype(float) for b in breaks]
    return np.column_stack(columns)


def fit_forecast(values: np.ndarray, seasons: np.ndarray, breaks: list[int] | None = None,
                 horizon: int = HORIZON) -> Forecast | None:
    """The forecast `horizon` quarters past the end of `values` (consecutive quarters whose
    quarter of the year is `seasons`), or None where the model cannot be fitted: a value that
    is missing or not positive, or too few quarters for its parameters."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0 or not np.all(np.isfinite(values)) or np.any(values <= 0):
        return None
    n = len(values)
    breaks = sorted(b for b in set(breaks or []) if 0 < b < n)
    x_all = design(int(np.asarray(seasons)[0]), breaks, n + horizon)
    x, x_new = x_all[:n], x_all[n:]
    df = n - x.shape[1]
    if df < MIN_RESIDUAL_DF or np.linalg.matrix_rank(x) < x.shape[1]:
        return None
    y = np.log(values)
    xtx_inv = np.linalg.inv(x.T @ x)
    beta = xtx_inv @ x.T @ y
    residuals = y - x @ beta
    sigma = math.sqrt(float(residuals @ residuals) / df)
    centre = x_new @ beta
    scale = sigma * np.sqrt(1 + np.einsum("ij,jk,ik->i", x_new, xtx_inv, x_new))
    bounds = {level: stats.t.ppf(0.5 + level / 2, df) * scale for level in LEVELS}
    return Forecast(point=np.exp(centre),
                    low80=np.exp(centre - bounds[0.80]), high80=np.exp(centre + bounds[0.80]),
                    low95=np.exp(centre - bounds[0.95]), high95=np.exp(centre + bounds[0.95]),
                    log_median=centre, log_scale=scale, df=df)


def seasonal_naive(values: np.ndarray, horizon: int = HORIZON) -> np.ndarray:
    """The same quarter a year earlier, for each of up to four quarters ahead."""
    values = np.asarray(values, dtype=float)
    if len(values) < 4 or horizon > 4:
        raise ValueError("the seasonal-naive forecast needs four quarters and looks at most "
                         "four ahead")
    return values[len(values) - 4:len(values) - 4 + horizon]


def backtest(values: np.ndarray, seasons: np.ndarray, breaks: list[int] | None = None,
             horizon: int = HORIZON, min_train: int = MIN_TRAIN) -> Backtest:
    """Rolling origin: at each origin from `min_train` quarters on, fit on the quarters before
    it (with the breaks they contain) and forecast up to `horizon` quarters that are known."""
    values = np.asarray(values, dtype=float)
    seasons = np.asarray(seasons)
    errors_model, errors_naive, inside80, inside95 = [], [], [], []
    for origin in range(max(min_train, 4), len(values)):
        steps = min(horizon, len(values) - origin)
        known = [b for b in breaks or [] if b < origin]
        forecast = fit_forecast(values[:origin], seasons[:origin], known, steps)
        if forecast is None:
            continue
        naive = seasonal_naive(values[:origin], steps)
        actual = values[origin:origin + steps]
        errors_model.extend(np.abs(forecast.point - actual))
        errors_naive.extend(np.abs(naive - actual))
        inside80.extend((forecast.low80 <= actual) & (actual <= forecast.high80))
        inside95.extend((forecast.low95 <= actual) & (actual <= forecast.high95))
    if not errors_model:
        return Backtest(0, math.nan, math.nan, math.nan, math.nan)
    return Backtest(forecasts=len(errors_model), coverage80=float(np.mean(inside80)),
                    coverage95=float(np.mean(inside95)),
                    mae_model=float(np.mean(errors_model)),
                    mae_naive=float(np.mean(errors_naive)))

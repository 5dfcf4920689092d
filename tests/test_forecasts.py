"""Forecasts and their backtest: known answers on tiny series."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from transforms import forecasts as fc

SEASON = np.array([1.0, 1.2, 0.9, 1.1])  # quarters 1-4


def seasonal_series(n: int, growth: float = 0.05, first_season: int = 1,
                    level: float = 1000.0) -> np.ndarray:
    t = np.arange(n)
    return level * np.exp(growth * t) * SEASON[(first_season - 1 + t) % 4]


def test_quarter_of_year_reads_labels():
    assert fc.quarter_of_year(["2025-Q4", "2026-Q1", "2026-Q3"]).tolist() == [4, 1, 3]


def test_exact_trend_and_season_are_continued_with_no_spread():
    values = seasonal_series(16)   # 16 quarters from Q1: the next four are t = 16..19
    forecast = fc.fit_forecast(values[:12], np.array([1]), horizon=4)
    assert forecast is not None
    np.testing.assert_allclose(forecast.point, values[12:16], rtol=1e-9)
    np.testing.assert_allclose(forecast.low95, forecast.high95, rtol=1e-9)
    assert forecast.probability_above(1, values[12] * 0.99) == pytest.approx(1.0)
    assert forecast.probability_above(1, values[12] * 1.01) == pytest.approx(0.0)


def test_a_season_starting_mid_year_is_aligned():
    values = seasonal_series(14, growth=-0.02, first_season=3)
    forecast = fc.fit_forecast(values[:10], np.array([3]), horizon=4)
    np.testing.assert_allclose(forecast.point, values[10:14], rtol=1e-9)


def test_a_break_is_a_level_shift_not_a_trend():
    values = seasonal_series(12, growth=0.0)
    values[8:] *= 2.0  # everything from position 8 on doubles (a new counting rule)
    forecast = fc.fit_forecast(values, np.array([1]), breaks=[8], horizon=2)
    np.testing.assert_allclose(forecast.point, 2 * 1000 * SEASON[:2], rtol=1e-9)


def test_interval_is_student_t_on_the_log_scale():
    """Intercept-and-trend-plus-season on eight points: the interval's half-width on the log
    scale is t(0.975, 3) * s * sqrt(1 + x0 (X'X)^-1 x0'), computed here by hand."""
    rng = np.random.default_rng(7)
    values = seasonal_series(8) * np.exp(rng.normal(0, 0.1, 8))
    forecast = fc.fit_forecast(values, np.array([1]), horizon=1)
    x = fc.design(1, [], 9)
    beta, *_ = np.linalg.lstsq(x[:8], np.log(values), rcond=None)
    resid = np.log(values) - x[:8] @ beta
    s = math.sqrt(resid @ resid / 3)
    half = stats.t.ppf(0.975, 3) * s * math.sqrt(
        1 + x[8] @ np.linalg.inv(x[:8].T @ x[:8]) @ x[8])
    centre = x[8] @ beta
    assert forecast.df == 3
    assert forecast.point[0] == pytest.approx(math.exp(centre))
    assert forecast.low95[0] == pytest.approx(math.exp(centre - half))
    assert forecast.high95[0] == pytest.approx(math.exp(centre + half))
    assert forecast.low95[0] < forecast.low80[0] < forecast.point[0] < forecast.high80[0]
    # the median is the point: half the mass above it
    assert forecast.probability_above(1, forecast.point[0]) == pytest.approx(0.5)
    assert forecast.probability_above(1, forecast.high80[0]) == pytest.approx(0.10)


@pytest.mark.parametrize("values", [
    [10, 12, 0, 11, 10, 12, 9, 11],          # a zero: no log
    [10, 12, np.nan, 11, 10, 12, 9, 11],     # a hidden quarter
    [10, 12, 9, 11, 10, 12],                 # six quarters, five parameters: one df
])
def test_no_forecast_where_the_model_cannot_be_fitted(values):
    assert fc.fit_forecast(np.array(values, dtype=float), np.array([1])) is None


def test_seasonal_naive_repeats_last_year():
    assert fc.seasonal_naive(np.arange(1.0, 9.0), 3).tolist() == [5.0, 6.0, 7.0]
    with pytest.raises(ValueError):
        fc.seasonal_naive(np.arange(3.0), 1)


def test_backtest_on_an_exact_series_has_no_error_and_beats_naive():
    """Ten quarters, origins 8 and 9: three (origin, horizon) pairs, all exact; the naive
    forecast misses each by the year's growth."""
    values = seasonal_series(10, growth=0.1)
    result = fc.backtest(values, np.array([1]))
    assert result.forecasts == 3
    assert result.mae_model == pytest.approx(0, abs=1e-6)
    naive_errors = [values[i] - values[i - 4] for i in (8, 9, 9)]
    assert result.mae_naive == pytest.approx(np.mean(naive_errors))
    assert result.coverage80 == 1.0 and result.beats_naive


def test_backtest_of_a_flat_seasonal_series_ties_naive_and_does_not_beat_it():
    values = np.tile([100.0, 120.0, 90.0, 110.0], 3)
    result = fc.backtest(values, np.array([1]))
    assert result.forecasts == 10  # origins 8..11 with 4, 3, 2, 1 quarters known ahead
    assert result.mae_naive == 0 and result.mae_model == pytest.approx(0, abs=1e-9)
    assert not result.beats_naive  # naive is already exact: nothing to beat
    assert not (fc.Backtest(4, 1, 1, 2.0, 2.0).beats_naive)  # a tie is not beating naive


def test_backtest_counts_coverage_and_error_by_hand():
    """A noisy trend without season: the backtest's figures agree with a hand loop."""
    rng = np.random.default_rng(3)
    values = 500 * np.exp(0.03 * np.arange(12) + rng.normal(0, 0.15, 12))
    result = fc.backtest(values, np.array([2]))
    model, naive, in80 = [], [], []
    for origin in range(8, 12):
        steps = min(4, 12 - origin)
        f = fc.fit_forecast(values[:origin], np.array([2]), horizon=steps)
        actual = values[origin:origin + steps]
        model += list(abs(f.point - actual))
        naive += list(abs(values[origin - 4:origin - 4 + steps] - actual))
        in80 += list((f.low80 <= actual) & (actual <= f.high80))
    assert result.forecasts == 10
    assert result.mae_model == pytest.approx(np.mean(model))
    assert result.mae_naive == pytest.approx(np.mean(naive))
    assert result.coverage80 == pytest.approx(np.mean(in80))
    assert result.beats_naive == (np.mean(model) < np.mean(naive))


def test_backtest_with_too_short_a_history_scores_nothing():
    result = fc.backtest(np.arange(1.0, 9.0), np.array([1]))
    assert result.forecasts == 0 and not result.beats_naive

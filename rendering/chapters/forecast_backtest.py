"""Annex: how the outlook's forecasts are made, and how they did on each series' history."""

from __future__ import annotations

import math

from rendering import texts
from rendering.chapters.core import Edition, section, table
from rendering.chapters.outlook import series_outlooks
from rendering.formatting import fmt_number, fmt_pct


def build(edition: Edition) -> dict:
    rows = []
    for outlook in series_outlooks(edition):
        result = outlook.model.backtest
        if result is None or not result.forecasts:
            rows.append([outlook.label, "-", "-", "-", "-", "-", "-", "no"])
            continue
        level = float(outlook.model.totals.mean())
        rows.append([
            outlook.label, str(result.forecasts), fmt_pct(result.coverage80, 0),
            fmt_pct(result.coverage95, 0), fmt_pct(result.mae_model / level),
            fmt_pct(result.mae_naive / level),
            fmt_number(result.relative_error, 2) if math.isfinite(result.relative_error)
            else "-", "yes" if outlook.shown else "no"])
    return section(
        "forecast_backtest", "Forecast method and backtests",
        summary=list(texts.forecast_method()),
        tables=[table(
            "forecast_backtest", f"Rolling-origin backtests of the headline series, "
            f"{edition.trend[0]} to {edition.quarter}",
            ["Series", "Forecasts scored", "Inside 80% interval", "Inside 95% interval",
             "Model error", "Seasonal-naive error", "Error ratio", "Forecast shown"],
            rows, [False, True, True, True, True, True, True, False],
            ["Forecasts scored: every quarter one to four ahead of each origin with at least "
             "8 quarters behind it. Errors: mean absolute error as a share of the series' "
             "mean level; error ratio: the model's over the seasonal-naive forecast's (below "
             "1: the model did better, and only then is its forecast shown). '-': the series "
             "is not published in every quarter, or too short to test."])])

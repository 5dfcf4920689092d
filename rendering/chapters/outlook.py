"""Outlook and intelligence gaps: the analysts' outlook, the headline series' forecasts in the
yardstick's words, and what the data do not cover.

A headline series' forecast, backtest and probability are computed once per run from its
exact quarter totals (`SeriesModel`), so every edition that states them states the same
judgement from the same evidence; an edition states them only where it publishes every
quarter of the trend window (`Edition.series`), and prints the forecast as coarsely as a
forecast is (two or three significant figures) and rounded as it rounds counts. A forecast is
shown only where it beat the seasonal-naive forecast on the series' own history
(`transforms.forecasts.backtest`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from checks.disclosure import round_to_base
from rendering import charts
from rendering.chapters.core import SECTOR_LABELS, Edition, fmt_for, section, table
from rendering.chapters.key_judgements import KPIS
from rendering.judgements import in_sentence, probability_term
from transforms import assessment
from transforms import forecasts as fc
from transforms.periods import shift_quarter

SUBJECTS = {  # what will exceed a level, as the outlook's sentence says it
    "HL_URLS_CONFIRMED": "the URLs hotlines confirm",
    "HL_URLS_COMMERCIAL": "the commercial URLs hotlines confirm",
    "PAY_FLAGGED_TXN_VALUE": "the value of the transactions payment providers flag",
    "PAY_MERCHANTS_TERMINATED": "the merchant accounts payment providers terminate",
    "LE_ARRESTS": "arrests",
    "IND_ITEMS_REMOVED": "the items industry removes",
}
NO_OUTLOOK_YET = ("The analysts have not yet written their outlook for this quarter; the "
                  "forecasts below are the model's alone.")


@dataclass(frozen=True)
class SeriesModel:
    """A headline series' model, fitted once per run to its exact quarter totals (`totals`):
    the forecast, its backtest and the probability that next quarter exceeds this one, or
    why there is none."""

    totals: np.ndarray
    forecast: fc.Forecast | None
    backtest: fc.Backtest | None
    reason: str = ""   # why no forecast is shown ("" when one is)

    @property
    def exceeds(self) -> float:
        """The model's probability that next quarter's total exceeds this quarter's."""
        return self.forecast.probability_above(1, float(self.totals[-1]))


@dataclass(frozen=True)
class SeriesOutlook:
    """One headline series in an edition: its history as the edition publishes it and its
    model, or why the edition states none."""

    indicator: str
    label: str
    unit: str
    quarters: list[str]
    values: np.ndarray
    model: SeriesModel

    @property
    def shown(self) -> bool:
        return not self.model.reason


def series_model(edition: Edition, indicator: str) -> SeriesModel:
    """The series' model from its exact totals over the trend window (once per run: asked
    only by an edition that publishes every one of those quarters)."""
    quarters = edition.trend
    totals = edition.member_rows(indicator).groupby("quarter")["value"].sum()
    values = totals.reindex(quarters).to_numpy(dtype=float)
    seasons = fc.quarter_of_year(quarters)
    breaks = [quarters.index(q) for q in
              assessment.series_breaks_in(edition.data, indicator, quarters)]
    if (forecast := fc.fit_forecast(values, seasons, breaks)) is None:
        return SeriesModel(values, None, None, "the model cannot be fitted (a quarter of zero, "
                           "or too many series breaks)")
    backtest = fc.backtest(values, seasons, breaks)
    if not backtest.forecasts:
        return SeriesModel(values, forecast, backtest,
                           "the history is too short to test the model")
    if not backtest.beats_naive:
        return SeriesModel(values, forecast, backtest, "on the series' own history the model "
                           "did no better than taking the same quarter a year earlier")
    return SeriesModel(values, forecast, backtest)


def series_outlooks(edition: Edition) -> list[SeriesOutlook]:
    """Each KPI series as the edition publishes it, with its model where the edition
    publishes every quarter of the trend window."""
    quarters = edition.trend
    outlooks = []
    for indicator, tile_label, _ in KPIS:
        cells = edition.series(indicator, quarters).set_index("quarter").reindex(quarters)
        values = cells["value"].to_numpy(dtype=float)
        model = SeriesModel(np.empty(0), None, None, f"not every quarter from {quarters[0]} to "
                            f"{edition.quarter} is published in this edition") \
            if np.isnan(values).any() else edition.data.figures.once(
                ("outlook", indicator, tuple(quarters)),
                lambda indicator=indicator: series_model(edition, indicator))
        outlooks.append(SeriesOutlook(indicator, tile_label, edition.unit_of(indicator),
                                      quarters, values, model))
    return outlooks


def published(edition: Edition, unit: str, values: np.ndarray) -> np.ndarray:
    """Forecast values as printed: two significant figures, three from 10,000 up (as precise
    as a forecast is, and too coarse to coincide with a hidden cell's exact value, which the
    release check would rightly refuse to print), then rounded as the edition rounds counts."""
    values = np.asarray(values, dtype=float)
    magnitude = np.floor(np.log10(np.where(values > 0, values, 1.0)))
    scale = 10.0 ** (magnitude - np.where(magnitude >= 4, 2, 1))
    base = edition.rules.rounding_base if unit == "count" else 1
    return round_to_base(np.round(values / scale) * scale, base)


def subject(edition: Edition, indicator: str) -> str:
    """The series as a sentence names it."""
    return SUBJECTS.get(indicator) or edition.name_of(indicator).lower()


def expectation(edition: Edition, outlook: SeriesOutlook) -> str:
    """The series' next quarter in the yardstick's words, or why no forecast is made."""
    if not outlook.shown:
        return (f"No reliable forecast can be made for {subject(edition, outlook.indicator)}: "
                f"{outlook.model.reason}.")
    fmt = fmt_for(outlook.unit)
    forecast = outlook.model.forecast
    level = float(outlook.values[-1])  # as the edition prints it; the model's is exact
    term = probability_term(outlook.model.exceeds)
    point, low80, high80, low95, high95 = (
        fmt(published(edition, outlook.unit, v)[0]) for v in (
            forecast.point, forecast.low80, forecast.high80, forecast.low95, forecast.high95))
    return (f"It is {in_sentence(term)} that {subject(edition, outlook.indicator)} will "
            f"exceed this quarter's {fmt(level)} in {shift_quarter(edition.quarter, 1)}: the "
            "central forecast is "
            f"{point} (80% prediction interval {low80} to {high80}; 95% {low95} to {high95}).")


def forecast_fans(edition: Edition, outlooks: list[SeriesOutlook]) -> list[dict]:
    """A fan chart per shown forecast: the published history, then the central forecast and
    its 80% and 95% intervals, as printed (the values are registered as published: they are
    derived from the exact totals of quarters this edition publishes)."""
    fans = []
    for outlook in (o for o in outlooks if o.shown):
        forecast = outlook.model.forecast
        bands = [published(edition, outlook.unit, v) for v in (
            forecast.point, forecast.low80, forecast.high80, forecast.low95, forecast.high95)]
        ahead = [(shift_quarter(edition.quarter, step + 1), *(float(b[step]) for b in bands))
                 for step in range(fc.HORIZON)]
        edition.log.published_values.update(v for a in ahead for v in a[1:])
        kind = "eur" if outlook.unit == "EUR" else "count"
        fans.append(charts.fan_chart(
            list(zip(outlook.quarters, map(float, outlook.values), strict=True)), ahead,
            y_label=f"{outlook.label} ({'EUR' if kind == 'eur' else 'count'})",
            fig_id=f"forecast_{outlook.indicator.lower()}", kind=kind,
            breaks=assessment.series_breaks_in(edition.data, outlook.indicator,
                                               outlook.quarters),
            caption=f"{outlook.label}: published quarters {outlook.quarters[0]} to "
                    f"{edition.quarter} and forecasts to "
                    f"{shift_quarter(edition.quarter, fc.HORIZON)}, with 80% (darker) and "
                    "95% prediction intervals; forecasts rounded as printed in the table"))
    return fans


def forecast_table(edition: Edition, outlooks: list[SeriesOutlook]) -> dict | None:
    """Each shown series' forecast for the four quarters ahead."""
    rows = []
    for outlook in (o for o in outlooks if o.shown):
        fmt, forecast = fmt_for(outlook.unit), outlook.model.forecast
        point, low80, high80, low95, high95 = (
            [fmt(v) for v in published(edition, outlook.unit, values)] for values in (
                forecast.point, forecast.low80, forecast.high80, forecast.low95,
                forecast.high95))
        rows += [[outlook.label, shift_quarter(edition.quarter, step + 1), point[step],
                  f"{low80[step]} to {high80[step]}", f"{low95[step]} to {high95[step]}"]
                 for step in range(fc.HORIZON)]
    if not rows:
        return None
    return table("forecasts", f"Forecasts of the headline series, "
                 f"{shift_quarter(edition.quarter, 1)} to "
                 f"{shift_quarter(edition.quarter, fc.HORIZON)}",
                 ["Series", "Quarter", "Central forecast", "80% interval", "95% interval"],
                 rows, [False, False, True, True, True],
                 ["Log-linear model with trend, quarter-of-year effects and series breaks, "
                  f"fitted to the {len(edition.trend)} published quarters (their exact totals, "
                  "the same in every edition that states it); shown only where "
                  "it beat the same quarter a year earlier on that history (see the annex "
                  "on forecast backtests). Central forecast: the median; forecasts are printed "
                  "to two significant figures, three from 10,000 up"
                  + edition.rounding_note() + "."])


def build(edition: Edition) -> dict:
    quarter = edition.quarter
    gaps = intelligence_gaps(edition)
    outlooks = series_outlooks(edition)
    return section(
        "outlook", "Outlook and intelligence gaps",
        summary=(edition.narrative.outlook or [NO_OUTLOOK_YET])
        + [expectation(edition, outlook) for outlook in outlooks],
        tables=[forecast_table(edition, outlooks),
                table("intelligence_gaps", f"Intelligence gaps, {quarter}",
                      ["Area", "What the data do not cover"],
                      gaps or [["-", "None found: every expected member and indicator "
                                     f"arrived for {quarter}."]],
                      [False, False])],
        figures=forecast_fans(edition, outlooks))


def intelligence_gaps(edition: Edition) -> list[list[str]]:
    """What the data do not cover this quarter: sectors short of members, indicators that
    nobody reports or that did not arrive, figures hidden whole by disclosure control."""
    data, quarter = edition.data, edition.quarter
    gaps = []
    coverage = assessment.coverage_by_sector(data, [quarter])
    for row in coverage.itertuples():
        if row.members_complete < row.members_expected:
            gaps.append([SECTOR_LABELS.get(row.sector, row.sector),
                         f"{int(row.members_complete)} of {row.members_expected} members "
                         "sent every expected indicator."])
    unplanned = sorted(set(data.indicators["indicator"]) - set(data.coverage["indicator"]))
    if unplanned:
        gaps.append(["Catalogue", "No member's reporting plan covers " + ", ".join(
            edition.name_of(i) for i in unplanned) + "."])
    cov = data.coverage[data.coverage["quarter"] == quarter]
    arrived = cov.groupby("indicator")["is_submitted"].any()
    if missing := sorted(arrived[~arrived].index):
        gaps.append(["Arrivals", "Expected but received from no member: " + ", ".join(
            edition.name_of(i) for i in missing) + "."])
    if hidden := edition.indicators_withheld():
        cells = pd.concat([edition.series(i, edition.trend) for i in hidden])
        gaps.append(["Disclosure control", "Every figure is suppressed for "
                     + ", ".join(edition.name_of(i) for i in hidden)
                     + f", by {edition.hidden_by(cells)}."])
    return gaps

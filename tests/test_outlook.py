"""The outlook chapter and the forecast annex on small hand-made coalitions: a forecast is
printed only from fully published series and only where it beat the seasonal-naive forecast,
rounded as the edition rounds, in the yardstick's words."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from checks.disclosure import load_rules
from rendering.chapters import forecast_backtest, outlook
from rendering.chapters.core import Edition
from rendering.judgements import probability_term
from tests.test_chapters import QUARTERS, two_hotlines
from transforms import forecasts as fc

HOTLINES = ("hl-north", "hl-west", "hl-south", "hl-east", "hl-central")


def hotlines(values: dict[str, list[float]]) -> Edition:
    """Five equal hotlines whose confirmed URLs add up to `values[...]` per quarter."""
    data = two_hotlines()
    rows = []
    for t, quarter in enumerate(QUARTERS):
        for member in HOTLINES:
            rows.append({"member_id": member, "sector": "hotline", "quarter": quarter,
                         "indicator": "HL_URLS_CONFIRMED", "dimension": "", "category": "",
                         "is_additive": True, "value": values["HL_URLS_CONFIRMED"][t] / 5,
                         "months_reported": 3, "is_quarterly_report": False,
                         "has_series_break": False, "has_estimate": False,
                         "values_not_available": 0, "is_complete": True})
    data = type(data)(**{**{f: getattr(data, f) for f in (
        "quarter", "as_of", "totals", "coverage", "members", "indicators", "series_breaks",
        "submissions_used")}, "member_values": pd.DataFrame(rows)})
    return Edition(data, load_rules("public"))


def growing() -> list[float]:
    t = np.arange(12)
    return list(np.round(10_000 * np.exp(0.06 * t) * np.array([1.2, 1.0, 0.9, 0.95])[t % 4]
                         * np.exp(np.random.default_rng(1).normal(0, 0.02, 12))))


def test_a_growing_seasonal_series_is_forecast_and_said_in_yardstick_terms():
    edition = hotlines({"HL_URLS_CONFIRMED": growing()})
    urls = next(o for o in outlook.series_outlooks(edition)
                if o.indicator == "HL_URLS_CONFIRMED")
    assert urls.shown and urls.model.backtest.beats_naive
    sentence = outlook.expectation(edition, urls)
    assert sentence.startswith("It is ") and "will exceed this quarter's" in sentence
    assert "2026-Q4" in sentence
    # 2023-Q4 is t = 0: next quarter, a Q4 (season 1.2 against Q3's 0.95), on a rising trend
    assert sentence.startswith(("It is almost certain", "It is highly likely"))
    table = outlook.forecast_table(edition, outlook.series_outlooks(edition))
    printed = [row for row in table["rows"] if row[0] == urls.label]
    assert [row[1] for row in printed] == ["2026-Q4", "2027-Q1", "2027-Q2", "2027-Q3"]
    numbers = [int(n.replace(",", "")) for row in printed for cell in row[2:]
               for n in re.findall(r"[\d,]+", cell)]
    assert numbers and all(n % 5 == 0 for n in numbers)  # the public edition rounds to 5
    # two significant figures (three from 10,000 up): never a hidden cell's exact value
    assert all(len(str(n).rstrip("0")) <= (3 if n >= 10_000 else 2) for n in numbers)
    assert outlook.published(edition, "count", np.array([109_134.0, 995.0, 29.4])).tolist() \
        == [109_000.0, 1_000.0, 30.0]


def test_a_series_the_naive_forecast_already_gets_right_gets_no_forecast():
    flat = list(np.tile([10_000.0, 12_000.0, 9_000.0, 11_000.0], 3))
    edition = hotlines({"HL_URLS_CONFIRMED": flat})
    urls = next(o for o in outlook.series_outlooks(edition)
                if o.indicator == "HL_URLS_CONFIRMED")
    assert not urls.shown
    assert outlook.expectation(edition, urls).startswith(
        "No reliable forecast can be made for the URLs hotlines confirm: on the series' own "
        "history the model did no better")


def test_hidden_quarters_give_no_forecast_and_the_chapter_names_no_file():
    edition = Edition(two_hotlines(), load_rules("coalition"))  # two members: all hidden
    section = outlook.build(edition)
    assert all(text.startswith("No reliable forecast") for text in section["summary"][1:])
    assert "not every quarter from 2023-Q4 to 2026-Q3 is published" in section["summary"][1]
    assert [t["id"] for t in section["tables"]] == ["intelligence_gaps"]
    assert not any("EFC_HOME" in text or "narratives/" in text for text in section["summary"])
    annex = forecast_backtest.build(edition)
    assert all(row[-1] == "no" for row in annex["tables"][0]["rows"])
    assert annex["summary"] and "seasonal-naive" in " ".join(annex["summary"])


def test_both_editions_give_a_forecast_the_probability_of_its_exact_totals():
    """The sample's arrests: rounded to 5, as the public edition prints them, the model would
    say 'likely'; both editions say what the exact totals say, and print the forecast alike."""
    arrests = [862.0, 913.0, 1028.0, 868.0, 877.0, 881.0, 935.0, 1001.0, 922.0, 924.0, 983.0,
               809.0]
    public = hotlines({"HL_URLS_CONFIRMED": arrests})
    coalition = Edition(public.data, load_rules("coalition"))
    said = {}
    for edition in (coalition, public):
        urls = next(o for o in outlook.series_outlooks(edition)
                    if o.indicator == "HL_URLS_CONFIRMED")
        said[edition.rules.edition] = outlook.expectation(edition, urls)
        rounded = fc.fit_forecast(urls.values, fc.quarter_of_year(QUARTERS), [])
    assert said["coalition"].startswith("It is highly likely that")
    assert said["public"].startswith("It is highly likely that")
    assert "this quarter's 810 in" in said["public"]  # the level as the edition prints it
    assert probability_term(rounded.probability_above(1, 810.0)) == "likely"  # what it was
    forecasts = [s.split(": ", 1)[1] for s in said.values()]
    assert forecasts[0] == forecasts[1]

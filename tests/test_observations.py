"""Reading values: the decimal mark is settled once per file, never guessed."""

from __future__ import annotations

import pandas as pd
import pytest

from transforms.observations import canonical_observations, parse_value, settle_decimal_mark


@pytest.mark.parametrize("texts,mark", [
    (["1.234,50", "12"], ","), (["1,234.50"], "."), (["12,5", "1.234"], ","),
    (["1.234.567"], ","), (["24000", "1.234"], None), (["0.123"], "."),
])
def test_settle_decimal_mark(texts, mark):
    assert settle_decimal_mark(pd.Series(texts)) == mark


def test_both_marks_proven_is_an_error():
    with pytest.raises(ValueError):
        settle_decimal_mark(pd.Series(["1.5", "2,5"]))


@pytest.mark.parametrize("text,mark,expected", [
    ("1.234", ",", 1234.0), ("1.234", ".", 1.234), ("1.234", None, "value_decimal_mark_ambiguous"),
    ("1.234,5", ",", 1234.5), ("abc", None, "value_is_number"), ("-3", None, -3.0),
    ("12,5", ".", "value_decimal_mark_inconsistent"),
])
def test_parse_value(text, mark, expected):
    assert parse_value(text, mark) == expected


def test_canonical_observations_cases_codes_and_reports_bad_values():
    rows = pd.DataFrame({
        "member_id": [" HL-North ", "hl-north"], "period": ["2026-07", "2026-07"],
        "indicator": ["hl_urls_confirmed", "HL_URLS_CONFIRMED"], "dimension": ["", "Site_Type"],
        "category": ["", "forum"], "value": ["1 234", "12 EUR"], "source_row": [2, 3]})
    frame, problems = canonical_observations(rows)
    assert frame["member_id"].tolist() == ["hl-north", "hl-north"]
    assert frame["indicator"].tolist() == ["HL_URLS_CONFIRMED"] * 2
    assert frame["dimension"].tolist() == ["", "site_type"]
    assert frame["status"].tolist() == ["A", "A"]
    assert frame["value"].iloc[0] == 1234.0
    assert [(p.rule, p.row) for p in problems] == [("value_is_number", 3)]

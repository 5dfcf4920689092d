"""Reading values: the decimal mark is settled once per file, never guessed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from transforms.cells import frame_columns
from transforms.observations import canonical_batch, canonical_observations, parse_value


def values_read(texts: list[str]) -> tuple[list[float], list[str]]:
    """One file's values as read, and the rules of its value problems."""
    rows = pd.DataFrame({"member_id": "hl-north", "period": "2026-07",
                         "indicator": "HL_URLS_CONFIRMED", "value": texts,
                         "source_row": range(2, 2 + len(texts))})
    frame, problems = canonical_observations(rows)
    return frame["value"].tolist(), [p.rule for p in problems]


@pytest.mark.parametrize("texts,values", [
    (["1.234,50", "12"], [1234.5, 12.0]), (["1,234.50"], [1234.5]),
    (["12,5", "1.234"], [12.5, 1234.0]), (["1.234.567"], [1234567.0]), (["0.123"], [0.123]),
])
def test_one_value_settles_the_files_decimal_mark(texts, values):
    assert values_read(texts) == (values, [])


def test_nothing_settles_an_ambiguous_mark():
    values, rules = values_read(["24000", "1.234"])
    assert values[0] == 24000.0 and rules == ["value_decimal_mark_ambiguous"]


def test_both_marks_proven_is_an_error():
    assert "value_decimal_mark_inconsistent" in values_read(["1.5", "2,5"])[1]


def test_each_file_settles_its_own_mark():
    text = pd.DataFrame({"value": ["1.234,5", "1,5", "1.5", "1.234"]})
    frame, problems = canonical_batch(frame_columns(text), np.array([0, 0, 1, 1]),
                                      np.array([2, 3, 2, 3]))
    assert frame["value"].tolist() == [1234.5, 1.5, 1.5, 1.234] and problems == {}


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

"""One cache of derived figures per assessment's data, shared by both editions of a run."""

from __future__ import annotations

from dataclasses import replace

import pytest

from checks.disclosure import load_rules
from rendering.chapters import key_judgements
from rendering.chapters.core import Edition
from tests.test_statistics import QUARTER, build, simulate
from transforms import statistics as st

PLANTED = {"HL_URLS_CONFIRMED": 0.4, "HL_REPORTS_RECEIVED": 0.3}


def test_a_figure_is_computed_once_and_named_by_what_it_is():
    data = build(simulate(seed=3))
    calls = []
    def change() -> st.ChangeEstimate:
        calls.append(1)
        return st.count_change(data, "HL_URLS_CONFIRMED", QUARTER, "2025-Q3")
    key = ("count_change", "HL_URLS_CONFIRMED", QUARTER, "2025-Q3")
    first, again = data.figures.once(key, change), data.figures.once(key, change)
    assert again is first and len(calls) == 1
    other = data.figures.once(("count_change", "HL_URLS_CONFIRMED", QUARTER, "2026-Q2"),
                              lambda: st.count_change(data, "HL_URLS_CONFIRMED", QUARTER,
                                                      "2026-Q2"))
    assert other.base_quarter == "2026-Q2" and first.base_quarter == "2025-Q3"


def test_data_with_other_member_values_starts_with_none_of_the_old_figures():
    """The statistics' slices belong to the data they were cut from: a copy without one
    member must not be estimated from slices that still hold it."""
    data = build(simulate(seed=3))
    before = st.count_change(data, "HL_URLS_CONFIRMED", QUARTER, "2025-Q3")
    values = data.member_values
    fewer = replace(data, member_values=values[values["member_id"] != "hl-a"])
    assert fewer.figures is not data.figures
    assert "hl-a" not in set(st.indicator_rows(fewer, "HL_URLS_CONFIRMED")["member_id"])
    after = st.count_change(fewer, "HL_URLS_CONFIRMED", QUARTER, "2025-Q3")
    assert "hl-a" in before.members and "hl-a" not in after.members
    assert "hl-a" in set(st.indicator_rows(data, "HL_URLS_CONFIRMED")["member_id"])


def test_both_editions_read_one_draft_of_the_judgements():
    data = build(simulate(seed=7, rise=PLANTED))
    rules = [load_rules(name) for name in ("coalition", "public")]
    finals = [key_judgements.final_narrative(Edition(data, edition_rules), None)
              for edition_rules in rules]
    assert finals[0].judgements, "the planted rises should be drafted"
    assert rules[0].min_contributors == rules[1].min_contributors
    key = ("draft", QUARTER, rules[1].min_contributors)
    drafted = data.figures.once(key, lambda: pytest.fail("the second edition drafted again"))
    assert [j.key for j in drafted.judgements] == [j.key for j in finals[1].judgements]

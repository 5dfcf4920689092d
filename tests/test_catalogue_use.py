"""Every indicator of the catalogue is used in the report: an additive one in the annex of
every indicator (and most in a chapter), one never added across members (medians, distinct
counts) in the methodology's table that says why no chapter shows it."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from checks.disclosure import load_rules
from efc.settings import REPO_ROOT
from rendering.chapters import methodology
from rendering.context import build_context
from tests.test_chapters import two_hotlines

CATALOGUE = pd.read_csv(REPO_ROOT / "reference" / "indicators.csv", dtype=str)


@pytest.fixture(scope="module")
def report() -> dict:
    context, _, _ = build_context(two_hotlines(), load_rules("coalition"),
                                  cut_off="2026-10-20 00:00 UTC", code_version="test",
                                  catalogue_version="test")
    return {s["id"]: s for s in context["chapters"] + context["annexes"]}


def rows(report: dict, section: str, table: str) -> list[list[str]]:
    return next(t for t in report[section]["tables"] if t["id"] == table)["rows"]


def test_every_additive_indicator_is_in_the_indicator_annex(report):
    printed = {row[1] for row in rows(report, "indicator_figures", "indicator_figures")}
    additive = CATALOGUE[CATALOGUE["additive"] == "true"]
    assert printed == set(additive["name"])
    # two hotlines only: each printed value is suppressed (c, or a range that holds its whole
    # protection interval), never left out and never exact
    printed_values = {row[2] for row in rows(report, "indicator_figures", "indicator_figures")}
    assert "c" in printed_values
    assert all(v == "c" or re.fullmatch(r"€?[\d,]+–€?[\d,]+", v) for v in printed_values)


def test_every_indicator_never_added_has_its_reason_in_the_methodology(report):
    explained = rows(report, "methodology", "indicators_not_added")
    not_added = CATALOGUE[CATALOGUE["additive"] != "true"]
    assert {row[0] for row in explained} == set(not_added["name"])
    assert set(methodology.NOT_ADDED) == set(not_added["indicator"]), (
        "a new median or distinct count needs its reason in methodology.NOT_ADDED")
    assert all(len(row[1]) > 40 for row in explained)

"""Coarsening before suppression (issue 13): region rows through the gate, bands that keep a
hidden value's protection, and directions only where what is printed implies them."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from checks.coarsening import band, band_ends, direction, load_coarsening, region_rows
from checks.disclosure import DisclosureLog, load_rules
from efc.settings import REPO_ROOT
from rendering.chapters.core import Edition
from rendering.formatting import SUPPRESSED
from transforms.assessment import AssessmentData
from transforms.periods import shift_quarter

QUARTER = "2026-Q3"
REGIONS = {"NG": "Africa", "KE": "Africa", "DE": "Europe", "FR": "Europe", "JP": "Asia"}


def contributions(cells: dict[str, dict[str, float]]) -> pd.DataFrame:
    """Members' values of hidden countries: {country: {member: value}}."""
    return pd.DataFrame([(country, member, value) for country, members in cells.items()
                         for member, value in members.items()],
                        columns=["country", "member_id", "value"])


def test_a_region_row_that_would_give_back_a_country_stays_hidden():
    # NG is one member's (threshold); JP passes every rule and is hidden only to protect NG.
    # With the total published, the hidden countries' sum is known: Asia's row (JP alone)
    # would give NG back as that sum less JP, and Africa's row is NG itself.
    log = DisclosureLog()
    rows = region_rows(contributions({"NG": {"m1": 100.0},
                                      "JP": {f"m{i}": 200.0 for i in range(2, 7)}}),
                       REGIONS, total_published=True, rules=load_rules("coalition"), log=log,
                       table="by region").set_index("region")
    assert rows["value"].isna().all()
    assert rows.at["Africa", "suppressed_by"] == "threshold"
    assert rows.at["Asia", "suppressed_by"] == "secondary"
    assert log.hidden[("by region", "secondary")] == 1 and not log.published["by region"]
    assert {("Africa", "Total"), ("Asia", "Total")} <= log.pattern.forced("by region")


def test_a_region_row_that_narrows_no_country_is_published_and_proved():
    # Europe's row (NG's threshold cell's partner DE and the small FR) is wide enough that
    # FR stays unknown within its protection; Africa's row is one member's and stays hidden.
    log = DisclosureLog()
    rows = region_rows(contributions({"FR": {"m1": 100.0},
                                      "DE": {f"m{i}": 300.0 for i in range(2, 7)},
                                      "NG": {"m7": 50.0}}),
                       REGIONS, total_published=False, rules=load_rules("coalition"), log=log,
                       table="by region").set_index("region")
    assert rows.at["Europe", "value"] == 1600.0 and rows.at["Europe", "countries"] == 2
    assert np.isnan(rows.at["Africa", "value"])
    audit = log.audits["by region"]
    assert audit["ok"].all()
    fr = audit[(audit["region"] == "Europe") & (audit["country"] == "FR")].iloc[0]
    assert fr["upper"] >= 130.0 and fr["lower"] <= 70.0  # 30 % of 100 either way
    assert log.published["by region"] == 1 and 1600.0 in log.published_values


@pytest.mark.parametrize("value", [1.0, 3.0, 7.0, 42.0, 99.0, 735.0, 1_216.0, 9_286.0,
                                   49_999.0, 123_456.0])
@pytest.mark.parametrize("share", [0.0, 0.1, 0.3, 0.9])
def test_a_band_holds_the_value_and_its_whole_protection_interval(value, share):
    lower, upper = max(1.0, share * value), max(1.0, 1.5 * share * value)
    first, last = band(value, min(lower, value), upper)
    assert first <= value - min(lower, value) and last >= value + upper
    assert first <= value <= last
    assert last - first >= min(lower, value) + upper  # at least the protection's width
    ends = band_ends((1, 5), last + 1)
    assert first in ends and last + 1 in ends  # readable ends: 1, 5, 10, 50, ...


def test_no_band_where_the_protection_is_unbounded():
    assert band(100.0, 30.0, np.inf) is None


def test_a_direction_only_where_the_printed_ranges_do_not_overlap():
    assert direction((100, 499), (500, 999)) == "rose"
    assert direction((1_000, 4_999), (100, 499)) == "fell"
    assert direction((100, 499), (400, 999)) is None
    assert direction((100, 499), (100, 499)) is None


def test_each_edition_names_its_coarsening_in_the_rules():
    for edition in ("coalition", "public"):
        coarsening = load_coarsening(edition)
        assert coarsening.regions and coarsening.bands and coarsening.directions
        assert [rule for rule, _ in coarsening.describe()] == [
            "region rows", "bands", "direction only"]
    assert load_coarsening("no such edition").describe() == []


# -- an edition's hidden totals as bands and directions ---------------------------------------


def arrests(values: dict[str, list[float]]) -> AssessmentData:
    """Police arrests per quarter from the members listed: {quarter: [one value per member]}."""
    rows = [{"member_id": f"le-{i}", "sector": "law_enforcement", "quarter": quarter,
             "indicator": "LE_ARRESTS", "dimension": "", "category": "", "is_additive": True,
             "value": value, "months_reported": 3, "is_quarterly_report": False,
             "has_series_break": False, "has_estimate": False, "values_not_available": 0,
             "is_complete": True}
            for quarter, members in values.items() for i, value in enumerate(members)]
    indicators = pd.read_csv(REPO_ROOT / "reference" / "indicators.csv", dtype=str)
    return AssessmentData(
        quarter=QUARTER, as_of=datetime(2026, 10, 20, tzinfo=UTC),
        member_values=pd.DataFrame(rows), totals=pd.DataFrame(), coverage=pd.DataFrame(),
        members=pd.read_csv(REPO_ROOT / "reference" / "members.csv", dtype=str),
        indicators=indicators[["indicator", "name", "unit"]],
        series_breaks=pd.DataFrame(columns=["indicator", "member_id", "period", "note"]),
        submissions_used=pd.DataFrame(columns=["submission_id", "sha256", "member_id"]))


YEAR_AGO = shift_quarter(QUARTER, -4)


def test_a_hidden_total_prints_as_its_band_and_its_rise_where_the_bands_imply_it():
    # two members: below the threshold of three in both quarters
    edition = Edition(arrests({YEAR_AGO: [60.0, 40.0], QUARTER: [1_200.0, 800.0]}),
                      load_rules("coalition"))
    assert edition.level_text("LE_ARRESTS", YEAR_AGO) == "50\u2013499"  # 100 +- 30
    assert edition.level_text("LE_ARRESTS") == "1,000\u20134,999"  # 2,000 +- 600
    assert edition.direction_text("LE_ARRESTS", YEAR_AGO) == "total rose"
    rows = edition.indicator_rows(("LE_ARRESTS",), "police")
    assert rows[0][1] == "1,000\u20134,999" and rows[0][3] == "total rose"
    assert len(edition.coarsened) == 2


def test_overlapping_bands_imply_no_direction_and_print_c():
    edition = Edition(arrests({YEAR_AGO: [200.0, 100.0], QUARTER: [250.0, 150.0]}),
                      load_rules("coalition"))
    assert edition.level_text("LE_ARRESTS", YEAR_AGO) == "100\u2013499"  # 300 +- 90
    assert edition.level_text("LE_ARRESTS") == "100\u2013999"  # 400 +- 120 reaches past 499
    assert edition.direction_text("LE_ARRESTS", YEAR_AGO) == SUPPRESSED


def test_an_edition_without_coarsening_prints_c():
    rules = load_rules("coalition")
    edition = Edition(arrests({YEAR_AGO: [60.0, 40.0], QUARTER: [1_200.0, 800.0]}), rules)
    edition.coarsening = load_coarsening("no such edition")
    assert edition.level_text("LE_ARRESTS") == SUPPRESSED
    assert edition.direction_text("LE_ARRESTS", YEAR_AGO) == SUPPRESSED
    assert not edition.coarsened

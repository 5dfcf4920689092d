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
from rendering.chapters import disclosure, hotlines, key_judgements
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


def totals(values: dict[str, list[float]], indicator: str = "LE_ARRESTS",
           sector: str = "law_enforcement") -> AssessmentData:
    """An indicator's totals per quarter (police arrests unless told) from the members listed:
    {quarter: [one value per member]}, each member complete in its quarters."""
    rows = [{"member_id": f"m-{i}", "sector": sector, "quarter": quarter,
             "indicator": indicator, "dimension": "", "category": "", "is_additive": True,
             "value": value, "months_reported": 3, "is_quarterly_report": False,
             "has_series_break": False, "has_estimate": False, "values_not_available": 0,
             "is_complete": True}
            for quarter, members in values.items() for i, value in enumerate(members)]
    coverage = pd.DataFrame([
        {"quarter": row["quarter"], "member_id": row["member_id"], "sector": sector,
         "indicator": indicator, "frequency": "month", "is_submitted": True,
         "is_complete": True} for row in rows])
    indicators = pd.read_csv(REPO_ROOT / "reference" / "indicators.csv", dtype=str)
    return AssessmentData(
        quarter=QUARTER, as_of=datetime(2026, 10, 20, tzinfo=UTC),
        member_values=pd.DataFrame(rows), totals=pd.DataFrame(), coverage=coverage,
        members=pd.read_csv(REPO_ROOT / "reference" / "members.csv", dtype=str),
        indicators=indicators[["indicator", "name", "unit"]],
        series_breaks=pd.DataFrame(columns=["indicator", "member_id", "period", "note"]),
        submissions_used=pd.DataFrame(columns=["submission_id", "sha256", "member_id"]))


YEAR_AGO = shift_quarter(QUARTER, -4)


def test_a_hidden_total_prints_as_its_band_and_its_rise_where_the_bands_imply_it():
    # two members: below the threshold of three in both quarters
    edition = Edition(totals({YEAR_AGO: [60.0, 40.0], QUARTER: [1_200.0, 800.0]}),
                      load_rules("coalition"))
    assert edition.level_text("LE_ARRESTS", YEAR_AGO) == "50\u2013499"  # 100 +- 30
    assert edition.level_text("LE_ARRESTS") == "1,000\u20134,999"  # 2,000 +- 600
    assert edition.direction_text("LE_ARRESTS", YEAR_AGO) == "total rose"
    rows = edition.indicator_rows(("LE_ARRESTS",), "police")
    assert rows[0][1] == "1,000\u20134,999" and rows[0][3] == "total rose"
    assert len(edition.coarsened) == 2


def test_overlapping_bands_imply_no_direction_and_print_c():
    edition = Edition(totals({YEAR_AGO: [200.0, 100.0], QUARTER: [250.0, 150.0]}),
                      load_rules("coalition"))
    assert edition.level_text("LE_ARRESTS", YEAR_AGO) == "100\u2013499"  # 300 +- 90
    assert edition.level_text("LE_ARRESTS") == "100\u2013999"  # 400 +- 120 reaches past 499
    assert edition.direction_text("LE_ARRESTS", YEAR_AGO) == SUPPRESSED


def test_an_edition_without_coarsening_prints_c():
    rules = load_rules("coalition")
    edition = Edition(totals({YEAR_AGO: [60.0, 40.0], QUARTER: [1_200.0, 800.0]}), rules)
    edition.coarsening = load_coarsening("no such edition")
    assert edition.level_text("LE_ARRESTS") == SUPPRESSED
    assert edition.direction_text("LE_ARRESTS", YEAR_AGO) == SUPPRESSED
    assert not edition.coarsened


# -- the KPI tiles and the hotline volumes print what the tables print ------------------------


def tile(edition: Edition, label: str) -> dict:
    _, tiles = key_judgements.build(edition)
    return next(t for t in tiles if t["label"] == label)


ROSE = {YEAR_AGO: [60.0, 40.0], QUARTER: [1_200.0, 800.0]}  # two members: hidden, bands apart


def test_a_hidden_tile_prints_its_band_and_the_direction_of_its_total():
    edition = Edition(totals(ROSE), load_rules("public"))
    arrests = tile(edition, "Arrests")
    assert arrests["value"] == "1,000\u20134,999" and arrests["unit"] == "arrests"
    assert arrests["yoy"] == "total rose"  # compares printed totals, not members
    assert arrests["qoq"].startswith(f"{SUPPRESSED} (")  # no band a quarter earlier
    assert not arrests["published"]  # a range is not a headline figure kept
    assert edition.indicator_rows(("LE_ARRESTS",), "police")[0][1::2] == [
        arrests["value"], arrests["yoy"]]
    kept = edition.log.information_kept([False])
    assert kept["cells_coarsened"] == 1 and kept["changes_as_direction"] == 1


def test_a_euro_tile_says_euro_once():
    edition = Edition(totals({YEAR_AGO: [100.0] * 5, QUARTER: [987_330.0] * 5},
                             "PAY_FLAGGED_TXN_VALUE", "payment"), load_rules("coalition"))
    value = tile(edition, "Flagged transactions, value")
    assert (value["value"], value["unit"]) == ("€4,936,650", "")


def test_a_tile_prints_c_where_the_bands_overlap_or_the_edition_does_not_coarsen():
    overlapping = Edition(totals({YEAR_AGO: [200.0, 100.0], QUARTER: [250.0, 150.0]}),
                          load_rules("public"))
    assert tile(overlapping, "Arrests")["yoy"].startswith(f"{SUPPRESSED} (")
    plain = Edition(totals(ROSE), load_rules("public"))
    plain.coarsening = load_coarsening("no such edition")
    arrests = tile(plain, "Arrests")
    assert arrests["value"] == SUPPRESSED and arrests["yoy"].startswith(f"{SUPPRESSED} (")
    assert plain.log.information_kept([])["cells_coarsened"] == 0


def test_a_published_tile_prints_its_value_and_like_for_like_change():
    edition = Edition(totals({YEAR_AGO: [100.0] * 5, QUARTER: [120.0] * 5}),
                      load_rules("coalition"))
    arrests = tile(edition, "Arrests")
    assert arrests["published"] and arrests["value"] == "600"
    assert arrests["yoy"] == "+20.0% (5 members like-for-like)"
    assert edition.log.information_kept([True])["cells_coarsened"] == 0


def hotline_volumes(edition: Edition) -> tuple[dict, list[str]]:
    chapter = hotlines.build(edition)
    volumes = next(t for t in chapter["tables"] if t["id"] == "hotline_volumes")
    return volumes, chapter["summary"]


def test_hidden_hotline_volumes_print_the_band_and_direction_the_tile_prints():
    edition = Edition(totals(ROSE, "HL_URLS_CONFIRMED", "hotline"), load_rules("public"))
    volumes, summary = hotline_volumes(edition)
    row = next(r for r in volumes["rows"] if r[0].startswith("URLs confirmed"))
    confirmed = tile(edition, "URLs confirmed (hotlines)")
    assert row[1] == confirmed["value"] == "1,000\u20134,999"
    assert row[4] == confirmed["yoy"] == "total rose"
    assert summary[0].startswith("Hotlines confirmed 1,000\u20134,999 URLs")
    assert any(n.startswith("A range such as") for n in volumes["notes"])
    assert any(n.startswith("Total rose, total fell") for n in volumes["notes"])


def test_hotline_volumes_without_coarsening_print_c_and_say_the_figure_is_suppressed():
    edition = Edition(totals(ROSE, "HL_URLS_CONFIRMED", "hotline"), load_rules("public"))
    edition.coarsening = load_coarsening("no such edition")
    volumes, summary = hotline_volumes(edition)
    row = next(r for r in volumes["rows"] if r[0].startswith("URLs confirmed"))
    assert row[1] == row[4] == SUPPRESSED
    assert "is suppressed in this edition" in summary[0] and " c URLs" not in summary[0]
    assert not any(n.startswith("A range such as") for n in volumes["notes"])


def test_the_disclosure_annex_counts_what_the_edition_shows_coarsened():
    edition = Edition(totals(ROSE), load_rules("public"))
    _, tiles = key_judgements.build(edition)
    edition.headline = [t["published"] for t in tiles]
    summary = disclosure.build(edition)["summary"]
    kept = edition.log.information_kept(edition.headline)
    assert (kept["cells_coarsened"], kept["changes_as_direction"]) == (1, 1)
    assert kept["headline_published"] == 0  # a range is not a headline figure kept
    assert (f"1 of the {kept['cells_hidden']} hidden cells "
            f"({kept['share_of_hidden_coarsened']:.1%}) is shown as a range instead of c; "
            "1 hidden change is shown as the direction of the total only") in " ".join(summary)
    plain = Edition(totals(ROSE), load_rules("public"))
    plain.coarsening = load_coarsening("no such edition")
    key_judgements.build(plain)
    assert not any("What it says of what it hides" in s
                   for s in disclosure.build(plain)["summary"])

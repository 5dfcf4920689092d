"""Small pieces of 'one figure per fact' (issue 19): the en dash, countries in words and by
region, and the public edition's kinds of problem."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from checks.disclosure import load_rules
from efc.settings import REPO_ROOT
from rendering.chapters.core import Edition
from rendering.chapters.data_quality import category_of
from rendering.chapters.hosting import country_name, country_shares, region_of
from rendering.formatting import NOTHING, SUPPRESSED, fmt_change_pct, fmt_count, fmt_pct
from transforms.assessment import AssessmentData
from transforms.periods import shift_quarter


@pytest.mark.parametrize("formatter", [fmt_count, fmt_pct, fmt_change_pct])
def test_every_formatter_keeps_the_two_markers(formatter):
    assert formatter(NOTHING) == NOTHING == "\u2013"
    assert formatter(SUPPRESSED) == "c"


def test_countries_are_named_and_placed_in_their_un_m49_region():
    assert (country_name("NL"), region_of("NL")) == ("Netherlands", "Europe")
    assert (country_name("KR"), region_of("KR")) == ("South Korea", "Asia")
    assert (country_name("SC"), region_of("SC")) == ("Seychelles", "Africa")
    assert (country_name("US"), region_of("US")) == ("United States", "Americas")
    assert (country_name("MX"), region_of("MX")) == ("Mexico", "Americas")
    assert region_of("RU") == "Europe" and region_of("TR") == "Asia"
    assert region_of("AU") == "Oceania"
    assert country_name("XO") == "Onion service" and country_name("ZZ") == "Unknown"
    assert region_of("XO") == region_of("ZZ") == "Unknown or not attributable"


def test_the_public_edition_names_kinds_of_problem_never_identifier_types():
    kinds = {category_of(rule) for rule in ("identifying_email", "identifying_iban",
                                            "identifying_wallet_address")}
    assert kinds == {"identifying data"}
    assert category_of("value_is_number") == "values missing, malformed or implausible"
    assert category_of("file_too_large") == "file unreadable or in the wrong format"
    assert category_of("indicator_in_catalogue") == (
        "other checks against the indicator catalogue")


# -- one base for hosting, one count of hidden cells ---------------------------------------

QUARTER = "2026-Q3"
HOTLINES = ("hl-north", "hl-south", "hl-east", "hl-west", "hl-central")


def hosting(zz_members: int) -> AssessmentData:
    """Five hotlines of equal size report hosting countries for twelve quarters; ZZ (unknown)
    comes from `zz_members` of them, XO (onion) from all."""
    quarters = [shift_quarter(QUARTER, -i) for i in range(11, -1, -1)]
    rows = []
    for quarter in quarters:
        for i, member in enumerate(HOTLINES):
            parts = {"NL": 500.0, "US": 300.0, "XO": 50.0, "ZZ": 150.0 if i < zz_members else 0}
            parts = {c: v for c, v in parts.items() if v}
            cells = [("", "", sum(parts.values()))] + [("hosting_country", c, v)
                                                       for c, v in parts.items()]
            rows += [{"member_id": member, "sector": "hotline", "quarter": quarter,
                      "indicator": "HL_URLS_CONFIRMED", "dimension": dimension,
                      "category": category, "is_additive": True, "value": value,
                      "months_reported": 3, "is_quarterly_report": False,
                      "has_series_break": False, "has_estimate": False,
                      "values_not_available": 0, "is_complete": True}
                     for dimension, category, value in cells]
    indicators = pd.read_csv(REPO_ROOT / "reference" / "indicators.csv", dtype=str)
    indicators = pd.DataFrame({"indicator": indicators["indicator"],
                               "name": indicators["name"], "unit": indicators["unit"]})
    return AssessmentData(
        quarter=QUARTER, as_of=datetime(2026, 10, 20, tzinfo=UTC),
        member_values=pd.DataFrame(rows), totals=pd.DataFrame(), coverage=pd.DataFrame(),
        members=pd.read_csv(REPO_ROOT / "reference" / "members.csv", dtype=str),
        indicators=indicators,
        series_breaks=pd.DataFrame(columns=["indicator", "member_id", "period", "note"]),
        submissions_used=pd.DataFrame(columns=["submission_id", "sha256", "member_id"]))


def test_country_shares_divide_by_the_total_less_unknown_and_onion():
    edition = Edition(hosting(zz_members=5), load_rules("coalition"))
    cells = country_shares(edition, [QUARTER]).set_index("category")
    assert cells.at["NL", "base"] == 5 * 1000 - 5 * 150 - 5 * 50
    assert cells.at["NL", "share"] == pytest.approx(2500 / 4000)
    assert cells.at["US", "share"] == pytest.approx(1500 / 4000)
    assert pd.isna(cells.at["ZZ", "share"]) and pd.isna(cells.at["XO", "share"])


def test_a_hidden_unknown_hides_the_base_it_would_give_back():
    edition = Edition(hosting(zz_members=1), load_rules("coalition"))  # ZZ: one member
    cells = country_shares(edition, [QUARTER]).set_index("category")
    assert pd.isna(cells.at["ZZ", "value"])
    assert cells["base"].isna().all() and cells["share"].isna().all()


def test_a_caption_counts_hidden_cells_as_the_disclosure_annex_does():
    edition = Edition(hosting(zz_members=1), load_rules("coalition"))
    cells = edition.series("HL_URLS_CONFIRMED", [QUARTER], "hosting_country")
    caption = edition.caption("Hosting", QUARTER, "count", "hotlines", cells)
    name = edition.table_name("HL_URLS_CONFIRMED", "hosting_country")
    annex = sum(hidden for table, _, hidden, _ in edition.log.rows() if table == name)
    assert annex >= 12  # ZZ hidden in each of the twelve quarters, at least
    assert "Hidden cells, as the disclosure annex counts them" in caption
    assert f"{annex} in '{name}' (URLs confirmed" in caption
    shown = int(cells["value"].isna().sum())
    assert shown < annex  # the caption no longer counts only the cells it shows


def test_the_concentration_index_is_coarsened_where_a_country_is_hidden():
    from rendering.chapters.hosting import direction, hhi_band

    assert [hhi_band(x) for x in (900, 1_500, 2_499, 2_500, 7_000)] == [
        "below 1,500", "1,500 to 2,500", "1,500 to 2,500", "above 2,500", "above 2,500"]
    assert [direction(x) for x in (-250, -99, 0, 99, 250)] == [
        "fell", "about the same", "about the same", "about the same", "rose"]

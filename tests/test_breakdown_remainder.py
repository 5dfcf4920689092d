"""A breakdown beside its total: when members report the total without breaking it down, the
total less the breakdown's own total is their figure, so that quarter of the breakdown is
hidden whole unless their part would pass the rules as a cell of its own."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from checks.disclosure import TOTAL, load_rules
from rendering.chapters.core import Edition
from tests.test_chapters import QUARTER, QUARTERS, reference
from transforms.assessment import AssessmentData

BREAKING_DOWN = ("pay-cardnet", "pay-cardplus", "pay-wallet", "pay-remit", "pay-acquirer")
METHODS = {"card": 0.5, "bank_transfer": 0.3, "e_wallet": 0.2}
INDICATOR, DIMENSION = "PAY_FLAGGED_TXN_COUNT", "payment_method"


def flagged(total_only: dict[str, float]) -> AssessmentData:
    """Five providers report flagged transactions in total and by payment method, each about
    as large as the others; the members of `total_only` report only a total."""
    rows = []

    def row(member: str, quarter: str, dimension: str, category: str, value: float) -> None:
        rows.append({"member_id": member, "sector": "payment", "quarter": quarter,
                     "indicator": INDICATOR, "dimension": dimension, "category": category,
                     "is_additive": True, "value": value, "months_reported": 3,
                     "is_quarterly_report": False, "has_series_break": False,
                     "has_estimate": False, "values_not_available": 0, "is_complete": True})

    for quarter in QUARTERS:
        for n, member in enumerate(BREAKING_DOWN):
            total = 1000.0 + 100 * n
            row(member, quarter, "", "", total)
            for method, share in METHODS.items():
                row(member, quarter, DIMENSION, method, total * share)
        for member, total in total_only.items():
            row(member, quarter, "", "", total)
    indicators = reference("indicators.csv")
    return AssessmentData(
        quarter=QUARTER, as_of=datetime(2026, 10, 20, tzinfo=UTC),
        member_values=pd.DataFrame(rows), totals=pd.DataFrame(), coverage=pd.DataFrame(),
        members=reference("members.csv"),
        indicators=pd.DataFrame({"indicator": indicators["indicator"],
                                 "name": indicators["name"], "unit": indicators["unit"]}),
        series_breaks=pd.DataFrame(columns=["indicator", "member_id", "period", "note"]),
        submissions_used=pd.DataFrame(columns=["submission_id", "sha256", "member_id"]))


def quarter_of(edition: Edition) -> tuple[float, pd.DataFrame]:
    """The quarter's published total and its breakdown's cells (margin included)."""
    total = edition.series(INDICATOR, [QUARTER])["value"].iloc[0]
    name = edition.table_name(INDICATOR, DIMENSION)
    edition.series(INDICATOR, [QUARTER], DIMENSION)
    audit = edition.log.issued.table(name)
    cells = pd.DataFrame([{"category": k[0], "quarter": k[1], "hidden": c.hidden}
                          for k, c in audit.items()])
    return total, cells[cells["quarter"] == QUARTER]


@pytest.mark.parametrize("edition_name", ["coalition", "public"])
def test_one_member_reporting_only_a_total_hides_the_breakdown_it_could_be_read_from(
        edition_name):
    edition = Edition(flagged({"pay-vasp": 2090.0}), load_rules(edition_name))
    total, cells = quarter_of(edition)
    assert not np.isnan(total)  # the total is published: five providers and one more
    assert cells["hidden"].all() and TOTAL in set(cells["category"])
    shown = edition.series(INDICATOR, [QUARTER], DIMENSION)
    assert shown["value"].isna().all() and shown["total"].isna().all()
    assert set(shown["suppressed_by"]) == {"remainder"}
    assert edition.log.hidden[(edition.table_name(INDICATOR, DIMENSION), "remainder")] > 0
    why = edition.withheld(shown, "flagged transactions by payment method", "payment provider")
    assert "without breaking it down" in why


def test_a_breakdown_its_members_all_report_is_published():
    edition = Edition(flagged({}), load_rules("coalition"))
    total, cells = quarter_of(edition)
    assert not cells["hidden"].any()
    shown = edition.series(INDICATOR, [QUARTER], DIMENSION)
    assert shown["total"].iloc[0] == pytest.approx(total)


def test_a_breakdown_whose_categories_need_not_add_up_is_not_judged_by_its_remainder():
    data = flagged({"pay-vasp": 2090.0})
    edition = Edition(AssessmentData(**{
        **{f: getattr(data, f) for f in ("quarter", "as_of", "member_values", "totals",
                                         "coverage", "members", "indicators", "series_breaks",
                                         "submissions_used")},
        "breakdowns_not_adding_up": frozenset({f"{INDICATOR}|{DIMENSION}"})}),
        load_rules("coalition"))
    _, cells = quarter_of(edition)
    assert not cells["hidden"].any()

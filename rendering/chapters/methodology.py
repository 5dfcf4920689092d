"""Scope, sources and methodology: who reports what, coverage, series breaks, caveats."""

from __future__ import annotations

import pandas as pd

from rendering.chapters.core import SECTOR_LABELS, Edition, section, table
from transforms import assessment


def build(edition: Edition) -> dict:
    data, quarter = edition.data, edition.quarter
    coverage = assessment.coverage_by_sector(data, data.window(4))
    rows = [[SECTOR_LABELS.get(r.sector, r.sector), r.quarter, str(r.members_expected),
             str(int(r.members_complete)), str(int(r.members_partial))]
            for r in coverage.sort_values(["sector", "quarter"]).itertuples()]
    matrix = assessment.coverage_matrix(data)
    matrix_rows = [[SECTOR_LABELS.get(r.sector, r.sector), r.month, str(r.expected),
                    str(int(r.submitted)), str(int(r.late)), str(int(r.revised))]
                   for r in matrix.itertuples()]
    break_rows = [[edition.name_of(r.indicator), r.period,
                   "all members" if pd.isna(r.member_id) or not r.member_id
                   else ("one member" if not edition.rules.member_detail else r.member_id),
                   str(r.note)] for r in data.series_breaks.sort_values("period").itertuples()]
    members = data.members.groupby("sector")["member_id"].count()
    return section(
        "methodology", "Scope, sources and methodology",
        summary=[
            "Members send aggregated, non-identifying statistics each month or quarter. A "
            "quarter's total adds complete member quarters only (all three months, or the "
            "quarterly figure).",
            "Members by sector: " + ", ".join(
                f"{SECTOR_LABELS.get(s, s)} {n}" for s, n in members.items()) + ".",
            f"Figures as the data stood at {data.as_of:%Y-%m-%d %H:%M} UTC; later corrections "
            "do not change this edition.",
            "Changes between quarters are like-for-like: only members that reported the "
            "indicator in both are compared, and the number of members is shown beside each "
            "change. Medians and distinct counts are never added across members.",
        ],
        tables=[
            table("coverage_matrix", f"Coverage matrix by sector and month, {quarter}",
                  ["Sector", "Month", "Expected", "Submitted", "Late", "Revised"], matrix_rows,
                  [False, False, True, True, True, True],
                  ["Members whose reporting plan expects figures for the month; submitted: "
                   "every expected indicator arrived; late: one arrived more than "
                   f"{data.reporting_due_days} days after its period ended, or is overdue; "
                   "revised: a later file corrected one."]),
            table("member_coverage", "Member coverage by sector, last four quarters",
                  ["Sector", "Quarter", "Expected", "Complete", "Partial"], rows,
                  [False, False, True, True, True],
                  ["Complete: every expected indicator arrived for the quarter. Partial: some "
                   "did."]),
            table("series_breaks", "Series breaks recorded in the indicator catalogue",
                  ["Indicator", "From", "Member", "What changed"],
                  break_rows or [["none", "-", "-", "-"]], [False, False, False, False],
                  ["A series is split at a break, never joined across it; members also mark a "
                   "break's first period with status B."]),
            not_added_table(edition),
        ])  # the caveats print once, under their heading in the key judgements


NOT_ADDED = {  # indicators no chapter shows, and why: each member's own median or distinct count
    "HL_MEDIAN_TAKEDOWN_DAYS": (
        "A median of each hotline's own removal times: the coalition's median cannot be made "
        "from members' medians, and one member's median is that member's own figure. Removal "
        "speed is shown instead by the time-to-removal buckets, which add up across members "
        "(Response and disruption)."),
    "IND_MEDIAN_REMOVAL_HOURS": (
        "A median of each industry member's own removal times: not combinable across members "
        "for the same reasons; industry's removal speed is in the time-to-removal buckets "
        "industry members also report."),
    "PAY_MEDIAN_TXN_EUR": (
        "A median of each provider's own flagged amounts: not combinable; the value and the "
        "number of flagged transactions, which add up, are shown instead (Payments)."),
    "HL_UNIQUE_DOMAINS": (
        "A distinct count within each hotline: a domain two hotlines both saw would count "
        "twice if added. The spread of hosting is shown instead by the hosting countries' "
        "concentration (Hosting)."),
}


def not_added_table(edition: Edition) -> dict:
    """The catalogue's indicators that are never added across members, and why no chapter
    shows them (every other indicator is in a chapter or the indicator annex)."""
    catalogue = edition.data.indicators
    rows = [[edition.name_of(code), NOT_ADDED.get(code, "Never added across members: "
                                                   "each member's figure is its own.")]
            for code in sorted(catalogue.loc[~catalogue["is_additive"], "indicator"])]
    return table("indicators_not_added", "Indicators reported but not shown as coalition "
                 "figures", ["Indicator", "Why not"], rows or [["none", "-"]], [False, False],
                 ["Every other indicator of the catalogue appears in a chapter and in the "
                  "annex listing every indicator this quarter."])

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
        ])  # the caveats print once, under their heading in the key judgements

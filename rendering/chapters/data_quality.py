"""Annex: what arrived and what was wrong with it, as counts by state and rule only."""

from __future__ import annotations

from rendering.chapters.core import Edition, section, table
from rendering.formatting import fmt_count


def build(edition: Edition) -> dict:
    data = edition.data
    files = [[state.replace("_", " "), fmt_count(n)]
             for state, n in zip(data.files_by_state["state"], data.files_by_state["files"],
                                 strict=True)]
    rules = [[severity, rule, fmt_count(n)] for severity, rule, n in
             data.problems_by_rule[["severity", "rule", "files"]].itertuples(index=False)]
    flags = [[severity, rule, fmt_count(n)] for severity, rule, n in
             data.warehouse_flags[["severity", "rule", "rows"]].itertuples(index=False)]
    return section(
        "data_quality", "Data quality",
        summary=["Every file gets a receipt; rejected files load nothing. Warnings load the "
                 "file and flag the rows. After each load, the warehouse suite checks "
                 "indicators against each other and against each member's own history."],
        tables=[
            table("files_by_state", "Files received up to the cut-off, by state",
                  ["State", "Files"], files, [False, True]),
            table("problems_by_rule", "Files with problems, by rule",
                  ["Severity", "Rule", "Files"], rules, [False, False, True],
                  ["Rule ids as members see them in their receipts."]),
            table("warehouse_flags", f"Warehouse checks flagged in {edition.quarter}, by rule",
                  ["Severity", "Rule", "Rows"], flags or [["-", "none", "0"]],
                  [False, False, True],
                  ["Cross-indicator rules and plausibility against each member's trailing "
                   "12-month median (status B and recorded breaks exempt)."]),
        ])

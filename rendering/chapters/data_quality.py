"""Annex: what arrived and what was wrong with it, as counts by state and rule only.

The coalition edition lists rule ids as members see them in their receipts. The public
edition says only the kind of problem ("rejected: identifying data"): which identifier a file
carried (an e-mail, an IBAN) tells a reader about a member's systems and its cases.
"""

from __future__ import annotations

from rendering.chapters.core import Edition, section, table
from rendering.formatting import NOTHING, fmt_count

# A rule id's prefix -> the kind of problem the public edition names instead of the rule.
CATEGORIES = (
    ("identifying_", "identifying data"),
    ("file_", "file unreadable or in the wrong format"),
    ("json_", "file unreadable or in the wrong format"),
    ("field_", "file unreadable or in the wrong format"),
    ("unknown_column", "file unreadable or in the wrong format"),
    ("value_", "values missing, malformed or implausible"),
    ("period_", "reporting period"),
    ("member_", "sender not a registered member"),
)
OTHER = "other checks against the indicator catalogue"


def category_of(rule: str) -> str:
    """The kind of problem a rule id belongs to, in words."""
    return next((words for prefix, words in CATEGORIES if rule.startswith(prefix)), OTHER)


def problems(edition: Edition) -> list[list[str]]:
    """Files with problems: by rule (coalition) or by kind of problem (public)."""
    frame = edition.data.problems_by_rule[["severity", "rule", "files"]]
    if not edition.rules.member_detail:
        frame = (frame.assign(rule=frame["rule"].map(category_of))
                 .groupby(["severity", "rule"], as_index=False)["files"].sum())
        return [[f"{severity}: {kind}", fmt_count(n)]
                for severity, kind, n in frame.itertuples(index=False)]
    return [[severity, rule, fmt_count(n)] for severity, rule, n in frame.itertuples(index=False)]


def build(edition: Edition) -> dict:
    data = edition.data
    files = [[state.replace("_", " "), fmt_count(n)]
             for state, n in zip(data.files_by_state["state"], data.files_by_state["files"],
                                 strict=True)]
    flags = [[severity, rule, fmt_count(n)] for severity, rule, n in
             data.warehouse_flags[["severity", "rule", "rows"]].itertuples(index=False)]
    rows = problems(edition)
    if edition.rules.member_detail:
        problem_table = table("problems_by_rule", "Files with problems, by rule",
                              ["Severity", "Rule", "Files"],
                              rows or [[NOTHING, "none", "0"]], [False, False, True],
                              ["Rule ids as members see them in their receipts; "
                               f"{NOTHING}: no file had a problem."])
    else:
        problem_table = table("problems_by_kind", "Files with problems, by kind of problem",
                              ["Outcome: kind of problem", "Files"],
                              rows or [["none", "0"]], [False, True],
                              ["Counts of files over every member, never per member or per "
                               "kind of identifier: a file with identifying data is rejected "
                               "whole and erased after its retention period."])
    return section(
        "data_quality", "Data quality",
        summary=["Every file gets a receipt; rejected files load nothing. Warnings load the "
                 "file and flag the rows. After each load, the warehouse suite checks "
                 "indicators against each other and against each member's own history."],
        tables=[
            table("files_by_state", "Files received up to the cut-off, by state",
                  ["State", "Files"], files, [False, True]),
            problem_table,
            table("warehouse_flags", f"Warehouse checks flagged in {edition.quarter}, by rule",
                  ["Severity", "Rule", "Rows"], flags or [[NOTHING, "none", "0"]],
                  [False, False, True],
                  ["Cross-indicator rules and plausibility against each member's trailing "
                   "12-month median (status B and recorded breaks exempt); "
                   f"{NOTHING}: nothing was flagged."]),
        ])


"""Annex: the disclosure rules and how many cells each hid in each table (counts only).

It counts every other table's cells, so the outline keeps it last.
"""

from __future__ import annotations

from rendering.chapters.core import Edition, section, table


def build(edition: Edition) -> dict:
    rules = edition.rules
    rows = [[name, rule, str(hidden), str(published)]
            for name, rule, hidden, published in edition.log.rows()]
    return section(
        "disclosure", "Disclosure control",
        summary=[f"{rule.replace('_', ' ').capitalize()} rule: {text}."
                 for rule, text in rules.describe()]
        + [f"Parameters version {rules.version}, {rules.label}."],
        tables=[table("disclosure_counts", "Cells hidden by each rule, per table (counts only)",
                      ["Table", "Rule", "Cells hidden", "Cells published"], rows,
                      [False, False, True, True])])

"""Annex: the disclosure rules and how many cells each hid in each table (counts only).

It counts every other table's cells, so the outline keeps it last.
"""

from __future__ import annotations

from rendering.chapters.core import Edition, section, table
from rendering.formatting import NOTHING


def build(edition: Edition) -> dict:
    """This edition's own suppression, from its own log: the counts its captions quote."""
    rules = edition.rules
    log_rows = edition.log.rows()
    rows = [[name, NOTHING if rule == "-" else rule, str(hidden), str(published)]
            for name, rule, hidden, published in log_rows]
    tables = sorted({name for name, *_ in log_rows})
    hidden = edition.hidden_cells(tables)
    return section(
        "disclosure", "Disclosure control",
        summary=[f"{rule.replace('_', ' ').capitalize()} rule: {text}."
                 for rule, text in rules.describe()]
        + [f"Parameters version {rules.version}, {rules.label}.",
           f"This edition ({rules.label}) hid {hidden} cells in {len(tables)} tables; the "
           "counts below are its own, and each figure's caption quotes the same count for "
           "the tables it is drawn from."],
        tables=[table("disclosure_counts", "Cells hidden by each rule, per table (counts only)",
                      ["Table", "Rule", "Cells hidden", "Cells published"], rows,
                      [False, False, True, True],
                      [f"Rule {NOTHING}: the table hid no cell."])])

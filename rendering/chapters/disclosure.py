"""Annex: the disclosure rules and how many cells each hid in each table (counts only).

It counts every other table's cells, so the outline keeps it last.
"""

from __future__ import annotations

from rendering.chapters.core import Edition, label, section, table
from rendering.formatting import NOTHING

SHOWN_COARSE = "Shown as a range or direction"


def build(edition: Edition) -> dict:
    """This edition's own suppression, from its own log: the counts its captions quote."""
    rules = edition.rules
    log_rows = edition.log.rows()
    logged = {name for name, *_ in log_rows}
    printed_only = [(name, "-", 0, 0) for name in set(edition.printed_coarse) - logged]
    rows = [[name, NOTHING if rule == "-" else label(rule), str(hidden),
             str(edition.coarse_cells(name)), str(published)]
            for name, rule, hidden, published in sorted(log_rows + printed_only)]
    tables = sorted({name for name, *_ in rows})
    hidden = edition.hidden_cells(tables)
    kept = edition.log.information_kept(edition.headline)
    waivers = [[w.member_id, w.indicator if w.indicator != "*" else "every indicator",
                f"{w.valid_from} to {w.valid_to or 'further notice'}", w.agreement_ref]
               for w in rules.waivers] if rules.member_detail else []
    return section(
        "disclosure", "Disclosure control",
        summary=[f"{label(rule).capitalize()} rule: {text}."
                 for rule, text in rules.describe()]
        + [f"Coarsening before suppression, {rule}: {text}."
           for rule, text in edition.coarsening.describe()]
        + [f"Parameters version {rules.version}, {rules.label}.",
           f"This edition ({rules.label}) hid {hidden} cells in {len(tables)} tables; the "
           "counts below are its own, and each figure's caption quotes the same count for "
           "the tables it is drawn from.",
           f"What it still says: {kept['share_of_cells_published']:.0%} of the cells "
           f"disclosure control judged are published ({kept['cells_published']:,} of "
           f"{kept['cells_published'] + kept['cells_hidden']:,}), and "
           f"{kept['headline_published']} of the {kept['headline']} headline figures (the "
           "key indicators' quarter values).",
           *coarsened_sentence(kept),
           derived_sentence(edition)],
        tables=[table("disclosure_counts", "Cells hidden by each rule, per table (counts only)",
                      ["Table", "Rule", "Cells hidden", SHOWN_COARSE, "Cells published"], rows,
                      [False, False, True, True, True],
                      [f"Rule {NOTHING}: the table hid no cell.",
                       f"{SHOWN_COARSE}: hidden figures printed instead of c as a range (a "
                       "total) or as the direction of the total (a change), counted in each "
                       "table that prints them and, for a total, in its indicator's own table "
                       "too; like Cells published, it repeats on each rule's row of a table.",
                       "A row named after a table of the report (key indicators, notices and "
                       "removals, ...) counts the changes that table prints; the totals it "
                       "prints are counted in their indicators' own tables ('... by quarter')."]),
                table("disclosure_waivers", "Consents to waive the dominance rules",
                      ["Member", "Indicator", "Quarters", "Agreement"], waivers,
                      [False, False, False, False],
                      ["The member's own contributions to these tables are not protected by "
                       "the dominance rules (it publishes them itself, more coarsely); it "
                       "still counts for the threshold and is still an attacker for the "
                       "others. Source: the waivers the members signed, each named in the "
                       "Agreement column."])
                if waivers else None])


def coarsened_sentence(kept: dict) -> list[str]:
    """How much of what the edition hides it still says coarsened (none where it says
    nothing so): hidden totals shown as a range, hidden changes as their direction."""
    ranges, directions = kept["cells_coarsened"], kept["changes_as_direction"]
    if not ranges and not directions:
        return []
    parts = [f"{ranges} of the {kept['cells_hidden']:,} hidden cells "
             f"({kept['share_of_hidden_coarsened']:.1%}) {'is' if ranges == 1 else 'are'} "
             "shown as a range instead of c"
             if ranges else "no hidden cell is shown as a range",
             f"{directions} hidden {'change is' if directions == 1 else 'changes are'} shown "
             "as the direction of the total only ('total rose', 'total fell')"
             if directions else "no hidden change is shown as a direction"]
    return [f"What it says of what it hides: {parts[0]}; {parts[1]}. Neither counts above "
            "as a published cell or headline figure."]


def derived_sentence(edition: Edition) -> str:
    """How many figures computed from the cells (like-for-like changes, ratios) the same audit
    judged, and how many it withheld: counts only, as the rest of the annex."""
    published = sum(edition.log.derived_published.values())
    withheld = len(edition.log.derived_withheld)
    return (f"Figures computed from the cells went through the same audit as the cells: "
            f"{published} like-for-like changes and ratios of members reporting both "
            f"printed, {withheld} printed as c because, with the totals beside them, they "
            "would have narrowed a hidden figure or given back a member outside the "
            "comparison.")

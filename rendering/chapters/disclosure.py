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
    kept = edition.log.information_kept(edition.headline)
    waivers = [[w.member_id, w.indicator if w.indicator != "*" else "every indicator",
                f"{w.valid_from} to {w.valid_to or 'further notice'}", w.agreement_ref]
               for w in rules.waivers] if rules.member_detail else []
    return section(
        "disclosure", "Disclosure control",
        summary=[f"{rule.replace('_', ' ').capitalize()} rule: {text}."
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
           "key indicators' quarter values)."
           + (f" Of the hidden cells, {len(edition.coarsened)} are shown as a range instead "
              "of c." if edition.coarsened else ""),
           derived_sentence(edition)],
        tables=[table("disclosure_counts", "Cells hidden by each rule, per table (counts only)",
                      ["Table", "Rule", "Cells hidden", "Cells published"], rows,
                      [False, False, True, True],
                      [f"Rule {NOTHING}: the table hid no cell."]),
                table("disclosure_waivers", "Consents to waive the dominance rules",
                      ["Member", "Indicator", "Quarters", "Agreement"], waivers,
                      [False, False, False, False],
                      ["The member's own contributions to these tables are not protected by "
                       "the dominance rules (it publishes them itself, more coarsely); it "
                       "still counts for the threshold and is still an attacker for the "
                       "others. Source: reference/disclosure_waivers.csv."])
                if waivers else None])


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

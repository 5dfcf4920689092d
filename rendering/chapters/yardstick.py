"""Annex: the probability yardstick, how statistical evidence maps to it, and confidence."""

from __future__ import annotations

from rendering import texts
from rendering.chapters.core import Edition, section, table
from rendering.judgements import in_sentence, probability_term


def build(edition: Edition) -> dict:
    return section(
        "yardstick", "Probability yardstick and confidence",
        summary=[texts.evidence_note()],
        tables=[
            table("yardstick", "Probability yardstick (UK PHIA)", ["Term", "Probability"],
                  [[term, f"{low:.0%} to {high:.0%}"] for term, low, high in texts.yardstick()],
                  [False, False],
                  ["A probability between two ranges reads as the term nearer 50% (52% is "
                   f"{in_sentence(probability_term(0.52))}, 78% "
                   f"{in_sentence(probability_term(0.78))}), so no statement is stronger than "
                   "its probability; the next table gives the ranges as applied."]),
            table("evidence_to_yardstick", "From statistical evidence to terms",
                  ["Term", "Probability of a change beyond the margin", "Rule"],
                  [list(row) for row in texts.evidence_to_yardstick()], [False, False, False]),
            table("confidence", "Analytical confidence", ["Level", "When"],
                  [list(row) for row in texts.confidence_rules()], [False, False]),
        ])

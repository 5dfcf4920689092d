"""Recommendations: the analysts' own, numbered, from the quarter's narrative; until they
write them, candidates drafted for them from the key judgements and the intelligence gaps.

Drafted candidates are marked as such: a recommendation commits a sector to act, which only
the analysts and the steering group can decide; the draft gives them a starting list.
"""

from __future__ import annotations

from rendering.chapters.core import SECTOR_LABELS, Edition, section, table
from rendering.chapters.outlook import intelligence_gaps
from rendering.chapters.summary import claim
from rendering.judgements import indicator_sector
from transforms.periods import shift_quarter

MAX_FROM_JUDGEMENTS = 4
DRAFTED = ("The analysts have not yet written recommendations for this quarter. The table "
           "lists candidates drafted for them from the key judgements and the intelligence "
           "gaps; each needs an owning sector and a date before it is issued.")


def build(edition: Edition) -> dict:
    recommendations = edition.narrative.recommendations
    if recommendations:
        return section("recommendations", "Recommendations",
                       summary=[f"{i}. {text}" for i, text in
                                enumerate(recommendations, start=1)])
    candidates = drafted_candidates(edition)
    return section(
        "recommendations", "Recommendations", summary=[DRAFTED] if candidates else [],
        tables=[table("recommendation_candidates",
                      f"Candidate recommendations drafted for the analysts, {edition.quarter}",
                      ["#", "Proposed owner", "Candidate", "Drawn from"],
                      [[str(i), *row] for i, row in enumerate(candidates, start=1)],
                      [True, False, False, False],
                      ["Drafts: the analysts keep, reword or drop each one, and give it an "
                       "owning sector and a date, in the quarter's narrative."])
                if candidates else None],
        missing=None if candidates else
        "The analysts have not yet written recommendations for this quarter, and no key "
        "judgement or intelligence gap suggests one.")


def drafted_candidates(edition: Edition) -> list[list[str]]:
    """(proposed owner, candidate, what it is drawn from): one per judgement the edition
    states (its sector to explain the change) and one per intelligence gap (to close it)."""
    due = shift_quarter(edition.quarter, 1)
    candidates = []
    judgements = [j for j in edition.narrative.judgements if edition.publishable(j.evidence)]
    for judgement in judgements[:MAX_FROM_JUDGEMENTS]:
        indicator = judgement.evidence.get("indicator")
        sector = indicator_sector(edition.data, indicator) if indicator else ""
        what = claim(judgement.text)
        what = what.split(" that ", 1)[1] if what.startswith("it is ") else what
        candidates.append([
            SECTOR_LABELS.get(sector, "The members concerned"),
            f"Explain why {what}, and whether it calls for a change in how the sector "
            f"detects or disrupts it, before the {due} assessment.",
            f"Key judgement ({judgement.probability_term}, {judgement.confidence} "
            "confidence)"])
    for area, gap in intelligence_gaps(edition):
        candidates.append(["The coalition's data team", f"Follow up with the members "
                           f"concerned before the {due} assessment: {gap}",
                           f"Intelligence gap ({area})"])
    return candidates

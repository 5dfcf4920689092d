"""Recommendations: the analysts' own, numbered, from the quarter's narrative; until they
write them, candidates drafted for them from the key judgements and the intelligence gaps.

Drafted candidates are marked as such: a recommendation commits a sector to act, which only
the analysts and the steering group can decide; the draft gives them a starting list.
"""

from __future__ import annotations

from rendering.chapters.core import SECTOR_LABELS, Edition, section
from rendering.chapters.outlook import intelligence_gaps
from rendering.chapters.summary import claim
from rendering.judgements import indicator_sector
from transforms.periods import shift_quarter

MAX_FROM_JUDGEMENTS = 4
DRAFTED = ("The analysts have not yet written recommendations for this quarter. Candidates "
           "drafted for them from the key judgements and the intelligence gaps follow; each "
           "needs an owning sector and a date before it is issued.")


def build(edition: Edition) -> dict:
    recommendations = edition.narrative.recommendations
    if recommendations:
        return section("recommendations", "Recommendations",
                       summary=[f"{i}. {text}" for i, text in
                                enumerate(recommendations, start=1)])
    candidates = drafted_candidates(edition)
    return section(
        "recommendations", "Recommendations",
        summary=[DRAFTED] + [f"{i}. {text}" for i, text in enumerate(candidates, start=1)],
        missing=None if candidates else
        "The analysts have not yet written recommendations for this quarter, and no key "
        "judgement or intelligence gap suggests one.")


def drafted_candidates(edition: Edition) -> list[str]:
    """One candidate per judgement the edition states (its sector to explain the change) and
    per intelligence gap (to close it), for the analysts to keep, reword or drop."""
    due = shift_quarter(edition.quarter, 1)
    candidates = []
    judgements = [j for j in edition.narrative.judgements if edition.publishable(j.evidence)]
    for judgement in judgements[:MAX_FROM_JUDGEMENTS]:
        indicator = judgement.evidence.get("indicator")
        sector = indicator_sector(edition.data, indicator) if indicator else ""
        owner = SECTOR_LABELS.get(sector, "The members concerned")
        what = claim(judgement.text)
        what = what.split(" that ", 1)[1] if what.startswith("it is ") else what
        candidates.append(
            f"(Draft) {owner} to explain why {what} ({judgement.probability_term}, "
            f"{judgement.confidence} confidence) and whether it calls for a change in how "
            f"they detect or disrupt it, before the {due} assessment.")
    for area, gap in intelligence_gaps(edition):
        candidates.append(f"(Draft) {area}: {gap} The coalition's data team to follow this up "
                          f"with the members concerned before the {due} assessment.")
    return candidates

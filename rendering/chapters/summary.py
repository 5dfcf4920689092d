"""The one-page summary for the steering group, bottom line up front, before the key
judgements: three to five sentences drawn from the strongest judgements the edition can
state, the KPI tiles and the outlook's forecasts. Not in the outline: it opens the report.

It states nothing the rest of the edition does not: each sentence repeats a judgement's
claim, a tile or a forecast exactly as printed there, so it adds no figure to guard.
"""

from __future__ import annotations

from rendering.chapters.core import Edition
from rendering.chapters.outlook import expectation, series_outlooks
from rendering.formatting import SUPPRESSED, WITHHELD

MAX_JUDGEMENTS = 3
HEADLINES_HIDDEN = "Every headline figure is suppressed in this edition by disclosure control."
NOTHING_JUDGED = ("Bottom line: no key judgement can be stated in this edition; the headline "
                  "figures and the outlook below are for reference.")


def claim(text: str) -> str:
    """A judgement's claim without its figures: the text up to its first colon or full stop."""
    cut = [i for i in (text.find(": "), text.find(". ")) if i > 0]
    head = text[:min(cut)] if cut else text.rstrip(".")
    return head[0].lower() + head[1:] if head[:5] == "It is" else head


def build(edition: Edition, tiles: list[dict]) -> list[str]:
    """The summary's sentences, most important first."""
    judgements = [j for j in edition.narrative.judgements
                  if edition.publishable(j.evidence)][:MAX_JUDGEMENTS]
    sentences = [NOTHING_JUDGED] if not judgements else [
        f"Bottom line: {claim(judgements[0].text)} ({judgements[0].confidence} confidence)."]
    if len(judgements) > 1:
        sentences.append("Also: " + "; ".join(
            f"{claim(j.text)} ({j.confidence} confidence)" for j in judgements[1:]) + ".")
    published = [t for t in tiles if t["value"] != SUPPRESSED]
    if published:
        sentences.append(
            f"Headline figures for {edition.quarter}, with the change on a year earlier "
            "like-for-like: " + "; ".join(
                f"{t['label']} {t['value']} ({yearly_change(t)})" for t in published) + ".")
    else:
        sentences.append(HEADLINES_HIDDEN)
    shown = [o for o in series_outlooks(edition) if o.shown]
    if shown:
        sentences.append("Outlook: " + claim(expectation(edition, shown[0])) + ".")
    else:
        sentences.append("Outlook: no headline series can be forecast reliably this quarter.")
    return sentences


def yearly_change(tile: dict) -> str:
    """A tile's change on a year as a sentence gives it: the tile's figure, or worded where
    the tile prints c."""
    change = tile["yoy"].split(" (")[0]
    return f"change {WITHHELD}" if change == SUPPRESSED else change

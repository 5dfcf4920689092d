"""The steering group's summary: bottom line up front, three to five sentences drawn from the
judgements the edition states, its KPI tiles and the outlook."""

from __future__ import annotations

import dataclasses
import re

from checks.disclosure import load_rules
from rendering.chapters import key_judgements, outlook, recommendations, summary
from rendering.chapters.core import Edition
from rendering.context import build_context
from rendering.judgements import Judgement
from rendering.narrative import Narrative
from tests.test_chapters import two_hotlines
from tests.test_outlook import growing, hotlines


def test_claim_keeps_the_judgement_without_its_figures():
    assert summary.claim("It is likely that arrests rose by more than 10%: +12.0% (4 members)."
                         ) == "it is likely that arrests rose by more than 10%"
    assert summary.claim("Analysts expect a shift. Two members say so.") == \
        "Analysts expect a shift"


def test_the_bottom_line_is_the_strongest_stated_judgement_then_tiles_and_outlook():
    edition = hotlines({"HL_URLS_CONFIRMED": growing()})
    stated = Judgement("own", "It is likely that offenders move to e-wallets: two members.",
                       "likely", "low")
    hidden = dataclasses.replace(stated, key="hidden", text="It is almost certain that X.",
                                 evidence={"indicator": "HL_HIDDEN_SERVICES_NEW"})
    edition.narrative = Narrative(judgements=[hidden, stated], quarter=edition.quarter)
    _, tiles = key_judgements.build(edition)
    sentences = summary.build(edition, tiles)
    assert 3 <= len(sentences) <= 5
    assert sentences[0] == ("Bottom line: it is likely that offenders move to e-wallets "
                            "(low confidence).")  # the hidden figure's judgement is left out
    urls = next(t for t in tiles if t["label"] == "URLs confirmed (hotlines)")
    assert f"URLs confirmed (hotlines) {urls['value']}" in sentences[1]
    assert sentences[-1].startswith("Outlook: it is ") and "2026-Q4" in sentences[-1]


def test_with_no_headline_figure_published_the_summary_repeats_the_ranges_or_says_so():
    context, _, _ = build_context(two_hotlines(), load_rules("public"),
                                  cut_off="2026-10-20 00:00 UTC", code_version="test",
                                  catalogue_version="test")
    # no headline figure is published; the one reported is repeated as its tile's range
    confirmed = context["kpis"][0]
    assert not confirmed["published"] and "\u2013" in confirmed["value"]
    assert context["steering_summary"] == [
        summary.NOTHING_JUDGED,
        "Headline figures for 2026-Q3, with the change on a year earlier like-for-like: "
        f"URLs confirmed (hotlines) {confirmed['value']} (change withheld for "
        "confidentiality).",
        "Outlook: no headline series can be forecast reliably this quarter."]
    edition = Edition(two_hotlines(), load_rules("public"))
    assert summary.build(edition, [])[:2] == [summary.NOTHING_JUDGED, summary.HEADLINES_HIDDEN]


def test_without_a_narrative_recommendations_are_drafted_candidates_not_a_missing_chapter():
    edition = hotlines({"HL_URLS_CONFIRMED": growing()})
    rising = Judgement("urls_confirmed.yoy", "It is likely that hotlines confirmed more URLs: "
                       "+12.0%.", "likely", "moderate",
                       evidence={"indicator": "HL_URLS_CONFIRMED", "quarter": "2026-Q3",
                                 "base_quarter": "2025-Q3"})
    edition.narrative = Narrative(judgements=[rising], quarter=edition.quarter)
    chapter = recommendations.build(edition)
    assert chapter["missing"] is None
    assert chapter["summary"] == [recommendations.DRAFTED]
    rows = chapter["tables"][0]["rows"]
    assert rows[0] == [
        "1", "Hotlines", "Explain why hotlines confirmed more URLs, and whether it calls for a "
        "change in how the sector detects or disrupts it, before the 2026-Q4 assessment.",
        "Key judgement (likely, moderate confidence)"]
    gaps = outlook.intelligence_gaps(edition)
    assert len(rows) == 1 + len(gaps)
    assert [row[3] for row in rows[1:]] == [f"Intelligence gap ({area})" for area, _ in gaps]
    assert not any("EFC_HOME" in cell or ".md" in cell for row in rows for cell in row)


def test_the_analysts_recommendations_replace_the_drafts():
    edition = hotlines({"HL_URLS_CONFIRMED": growing()})
    edition.narrative = Narrative(judgements=[], recommendations=["Hotlines to act."],
                                  quarter=edition.quarter)
    assert recommendations.build(edition)["summary"] == ["1. Hotlines to act."]


def test_the_demo_narrative_gives_every_recommendation_an_owner_and_a_date():
    """The analysts' part the demo ships: an outlook, and recommendations each with an owning
    sector and an ISO due date (dates in that form never trip the release check)."""
    from efc.settings import REPO_ROOT
    from rendering.narrative import apply_narrative

    path = REPO_ROOT / "data" / "narratives" / "2026-Q3.md"
    names = set(re.findall(r"\{([a-z0-9_.]+)\}", path.read_text(encoding="utf-8")))
    narrative = apply_narrative([], path, {name: "x" for name in names}, quarter="2026-Q3")
    assert len(narrative.outlook) >= 2
    assert len(narrative.recommendations) >= 3
    for item in narrative.recommendations:
        assert re.match(r"^[A-Z][\w ]+ \(owner: [^;]+; due \d{4}-\d{2}-\d{2}\): ", item), item

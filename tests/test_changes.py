"""What changed since the last assessment: judgements matched on their claim, known answers on
hand-written findings, and the chapter reading the previous quarter's stored context."""

from __future__ import annotations

import json

from checks.disclosure import load_rules
from efc.settings import Settings
from rendering.chapters import changes
from rendering.chapters.core import Edition
from rendering.judgements import Judgement
from rendering.narrative import Narrative
from rendering.review import History
from tests.test_chapters import two_hotlines

BEFORE = [
    "It is likely that arrests rose by more than 10% on a year earlier: +14.0% like-for-like "
    "(5 members). (Moderate confidence: all moved; main limitation: one member.)",
    "It is almost certain that the number of virtual asset alert hits rose by more than 10% on "
    "a year earlier: +90.0%. (High confidence: all 4 members moved the same way.)",
    "It is a realistic possibility that test purchases fell by more than 10% on a year "
    "earlier: −12.0%. (Low confidence: few members.)",
    "Arrests: 809 in 2026-Q2; +1.0% on the same quarter a year earlier.",  # not a judgement
]
NOW = [
    "It is highly likely that arrests rose by more than 10% on a year earlier: +20.0%. "
    "(Moderate confidence: all moved.)",
    "It is almost certain that the number of virtual asset alert hits rose by more than 10% on "
    "a year earlier: +116.1%. (Moderate confidence: one member supplies most of the change.)",
    "It is likely that confirmed URLs hosted in Seychelles rose by more than 10% on a year "
    "earlier: +1,038.5%. (Moderate confidence: one member.)",
]


def test_findings_are_read_as_claim_term_and_confidence():
    found = changes.stated(BEFORE)
    assert len(found) == 3  # the tile statement is not a judgement
    hits = found["the number of virtual asset alert hits rose by more than 10% on a year earlier"]
    assert (hits.term, hits.confidence) == ("almost certain", "high")
    purchases = found["test purchases fell by more than 10% on a year earlier"]
    assert (purchases.term, purchases.confidence) == ("realistic possibility", "low")


def test_new_strengthened_weakened_and_withdrawn():
    rows = changes.compare(changes.stated(BEFORE), changes.stated(NOW))
    assert [(change, j.claim.split(" rose")[0].split(" fell")[0]) for change, j, _ in rows] == [
        ("New", "confirmed URLs hosted in Seychelles"),
        ("Strengthened", "arrests"),                       # likely -> highly likely
        ("Weakened", "the number of virtual asset alert hits"),  # same term, high -> moderate
        ("Withdrawn", "test purchases"),
    ]
    assert changes.compare({}, {}) == []


def test_the_chapter_compares_with_the_stored_previous_edition(tmp_path, monkeypatch):
    monkeypatch.setenv("EFC_HOME", str(tmp_path))
    settings = Settings.from_env()
    edition = Edition(two_hotlines(), load_rules("coalition"))
    edition.narrative = Narrative(judgements=[Judgement(
        "own", NOW[0], "highly likely", "moderate")], quarter=edition.quarter)
    assert changes.build(edition, settings)["missing"].startswith(
        "No assessment of 2026-Q2 has been issued")
    version = History(settings.reports_dir, "2026-Q2", "coalition",
                      private_dir=settings.private_dir).version(1)
    version.context.parent.mkdir(parents=True)
    version.context.write_text(json.dumps({"edition": "Coalition edition",
                                           "key_findings": BEFORE}), encoding="utf-8")
    chapter = changes.build(edition, settings)
    assert chapter["summary"] == [
        "This quarter's key judgements against those of the Coalition edition for 2026-Q2 "
        "(version 1): 1 strengthened, 2 withdrawn."]
    rows = chapter["tables"][0]["rows"]
    assert rows[0] == ["Strengthened", "Arrests rose by more than 10% on a year earlier",
                       "likely, moderate confidence", "highly likely, moderate confidence"]
    assert [row[0] for row in rows[1:]] == ["Withdrawn", "Withdrawn"]
    assert all(row[3] == "-" for row in rows[1:])

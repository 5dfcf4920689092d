"""What changed since the last assessment: this edition's key judgements against those of the
same edition issued for the previous quarter (its latest version, read from the context
stored under EFC_HOME/reports/<quarter>/versions/), as new, strengthened, weakened,
maintained or withdrawn.

Judgements are matched on their claim (what is judged, direction included: "the number of
virtual asset alert hits rose by more than 10% on a year earlier"), so a judgement whose
direction reversed reads as one withdrawn and one new. A stronger yardstick term, or the same
term with higher confidence, is a strengthening. Findings that are not worded "It is <term>
that ..." (plain statements of the tiles) are not judgements and are not compared.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from efc.settings import Settings
from rendering.chapters.core import Edition, section, table
from rendering.judgements import CONFIDENCE_LEVELS, TERMS, term_rank
from rendering.review import History
from transforms.periods import shift_quarter

JUDGEMENT = re.compile(r"^It is (?:an? )?(?P<term>" + "|".join(map(re.escape, TERMS))
                       + r") that (?P<claim>.+?)(?=: |\. |\.$|$)")
CONFIDENCE = re.compile(r"\((?P<level>high|moderate|low) confidence", re.IGNORECASE)
ORDER = ("New", "Strengthened", "Weakened", "Withdrawn", "Maintained")


@dataclass(frozen=True)
class Stated:
    """A key judgement as printed: its claim, yardstick term and confidence."""

    claim: str
    term: str
    confidence: str

    def strength(self) -> tuple[int, int]:
        level = CONFIDENCE_LEVELS.index(self.confidence) if self.confidence else -1
        return term_rank(self.term), level

    def words(self) -> str:
        return f"{self.term}, {self.confidence} confidence" if self.confidence else self.term


def stated(findings: list[str]) -> dict[str, Stated]:
    """The findings worded as judgements, by claim."""
    found = {}
    for finding in findings:
        if match := JUDGEMENT.match(finding):
            level = CONFIDENCE.search(finding)
            found[match["claim"]] = Stated(match["claim"], match["term"],
                                           level["level"].lower() if level else "")
    return found


def stated_now(edition: Edition) -> dict[str, Stated]:
    """The judgements this edition states, by claim (as `stated` reads them once printed)."""
    found = {}
    for judgement in edition.narrative.judgements:
        if edition.publishable(judgement.evidence) and (
                match := JUDGEMENT.match(judgement.text)):
            found[match["claim"]] = Stated(match["claim"], judgement.probability_term,
                                           judgement.confidence)
    return found


def compare(then: dict[str, Stated], current: dict[str, Stated]
            ) -> list[tuple[str, Stated, Stated | None]]:
    """(change, judgement as now or as it was, as it was) for every judgement of either."""
    rows = []
    for claim, judgement in current.items():
        old = then.get(claim)
        if old is None:
            rows.append(("New", judgement, None))
        elif judgement.strength() > old.strength():
            rows.append(("Strengthened", judgement, old))
        elif judgement.strength() < old.strength():
            rows.append(("Weakened", judgement, old))
        else:
            rows.append(("Maintained", judgement, old))
    rows += [("Withdrawn", old, old) for claim, old in then.items() if claim not in current]
    return sorted(rows, key=lambda r: ORDER.index(r[0]))


def previous_context(edition: Edition, reports_dir: Path, private_dir: Path
                     ) -> tuple[dict, int] | None:
    """The stored context of the same edition's latest version for the previous quarter."""
    history = History(reports_dir, shift_quarter(edition.quarter, -1), edition.rules.edition,
                      private_dir=private_dir)
    latest = history.latest()
    if latest is None or not latest.context.exists():
        return None
    return json.loads(latest.context.read_text(encoding="utf-8")), latest.number


def build(edition: Edition, settings: Settings | None = None) -> dict:
    settings = settings or Settings.from_env()
    previous = shift_quarter(edition.quarter, -1)
    found = previous_context(edition, settings.reports_dir, settings.private_dir)
    title = "What changed since the last assessment"
    if found is None:
        return section("changes", title, missing=(
            f"No assessment of {previous} has been issued from this workspace, so there is "
            "nothing to compare this quarter's judgements with."))
    context, version = found
    rows = compare(stated(context.get("key_findings", [])), stated_now(edition))
    return section(
        "changes", title,
        summary=[f"This quarter's key judgements against those of the {context['edition']} "
                 f"for {previous} (version {version}): " + (", ".join(
                     f"{sum(r[0] == change for r in rows)} {change.lower()}"
                     for change in ORDER if any(r[0] == change for r in rows)) or "none on "
                     "either side") + "."],
        tables=[table("judgement_changes", f"Key judgements, {edition.quarter} against "
                      f"{previous}", ["Change", "Judgement", previous, edition.quarter],
                      [[change, judgement.claim[0].upper() + judgement.claim[1:],
                        old.words() if old else "-",
                        "-" if change == "Withdrawn" else judgement.words()]
                       for change, judgement, old in rows],
                      [False, False, False, False],
                      ["Strengthened or weakened: a stronger or weaker probability term, or "
                       "the same term with higher or lower confidence."]) if rows else None],
        missing=None if rows else "Neither quarter states a key judgement.")

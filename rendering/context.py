"""The report context of one edition: its chapters, built in the outline's order.

Each chapter is a module of `rendering.chapters`; this puts them together with what the
cover and document control say, and returns the printed tables as frames so the PDF can
carry them as CSV attachments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from checks.disclosure import DisclosureLog, DisclosureRules, IssuedCells, SuppressionPattern
from rendering import texts
from rendering.chapters import ANNEXES, CHAPTERS, key_judgements, modules, summary
from rendering.chapters.core import Edition
from transforms.assessment import AssessmentData


@dataclass
class ReportTables:
    """The printed tables as data, for the CSV attachments (same cells, same suppression)."""

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)


def printed_tables(sections: list[dict], tiles: list[dict]) -> ReportTables:
    """Every table as printed, and the KPI tiles, for the CSV attachments: what a reader can
    take away is exactly what the edition shows, suppressions included."""
    frames = {"key_indicators": pd.DataFrame(
        [[t["label"], t["value"], t["unit"], t["qoq"], t["yoy"]] for t in tiles],
        columns=["Indicator", "Value", "Unit", "Change on quarter", "Change on year"])}
    for section in sections:
        for table in section["tables"]:
            if table["id"] in frames:
                raise ValueError(f"two tables are called {table['id']!r}")
            frames[table["id"]] = pd.DataFrame(table["rows"], columns=table["columns"])
    return ReportTables(frames)


def build_context(data: AssessmentData, rules: DisclosureRules, *, cut_off: str,
                  code_version: str, catalogue_version: str,
                  forced: SuppressionPattern | None = None,
                  narrative: Path | None = None,
                  earlier: IssuedCells | None = None) -> tuple[dict, ReportTables, DisclosureLog]:
    """The whole report context for one edition, its tables and its suppression log.

    `forced` carries the cells another edition (or an earlier issue) hid, so that no two
    publications can be differenced; `earlier`, the cells of the issue this one replaces, so
    that the two cannot be differenced either. The context says what the edition says; which
    issue it is (version, status, approval) is added by `rendering.review.stamp` before
    rendering.
    """
    edition = Edition(data, rules, forced, earlier=earlier)
    edition.narrative = key_judgements.final_narrative(edition, narrative)
    findings, tiles = key_judgements.build(edition)
    intervals = key_judgements.intervals(edition)
    edition.headline = [tile["published"] for tile in tiles]
    steering_summary = summary.build(edition, tiles)
    chapters = [section for chapter in modules(CHAPTERS) if (section := chapter.build(edition))]
    annexes = [section for annex in modules(ANNEXES) if (section := annex.build(edition))]
    context = {
        "title": "Strategic assessment: commercial sexual exploitation of children online",
        "quarter": data.quarter, "edition": rules.label, "tlp": rules.tlp,
        "cut_off": cut_off,
        "generated_on": cut_off[:10], "code_version": code_version,
        "catalogue_version": catalogue_version,
        "document_control": [  # after the issue's own rows (version, status, approval)
            ("Edition", rules.label), ("Handling", rules.tlp), ("Data cut-off", cut_off),
            ("Catalogue version", catalogue_version), ("Code version", code_version),
            ("Disclosure parameters", rules.version),
        ],
        "steering_summary": steering_summary, "key_findings": findings,
        "key_judgements": intervals,
        "kpis": tiles, "chapters": chapters, "annexes": annexes,
        "caveats": list(texts.caveats()),
    }
    return context, printed_tables(chapters + annexes, tiles), edition.log

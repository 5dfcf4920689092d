"""Four eyes: the public edition is final only once two distinct reviewers approved the same
draft; the coalition edition needs one. Real versions rendered from the fixture context."""

from __future__ import annotations

import copy
import functools

import pytest
from pypdf import PdfReader

from checks.disclosure import SuppressionPattern, load_rules
from rendering.review import FINAL, EditionBuild, History, ReviewError, approve
from tests.fixtures import report_context as fixture

QUARTER = "2026-Q3"
pytestmark = pytest.mark.slow  # renders real PDFs


@functools.cache
def _context(tlp: str) -> dict:
    context = fixture.report_context(tlp=tlp, status="DRAFT")
    for key in ("version", "status"):
        context.pop(key)
    context["document_control"] = [row for row in context["document_control"]
                                   if row[0] not in ("Version", "Status", "Approved by")]
    return context


def PRIVATE(tmp_path):  # noqa: N802 - reads as the folder it names
    return tmp_path / "private"


def issue_draft(reports_dir, edition: str) -> History:
    """One draft version of `edition`, issued as `efc assess` issues it."""
    tlp = "TLP:CLEAR" if edition == "public" else "TLP:AMBER"
    build = EditionBuild(content=copy.deepcopy(_context(tlp)),
                         tables={"t.csv": b"a,b\n1,2\n"},
                         manifest={"quarter": QUARTER, "edition": edition, "cut_off": "x"},
                         audit=b"", pattern=SuppressionPattern(), inherited=SuppressionPattern())
    history = History(reports_dir, QUARTER, edition, private_dir=PRIVATE(reports_dir))
    history.publish(history.issue(build, None))
    return history


def test_editions_say_how_many_reviewers_they_need():
    assert load_rules("coalition").reviewers_required == 1
    assert load_rules("public").reviewers_required == 2


def test_the_public_edition_needs_two_distinct_reviewers(tmp_path):
    history = issue_draft(tmp_path, "public")
    first = approve(tmp_path, QUARTER, "public", "Ana Reviewer", private_dir=PRIVATE(tmp_path))
    assert (first.approvals_needed, first.pdf, first.final_sha256) == (1, None, None)
    assert history.status(history.latest()) != FINAL
    assert not history.latest().pdf.exists()  # no final yet; the stable copy is the draft

    with pytest.raises(ReviewError, match="already approved version 1.*different reviewer"):
        # the same person twice, however the name is typed
        approve(tmp_path, QUARTER, "public", "  ana   REVIEWER ", private_dir=PRIVATE(tmp_path))

    second = approve(tmp_path, QUARTER, "public", "Ben Checker", private_dir=PRIVATE(tmp_path))
    assert second.approvals_needed == 0 and second.pdf == history.pdf
    assert history.status(history.latest()) == FINAL
    cover = PdfReader(history.pdf).pages[0].extract_text()
    assert "Approved by Ana Reviewer and Ben Checker" in " ".join(cover.split())
    assert "DRAFT" not in cover
    approvals = history.approvals_of(1)
    assert [a["reviewer"] for a in approvals] == ["Ana Reviewer", "Ben Checker"]
    assert approvals[0]["final_sha256"] is None and approvals[1]["final_sha256"]
    assert approvals[0]["draft_sha256"] == approvals[1]["draft_sha256"]

    with pytest.raises(ReviewError, match="already approved by Ana Reviewer and Ben Checker"):
        approve(tmp_path, QUARTER, "public", "Cleo Third", private_dir=PRIVATE(tmp_path))


def test_the_coalition_edition_needs_one(tmp_path):
    history = issue_draft(tmp_path, "coalition")
    done = approve(tmp_path, QUARTER, "coalition", "Ana Reviewer", private_dir=PRIVATE(tmp_path))
    assert done.approvals_needed == 0 and done.pdf == history.pdf
    assert history.status(history.latest()) == FINAL
    # the audit (true values of hidden cells) is in the owner-only private folder, and the
    # folder people copy to publish holds none
    for audit in (history.audit, history.latest().audit):
        assert audit.is_relative_to(PRIVATE(tmp_path)) and audit.stat().st_mode & 0o077 == 0
    assert (PRIVATE(tmp_path)).stat().st_mode & 0o077 == 0
    assert not [p for p in (tmp_path / QUARTER).rglob("*") if "audit" in p.name]


def test_a_workspace_from_before_the_private_folder_has_its_audits_moved(tmp_path):
    history = issue_draft(tmp_path, "coalition")
    version = history.latest()
    legacy = version.folder / version.audit.name  # where audits were kept before
    legacy.write_bytes(version.audit.read_bytes())
    version.audit.unlink()
    (history.folder / history.audit.name).write_bytes(b"table,value\nt,1\n")
    history.publish(version)
    assert not legacy.exists() and not (history.folder / history.audit.name).exists()
    assert version.audit.exists() and version.audit.stat().st_mode & 0o077 == 0
    assert not [p for p in history.folder.rglob("*") if "audit" in p.name]

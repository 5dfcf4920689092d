"""The review workflow: a draft until approved, a final from the same figures, a late correction
issued as version 2 with a change log, and no new version when nothing changed.

One edition (coalition) of the sample's 2026-Q3, on a copy of the shared assessed sample: its
draft v1 is the quarterly flow's, then two renders (final v1, draft v2), read back with pypdf.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pdfplumber
import pytest
from pypdf import PdfReader

from efc.cli import main
from efc.settings import Settings
from rendering import report
from rendering.review import Approval, Change, Issue, changed_figures, stamp
from tests.conftest import SAMPLE, efc_home
from transforms.assessment import read_assessment_data
from transforms.observations import canonical_observations
from transforms.parsing import parse_file
from transforms.warehouse import reader

QUARTER, EDITION = "2026-Q3", "coalition"
REVIEWER = "Dr. Ana Reviewer"
DELTA = 40  # late correction: hl-east's August had 40 more reports, all from the public


# ------------------------------------------------------------------- change log, unit tier


def csv_bytes(rows: list[list[str]]) -> bytes:
    return pd.DataFrame(rows[1:], columns=rows[0]).to_csv(index=False).encode()


def test_change_log_matches_rows_by_label_and_names_old_and_new_published_values():
    old = {"volumes.csv": csv_bytes([["indicator", "value", "members"],
                                     ["Reports received", "12,000", "4"],
                                     ["URLs confirmed", "c", "2"]]),
           "gone.csv": csv_bytes([["a"], ["1"]])}
    new = {"volumes.csv": csv_bytes([["indicator", "value", "members"],
                                     ["Arrests", "310", "3"],
                                     ["Reports received", "12,040", "4"],
                                     ["URLs confirmed", "c", "2"]])}
    assert changed_figures(old, new) == [
        Change("gone", "(whole table)", "", "1 rows", None),
        Change("volumes", "Arrests", "value", None, "310"),
        Change("volumes", "Arrests", "members", None, "3"),
        Change("volumes", "Reports received", "value", "12,000", "12,040"),
    ]
    assert changed_figures(new, new) == []


def test_change_log_uses_as_many_label_columns_as_tell_rows_apart():
    old = csv_bytes([["sector", "quarter", "members"], ["hotline", "Q2", "4"],
                     ["hotline", "Q3", "3"]])
    new = csv_bytes([["sector", "quarter", "members"], ["hotline", "Q2", "4"],
                     ["hotline", "Q3", "4"]])
    assert changed_figures({"t.csv": old}, {"t.csv": new}) == [
        Change("t", "hotline · Q3", "members", "3", "4")]
    gaps = csv_bytes([["area", "gap"], ["payments", "no e-wallet"], ["payments", "no card"]])
    fewer = csv_bytes([["area", "gap"], ["payments", "no card"]])
    assert changed_figures({"g.csv": gaps}, {"g.csv": fewer}) == [
        Change("g", "payments · no e-wallet", "(whole row)", "payments · no e-wallet", None)]


def test_stamp_marks_the_issue_and_adds_the_change_log_as_the_last_annex():
    content = {"document_control": [("Edition", "Coalition edition")],
               "annexes": [{"id": "glossary"}]}
    issue = Issue(2, supersedes={"version": 1, "status": "FINAL", "cut_off": "x",
                                 "pdf_sha256": "ab"},
                  changes=(Change("volumes", "Arrests", "value", "c", None),))
    draft = stamp(content, issue)
    assert (draft["version"], draft["status"]) == ("2", "DRAFT")
    assert [label for label, _ in draft["document_control"]] == [
        "Version", "Status", "Author", "Distribution", "Change log", "Reviewers", "Supersedes",
        "Edition"]
    assert ("Reviewers", "None yet: a named reviewer approves the draft") in \
        draft["document_control"]
    assert ("Change log", "Version 2 replaces version 1: 1 published figure changed, listed in "
            "the Change log annex") in draft["document_control"]
    log = draft["annexes"][-1]
    assert log["id"] == "change_log" and log["tables"][0]["rows"] == [
        ["volumes", "Arrests", "value", "c", "not published"]]
    final = stamp(content, issue.approved((Approval(REVIEWER, "2026-10-20T14:03:00Z", "ab"),)))
    assert final["status"] == "FINAL"
    assert ("Approved by", REVIEWER) in final["document_control"]
    assert "Reviewers" not in dict(final["document_control"])  # 'Approved by' names them
    assert content == {"document_control": [("Edition", "Coalition edition")],
                       "annexes": [{"id": "glossary"}]}  # not mutated


# ------------------------------------------------------------- the workflow, end to end


def late_correction() -> str:
    """hl-east's August file again, with DELTA more reports received from the public."""
    path = SAMPLE / "hl-east" / "2026-08.json"
    frame, _ = canonical_observations(parse_file(path.name, path.read_bytes(),
                                                 max_rows=100_000).rows)
    frame = frame[frame["indicator"] == "HL_REPORTS_RECEIVED"].copy()
    corrected = (frame["dimension"] == "") | (frame["category"] == "public")
    assert corrected.sum() == 2, frame  # the total and one channel: the channels still add up
    frame.loc[corrected, "value"] += DELTA
    frame["value"] = frame["value"].astype("int64")
    return frame[["member_id", "period", "indicator", "dimension", "category", "value",
                  "status"]].to_csv(index=False)


def assess(settings: Settings) -> report.ReportFiles:
    with reader(settings) as con:  # read afresh each time, as `efc assess` does
        data = read_assessment_data(con, QUARTER)
    return report.write_edition(data, settings, EDITION)


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def texts(pdf: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(pdf).pages]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def review(assessed_copy, prefect_harness):
    """Draft v1 (the quarterly flow's, in a copy of the shared assessed sample), a rerun on the
    same data, approval (twice), a late correction, draft v2."""
    from flows.nightly_aggregation import nightly_aggregation

    home = assessed_copy("review")
    with efc_home(home):
        settings = Settings.from_env()
        stable = settings.reports_dir / QUARTER / f"assessment-{QUARTER}-{EDITION}.pdf"
        run = {"settings": settings, "first_bytes": stable.read_bytes(),
               "versions_before_rerun": sorted(
                   p.name for p in (settings.reports_dir / QUARTER / "versions").iterdir())}
        run["rerun"] = assess(settings)
        run["rerun_bytes"] = run["rerun"].pdf.read_bytes()
        run["versions_after_rerun"] = sorted(
            p.name for p in (settings.reports_dir / QUARTER / "versions").iterdir())
        # `efc approve` as an operator runs it, in its own process: it must not need Prefect
        code = ("import sys; from efc.cli import main; "
                f"rc = main(['approve', '--quarter', {QUARTER!r}, '--edition', {EDITION!r}, "
                f"'--reviewer', {REVIEWER!r}, '--json']); "
                "assert 'prefect' not in sys.modules, 'prefect imported'; sys.exit(rc)")
        run["approve"] = subprocess.run([sys.executable, "-c", code], capture_output=True,
                                        text=True, env=dict(os.environ), timeout=600)
        run["final_bytes"] = stable.read_bytes()
        run["again"] = cli("approve", "--quarter", QUARTER, "--edition", EDITION,
                           "--reviewer", "Someone Else")
        inbox = home.parent / "inbox"
        (inbox / "hl-east").mkdir(parents=True)
        (inbox / "hl-east" / "correction-2026-08.csv").write_text(late_correction())
        run["ingest"] = nightly_aggregation(inbox=str(inbox), run_label="late-correction")
        run["v2"] = assess(settings)
        yield run


@pytest.mark.slow
def test_a_draft_is_watermarked_on_every_page_and_says_so(review):
    v1 = review["settings"].reports_dir / QUARTER / "versions" / "coalition-v1"
    draft = v1 / f"assessment-{QUARTER}-{EDITION}-v1-draft.pdf"
    assert review["versions_before_rerun"] == ["coalition-v1", "public-v1"]  # the run issued v1
    assert review["first_bytes"] == draft.read_bytes()  # the stable path held the draft
    pages = texts(draft)
    assert all("DRAFT" in text for text in pages)
    assert "Version 1" in pages[0] and "Status Draft, awaiting approval" in pages[0]
    manifest = json.loads(PdfReader(draft).attachments["manifest.json"][0])
    assert manifest["issue"] == {"version": 1, "status": "DRAFT", "supersedes": None,
                                 "change_log": [], "approvals": []}


def tagged_content(reader: PdfReader) -> set[tuple[int, int]]:
    """(page object number, marked-content id) of everything the structure tree reaches: what
    a screen reader reads."""
    found = set()

    def walk(kid, page):
        kid = kid.get_object()
        if isinstance(kid, int):
            found.add((page.idnum, kid))
        elif isinstance(kid, list):
            for child in kid:
                walk(child, page)
        elif isinstance(kid, dict):
            page = kid.get("/Pg", page)
            if "/MCID" in kid:
                found.add((page.idnum, kid["/MCID"]))
            elif "/K" in kid:
                walk(kid["/K"], page)

    walk(reader.trailer["/Root"]["/StructTreeRoot"], None)
    return found


@pytest.mark.slow
def test_screen_readers_skip_the_watermark(review):
    draft = review["settings"].reports_dir / QUARTER / "versions" / "coalition-v1" / \
        f"assessment-{QUARTER}-{EDITION}-v1-draft.pdf"
    reachable = tagged_content(PdfReader(draft))
    page = PdfReader(draft).pages[2].indirect_reference.idnum
    with pdfplumber.open(draft) as pdf:
        chars, height = pdf.pages[2].chars, pdf.pages[2].height
    mark = [c for c in chars if c["size"] > 100]  # the watermark's 130 pt letters
    assert "".join(c["text"] for c in mark) == "DRAFT"
    assert not any((page, c["mcid"]) in reachable for c in mark)
    mm = 72 / 25.4  # the text between the page margins (24 mm top, 22 mm bottom) is read
    body = [c for c in chars if c["size"] < 20 and 24 * mm < c["top"] < height - 22 * mm]
    assert body and all((page, c["mcid"]) in reachable for c in body)


@pytest.mark.slow
def test_a_rerun_on_the_same_data_issues_no_new_version(review):
    rerun = review["rerun"]
    assert (rerun.version, rerun.status, rerun.issued) == (1, "DRAFT", False)
    assert review["rerun_bytes"] == review["first_bytes"]
    assert review["versions_after_rerun"] == review["versions_before_rerun"]


@pytest.mark.slow
def test_approval_writes_a_final_without_watermark_naming_reviewer_and_draft(review):
    approve = review["approve"]
    assert approve.returncode == 0, approve.stderr
    record = json.loads(approve.stdout)
    v1 = review["settings"].reports_dir / QUARTER / "versions" / "coalition-v1"
    draft = v1 / f"assessment-{QUARTER}-{EDITION}-v1-draft.pdf"
    final = v1 / f"assessment-{QUARTER}-{EDITION}-v1.pdf"
    assert record["draft_sha256"] == sha256(draft) and record["reviewer"] == REVIEWER
    assert review["final_bytes"] == final.read_bytes()  # the stable path now holds the final
    pages = texts(final)
    assert not any("DRAFT" in text for text in pages)
    cover = pages[0]
    assert "Status Final, approved" in cover and f"Approved by {REVIEWER}" in cover
    assert re.search(r"Approved on \d{4}-\d\d-\d\d \d\d:\d\d UTC", cover)
    assert record["draft_sha256"] in re.sub(r"\s", "", cover)
    approvals = json.loads((v1.parents[1] / "approvals.json").read_text())["approvals"]
    assert approvals == [{k: record[k] for k in ("edition", "version", "reviewer", "approved_at",
                                                 "draft_sha256", "final_sha256")}]
    # the same figures: identical tables attached, identical pages but for the cover
    drafted, issued = PdfReader(draft).attachments, PdfReader(final).attachments
    assert {n: b for n, b in drafted.items() if n != "manifest.json"} == {
        n: b for n, b in issued.items() if n != "manifest.json"}
    def words(text: str, drop: str = "") -> list[str]:
        return [w for w in text.split() if w != drop]

    assert [words(t, "DRAFT") for t in texts(draft)[1:]] == [words(t) for t in pages[1:]]
    assert [a["reviewer"] for a in json.loads(issued["manifest.json"][0])["issue"]["approvals"]
            ] == [REVIEWER]


@pytest.mark.slow
def test_approving_twice_is_refused(review):
    code, out, err = review["again"]
    assert code == 2 and out == ""
    assert f"already approved by {REVIEWER}" in err


@pytest.mark.slow
def test_approving_without_a_draft_says_what_to_run(review, monkeypatch):
    monkeypatch.setenv("EFC_HOME", str(review["settings"].home))
    code, _, err = cli("approve", "--quarter", "2026-Q2", "--edition", EDITION,
                       "--reviewer", REVIEWER)
    assert code == 2 and "efc assess --quarter 2026-Q2" in err
    code, _, err = cli("approve", "--quarter", QUARTER, "--edition", "pubic",
                       "--reviewer", REVIEWER)
    assert code == 2 and "drafts exist for: coalition, public" in err


@pytest.mark.slow
def test_a_late_correction_is_version_2_with_a_change_log(review):
    assert set(review["ingest"]["files_by_state"]) <= {"accepted", "accepted_with_warnings"}
    v2 = review["v2"]
    assert (v2.version, v2.status, v2.issued) == (2, "DRAFT", True)
    versions = review["settings"].reports_dir / QUARTER / "versions"
    draft = versions / "coalition-v2" / f"assessment-{QUARTER}-{EDITION}-v2-draft.pdf"
    assert v2.pdf.read_bytes() == draft.read_bytes()
    pages = texts(v2.pdf)
    assert all("DRAFT" in text for text in pages)  # a draft again after the approval of v1
    v1 = versions / "coalition-v1"
    assert (v1 / f"assessment-{QUARTER}-{EDITION}-v1.pdf").read_bytes() == review["final_bytes"]
    assert (v1 / f"assessment-{QUARTER}-{EDITION}-v1-draft.pdf").read_bytes() == \
        review["first_bytes"]

    def published(version: Path) -> tuple[str, str]:
        """The printed column name and value of Reports received in the hotline volumes."""
        table = pd.read_csv(next(version.glob("*-tables")) / "hotline_volumes.csv", dtype=str)
        row = table[table.iloc[:, 0] == "Reports received"]
        return table.columns[1], row.iloc[0, 1]

    (column, old), (_, new) = published(v1), published(versions / "coalition-v2")
    assert int(new.replace(",", "")) - int(old.replace(",", "")) == DELTA
    issue = json.loads(PdfReader(draft).attachments["manifest.json"][0])["issue"]
    assert issue["supersedes"]["version"] == 1 and issue["supersedes"]["status"] == "FINAL"
    assert issue["supersedes"]["pdf_sha256"] == hashlib.sha256(review["final_bytes"]).hexdigest()
    assert {"table": "hotline_volumes", "row": "Reports received", "column": column,
            "old": old, "new": new} in issue["change_log"]
    start = next(i for i, t in enumerate(pages) if "Published figures changed since" in t)
    annex = "\n".join(pages[start:])
    # the annex's narrow table column may wrap a name anywhere: compared without white space
    row = re.sub(r"\s", "", f"hotline_volumes Reports received {column} {old} {new}")
    assert row in re.sub(r"\s", "", annex), annex
    assert "Supersedes Version 1" in pages[0]


@pytest.mark.slow
def test_approving_a_version_that_is_not_the_latest_is_refused(review, monkeypatch):
    monkeypatch.setenv("EFC_HOME", str(review["settings"].home))
    code, _, err = cli("approve", "--quarter", QUARTER, "--edition", EDITION,
                       "--reviewer", REVIEWER, "--version", "1")
    assert code == 2 and "version 2 supersedes it" in err

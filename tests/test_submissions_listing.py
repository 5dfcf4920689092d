"""`efc submissions` lists files through the library (transforms.warehouse), and its --state
takes the states from their one definition, transforms.intake.STATES."""

from __future__ import annotations

import contextlib
import io
import json
from datetime import UTC, datetime

import pytest

from efc.cli import build_parser, main
from tests.test_warehouse_checks import examined
from transforms.intake import STATES, Submission, validate
from transforms.loading import record_submissions
from transforms.warehouse import publish_snapshot, received_submissions, writer

AT = datetime(2026, 8, 3, 2, tzinfo=UTC)


def test_every_state_is_accepted_and_nothing_else():
    parser = build_parser()
    for state in STATES:
        assert parser.parse_args(["submissions", "--state", state]).state == state
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as exit_:
        parser.parse_args(["submissions", "--state", "approved"])
    assert exit_.value.code == 2
    assert "'approved' is not a submission state" in err.getvalue()
    assert ", ".join(STATES) in err.getvalue()


def submission(key: int, member: str, text: str, catalogue) -> Submission:
    found = examined(key, member, text.encode(), catalogue)
    validate([found], catalogue, AT.date(), engine="pandas")
    return found


def test_listing_filters_by_member_and_state(workspace, catalogue):
    assert received_submissions(workspace) == []  # no snapshot yet: nothing received
    header = "member_id,period,indicator,value\n"
    files = [submission(0, "hl-north", header + "hl-north,2026-07,HL_URLS_CONFIRMED,4\n",
                        catalogue),
             submission(1, "hl-south", header + "hl-south,2026-07,NO_SUCH,4\n", catalogue)]
    with writer(workspace) as con:
        record_submissions(con, files, [AT, AT.replace(minute=1)])
        publish_snapshot(con, workspace)

    everything = received_submissions(workspace)
    assert [(r["member_id"], r["file"], r["state"]) for r in everything] == [
        ("hl-north", "file-0.csv", "accepted"), ("hl-south", "file-1.csv", "rejected")]
    assert set(everything[0]) == {"submission_id", "member_id", "file", "received_at", "state",
                                  "observations", "errors", "warnings"}
    assert [r["file"] for r in received_submissions(workspace, state="rejected")] == ["file-1.csv"]
    assert [r["file"] for r in received_submissions(workspace, member_id="hl-north")] == [
        "file-0.csv"]
    assert received_submissions(workspace, member_id="hl-north", state="rejected") == []

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["submissions", "--state", "rejected", "--json"]) == 0
    assert [r["file"] for r in json.loads(out.getvalue())] == ["file-1.csv"]

"""`efc submissions` lists files through the library (transforms.warehouse), and its --state
takes the states from their one definition, transforms.intake.STATES."""

from __future__ import annotations

import contextlib
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from efc.cli import build_parser, main
from transforms.inbox import Arrival
from transforms.intake import STATES, Submission, examine, validate
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


def submission(member: str, name: str, text: str, catalogue) -> Submission:
    data = text.encode()
    arrival = Arrival(member, name, Path(f"/nonexistent/{name}"), str(len(data)) * 8, len(data),
                      0)
    found = examine(Submission(key=len(name), arrival=arrival, received_at=AT), data, catalogue,
                    max_file_bytes=10**6, max_rows=10**6)
    validate([found], catalogue, AT.date(), engine="pandas")
    return found


def test_listing_filters_by_member_and_state(workspace, catalogue):
    assert received_submissions(workspace) == []  # no snapshot yet: nothing received
    header = "member_id,period,indicator,value\n"
    files = [submission("hl-north", "good.csv", header + "hl-north,2026-07,HL_URLS_CONFIRMED,4\n",
                        catalogue),
             submission("hl-south", "bad.csv", header + "hl-south,2026-07,NO_SUCH,4\n",
                        catalogue)]
    with writer(workspace) as con:
        record_submissions(con, files, [AT, AT.replace(minute=1)])
        publish_snapshot(con, workspace)

    everything = received_submissions(workspace)
    assert [(r["member_id"], r["file"], r["state"]) for r in everything] == [
        ("hl-north", "good.csv", "accepted"), ("hl-south", "bad.csv", "rejected")]
    assert set(everything[0]) == {"submission_id", "member_id", "file", "received_at", "state",
                                  "observations", "errors", "warnings"}
    assert [r["file"] for r in received_submissions(workspace, state="rejected")] == ["bad.csv"]
    assert [r["file"] for r in received_submissions(workspace, member_id="hl-north")] == [
        "good.csv"]
    assert received_submissions(workspace, member_id="hl-north", state="rejected") == []

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["submissions", "--state", "rejected", "--json"]) == 0
    assert [r["file"] for r in json.loads(out.getvalue())] == ["bad.csv"]

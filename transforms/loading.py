"""Recording submissions and loading their observations: one transaction per chunk of files.

A crash or a rerun never double-counts: a file's submission row and its observations commit
together, and a file already recorded is recognised on the next scan of the inbox.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import duckdb
import pandas as pd

from transforms.intake import COPY_OF_TONIGHTS, Submission
from transforms.receipts import build_receipt, condense
from transforms.sql_files import sql

OBSERVATION_COLUMNS = ["member_id", "period", "frequency", "quarter", "indicator", "dimension",
                       "category", "value", "status", "note"]


def file_name_sha256(file_name: str) -> str:
    """The SHA-256 of a file's name: recognises a file without storing a name that may identify."""
    return hashlib.sha256(file_name.encode("utf-8", "surrogateescape")).hexdigest()


# A file's duplicates are copies of it that arrive once it was loaded (CONTRACT.md); refused
# bytes are judged afresh.
LOADED_STATES = ("accepted", "accepted_with_warnings", "superseded")


def already_received(con: duckdb.DuckDBPyConnection
                     ) -> tuple[set[tuple[str, str, str]], dict[tuple[str, str], int]]:
    """(member, name fingerprint, sha256) of files handled before, and per (member, sha256)
    the first submission that was loaded: a member's copy is a duplicate of its own file only."""
    rows = con.execute(sql("received_files")).fetchall()
    seen = {(m, n, s) for m, n, s, _, _ in rows}
    first: dict[tuple[str, str], int] = {}
    for member_id, _, sha, submission_id, state in rows:
        if state in LOADED_STATES:
            first.setdefault((member_id, sha), submission_id)
    return seen, first


def record_submissions(con: duckdb.DuckDBPyConnection, chunk: list[Submission],
                       loaded_at: list[datetime]) -> list[int]:
    """Store a chunk of submissions, in arrival order, and their observations in one transaction.

    `loaded_at` holds each submission's load time, strictly increasing. One transaction per
    chunk, not per file, keeps a night of thousands of files to a few hundred statements; a
    crash still loses only whole files, which the rerun finds unrecorded and loads.
    """
    con.execute("begin transaction")
    try:
        chunk_ids = []
        for submission, at in zip(chunk, loaded_at, strict=True):
            if submission.duplicate_of == COPY_OF_TONIGHTS:  # its original was recorded first
                submission.resolve_copy(con.execute(sql("first_loaded_copy"), {
                    "member_id": submission.member_id, "sha256": submission.arrival.sha256,
                    "loaded_states": list(LOADED_STATES)}).fetchone()[0])
            chunk_ids.append(_insert_submission(con, submission, at))
        _insert_rule_results(con, chunk, chunk_ids, loaded_at)
        _load_observations(con, chunk, chunk_ids, loaded_at)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return chunk_ids


def _insert_submission(con: duckdb.DuckDBPyConnection, submission: Submission,
                       loaded_at: datetime) -> int:
    state = submission.state
    return con.execute(sql("insert_submission"), {
        "sha256": submission.arrival.sha256, "member_id": submission.member_id,
        "file_name": submission.shown_file_name,
        "file_name_sha256": file_name_sha256(submission.arrival.file_name),
        "file_format": submission.file_format, "size_bytes": submission.arrival.size_bytes,
        "received_at": submission.received_at, "state": state, "state_changed_at": loaded_at,
        "observation_count": len(submission.observations) if state.startswith("accepted") else 0,
        "error_count": sum(p.severity == "error" for p in submission.problems),
        "warning_count": sum(p.severity == "warning" for p in submission.problems),
        "duplicate_of": submission.duplicate_of,
        "problems": json.dumps(condense(submission.problems), ensure_ascii=False),
    }).fetchone()[0]


def _insert_rule_results(con: duckdb.DuckDBPyConnection, chunk: list[Submission],
                         ids: list[int], loaded_at: list[datetime]) -> None:
    rows = [{**r.__dict__, "submission_id": submission_id, "run_at": at}
            for submission, submission_id, at in zip(chunk, ids, loaded_at, strict=True)
            for r in submission.rule_results]
    if not rows:
        return
    con.register("rule_results", pd.DataFrame(rows))
    con.execute(sql("insert_rule_results"))
    con.unregister("rule_results")


def _load_observations(con: duckdb.DuckDBPyConnection, chunk: list[Submission],
                       ids: list[int], loaded_at: list[datetime]) -> None:
    """Add the chunk's accepted observations and close the rows each one corrects.

    A row is open until a later submission reports its member, period and indicator again:
    earlier loads are closed at the chunk's first such submission, and rows of the chunk at the
    next one within it. A submission left with no open row is marked superseded by the
    submission that closed its last.
    """
    frames = [submission.observations[OBSERVATION_COLUMNS].assign(
                  submission_id=submission_id, valid_from=at)
              for submission, submission_id, at in zip(chunk, ids, loaded_at, strict=True)
              if submission.state.startswith("accepted")]
    if not frames:
        return
    incoming = pd.concat(frames, ignore_index=True)
    incoming["note"] = incoming["note"].where(incoming["note"] != "")
    incoming["valid_from"] = pd.to_datetime(incoming["valid_from"], utc=True)
    con.register("incoming", incoming)
    con.execute(sql("close_corrected_observations"))
    con.execute(sql("insert_observations"))
    con.unregister("incoming")
    con.execute(sql("mark_superseded_submissions"),
                {"first": loaded_at[0], "ids": ids, "loaded_at": loaded_at})


def receipts_since(con: duckdb.DuckDBPyConnection, changed_at: datetime | None) -> list[dict]:
    """Receipts of every submission whose state changed at or after `changed_at` (None: all)."""
    rows = con.execute(sql("receipts"), {"changed_at": changed_at}).fetchall()
    return [
        build_receipt(
            file=file_name, sha256=sha, member_id=member_id, received_at=received_at,
            state=state, problems=json.loads(problems), submission_id=submission_id,
            file_format=file_format, observations=count if state != "rejected" else None,
            duplicate_of=duplicate_of, superseded_by=superseded_by)
        for (submission_id, file_name, sha, member_id, received_at, state, file_format, count,
             duplicate_of, superseded_by, problems) in rows
    ]

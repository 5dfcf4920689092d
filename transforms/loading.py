"""Recording submissions and loading their observations: one transaction per chunk of files.

A crash or a rerun never double-counts: a file's submission row and its observations commit
together, and a file already recorded is recognised on the next scan of the inbox.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import duckdb
import numpy as np
import pandas as pd

from transforms.intake import COPY_OF_TONIGHTS, Submission, observations_of, rows_in_parts
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
    chunk, not per file, keeps a night of thousands of files to a handful of statements, each
    over the whole chunk as columns; a crash still loses only whole files, which the rerun finds
    unrecorded and loads.
    """
    con.execute("begin transaction")
    try:
        chunk_ids = [i for (i,) in con.execute(sql("next_submission_ids"),
                                               {"count": len(chunk)}).fetchall()]
        loaded_tonight: dict[tuple[str, str], int] = {}  # by this chunk, in arrival order
        for submission, submission_id in zip(chunk, chunk_ids, strict=True):
            key = (submission.member_id, submission.arrival.sha256)
            if submission.duplicate_of == COPY_OF_TONIGHTS:  # its original comes first
                submission.resolve_copy(loaded_tonight.get(key) or con.execute(
                    sql("first_loaded_copy"), {
                        "member_id": key[0], "sha256": key[1],
                        "loaded_states": list(LOADED_STATES)}).fetchall()[0][0])
            if submission.state in LOADED_STATES:
                loaded_tonight.setdefault(key, submission_id)
        _insert_submissions(con, chunk, chunk_ids, loaded_at)
        _insert_rule_results(con, chunk, chunk_ids, loaded_at)
        _load_observations(con, chunk, chunk_ids, loaded_at)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return chunk_ids


def _insert_submissions(con: duckdb.DuckDBPyConnection, chunk: list[Submission],
                        ids: list[int], loaded_at: list[datetime]) -> None:
    rows = pd.DataFrame([{
        "submission_id": submission_id, "sha256": submission.arrival.sha256,
        "member_id": submission.member_id, "file_name": submission.shown_file_name,
        "file_name_sha256": file_name_sha256(submission.arrival.file_name),
        "file_format": submission.file_format, "size_bytes": submission.arrival.size_bytes,
        "received_at": submission.received_at, "state": submission.state,
        "state_changed_at": at,
        "observation_count": submission.observation_count
        if submission.state.startswith("accepted") else 0,
        "error_count": sum(p.severity == "error" for p in submission.problems),
        "warning_count": sum(p.severity == "warning" for p in submission.problems),
        "duplicate_of": submission.duplicate_of,
        "problems": json.dumps(condense(submission.problems), ensure_ascii=False),
    } for submission, submission_id, at in zip(chunk, ids, loaded_at, strict=True)])
    rows["duplicate_of"] = rows["duplicate_of"].astype("Int64")
    for column in ("received_at", "state_changed_at"):
        rows[column] = pd.to_datetime(rows[column], utc=True)
    con.register("chunk_submissions", rows)
    con.execute(sql("insert_submissions"))
    con.unregister("chunk_submissions")


def _insert_rule_results(con: duckdb.DuckDBPyConnection, chunk: list[Submission],
                         ids: list[int], loaded_at: list[datetime]) -> None:
    counted = [(s.rule_counts_in_part, submission_id, at)
               for s, submission_id, at in zip(chunk, ids, loaded_at, strict=True)
               if s.rule_counts_in_part is not None]
    if not counted:
        return
    rows = _stamped(rows_in_parts([where for where, _, _ in counted]),
                    [(stop - start, i, at) for (_, start, stop), i, at in counted], "run_at")
    con.register("rule_results", rows)
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
    accepted = [(submission, submission_id, at)
                for submission, submission_id, at in zip(chunk, ids, loaded_at, strict=True)
                if submission.state.startswith("accepted")]
    if not accepted:
        return
    incoming = _stamped(observations_of([s for s, _, _ in accepted])[OBSERVATION_COLUMNS],
                        [(s.observation_count, i, at) for s, i, at in accepted], "valid_from")
    incoming["note"] = incoming["note"].where(incoming["note"] != "")
    con.register("incoming", incoming)
    con.execute(sql("close_corrected_observations"))
    con.execute(sql("insert_observations"))
    con.unregister("incoming")
    con.execute(sql("mark_superseded_submissions"),
                {"first": loaded_at[0], "ids": ids, "loaded_at": loaded_at})


def _stamped(rows: pd.DataFrame, files: list[tuple[int, int, datetime]], time_column: str
             ) -> pd.DataFrame:
    """Files' rows, in their order, each marked with its file's submission id and load time;
    `files` gives each file's (number of rows, submission id, load time)."""
    sizes = [size for size, _, _ in files]
    rows["submission_id"] = np.repeat([submission_id for _, submission_id, _ in files], sizes)
    rows[time_column] = np.repeat(pd.to_datetime([at for _, _, at in files], utc=True), sizes)
    return rows


def receipts_since(con: duckdb.DuckDBPyConnection, changed_at: datetime | None,
                   only: list[int] | None = None) -> list[dict]:
    """Receipts of every submission whose state changed at or after `changed_at` (None: all),
    of the submissions `only` names when given."""
    rows = con.execute(sql("receipts"), {"changed_at": changed_at, "only": only}).fetchall()
    return [
        build_receipt(
            file=file_name, sha256=sha, member_id=member_id, received_at=received_at,
            state=state, problems=json.loads(problems), submission_id=submission_id,
            file_format=file_format, observations=count if state != "rejected" else None,
            duplicate_of=duplicate_of, superseded_by=superseded_by,
            duplicate_of_file=duplicate_of_file, superseded_by_file=superseded_by_file)
        for (submission_id, file_name, sha, member_id, received_at, state, file_format, count,
             duplicate_of, superseded_by, problems, duplicate_of_file, superseded_by_file)
        in rows
    ]

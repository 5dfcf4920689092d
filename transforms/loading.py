"""Recording submissions and loading their observations: one transaction per submission.

A crash or a rerun never double-counts: a file's submission row and its observations commit
together, and a file already recorded is recognised on the next scan of the inbox.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import duckdb
import pandas as pd

from transforms.intake import Submission
from transforms.receipts import build_receipt, condense

OBSERVATION_COLUMNS = ["member_id", "period", "frequency", "quarter", "indicator", "dimension",
                       "category", "value", "status", "note"]


def name_key(file_name: str) -> str:
    """A file name's fingerprint: recognises a file without storing a name that may identify."""
    return hashlib.sha256(file_name.encode("utf-8", "surrogateescape")).hexdigest()


def already_received(con: duckdb.DuckDBPyConnection) -> tuple[set[tuple[str, str, str]],
                                                               dict[str, int]]:
    """(member, name fingerprint, sha256) of files handled before, and the first id per sha256."""
    rows = con.execute(
        "select member_id, file_name_sha256, sha256, submission_id from submissions "
        "order by submission_id").fetchall()
    seen = {(m, n, s) for m, n, s, _ in rows}
    first: dict[str, int] = {}
    for _, _, sha, submission_id in rows:
        first.setdefault(sha, submission_id)
    return seen, first


def record_submission(con: duckdb.DuckDBPyConnection, submission: Submission,
                      loaded_at: datetime) -> int:
    """Store one submission, and its observations if accepted, in a single transaction."""
    state = submission.state
    problems = condense(submission.problems)
    observations = submission.observations if state.startswith("accepted") else None
    con.execute("begin transaction")
    try:
        submission_id = con.execute(
            """
            insert into submissions (sha256, member_id, file_name, file_name_sha256, file_format,
                size_bytes, received_at, state, state_changed_at, observation_count,
                error_count, warning_count, duplicate_of, problems)
            values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            returning submission_id
            """,
            [submission.arrival.sha256, submission.member_id, submission.shown_file_name,
             name_key(submission.arrival.file_name), submission.file_format,
             submission.arrival.size_bytes, submission.received_at, state, loaded_at,
             0 if observations is None else len(observations),
             sum(p.severity == "error" for p in submission.problems),
             sum(p.severity == "warning" for p in submission.problems),
             submission.duplicate_of, json.dumps(problems, ensure_ascii=False)],
        ).fetchone()[0]
        if submission.rule_results:
            results = pd.DataFrame([r.__dict__ for r in submission.rule_results]).assign(
                submission_id=submission_id, run_at=loaded_at)
            con.register("rule_results", results)
            con.execute("""
                insert into validation_results
                select submission_id, run_at, suite, rule, severity, success, unexpected_count
                from rule_results""")
            con.unregister("rule_results")
        if observations is not None:
            _load_observations(con, submission_id, observations, loaded_at)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return submission_id


def _load_observations(con: duckdb.DuckDBPyConnection, submission_id: int,
                       observations: pd.DataFrame, loaded_at: datetime) -> None:
    """Close the rows this submission corrects, add its own, mark fully replaced files."""
    frame = observations[OBSERVATION_COLUMNS].assign(submission_id=submission_id)
    frame["note"] = frame["note"].where(frame["note"] != "")
    con.register("incoming", frame)
    closed = con.execute(
        """
        update observations set valid_to = $loaded_at
        where valid_to is null
          and (member_id, period, indicator) in (
              select distinct member_id, period, indicator from incoming)
        """, {"loaded_at": loaded_at}).fetchone()[0]
    con.execute(
        """
        insert into observations (submission_id, member_id, period, frequency, quarter,
            indicator, dimension, category, value, status, note, valid_from, valid_to)
        select submission_id, member_id, period, frequency, quarter, indicator, dimension,
            category, value, status, note, $loaded_at, null
        from incoming
        """, {"loaded_at": loaded_at})
    con.unregister("incoming")
    if not closed:
        return
    con.execute(
        """
        update submissions set state = 'superseded', superseded_by = $new_id,
            state_changed_at = $loaded_at
        where state in ('accepted', 'accepted_with_warnings')
          and submission_id <> $new_id
          and submission_id in (
              select submission_id from observations where valid_to = $loaded_at)
          and not exists (
              select 1 from observations still
              where still.submission_id = submissions.submission_id and still.valid_to is null)
        """, {"new_id": submission_id, "loaded_at": loaded_at})


def receipts_since(con: duckdb.DuckDBPyConnection, changed_at: datetime | None) -> list[dict]:
    """Receipts of every submission whose state changed at or after `changed_at` (None: all)."""
    query = """
        select submission_id, file_name, sha256, member_id, received_at, state, file_format,
            observation_count, duplicate_of, superseded_by, problems
        from submissions
    """
    params: list = []
    if changed_at is not None:
        query += " where state_changed_at >= ?"
        params.append(changed_at)
    rows = con.execute(query + " order by submission_id", params).fetchall()
    return [
        build_receipt(
            file=file_name, sha256=sha, member_id=member_id, received_at=received_at,
            state=state, problems=json.loads(problems), submission_id=submission_id,
            file_format=file_format, observations=count if state != "rejected" else None,
            duplicate_of=duplicate_of, superseded_by=superseded_by)
        for (submission_id, file_name, sha, member_id, received_at, state, file_format, count,
             duplicate_of, superseded_by, problems) in rows
    ]

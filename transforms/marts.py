"""The quarterly aggregates, rebuilt from transforms/sql as the data stood at a cut-off time.

A night changes a few member-quarters of a long history, so the nightly run refreshes just
those (`refresh_changed`); `refresh_marts` rebuilds everything, as `efc rebuild` does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime

import duckdb

from transforms.sql_files import sql
from transforms.warehouse import (
    build_table,
    changed_member_quarters,
    forget_refresh,
    in_slices,
    latest_submission_id,
    record_refresh,
    reference_fingerprint,
    refresh_state,
)

MARTS = (
    "current_observations",
    "quarterly_member_values",
    "quarterly_indicator_totals",
    "reporting_coverage",
)
# What a mart's rows are keyed by at the grain a night changes: a member-quarter, or a
# quarter for marts across members.
MART_SCOPE = {
    "current_observations": "(member_id, quarter) in (select s.member_id, s.quarter "
                            "from (select unnest($member_quarters) as s))",
    "quarterly_member_values": "(member_id, quarter) in (select s.member_id, s.quarter "
                               "from (select unnest($member_quarters) as s))",
    "quarterly_indicator_totals": "quarter in (select unnest($member_quarters).quarter)",
    "reporting_coverage": "quarter in (select unnest($member_quarters).quarter)",
}
STEP = "marts"
# The marts a full refresh builds a slice of members at a time, and about how many observations
# a slice holds: a member's quarterly medians are held in memory while they are computed, and
# at 5M observations all members at once needed more than 768 MB of DuckDB's memory.
MEMBER_MARTS = ("current_observations", "quarterly_member_values")
SLICE_OBSERVATIONS = 1_000_000


def refresh_marts(con: duckdb.DuckDBPyConnection, as_of: datetime, *, temp: bool = False) -> None:
    """Rebuild every mart in dependency order; temp tables serve a read-only snapshot.

    The marts kept by member-quarter are built slice by slice of whole members, so memory stays
    flat however long the history (a first night, `efc rebuild`, an assessment's snapshot).
    """
    last = latest_submission_id(con)
    if not temp:  # built in many statements: a night that stops halfway must rebuild them all
        forget_refresh(con, STEP)
    slices = list(_member_slices(con, SLICE_OBSERVATIONS))
    for name in MARTS:
        if name not in MEMBER_MARTS or len(slices) < 2:
            build_table(con, name, _params(name, as_of, None), temp=temp)
            continue
        build_table(con, name, _params(name, as_of, slices[0]), temp=temp)
        for member_quarters in slices[1:]:
            _insert_rows(con, name, as_of, member_quarters)
    if not temp:
        record_refresh(con, STEP, as_of, last, marts_fingerprint(con))


def _member_slices(con: duckdb.DuckDBPyConnection, most_observations: int
                   ) -> Iterator[list[dict]]:
    """The member-quarters of consecutive slices of members, each of about
    `most_observations` observations; a member is never split."""
    quarters: dict[str, list[str]] = {}
    observations: dict[str, int] = {}
    for member, quarter, count in con.execute(sql("member_quarter_observations")).fetchall():
        quarters.setdefault(member, []).append(quarter)
        observations[member] = observations.get(member, 0) + count
    for members in in_slices(observations.items(), most_observations):
        yield [{"member_id": m, "quarter": q} for m in members for q in quarters[m]]


def refresh_changed(con: duckdb.DuckDBPyConnection, as_of: datetime
                    ) -> list[tuple[str, str]] | None:
    """Refresh the marts' rows of the member-quarters changed since they were last refreshed.

    Changed: observed by a submission recorded since then (tonight's, and any a crashed night
    left unrefreshed). Each mart's rows of those keys are deleted and rebuilt, all in one
    transaction. Returns the (member, quarter) pairs refreshed; None when everything was
    rebuilt instead (no earlier refresh, other reference data or mart SQL, or `as_of` earlier
    than the last refresh).
    """
    state = refresh_state(con, STEP)
    fingerprint = marts_fingerprint(con)
    if (state is None or state.fingerprint != fingerprint or as_of < state.as_of
            or not _marts_exist(con)):
        refresh_marts(con, as_of)
        return None
    con.execute("begin transaction")
    try:
        last = latest_submission_id(con)
        scope = changed_member_quarters(con, state.last_submission_id)
        if scope:
            member_quarters = [{"member_id": m, "quarter": q} for m, q in scope]
            for name in MARTS:
                con.execute(f"delete from {name} where {MART_SCOPE[name]}",
                            {"member_quarters": member_quarters})
                _insert_rows(con, name, as_of, member_quarters)
        record_refresh(con, STEP, as_of, last, fingerprint)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return scope


def _insert_rows(con: duckdb.DuckDBPyConnection, name: str, as_of: datetime,
                 member_quarters: list[dict]) -> None:
    """Add mart `name`'s rows of these member-quarters (or their quarters)."""
    con.execute(f"insert into {name} by name\n{sql(name)}",
                _params(name, as_of, member_quarters))


def _params(name: str, as_of: datetime, member_quarters: list[dict] | None) -> dict:
    params: dict = {"member_quarters": member_quarters}
    if name == "current_observations":
        params["as_of"] = as_of
    return params


def _marts_exist(con: duckdb.DuckDBPyConnection) -> bool:
    found = {row[0] for row in con.execute(
        "select table_name from duckdb_tables() where database_name = current_database() "
        "and schema_name = 'main' and not temporary").fetchall()}
    return set(MARTS) <= found


def marts_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """Reference data and mart SQL: rows built under other ones may differ, so rebuild all."""
    digest = hashlib.sha256(reference_fingerprint(con).encode())
    for name in MARTS:
        digest.update(sql(name).encode())
    return digest.hexdigest()

"""The quarterly aggregates, rebuilt from transforms/sql as the data stood at a cut-off time.

A night changes a few member-quarters of a long history, so the nightly run refreshes just
those (`refresh_changed`); `refresh_marts` rebuilds everything, as `efc rebuild` does.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import duckdb

from transforms.sql_files import sql
from transforms.warehouse import (
    build_table,
    changed_member_quarters,
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


def refresh_marts(con: duckdb.DuckDBPyConnection, as_of: datetime, *, temp: bool = False) -> None:
    """Rebuild every mart in dependency order; temp tables serve a read-only snapshot."""
    last = latest_submission_id(con)
    for name in MARTS:
        build_table(con, name, _params(name, as_of, None), temp=temp)
    if not temp:
        record_refresh(con, STEP, as_of, last, marts_fingerprint(con))


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
                con.execute(f"insert into {name} by name\n{sql(name)}",
                            _params(name, as_of, member_quarters))
        record_refresh(con, STEP, as_of, last, fingerprint)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return scope


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

"""A night refreshes only what it changed: marts, warehouse verdicts and the readers' snapshot
come out exactly as a full rebuild makes them, row for row, on real DuckDB files."""

from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pytest

from checks.warehouse_checks import (
    run_changed_warehouse_suite,
    run_warehouse_suite,
    store_results,
)
from efc.settings import REPO_ROOT
from transforms import nightly
from transforms.inbox import Arrival
from transforms.intake import Submission, examine, validate
from transforms.marts import MARTS, refresh_changed, refresh_marts
from transforms.warehouse import load_reference, migrate

TODAY = date(2026, 2, 20)
HEADER = "member_id,period,indicator,dimension,category,value,unit,status,note\n"
HOTLINES = ("hl-north", "hl-west")


def month_file(member: str, period: str, received: int, assessed: int, confirmed: int,
               status: str = "") -> str:
    """A hotline's month: three totals and confirmed URLs by hosting country."""
    nl = confirmed // 3
    return (HEADER
            + f"{member},{period},HL_REPORTS_RECEIVED,,,{received},count,,\n"
            + f"{member},{period},HL_REPORTS_ASSESSED,,,{assessed},count,,\n"
            + f"{member},{period},HL_URLS_CONFIRMED,,,{confirmed},count,{status},\n"
            + f"{member},{period},HL_URLS_CONFIRMED,hosting_country,NL,{nl},count,,\n"
            + f"{member},{period},HL_URLS_CONFIRMED,hosting_country,ZZ,{confirmed - nl},count,,\n")


def quarter_file(period: str, opened: int) -> str:
    return HEADER + f"le-alpha,{period},LE_CASES_OPENED,,,{opened},count,,\n"


def history_files() -> list[tuple[str, str]]:
    """Two years of two hotlines' months and a police member's quarters, with spikes and an
    assessed-above-received month for the rules to find."""
    rng = np.random.default_rng(16)
    files = []
    for year in (2024, 2025):
        for month in range(1, 13):
            period = f"{year}-{month:02d}"
            for member in HOTLINES:
                received = int(rng.integers(900, 1100))
                if (member, period) in {("hl-north", "2024-08"), ("hl-west", "2025-03")}:
                    received *= 4  # implausible against the member's own history
                assessed = received + 5 if (member, period) == ("hl-north", "2025-10") \
                    else received - 100
                files.append((member, month_file(member, period, received, assessed,
                                                 int(rng.integers(300, 400)))))
        for quarter in range(1, 5):
            if (year, quarter) != (2025, 4):
                files.append(("le-alpha", quarter_file(f"{year}-Q{quarter}",
                                                       int(rng.integers(90, 110)))))
    return files


def tonight_files() -> list[tuple[str, str]]:
    """New months and a new quarter, and corrections: one removes an assessed-above-received
    flag, one plants a spike that judges the months after it, one opens a series break."""
    return [
        ("hl-north", month_file("hl-north", "2026-01", 1000, 900, 350)),
        ("hl-west", month_file("hl-west", "2026-01", 1000, 900, 350)),
        ("le-alpha", quarter_file("2025-Q4", 400)),
        ("hl-north", month_file("hl-north", "2025-10", 1000, 900, 350)),
        ("hl-west", month_file("hl-west", "2025-06", 6000, 5000, 350)),
        ("hl-north", month_file("hl-north", "2025-07", 1000, 900, 1400, status="B")),
    ]


def load(con: duckdb.DuckDBPyConnection, files: list[tuple[str, str]], catalogue) -> list[int]:
    """Examine, validate and record files as the nightly run does (without Prefect)."""
    now = datetime.now(UTC)
    submissions = []
    for key, (member, text) in enumerate(files):
        data = text.encode()
        arrival = Arrival(member, f"file-{key}.csv", Path(f"/nonexistent/file-{key}.csv"),
                          hashlib.sha256(data).hexdigest(), len(data), 0)
        submissions.append(examine(Submission(key=key, arrival=arrival, received_at=now),
                                   data, catalogue, max_file_bytes=10**6, max_rows=10**6))
    validate(submissions, catalogue, TODAY)
    assert {s.state for s in submissions} <= {"accepted", "accepted_with_warnings"}
    summary = nightly.load_submissions(con, submissions,
                                       nightly.NightlySummary(started_at=now, inbox="inbox"))
    return summary.recorded


def open_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    migrate(con)
    load_reference(con, REPO_ROOT / "reference")
    return con


def rows(con: duckdb.DuckDBPyConnection, query: str, params: dict | None = None) -> list[tuple]:
    return con.execute(f"select * from ({query}) order by all", params or {}).fetchall()


def stored_run(con: duckdb.DuckDBPyConnection, run_at: datetime) -> dict[str, list[tuple]]:
    """Every mart, and the warehouse suite's counts and flags stored for the run at `run_at`."""
    found = {name: rows(con, f"select * from {name}") for name in MARTS}
    found["warehouse_flags"] = rows(
        con, "select * from warehouse_flags where run_at = $run_at", {"run_at": run_at})
    found["validation_results"] = rows(
        con, "select * from validation_results where submission_id is null "
             "and run_at = $run_at", {"run_at": run_at})
    return found


@pytest.fixture
def night(tmp_path, catalogue):
    """A warehouse with its history refreshed and judged in full, then tonight's files loaded:
    (path, as_of of tonight's refresh)."""
    path = tmp_path / "warehouse.duckdb"
    con = open_warehouse(path)
    load(con, history_files(), catalogue)
    history_at = datetime.now(UTC)
    refresh_marts(con, history_at)
    store_results(con, run_warehouse_suite(con, as_of=history_at, today=TODAY), history_at)
    load(con, tonight_files(), catalogue)
    con.close()
    return path, datetime.now(UTC) + timedelta(seconds=1)


def test_a_night_refreshed_incrementally_equals_a_full_rebuild(night, tmp_path):
    path, as_of = night
    full_path = tmp_path / "full.duckdb"
    shutil.copyfile(path, full_path)

    with duckdb.connect(str(full_path)) as full:
        refresh_marts(full, as_of)
        store_results(full, run_warehouse_suite(full, as_of=as_of, today=TODAY), as_of)
        expected = stored_run(full, as_of)

    with duckdb.connect(str(path)) as con:
        refreshed = refresh_changed(con, as_of)
        validation = run_changed_warehouse_suite(con, as_of=as_of, today=TODAY)
        store_results(con, validation, as_of)
        got = stored_run(con, as_of)

    # Only tonight's member-quarters were rebuilt; the rules judged only their member-periods.
    assert refreshed == [("hl-north", "2025-Q3"), ("hl-north", "2025-Q4"),
                         ("hl-north", "2026-Q1"), ("hl-west", "2025-Q2"),
                         ("hl-west", "2026-Q1"), ("le-alpha", "2025-Q4")]
    flagged = {(member, period) for _, _, _, _, member, period, _ in got["warehouse_flags"]}
    assert ("hl-north", "2024-08") in flagged  # an old flag, carried over, not judged again
    assert validation.suite_results  # tonight's scope did run under GX

    flags = {(rule, member, period) for _, _, rule, _, member, period, _ in
             expected["warehouse_flags"]}
    assert ("assessed_within_received", "hl-north", "2025-10") not in flags  # corrected
    assert ("value_plausible_against_history", "hl-west", "2025-06") in flags  # planted
    assert ("value_plausible_against_history", "le-alpha", "2025-Q4") in flags  # new quarter
    for table, table_rows in expected.items():
        assert got[table] == table_rows, table
        assert table_rows or table == "warehouse_flags", f"{table} is empty: nothing compared"


def test_a_changed_suite_or_reference_judges_everything_again(night, tmp_path):
    """With no stored run the changed run is a full one; with one it runs on the night only."""
    path, as_of = night
    with duckdb.connect(str(path)) as con:
        con.execute("delete from refresh_state")
        assert refresh_changed(con, as_of) is None  # no record of the marts: rebuilt whole
        validation = run_changed_warehouse_suite(con, as_of=as_of, today=TODAY)
        full = run_warehouse_suite(con, as_of=as_of, today=TODAY)
        assert validation.flagged.sort_values(list(validation.flagged.columns)).values.tolist() \
            == full.flagged.sort_values(list(full.flagged.columns)).values.tolist()
        store_results(con, validation, as_of)
        # The next night, with nothing new: nothing to refresh, the same verdicts.
        later = as_of + timedelta(hours=24)
        assert refresh_changed(con, later) == []
        again = run_changed_warehouse_suite(con, as_of=later, today=TODAY)
        assert not again.suite_results
        assert [(r.rule, r.unexpected_count) for r in again.results] == \
            [(r.rule, r.unexpected_count) for r in full.results]

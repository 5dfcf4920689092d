"""A night refreshes only what it changed: marts, warehouse verdicts and the readers' snapshot
come out exactly as a full rebuild makes them, row for row, on real DuckDB files."""

from __future__ import annotations

import dataclasses
import logging
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pytest

from benchmarks.incremental_night import load
from checks.warehouse_checks import (
    run_changed_warehouse_suite,
    run_warehouse_suite,
    store_results,
)
from efc.settings import REPO_ROOT
from transforms import marts
from transforms.marts import MARTS, refresh_changed, refresh_marts
from transforms.warehouse import (
    load_reference,
    migrate,
    publish_snapshot,
    refresh_state,
    snapshot_path,
    spare_snapshot_path,
)

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


def snapshot_rows(settings) -> dict[str, list[tuple]]:
    """Every table of the readers' snapshot, every row."""
    with duckdb.connect(str(snapshot_path(settings)), read_only=True) as con:
        names = [row[0] for row in con.execute(
            "select table_name from duckdb_tables() order by all").fetchall()]
        return {name: rows(con, f"select * from {name}") for name in names}


def published(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "efc.warehouse"]


@pytest.fixture
def night(workspace, catalogue):
    """A warehouse with its history refreshed, judged and published (twice: a snapshot and its
    spare), then tonight's files loaded: (settings, as_of of tonight's refresh)."""
    workspace.ensure_folders()
    con = open_warehouse(workspace.warehouse_path)
    load(con, history_files(), catalogue, TODAY)
    history_at = datetime.now(UTC)
    refresh_marts(con, history_at)
    store_results(con, run_warehouse_suite(con, as_of=history_at, today=TODAY), history_at)
    publish_snapshot(con, workspace)
    publish_snapshot(con, workspace)  # the first becomes the spare
    load(con, tonight_files(), catalogue, TODAY)
    con.close()
    return workspace, datetime.now(UTC) + timedelta(seconds=1)


@pytest.fixture
def full_rebuild(night, tmp_path):
    """The same warehouse after tonight's load, rebuilt in full and copied whole to its
    snapshot: (settings, every mart and stored verdict, every snapshot table)."""
    settings, as_of = night
    full = dataclasses.replace(settings, home=tmp_path / "full")
    full.home.mkdir()
    shutil.copyfile(settings.warehouse_path, full.warehouse_path)
    with duckdb.connect(str(full.warehouse_path)) as con:
        refresh_marts(con, as_of)
        store_results(con, run_warehouse_suite(con, as_of=as_of, today=TODAY), as_of)
        publish_snapshot(con, full, full=True)
        return full, stored_run(con, as_of), snapshot_rows(full)


def test_a_night_refreshed_incrementally_equals_a_full_rebuild(night, full_rebuild, caplog):
    settings, as_of = night
    _, expected, expected_snapshot = full_rebuild
    caplog.set_level(logging.INFO, logger="efc.warehouse")
    with duckdb.connect(str(settings.warehouse_path)) as con:
        refreshed = refresh_changed(con, as_of)
        validation = run_changed_warehouse_suite(con, as_of=as_of, today=TODAY)
        store_results(con, validation, as_of)
        publish_snapshot(con, settings)
        got = stored_run(con, as_of)
    assert published(caplog) == ["readers' snapshot: the spare brought up to date"]

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
        assert table_rows, f"{table} is empty: nothing compared"
    snapshot = snapshot_rows(settings)
    assert snapshot.keys() == expected_snapshot.keys()
    for table, table_rows in expected_snapshot.items():
        assert snapshot[table] == table_rows, table


@pytest.mark.parametrize(("damaged", "how"), [
    (["spare"], "a copy of the latest brought up to date"),
    (["spare", "latest"], "copied whole from the warehouse"),
])
def test_a_snapshot_that_does_not_match_gives_way(night, full_rebuild, caplog, damaged, how):
    """A snapshot missing rows (or from another warehouse): the changes would not make it the
    warehouse, so the next one serves, or the warehouse is copied whole; readers still get
    exactly the warehouse."""
    settings, as_of = night
    *_, expected_snapshot = full_rebuild
    paths = {"spare": spare_snapshot_path(settings), "latest": snapshot_path(settings)}
    for name in damaged:
        with duckdb.connect(str(paths[name])) as old:
            old.execute("delete from observations where period = '2024-01'")
    caplog.set_level(logging.INFO, logger="efc.warehouse")
    with duckdb.connect(str(settings.warehouse_path)) as con:
        refresh_changed(con, as_of)
        store_results(con, run_changed_warehouse_suite(con, as_of=as_of, today=TODAY), as_of)
        publish_snapshot(con, settings)
    assert published(caplog) == [f"readers' snapshot: {how}"]
    assert snapshot_rows(settings) == expected_snapshot
    assert sorted(p.name for p in settings.home.glob("warehouse.snapshot*")) == [
        "warehouse.snapshot.duckdb", "warehouse.snapshot.spare.duckdb"]


def test_a_full_refresh_slice_by_slice_equals_one_at_once(night, full_rebuild, tmp_path,
                                                          monkeypatch):
    """A full refresh builds the member marts a slice of members at a time to bound its
    memory: one member a slice gives every mart row for row as one slice of all did."""
    settings, as_of = night
    _, expected, _ = full_rebuild
    copy = tmp_path / "sliced.duckdb"
    shutil.copyfile(settings.warehouse_path, copy)
    monkeypatch.setattr(marts, "SLICE_OBSERVATIONS", 1)
    with duckdb.connect(str(copy)) as con:
        members = con.execute("select count(distinct member_id) from observations").fetchone()[0]
        assert len(list(marts._member_slices(con, 1))) == members > 1
        marts.refresh_marts(con, as_of)
        for name in MARTS:
            assert rows(con, f"select * from {name}") == expected[name], name


def test_a_full_refresh_that_stops_halfway_is_redone_whole(night, full_rebuild, monkeypatch):
    """A full refresh writes the marts in many statements: one that fails halfway (here the
    second mart, after the first was rebuilt) leaves no record of the earlier refresh, so the
    next night rebuilds them all rather than adding its own member-quarters to a mix."""
    settings, as_of = night
    _, expected, _ = full_rebuild
    monkeypatch.setattr(marts, "SLICE_OBSERVATIONS", 1)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        assert refresh_state(con, marts.STEP) is not None  # the history's refresh
        con.execute("alter table indicators rename to indicators_away")  # the second mart fails
        with pytest.raises(duckdb.CatalogException):
            marts.refresh_marts(con, as_of)
        assert refresh_state(con, marts.STEP) is None
        con.execute("alter table indicators_away rename to indicators")
        assert refresh_changed(con, as_of) is None  # rebuilt whole
        for name in MARTS:
            assert rows(con, f"select * from {name}") == expected[name], name


def test_with_no_record_of_the_last_refresh_everything_is_rebuilt(night):
    """With no stored run the changed run is a full one; with one it runs on the night only."""
    settings, as_of = night
    with duckdb.connect(str(settings.warehouse_path)) as con:
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


def test_the_writer_keeps_to_its_memory_limit(workspace, monkeypatch):
    from efc.settings import Settings, SettingsError
    from transforms.warehouse import writer

    monkeypatch.setenv("EFC_DUCKDB_MEMORY_LIMIT", "300MB")
    monkeypatch.setenv("EFC_DUCKDB_THREADS", "1")
    settings = Settings.from_env()
    with writer(settings) as con:
        assert con.execute("select current_setting('memory_limit'), "
                           "current_setting('threads')").fetchall() == [("286.1 MiB", 1)]
    monkeypatch.setenv("EFC_DUCKDB_MEMORY_LIMIT", "lots")
    with pytest.raises(SettingsError, match="EFC_DUCKDB_MEMORY_LIMIT"):
        Settings.from_env()


def test_rebuild_redoes_everything_from_the_history(night, full_rebuild, capsys):
    """`efc rebuild` after tonight's load gives what a full rebuild gives."""
    import json

    from efc.cli import main

    settings, _ = night
    *_, expected_snapshot = full_rebuild
    assert main(["rebuild", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["mart_rows"]["current_observations"] == len(
        expected_snapshot["current_observations"])
    got = snapshot_rows(settings)
    for table in MARTS:
        assert got[table] == expected_snapshot[table], table


@pytest.mark.slow
def test_rebuild_does_not_import_prefect(workspace):
    import subprocess
    import sys

    code = ("import sys; from efc.cli import main\n"
            "rc = main(['rebuild'])\n"
            "assert 'prefect' not in {m.split('.')[0] for m in sys.modules}; sys.exit(rc)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("rebuilt 4 marts")


@pytest.mark.slow
def test_a_spare_a_reader_still_holds_is_left_alone(night, full_rebuild, caplog):
    """A reader that opened the snapshot before it became the spare may still read it: DuckDB
    then refuses to write it, and a copy of the latest is brought up to date instead."""
    import subprocess
    import sys

    settings, as_of = night
    *_, expected_snapshot = full_rebuild
    spare = spare_snapshot_path(settings)
    reading = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; con = duckdb.connect(sys.argv[1], "
         "read_only=True); print(con.execute('select count(*) from observations')"
         ".fetchall()[0][0], flush=True); sys.stdin.read()", str(spare)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        before = reading.stdout.readline()
        caplog.set_level(logging.INFO, logger="efc.warehouse")
        with duckdb.connect(str(settings.warehouse_path)) as con:
            refresh_changed(con, as_of)
            store_results(con, run_changed_warehouse_suite(con, as_of=as_of, today=TODAY), as_of)
            publish_snapshot(con, settings)
    finally:
        reading.communicate("")
    assert int(before) > 0
    assert published(caplog) == ["readers' snapshot: a copy of the latest brought up to date"]
    assert snapshot_rows(settings) == expected_snapshot


def marts_rows(settings, catalogue, files: list[tuple[str, str]], query: str) -> list[tuple]:
    """`query`'s rows of confirmed URLs (total and NL) and police cases, once `files` are loaded
    into a new warehouse and its marts built."""
    settings.ensure_folders()
    with open_warehouse(settings.warehouse_path) as con:
        load(con, files, catalogue, TODAY)
        refresh_marts(con, datetime.now(UTC))
        return rows(con, f"""select * from ({query})
                             where indicator in ('HL_URLS_CONFIRMED', 'LE_CASES_OPENED')
                               and category in ('', 'NL')""")


def test_a_quarter_counts_each_month_reported_once(workspace, catalogue):
    """months_reported and is_complete per member-quarter: a month corrected counts once, two
    months leave a quarter incomplete, three or a quarterly report complete it."""
    found = marts_rows(workspace, catalogue, [
        ("hl-north", month_file("hl-north", "2025-07", 1000, 900, 300)),
        ("hl-north", month_file("hl-north", "2025-08", 1000, 900, 300)),
        ("hl-north", month_file("hl-north", "2025-08", 1100, 900, 330)),
        *[("hl-west", month_file("hl-west", f"2025-0{m}", 1000, 900, 300)) for m in (7, 8, 9)],
        ("le-alpha", quarter_file("2025-Q3", 100))],
        """select member_id, indicator, dimension, category, months_reported,
                  is_quarterly_report, is_complete, value
           from quarterly_member_values""")
    assert found == [
        ("hl-north", "HL_URLS_CONFIRMED", "", "", 2, False, False, 630.0),
        ("hl-north", "HL_URLS_CONFIRMED", "hosting_country", "NL", 2, False, False, 210.0),
        ("hl-west", "HL_URLS_CONFIRMED", "", "", 3, False, True, 900.0),
        ("hl-west", "HL_URLS_CONFIRMED", "hosting_country", "NL", 3, False, True, 300.0),
        ("le-alpha", "LE_CASES_OPENED", "", "", 0, True, True, 100.0)]


def test_coalition_totals_name_the_two_largest_contributions(workspace, catalogue):
    """The largest two members' values of a cell, equal ones both counted; a cell of one member
    has no second (0)."""
    found = marts_rows(workspace, catalogue, [
        *[(member, month_file(member, f"2025-0{m}", 1000, 900, 300))
          for member in ("hl-north", "hl-west") for m in (7, 8, 9)],
        ("hl-south", month_file("hl-south", "2025-07", 1000, 900, 30)),
        *[("hl-south", month_file("hl-south", f"2025-0{m}", 1000, 900, 60)) for m in (8, 9)],
        ("le-alpha", quarter_file("2025-Q3", 100))],
        """select indicator, category, value, contributors, largest_contribution,
                  second_contribution
           from quarterly_indicator_totals""")
    assert found == [("HL_URLS_CONFIRMED", "", 1950.0, 3, 900.0, 900.0),
                     ("HL_URLS_CONFIRMED", "NL", 650.0, 3, 300.0, 300.0),
                     ("LE_CASES_OPENED", "", 100.0, 1, 100.0, 0.0)]

"""Readers' snapshot: a snapshot published by older code (before a migration) is replaced on
the next read instead of failing on a missing table."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import duckdb

from transforms.catalogue import read_reference
from transforms.completeness import reporting_due_days
from transforms.warehouse import (
    publish_snapshot,
    reader,
    snapshot_is_current,
    snapshot_path,
    writer,
)


def test_a_snapshot_older_than_the_migrations_is_republished(workspace):
    with writer(workspace) as con:
        publish_snapshot(con, workspace)
    path = snapshot_path(workspace)
    assert snapshot_is_current(path)
    with duckdb.connect(str(path)) as old:  # as code before the deadline's migration left it
        old.execute("drop table reporting_deadline")
        old.execute("delete from schema_migrations where name = '003_reporting_deadline.sql'")
    assert not snapshot_is_current(path)

    due_days = read_reference(workspace.reference_dir)["reporting_deadline"]["due_days"].item()
    with reader(workspace) as con:
        assert reporting_due_days(con) == due_days
    assert snapshot_is_current(path)


def test_no_snapshot_is_not_current(workspace):
    assert not snapshot_is_current(snapshot_path(workspace))
    with reader(workspace) as con:
        assert con.execute("select count(*) from submissions").fetchall() == [(0,)]


def test_readers_keep_to_the_memory_limit_and_spill_apart(workspace):
    """A reader keeps to EFC_DUCKDB_MEMORY_LIMIT as the writer does, beside any other
    connection of its process, and spills what exceeds it beside the snapshot. Readers of
    several processes share that folder: DuckDB names its spill files for their process
    (duckdb/duckdb#24811; before, two processes' files took the same names)."""
    settings = replace(workspace, duckdb_memory_limit="300MB")
    with reader(settings) as first, reader(settings) as second:
        assert snapshot_is_current(snapshot_path(settings))  # a plain connection beside them
        limits = {con.execute("select current_setting('memory_limit')").fetchone()[0]
                  for con in (first, second)}
        first.execute("create temp table wide as "
                      "select range as i, repeat('x', 200) as text from range(3000000)")
        spill = Path(first.execute("select current_setting('temp_directory')").fetchone()[0])
        spilled = [path.name for path in spill.iterdir()]
    assert limits == {"286.1 MiB"}  # 300MB, in DuckDB's words
    assert spill.parent == settings.home
    assert spilled and all(name.startswith(f"duckdb_temp_{os.getpid()}_") for name in spilled)

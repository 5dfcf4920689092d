"""Readers' snapshot: a snapshot published by older code (before a migration) is replaced on
the next read instead of failing on a missing table."""

from __future__ import annotations

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

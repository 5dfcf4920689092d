"""Quarantined identifying files: owner-only, erased only by the purge, each erasure recorded."""

from __future__ import annotations

import json
import os
import time

import duckdb
import pytest

from efc.cli import main
from tests.conftest import write

HEADER = "member_id,period,indicator,dimension,category,value,unit,status,note\n"


@pytest.mark.slow
def test_purge_erases_old_quarantined_files_and_records_it(workspace, prefect_harness, capsys):
    from flows.nightly_aggregation import nightly_aggregation

    write(workspace.inbox / "hl-north" / "a.csv",
          HEADER + "hl-north,2026-07,HL_URLS_CONFIRMED,,,5,,,call +44 20 7946 0958\n")
    write(workspace.inbox / "hl-north" / "b.csv",
          HEADER + "hl-north,2026-07,HL_URLS_CONFIRMED,,,5,,,mail a.person@example.org\n")
    nightly_aggregation()
    quarantined = sorted(workspace.quarantine_dir.iterdir())
    assert len(quarantined) == 2
    old = time.time() - 40 * 86400
    os.utime(quarantined[0], (old, old))

    assert main(["quarantine", "purge", "--older-than", "30d", "--json"]) == 0
    erased = json.loads(capsys.readouterr().out)
    assert [e["sha256"] for e in erased] == [quarantined[0].name]
    assert not quarantined[0].exists() and quarantined[1].exists()
    with duckdb.connect(str(workspace.warehouse_path), read_only=True) as con:
        rows = con.execute("select sha256, member_id from quarantine_erasures").fetchall()
    assert rows == [(quarantined[0].name, "hl-north")]


def test_purge_refuses_a_bad_duration(workspace):
    assert main(["quarantine", "purge", "--older-than", "a month"]) == 2

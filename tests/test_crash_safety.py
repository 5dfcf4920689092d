"""An ingest killed with SIGKILL mid-batch, then rerun, loads every file exactly once."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

import duckdb
import pytest

from tests.conftest import SAMPLE

pytestmark = pytest.mark.slow  # `efc ingest` in a subprocess, killed and rerun


def test_sigkill_mid_batch_then_rerun_loads_each_file_once(workspace, tmp_path):
    inbox = tmp_path / "inbox"
    for member in ("hl-north", "pay-remit"):
        shutil.copytree(SAMPLE / member, inbox / member)
    files = sum(1 for _ in inbox.glob("*/*"))
    env = {**os.environ, "EFC_HOME": str(workspace.home), "EFC_PART_FILES": "10"}
    command = [sys.executable, "-m", "efc.cli", "ingest", "--inbox", str(inbox)]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    for line in process.stderr:  # progress lines: kill once the first part has committed
        if "recorded " in line:  # the whole process group, as a power cut would (Prefect's too)
            os.killpg(process.pid, signal.SIGKILL)
            break
    process.wait(timeout=300)
    assert process.returncode == -signal.SIGKILL
    with duckdb.connect(str(workspace.warehouse_path), read_only=True) as con:
        loaded_before_kill = con.execute("select count(*) from submissions").fetchone()[0]
    assert 0 < loaded_before_kill < files

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    with duckdb.connect(str(workspace.warehouse_path), read_only=True) as con:
        per_file = con.execute("""
            select count(*), count(distinct sha256) from submissions""").fetchone()
        assert per_file == (files, files)
        stored, declared = con.execute("""
            select (select count(*) from observations),
                   (select sum(observation_count) from submissions
                    where state in ('accepted', 'accepted_with_warnings', 'superseded'))
            """).fetchone()
        assert stored == declared
    receipts = list((workspace.receipts_dir).glob("*/*.json"))
    assert len(receipts) == files

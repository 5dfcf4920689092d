"""One writer: concurrent ingests load each file once; a writer that cannot get the warehouse
says so (the reader's side is in test_end_to_end.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import duckdb
import pytest

from tests.conftest import SAMPLE

pytestmark = pytest.mark.slow  # `efc ingest` in subprocesses

EFC = [sys.executable, "-m", "efc.cli"]


def copy_members(inbox, members) -> int:
    for member in members:
        shutil.copytree(SAMPLE / member, inbox / member)
    return sum(1 for _ in inbox.glob("*/*"))


def test_two_concurrent_ingests_load_each_file_once(workspace, tmp_path):
    inbox = tmp_path / "inbox"
    files = copy_members(inbox, ["pay-remit"])
    env = {**os.environ, "EFC_HOME": str(workspace.home), "EFC_LOCK_TIMEOUT_S": "300"}
    command = EFC + ["ingest", "--inbox", str(inbox), "--json"]
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    second = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    outputs = [p.communicate(timeout=600) for p in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, outputs
    with duckdb.connect(str(workspace.warehouse_path), read_only=True) as con:
        assert con.execute("select count(*), count(distinct sha256) from submissions"
                           ).fetchone() == (files, files)


def test_a_second_writer_gives_up_with_a_clear_message(workspace, tmp_path):
    from transforms.warehouse import writer

    env = {**os.environ, "EFC_HOME": str(workspace.home), "EFC_LOCK_TIMEOUT_S": "1"}
    with writer(workspace):  # this process holds the warehouse
        result = subprocess.run(EFC + ["ingest", "--inbox", str(tmp_path)], env=env,
                                capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "being written by another process" in result.stderr
    assert "Traceback" not in result.stderr

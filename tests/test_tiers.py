"""The suite's tiers: `pytest -m "not slow"` is the everyday loop, so every test that runs a
whole flow, a subprocess or a server must carry the slow marker; and the shared sample
workspace stays as it was built."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import build_once, changed_paths, fingerprint, why_slow


def test_every_test_that_runs_a_flow_a_subprocess_or_a_server_is_marked_slow(
        unmarked_slow_tests):
    """Checks every test this run collected (before -m or -k deselected any)."""
    assert unmarked_slow_tests == [], "mark these @pytest.mark.slow:\n" + "\n".join(
        f"{node}: {reason}" for node, reason in unmarked_slow_tests)


@pytest.mark.parametrize(("fixtures", "source", "reason"), [
    (["tmp_path", "prefect_harness"], "", "uses the prefect_harness fixture (a flow run)"),
    (["sample_home"], "", "uses the sample_home fixture (a flow run)"),
    (["sample_copy", "capsys"], "", "uses the sample_copy fixture (a flow run)"),
    (["assessed_home"], "", "uses the assessed_home fixture (a flow run)"),
    (["assessed_copy", "tmp_path"], "", "uses the assessed_copy fixture (a flow run)"),
    (["tmp_path"], "result = subprocess.run([sys.executable, '-c', code])",
     "starts a subprocess"),
    (["tmp_path"], "server = Popen(command)", "starts a subprocess"),
    (["tmp_path", "catalogue"], "parsed = parse_file(name, data, max_rows=10)", None),
    (["workspace"], "import subprocess  # only imported", None),
])
def test_why_slow_names_flows_and_subprocesses(fixtures, source, reason):
    assert why_slow(fixtures, [source]) == reason


def test_a_write_into_a_workspace_shows_in_its_fingerprint(tmp_path):
    (tmp_path / "receipts").mkdir()
    (tmp_path / "warehouse.duckdb").write_bytes(b"built")
    built = fingerprint(tmp_path)
    assert changed_paths(built, fingerprint(tmp_path)) == []
    (tmp_path / "warehouse.duckdb").write_bytes(b"built, then written")
    (tmp_path / "receipts" / "new.json").write_text("{}")
    assert changed_paths(built, fingerprint(tmp_path)) == [
        "receipts", "receipts/new.json", "warehouse.duckdb"]


def test_a_shared_workspace_is_built_once_while_the_others_wait(tmp_path):
    """As pytest-xdist workers do: each asks for it at once, one builds (flock locks conflict
    between open files, so threads stand in for worker processes)."""
    builders = []

    def build(home):
        builders.append(threading.get_ident())
        time.sleep(0.5)
        home.mkdir()
        (home / "warehouse.duckdb").write_bytes(b"built")

    with ThreadPoolExecutor(3) as pool:
        homes = list(pool.map(lambda _: build_once(tmp_path / "sample", build, 30), range(3)))
    assert len(builders) == 1
    assert homes == [tmp_path / "sample" / "home"] * 3
    assert (homes[0] / "warehouse.duckdb").read_bytes() == b"built"


def test_an_interrupted_build_is_redone_from_scratch(tmp_path):
    def cut_off(home):
        home.mkdir()
        (home / "half.duckdb").write_bytes(b"")
        raise KeyboardInterrupt

    def build(home):
        home.mkdir()
        (home / "whole.duckdb").write_bytes(b"")

    with pytest.raises(KeyboardInterrupt):
        build_once(tmp_path, cut_off, 5)
    home = build_once(tmp_path, build, 5)
    assert [p.name for p in home.iterdir()] == ["whole.duckdb"]
    assert build_once(tmp_path, cut_off, 5) == home  # built: not built again

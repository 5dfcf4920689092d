"""The local Prefect API the CLI starts: flows run on it, it stops with the process, and a
start that fails says what to do; so does a configured API that does not answer."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from benchmarks.measure import process_parents
from efc.cli import could_not_run
from efc.prefect_api import (
    EPHEMERAL_SERVER,
    LocalPrefectAPI,
    PrefectAPIUnavailable,
    flow_runs_on,
    local_prefect_api,
)
from tests.conftest import SAMPLE

RUN_ON_LOCAL_API = textwrap.dedent("""
    import json, sys
    from efc.prefect_env import quiet_prefect
    quiet_prefect()
    from efc.prefect_api import DIRECT, flow_runs_on, local_prefect_api
    api = local_prefect_api()
    from prefect import flow
    from prefect.client.orchestration import get_client

    @flow(name="probe")
    def probe() -> int:
        return 1

    with flow_runs_on(api):
        warmed_up = not api.warming_up.is_alive()
        warm_up_answers = [DIRECT.open(request).status  # routes this Prefect still has
                           for request in api.warm_up_requests()]
        state = probe(return_state=True)
        state_again = probe(return_state=True)  # a second flow of the command, as efc demo runs
        with get_client(sync_client=True) as client:
            runs = client.read_flow_runs()
            print(json.dumps({
                "url": api.url, "client": str(client.api_url).rstrip("/"),
                "same_api": local_prefect_api() is api, "pid": api.process.pid,
                "states": [state.type.value, state_again.type.value],
                "runs": sorted(str(run.id) for run in runs),
                "ran": sorted(str(s.state_details.flow_run_id) for s in (state, state_again)),
                "server_imported": "prefect.server.api.server" in sys.modules,
                "warmed_up": warmed_up, "warm_up_answers": warm_up_answers}))
""")


def fresh_prefect_environment(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    return {**env, "PREFECT_HOME": str(tmp_path / "prefect-home")}


@pytest.mark.slow  # starts Prefect's server
def test_flows_run_on_the_local_api_which_stops_with_the_command(tmp_path):
    result = subprocess.run([sys.executable, "-c", RUN_ON_LOCAL_API], capture_output=True,
                            text=True, timeout=300, env=fresh_prefect_environment(tmp_path))
    assert result.returncode == 0, result.stderr
    ran = json.loads(result.stdout.strip().splitlines()[-1])
    assert ran["client"] == ran["url"] and ran["same_api"]
    assert ran["states"] == ["COMPLETED", "COMPLETED"]
    assert set(ran["ran"]) <= set(ran["runs"])  # recorded by that API
    assert not ran["server_imported"]  # the server's package stays out of this process
    assert ran["warmed_up"] and set(ran["warm_up_answers"]) == {200}
    with pytest.raises(ProcessLookupError):  # the server went with the command
        os.kill(ran["pid"], 0)


@pytest.mark.slow  # starts Prefect's server
def test_a_server_that_cannot_start_is_reported_with_what_to_do(tmp_path):
    unusable = f"sqlite+aiosqlite:///{tmp_path}/no-such-folder/prefect.db"
    api = LocalPrefectAPI({**fresh_prefect_environment(tmp_path), **EPHEMERAL_SERVER,
                           "PREFECT_API_DATABASE_CONNECTION_URL": unusable})
    with pytest.raises(PrefectAPIUnavailable, match=r"stopped \(exit code \d+\)") as stopped:
        api.wait_until_answering(timeout_s=120)
    assert "PREFECT_API_URL" in str(stopped.value)
    assert could_not_run(stopped.value) == str(stopped.value)  # one line, no traceback


@pytest.mark.slow  # starts Prefect's server
def test_a_server_that_does_not_answer_in_time_is_reported_and_stopped(tmp_path):
    api = LocalPrefectAPI({**fresh_prefect_environment(tmp_path), **EPHEMERAL_SERVER})
    try:
        with pytest.raises(PrefectAPIUnavailable, match="did not answer within 0 s"):
            api.wait_until_answering(timeout_s=0)
    finally:
        api.stop()
    assert api.process.returncode is not None


def servers_started_here() -> list[int]:
    """The pids of this process's children that run uvicorn."""
    children = []
    for pid, parent in process_parents().items():
        with contextlib.suppress(OSError):  # gone meanwhile
            if parent == os.getpid() and b"uvicorn" in Path(f"/proc/{pid}/cmdline").read_bytes():
                children.append(pid)
    return children


@pytest.mark.slow  # starts Prefect's server, and stops it
def test_no_local_api_where_prefect_is_set_up_to_use_another():
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_SERVER_EPHEMERAL_ENABLED,
        temporary_settings,
    )

    running = servers_started_here()  # a test harness's own server may be one of them
    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        assert local_prefect_api.__wrapped__() is None
    with temporary_settings(restore_defaults={PREFECT_API_URL},
                            updates={PREFECT_SERVER_EPHEMERAL_ENABLED: False}):
        assert local_prefect_api.__wrapped__() is None
    assert servers_started_here() == running  # those started before the settings were read are gone


@pytest.mark.slow  # `efc ingest` in a subprocess
def test_a_configured_api_that_does_not_answer_is_one_line_not_a_traceback(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as taken:  # a port nothing listens on, after
        closed = taken.getsockname()[1]
    inbox = tmp_path / "inbox" / "hl-north"
    inbox.mkdir(parents=True)
    shutil.copy(SAMPLE / "hl-north" / "hotline-stats-2026-07.csv", inbox)
    url = f"http://127.0.0.1:{closed}/api"
    result = subprocess.run(
        [sys.executable, "-m", "efc.cli", "ingest", "--inbox", str(inbox.parent)],
        capture_output=True, text=True, timeout=300,
        env={**fresh_prefect_environment(tmp_path), "PREFECT_API_URL": url,
             "EFC_HOME": str(tmp_path / "home")})
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(
        f"efc ingest: the Prefect API at {url} (PREFECT_API_URL) cannot be used")


def test_no_api_at_all_is_said_before_the_flow_runs():
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_SERVER_EPHEMERAL_ENABLED,
        temporary_settings,
    )

    with temporary_settings(restore_defaults={PREFECT_API_URL},
                            updates={PREFECT_SERVER_EPHEMERAL_ENABLED: False}), \
            pytest.raises(PrefectAPIUnavailable, match="no API to run the flow on"), \
            flow_runs_on(None):
        pass

"""Against a real `prefect server`, started as the README says (basic authentication on, telemetry
off, loopback only): an unauthenticated request is refused; register the deployments with
`efc serve`, trigger a quarterly run through the API, wait for it, and find the PDF it made."""

from __future__ import annotations

import base64
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def status_of(url: str, auth: str | None = None) -> int:
    """The HTTP status of a GET, with basic authentication `user:password` when given."""
    request = urllib.request.Request(url)
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as refused:
        return refused.code


def wait_for(url: str, timeout: float, auth: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if status_of(url, auth) == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@pytest.fixture
def prefect_server(tmp_path):
    port = free_port()
    secret = f"efc:{secrets.token_urlsafe(24)}"  # as an operator's secret from the environment
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"),
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_UI_ENABLED": "false",
           "PREFECT_SERVER_API_AUTH_STRING": secret, "PREFECT_API_AUTH_STRING": secret,
           "PREFECT_API_URL": f"http://127.0.0.1:{port}/api"}
    server = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port),
         "--no-ui"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{port}/api/health", 120, secret)
        yield env
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
def test_server_refuses_a_client_without_the_secret(prefect_server):
    api = prefect_server["PREFECT_API_URL"]
    secret = prefect_server["PREFECT_API_AUTH_STRING"]
    assert status_of(f"{api}/health") == 200  # liveness probes stay open, and say nothing else
    assert status_of(f"{api}/admin/version") == 401
    assert status_of(f"{api}/admin/version", "efc:guessed") == 401
    assert status_of(f"{api}/admin/version", secret) == 200
    without = {**prefect_server, "PREFECT_API_AUTH_STRING": ""}
    listed = subprocess.run([str(BIN / "prefect"), "deployment", "ls"], env=without,
                            capture_output=True, text=True, timeout=120)
    assert listed.returncode != 0, listed.stdout
    listed = subprocess.run([str(BIN / "prefect"), "deployment", "ls"], env=prefect_server,
                            capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, listed.stdout + listed.stderr


@pytest.mark.slow
def test_quarterly_run_triggered_through_the_server_api(prefect_server, sample_copy):
    home = sample_copy("server")
    env = {**prefect_server, "EFC_HOME": str(home)}
    serve = subprocess.Popen([str(BIN / "efc"), "serve"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:  # the deployments appear once `efc serve` has registered them
            listed = subprocess.run([str(BIN / "prefect"), "deployment", "ls"], env=env,
                                    capture_output=True, text=True)
            if "quarterly-assessment" in listed.stdout and "nightly-aggregation" in listed.stdout:
                break
            assert time.monotonic() < deadline, listed.stdout + listed.stderr
            time.sleep(1)
        run = subprocess.run(
            [str(BIN / "prefect"), "deployment", "run",
             "quarterly-assessment/quarterly-assessment", "--param", 'quarter="2026-Q3"',
             "--watch", "--watch-timeout", "300"],
            env=env, capture_output=True, text=True, timeout=360)
        assert run.returncode == 0, run.stdout + run.stderr
        assert "Completed" in run.stdout
    finally:
        serve.terminate()
        serve.wait(timeout=30)
    pdf = home / "reports" / "2026-Q3" / "assessment-2026-Q3-coalition.pdf"
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")

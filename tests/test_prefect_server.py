"""Against a real `prefect server`: register the deployments with `efc serve`, trigger a
quarterly run through the API, wait for it, and find the PDF it made."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@pytest.fixture
def prefect_server(tmp_path):
    port = free_port()
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"),
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_UI_ENABLED": "false",
           "PREFECT_API_URL": f"http://127.0.0.1:{port}/api"}
    server = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port),
         "--no-ui"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{port}/api/health", 120)
        yield env
    finally:
        server.terminate()
        server.wait(timeout=30)


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

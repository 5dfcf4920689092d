"""Prefect's local API for a command that runs flows, started as the command starts.

With no API configured, Prefect starts its own local ("ephemeral") API on a flow's first call:
it imports its server package into this process, some 1.6 s here, and only then starts the
server in a subprocess and waits some 3 s for it to answer, before the flow begins. Started
here, the same server (Prefect's app factory in uvicorn, with the UI off and only the services
Prefect's ephemeral mode runs) boots on the other core while this process imports the flow, and
this process never imports Prefect's server package. Call quiet_prefect() first: the server
takes its settings (analytics off among them) from this process's environment.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator

# Prefect's own signals to its app factory that it serves one short-lived client: no UI, and
# only the services its ephemeral mode runs (prefect.server.api.server.SubprocessASGIServer).
EPHEMERAL_SERVER = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
                    "PREFECT__SERVER_FINAL": "1"}
STOP_TIMEOUT_S = 5
# The health check goes straight to this machine's port, whatever proxy the environment names.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
# What a flow run's start asks first. The server answers its first request, and opens its
# database, only when asked (0.2 s each here): asked as soon as it answers, it does so on the
# other core while this process still imports the flow.
WARM_UP_REQUESTS = (("admin/version", None), ("admin/storage", None),
                    ("flows/filter", b'{"limit": 1}'))
WARM_UP_WITHIN_S = 60


class PrefectAPIUnavailable(RuntimeError):
    """The local API did not start or stopped answering; the message says what to do."""


class LocalPrefectAPI:
    """Prefect's API server in a subprocess of this one, listening on a port the system chose.

    The socket is bound here and handed to uvicorn, so no other program can take the port
    between choosing it and listening on it, and a request made while the server boots waits
    in the socket's queue instead of being refused.
    """

    def __init__(self, environment: dict[str, str]) -> None:
        with socket.create_server(("127.0.0.1", 0)) as listening:
            self.url = f"http://127.0.0.1:{listening.getsockname()[1]}/api"
            self.process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "--factory",
                 "prefect.server.api.server:create_app", "--fd", str(listening.fileno()),
                 "--log-level", "error", "--lifespan", "on"],
                env=environment, pass_fds=(listening.fileno(),), stdin=subprocess.DEVNULL)
        atexit.register(self.stop)
        self.warming_up = threading.Thread(target=self._warm_up, name="prefect-api-warm-up",
                                           daemon=True)
        self.warming_up.start()

    def _warm_up(self) -> None:
        """Ask what a flow run's start asks first, once the server answers; a failure here is
        wait_until_answering's to report."""
        with contextlib.suppress(PrefectAPIUnavailable, OSError):
            self._answers_by(time.monotonic() + WARM_UP_WITHIN_S, WARM_UP_WITHIN_S)
            for request in self.warm_up_requests():
                DIRECT.open(request, timeout=10).close()

    def warm_up_requests(self) -> list[urllib.request.Request]:
        return [urllib.request.Request(f"{self.url}/{path}", data=body,
                                       headers={"Content-Type": "application/json"})
                for path, body in WARM_UP_REQUESTS]

    def wait_until_answering(self, timeout_s: float) -> None:
        """Return once the API answers its health check, warmed up; PrefectAPIUnavailable if it
        exits or stays silent for `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        self.warming_up.join(timeout_s)
        self._answers_by(deadline, timeout_s)

    def _answers_by(self, deadline: float, timeout_s: float) -> None:
        while True:
            if self.process.poll() is not None:
                raise PrefectAPIUnavailable(
                    f"Prefect's local API stopped (exit code {self.process.returncode}) before it "
                    "answered; its errors are printed above. Run again, or set PREFECT_API_URL "
                    "to a running Prefect server")
            with contextlib.suppress(OSError), DIRECT.open(  # reset or timed out: not up yet
                    f"{self.url}/health", timeout=max(deadline - time.monotonic(), 0.1)) as answer:
                if answer.status == 200:
                    return
            if time.monotonic() > deadline:
                raise PrefectAPIUnavailable(
                    f"Prefect's local API did not answer within {timeout_s:.0f} s. Raise "
                    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS on a slow machine, or set "
                    "PREFECT_API_URL to a running Prefect server")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server as Prefect stops its own: asked first, killed if it lingers."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@functools.cache
def local_prefect_api() -> LocalPrefectAPI | None:
    """This process's local API, started on the first call; None when Prefect is set up to use
    another API (PREFECT_API_URL, in the environment, a profile or a test harness's settings)
    or no local one (ephemeral mode off): flow_runs_on then checks that API instead.

    The server is started before Prefect is imported to read its settings (0.8 s), from this
    process's environment, which the server reads its settings from as this process does; it
    is stopped at once if those settings want no local API.
    """
    api = None if os.environ.get("PREFECT_API_URL") else \
        LocalPrefectAPI({**os.environ, **EPHEMERAL_SERVER})
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED

    if api is not None and (PREFECT_API_URL.value()
                            or not PREFECT_SERVER_EPHEMERAL_ENABLED.value()):
        api.stop()
        return None
    return api


@contextlib.contextmanager
def flow_runs_on(api: LocalPrefectAPI | None) -> Iterator[None]:
    """Run the block's flows against `api` once it answers (against the API Prefect is set up
    to use when None, once that answers)."""
    if api is None:
        configured_api_answers()
        yield
        return
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
        temporary_settings,
    )

    api.wait_until_answering(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value())
    with temporary_settings(updates={PREFECT_API_URL: api.url}):
        yield


def configured_api_answers() -> None:
    """PrefectAPIUnavailable, saying what to do, unless the API Prefect is set up to use
    answers; Prefect's own failure would be a traceback from inside the flow's first call.
    Asked through Prefect's client, with its proxy, TLS and password settings."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        raise PrefectAPIUnavailable(
            "Prefect has no API to run the flow on: set PREFECT_API_URL to a running Prefect "
            "server, or PREFECT_SERVER_EPHEMERAL_ENABLED=true for a local one")
    with get_client(sync_client=True) as client:
        failure = client.api_healthcheck()
    if failure is not None:
        raise PrefectAPIUnavailable(
            f"the Prefect API at {url} (PREFECT_API_URL) cannot be used ({failure}). Start that "
            "server, check PREFECT_API_AUTH_STRING, or unset PREFECT_API_URL to run on a local "
            "API")

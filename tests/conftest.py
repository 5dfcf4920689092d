"""Shared fixtures: a workspace in a temporary folder, and one Prefect test harness."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from efc.settings import REPO_ROOT, Settings
from transforms.catalogue import load_catalogue

SAMPLE = REPO_ROOT / "data" / "sample"


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings for an empty EFC_HOME under tmp_path."""
    monkeypatch.setenv("EFC_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("EFC_INBOX", raising=False)
    monkeypatch.setenv("EFC_LOCK_TIMEOUT_S", "5")
    return Settings.from_env()


@pytest.fixture(scope="session")
def catalogue():
    return load_catalogue(REPO_ROOT / "reference")


@pytest.fixture(scope="session")
def prefect_harness():
    """One ephemeral Prefect API for the whole session (it costs ~12 s to start)."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


@contextlib.contextmanager
def efc_home(home: Path) -> Iterator[None]:
    """EFC_HOME set to `home` for the block (flows read their settings from the environment)."""
    old = os.environ.get("EFC_HOME")
    os.environ["EFC_HOME"] = str(home)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("EFC_HOME", None)
        else:
            os.environ["EFC_HOME"] = old


@pytest.fixture(scope="session")
def sample_home(tmp_path_factory, prefect_harness) -> Path:
    """A workspace with data/sample ingested once by the nightly flow (shared: treat as read-only
    apart from reports)."""
    from flows.nightly_aggregation import nightly_aggregation

    home = tmp_path_factory.mktemp("sample") / "home"
    with efc_home(home):
        summary = nightly_aggregation(inbox=str(SAMPLE), run_label="tests")
    (home / "nightly_summary.json").write_text(__import__("json").dumps(summary))
    return home

"""Shared fixtures: a workspace in a temporary folder, and Prefect's test harness once per session."""

from __future__ import annotations

import os
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

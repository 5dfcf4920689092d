"""Prefect's own settings for our runs, set in the environment before Prefect is imported.

Prefect reads its settings once, on import; the CLI and the benchmarks call quiet_prefect()
first so that a local run is quiet and fast, while anything the operator set still wins.
"""

from __future__ import annotations

import os


def quiet_prefect() -> None:
    """Defaults that keep a local run quiet and fast, unless the operator set them."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "efc")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_UI_ENABLED", "false")
    # The first start of the local API migrates its database; on a busy 2-core machine that
    # can take longer than Prefect's default 20 s.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

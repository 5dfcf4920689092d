"""The two deployments, served against whatever Prefect API is configured (`efc serve`).

What each deployment runs and when (schedules, timezone, parameters, concurrency) is written
once, in prefect.yaml, which also deploys the same flows to a work pool; this module reads it.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import yaml
from prefect import serve
from prefect.schedules import Cron

from efc.settings import REPO_ROOT

PREFECT_YAML = REPO_ROOT / "prefect.yaml"


def deployment_entries(path: Path = PREFECT_YAML) -> list[dict]:
    """The deployments as prefect.yaml declares them."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))["deployments"]


def flow_at(entrypoint: str):
    """The flow an entrypoint such as `flows/nightly_aggregation.py:nightly_aggregation` names."""
    path, _, name = entrypoint.partition(":")
    return getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), name)


def deployments(path: Path = PREFECT_YAML) -> list:
    """Every deployment of prefect.yaml, built to be served by this process."""
    return [
        flow_at(entry["entrypoint"]).to_deployment(
            name=entry["name"],
            schedules=[Cron(s["cron"], timezone=s["timezone"], parameters=s.get("parameters", {}))
                       for s in entry["schedules"]],
            parameters=entry.get("parameters"),
            concurrency_limit=entry.get("concurrency_limit"),
            description=entry.get("description"),
            tags=entry.get("tags"))
        for entry in deployment_entries(path)
    ]


def serve_deployments() -> None:
    serve(*deployments(), print_starting_message=True)

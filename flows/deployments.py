"""The two deployments, served against whatever Prefect API is configured (`efc serve`)."""

from __future__ import annotations

from prefect import serve
from prefect.schedules import Cron

from flows.nightly_aggregation import nightly_aggregation
from flows.quarterly_assessment import quarterly_assessment

TIMEZONE = "Europe/Brussels"


def deployments() -> list:
    """Nightly aggregation at 02:00; the quarterly assessment on the first day of each quarter."""
    return [
        nightly_aggregation.to_deployment(
            name="nightly-aggregation",
            schedules=[Cron("0 2 * * *", timezone=TIMEZONE,
                            parameters={"run_label": "scheduled"})],
            concurrency_limit=1,
            description="Screen, validate and load new inbox files; refresh marts; receipts.",
            tags=["efc"]),
        quarterly_assessment.to_deployment(
            name="quarterly-assessment",
            schedules=[Cron("0 6 1 1,4,7,10 *", timezone=TIMEZONE)],
            description="Build the assessment of a quarter (default: the last complete one).",
            tags=["efc"]),
    ]


def serve_deployments() -> None:
    serve(*deployments(), print_starting_message=True)

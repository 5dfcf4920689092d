"""Quarterly assessment: figures at a cut-off, through disclosure control, to PDF."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_link_artifact
from prefect.cache_policies import NONE
from pydantic import Field

from checks.release_check import EditionsBlocked, ReleaseBlocked
from efc.settings import Settings, keep_workspace_private
from rendering import report
from rendering.formatting import SUPPRESSED, in_prose
from transforms import assessment
from transforms.periods import last_complete_quarter
from transforms.warehouse import reader

Quarter = Annotated[str, Field(pattern=r"^\d{4}-Q[1-4]$", description="YYYY-Qn")]

EDITIONS = ("coalition", "public")  # in this order: the public edition hides what the other hid


@task(cache_policy=NONE, retries=2, retry_delay_seconds=[5, 30])
def read_assessment_data(settings: Settings, quarter: str, as_of: datetime | None):
    with reader(settings) as con:
        return assessment.read_assessment_data(con, quarter, as_of)


@task(cache_policy=NONE)
def write_edition(data, settings: Settings, edition: str, forced) -> report.ReportFiles:
    return report.write_edition(data, settings, edition, forced)


@flow(name="quarterly-assessment", flow_run_name="assessment-{quarter}")
def quarterly_assessment(quarter: Quarter | None = None, as_of: datetime | None = None
                         ) -> list[str]:
    """Build every edition of the assessment of `quarter` (default: the last complete one)."""
    quarter = quarter or last_complete_quarter(date.today())
    keep_workspace_private()  # a worker's flow run may not come through the CLI
    settings = Settings.from_env()
    logger = get_run_logger()
    data = read_assessment_data(settings, quarter, as_of)
    logger.info("assessing %s as the data stood at %s", quarter, data.as_of)
    pdfs, blocked = [], []
    forced = None
    for edition in EDITIONS:
        try:
            files = write_edition(data, settings, edition, forced)
        except ReleaseBlocked as stopped:  # that edition is not written; the others are
            logger.error(str(stopped))
            blocked.append(stopped)
            forced = stopped.pattern
            continue
        forced = files.pattern
        standing = (f"version {files.version}, {files.status.lower()}"
                    + ("" if files.issued else ": unchanged, no new version"))
        logger.info("%s edition: %s", edition, standing)
        if files.withheld_named:
            logger.warning("%s edition prints %s for the narrative's %s: disclosure control "
                           "hides the figures they name in this edition", edition,
                           in_prose(SUPPRESSED),
                           ", ".join(f"{{{name}}}" for name in files.withheld_named))
        create_link_artifact(key=f"assessment-{quarter.lower()}-{edition}",
                             link=files.pdf.as_uri(), link_text=files.pdf.name,
                             description=f"{edition} edition, {standing}, cut-off "
                                         f"{data.as_of:%Y-%m-%d %H:%M}")
        pdfs.append(str(files.pdf))
    if blocked:
        raise EditionsBlocked(blocked, pdfs)
    return pdfs

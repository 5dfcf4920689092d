"""Nightly aggregation: new files in the inbox become receipts, observations and fresh marts."""

from __future__ import annotations

import contextlib
import gc
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Executor
from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE
from prefect.futures import PrefectFuture, wait
from prefect.states import Failed
from prefect.utilities.annotations import opaque

from efc.settings import Settings, keep_workspace_private
from flows.examining_process import examining_process
from transforms import intake, marts, nightly, warehouse
from transforms.warehouse import WarehouseBusy, writer

IO_RETRIES = {"retries": 2, "retry_delay_seconds": [5, 30]}
# A night is examined, validated and loaded in consecutive parts of at most
# `settings.part_files` files and about this many bytes (some 150k observations of typical
# files), so memory stays flat however many arrive (a few parts are held at once: one loading,
# one validating, up to PARTS_AHEAD + 1 received and examined ahead); each part's cells are
# examined together as columns, and each part is loaded in one transaction.
PART_BYTES = 64 * 1024 * 1024
# Tasks take a night's submissions, their rows and results wrapped in `opaque`: Prefect would
# otherwise walk every field of every one looking for futures (profiled on 1.27M observations,
# 46 s against examining's 33 s).
# How many parts the second process may hold (examined or being examined) beyond the one the
# flow validates: enough to keep it busy while this process receives, few enough for memory.
# One more part may be examined here ahead, while that process starts.
PARTS_AHEAD = 2


@task(cache_policy=NONE, **IO_RETRIES)
def open_reception(con, settings: Settings, received_at: datetime, arrivals: Path | None):
    return nightly.open_reception(con, settings, received_at, arrivals)


@task(cache_policy=NONE)  # not retried: a file once received is known to the reception
def receive_part(reception, sightings):
    return nightly.receive_files(reception, sightings)


def night_parts(sightings: list, most_files: int) -> Iterator[list]:
    """Consecutive parts of the inbox's files, in arrival order: at most `most_files` files, and
    a part ends once its files reach PART_BYTES."""
    part, size = [], 0
    for sighting in sightings:
        part.append(sighting)
        size += sighting.size_bytes
        if len(part) == most_files or size >= PART_BYTES:
            yield part
            part, size = [], 0
    if part:
        yield part


@task(cache_policy=NONE)
def examine_part(submissions, catalogue, settings: Settings, examiner: Executor | None):
    return nightly.examine_part(submissions, catalogue, settings, examiner)


@contextlib.contextmanager
def settled_objects_frozen() -> Iterator[None]:
    """The objects alive as the parts loop starts (the stack's modules, Prefect's run, the
    reception) kept out of the cycle collector's full collections while the night's parts come
    and go: each walked them all, some 0.25 s a time (1M inbox: 0.76 of the 0.96 s this
    process spent collecting; frozen, 0.33 of 0.53 s). Unfrozen after, so a process that runs
    many nights still frees what a night leaves."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def examined_parts(parts: list[list], reception, settings: Settings,
                   examiner: Executor | None) -> Iterator[list]:
    """The inbox's parts, received in this process one after another and examined, in order.

    With `examiner`, the second process examines parts while this one receives the next ones
    and validates and loads those before. While that process starts (a second or more before
    it examines anything), this process examines the next part itself rather than wait. Later
    it does not: each process then has about a core's worth of its own work, and a part
    examined here held up the validating and receiving (5M inbox: 92.7 s against 83.5 s).
    Each time a part comes back, the second process is given the next one before the part
    comes out to be validated, so that it does not wait for this process to validate it.
    """
    catalogue = opaque(reception.catalogue)
    received = (part for sightings in parts
                if (part := receive_part(opaque(reception), opaque(sightings))))
    if examiner is None:
        for part in received:
            yield examine_part(opaque(part), catalogue, settings, None)
        return
    ahead: deque[PrefectFuture | list] = deque()  # in order: a part's future there, or the part

    def there(entry: PrefectFuture | list) -> bool:  # still being examined in the second process
        return isinstance(entry, PrefectFuture) and not wait([entry], 0).done

    given = 0  # parts given to the second process: all still there while it starts
    while True:
        busy = sum(map(there, ahead))
        here = sum(isinstance(entry, list) for entry in ahead)  # examined in this process
        if len(ahead) - here <= PARTS_AHEAD \
                and (busy < PARTS_AHEAD or (busy == given and not here)) \
                and (part := next(received, None)):
            if busy < PARTS_AHEAD:
                ahead.append(examine_part.submit(opaque(part), catalogue, settings,
                                                 opaque(examiner)))
                given += 1
            else:
                ahead.append(examine_part(opaque(part), catalogue, settings, None))
            continue
        if not ahead:
            return
        if there(ahead[0]):  # once it is back, the second process has room for the next part
            wait([ahead[0]])
            continue
        entry = ahead.popleft()
        yield entry.result() if isinstance(entry, PrefectFuture) else entry


@task(cache_policy=NONE)
def validate_submissions(submissions, catalogue, today):
    return intake.validate(submissions, catalogue, today)


@task(cache_policy=NONE)
def load_submissions(con, submissions, summary):
    return nightly.load_submissions(con, submissions, summary)


@task(cache_policy=NONE, **IO_RETRIES)
def check_warehouse(con, as_of: datetime, today):
    return nightly.check_warehouse(con, as_of, today)


@task(cache_policy=NONE, **IO_RETRIES)
def publish_data_docs(settings: Settings, submission_results, warehouse, started: datetime):
    return nightly.publish_data_docs(settings, submission_results, warehouse, started)


@task(cache_policy=NONE, **IO_RETRIES)
def refresh_marts(con, as_of: datetime) -> None:
    marts.refresh_changed(con, as_of)


@task(cache_policy=NONE, **IO_RETRIES)
def publish_snapshot(con, settings: Settings) -> None:
    warehouse.publish_snapshot(con, settings)


@task(cache_policy=NONE, **IO_RETRIES)
def issue_receipts(con, settings: Settings, since: datetime) -> int:
    return nightly.issue_receipts(con, settings, since)


@contextlib.contextmanager
def waited_for() -> Iterator[list[PrefectFuture]]:
    """Tasks the block starts in threads, each waited for however the block ends: they use the
    warehouse's connection, which must not close under them."""
    started: list[PrefectFuture] = []
    try:
        yield started
    finally:
        wait(started)


@flow(name="nightly-aggregation", flow_run_name="nightly-{run_label}", log_prints=False)
def nightly_aggregation(inbox: str | None = None, run_label: str = "manual",
                        arrivals: str | None = None) -> dict:
    """Discover, examine, validate, load, aggregate and tell each member what happened.

    `arrivals` (a demo device) names recorded arrival times that files take as received."""
    keep_workspace_private()  # a worker's flow run may not come through the CLI
    settings = Settings.from_env()
    if inbox:
        settings = settings.with_inbox(Path(inbox))
    logger = get_run_logger()
    started = datetime.now(UTC).replace(microsecond=0)
    summary = nightly.NightlySummary(started_at=started, inbox=str(settings.inbox))
    try:
        with writer(settings) as con:
            reception = open_reception(con, settings, started,
                                       Path(arrivals) if arrivals else None)
            summary.ignored = reception.ignored
            logger.info("%d file(s) in %s", len(reception.sightings), settings.inbox)
            submission_results, examined = [], 0
            parts = list(night_parts(reception.sightings, settings.part_files))
            with examining_process(len(parts) > 1) as examiner, waited_for() as loading, \
                    settled_objects_frozen():
                for part in examined_parts(parts, reception, settings, examiner):
                    examined += len(part)
                    logger.info("examined %d/%d files", examined, reception.expected)
                    result = validate_submissions(opaque(part), opaque(reception.catalogue),
                                                  started.date())
                    # A part is loaded in a thread (DuckDB's work, not Python's) while the next
                    # part is validated; the parts load one after another, in order.
                    summary = loading.pop().result() if loading else summary
                    summary.files_found = reception.expected
                    loading.append(load_submissions.submit(con, opaque(part), opaque(summary)))
                    submission_results += [result] if result is not None else []
                summary = loading.pop().result() if loading else summary
            summary.waiting = reception.waiting
            # Every file's state is settled: the receipts are written in a thread, on a
            # connection of their own, while DuckDB refreshes the marts.
            with contextlib.closing(con.cursor()) as receipts_con, waited_for() as writing:
                writing.append(issue_receipts.submit(opaque(receipts_con), settings, started))
                as_of = datetime.now(UTC)
                refresh_marts(con, as_of)
                checked = check_warehouse(con, as_of, started.date())  # reads the fresh marts
                summary.warehouse_flags.update(checked.flagged["rule"].tolist())
                summary.receipts_written = writing.pop().result()
            # Great Expectations renders its site in a thread while DuckDB copies the snapshot.
            data_docs = publish_data_docs.submit(settings, opaque(submission_results),
                                                 opaque(checked), started)
            publish_snapshot(con, settings)  # with tonight's flags
        data_docs.result()
    except WarehouseBusy as busy:  # an expected condition: say so, without a traceback
        logger.error(str(busy))
        return Failed(message=str(busy))
    logger.info(summary.one_line())
    create_markdown_artifact(key="nightly-aggregation", markdown=nightly.summary_markdown(summary),
                             description="Files by state and rejections by rule")
    return summary.as_dict()

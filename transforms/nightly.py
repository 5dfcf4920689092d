"""The steps of the nightly aggregation as plain functions; the flow module wires them."""

from __future__ import annotations

import contextlib
import csv
import logging
import multiprocessing
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from checks.data_docs import build_data_docs
from checks.warehouse_checks import WarehouseValidation, run_warehouse_suite, store_results
from efc.settings import Settings
from transforms import intake
from transforms.catalogue import Catalogue
from transforms.inbox import scan_inbox
from transforms.intake import COPY_OF_TONIGHTS, Submission
from transforms.loading import (
    already_received,
    file_name_sha256,
    receipts_since,
    record_submissions,
)
from transforms.receipts import receipt_name, write_receipt
from transforms.warehouse import now_utc

if TYPE_CHECKING:
    from great_expectations.core import ExpectationSuiteValidationResult

log = logging.getLogger("efc.nightly")
PROGRESS_EVERY = 25
# Below this many files per worker process, starting the workers (~2 s) costs more than it saves.
FILES_PER_WORKER = 100
# Files per load transaction: few statements per night, and a crash redoes at most one chunk.
LOAD_CHUNK_FILES = 50
LOAD_CHUNK_OBSERVATIONS = 50_000
# A night is handled in parts of this size (about 150k observations of typical files).
PART_FILES = 1_000
PART_BYTES = 64 * 1024 * 1024


@dataclass
class NightlySummary:
    """What one run did, for the run's artifact, the CLI's last line and `--json`."""

    started_at: datetime
    inbox: str
    files_found: int = 0
    files_loaded: int = 0
    files_by_state: Counter = field(default_factory=Counter)
    problems_by_rule: Counter = field(default_factory=Counter)
    observations_loaded: int = 0
    ignored: list[str] = field(default_factory=list)
    recorded: list[int] = field(default_factory=list)  # ids of the submissions recorded tonight
    receipts_written: int = 0
    warehouse_flags: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict:
        return {
            "started_at": self.started_at.isoformat(), "inbox": self.inbox,
            "files": sum(self.files_by_state.values()),
            "files_by_state": dict(sorted(self.files_by_state.items())),
            "rejections_by_rule": dict(self.problems_by_rule.most_common()),
            "observations_loaded": self.observations_loaded, "ignored": self.ignored,
            "receipts_written": self.receipts_written,
            "warehouse_flags_by_rule": dict(self.warehouse_flags.most_common()),
        }

    def one_line(self) -> str:
        states = ", ".join(f"{n} {s}" for s, n in sorted(self.files_by_state.items())) or "none"
        return (f"ingested {sum(self.files_by_state.values())} new file(s): {states}; "
                f"{self.observations_loaded:,} observations loaded")


def discover_submissions(con: duckdb.DuckDBPyConnection, settings: Settings,
                         received_at: datetime, arrivals: Path | None = None,
                         ) -> tuple[list[Submission], list[str]]:
    """New files in the inbox as submissions; byte-identical repeats are marked duplicates.

    `arrivals` names a file of recorded arrival times (a demo device: `efc demo` replays the
    sample's history); a file listed there is received at its recorded time, in that order.
    """
    seen, first_by_sha = already_received(con)
    scan = scan_inbox(settings.inbox)
    replayed = recorded_arrivals(arrivals, received_at)
    fresh = sorted((a for a in scan.arrivals
                    if (a.member_folder, file_name_sha256(a.file_name), a.sha256) not in seen),
                   key=lambda a: replayed.get(f"{a.member_folder}/{a.file_name}", received_at))
    submissions = []
    first_tonight: set[str] = set()
    for key, arrival in enumerate(fresh):
        submission = Submission(key=key, arrival=arrival, received_at=replayed.get(
                                    f"{arrival.member_folder}/{arrival.file_name}", received_at),
                                shown_file_name=arrival.file_name)
        if arrival.sha256 in first_by_sha:
            submission.duplicate_of = first_by_sha[arrival.sha256]
        elif arrival.sha256 in first_tonight:
            submission.duplicate_of = COPY_OF_TONIGHTS  # its original's id is known on loading
        else:
            first_tonight.add(arrival.sha256)
        submissions.append(submission)
    return submissions, [_withheld_if_identifying(entry) for entry in scan.ignored]


def recorded_arrivals(path: Path | None, received_at: datetime) -> dict[str, datetime]:
    """`member/file` -> its recorded arrival, from a CSV of `path,received_at` (ISO 8601 with a
    time zone); nothing without a file. No file arrives after the run that reads it: a later
    time counts as the run's."""
    if path is None:
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    times = {}
    for line, row in enumerate(rows, start=2):
        try:
            moment = datetime.fromisoformat(row["received_at"])
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"{path}, line {line}: expected the columns path and received_at, "
                             "a time such as 2026-10-14T09:30:00Z") from None
        if moment.tzinfo is None or not row.get("path"):
            raise ValueError(f"{path}, line {line}: a path and a time with its zone (…Z) needed")
        times[row["path"]] = min(moment, received_at)
    return times


def _withheld_if_identifying(entry: str) -> str:
    """Ignored entries reach the run's artifact: a name that looks identifying is withheld."""
    from checks.screening import screen_cells

    path, _, reason = entry.partition(": ")
    return f"(name withheld): {reason}" if screen_cells([(0, "file name", path)]) else entry


def examine_submissions(submissions: list[Submission], catalogue: Catalogue,
                        settings: Settings) -> list[Submission]:
    """Examine each file and keep its bytes, in arrival order.

    Examining (parse, screen, read values) is most of a large night and independent per
    file, so from FILES_PER_WORKER files per worker it runs in `settings.workers` processes.
    """
    examine = partial(intake.examine_received, catalogue=catalogue, settings=settings)
    workers = min(settings.workers, len(submissions) // FILES_PER_WORKER)
    with contextlib.ExitStack() as stack:
        if workers > 1:
            pool = stack.enter_context(ProcessPoolExecutor(
                workers, mp_context=multiprocessing.get_context("spawn")))
            results = pool.map(examine, submissions, chunksize=PROGRESS_EVERY)
        else:
            results = map(examine, submissions)
        examined = []
        for done, (submission, failure) in enumerate(results, start=1):
            if failure:
                log.error("examining submission %d from %s failed:\n%s", submission.key,
                          submission.member_id, failure)
            if done % PROGRESS_EVERY == 0:
                log.info("examined %d/%d files", done, len(submissions))
            examined.append(submission)
    return examined


def load_submissions(con: duckdb.DuckDBPyConnection, submissions: list[Submission],
                     summary: NightlySummary) -> NightlySummary:
    """Record submissions in arrival order, a chunk of files per transaction; the night's file
    states are counted afresh, since a later file can supersede an earlier one."""
    last = now_utc()
    for chunk in _load_chunks(submissions):
        loaded_at = []
        for submission in chunk:  # strictly increasing: the order in which corrections apply
            last = max(now_utc(), last + timedelta(microseconds=1))
            loaded_at.append(_takes_effect(submission, summary.started_at, last))
        summary.recorded += record_submissions(con, chunk, loaded_at)
        summary.files_loaded += len(chunk)
        log.info("loaded %d/%d files", summary.files_loaded, summary.files_found)
        for submission in chunk:
            if submission.state.startswith("accepted"):
                summary.observations_loaded += len(submission.observations)
            if submission.state == "rejected":
                summary.problems_by_rule.update(
                    {p.rule for p in submission.problems if p.severity == "error"})
    summary.files_by_state = Counter(dict(con.execute(
        "select state, count(*) from submissions where list_contains(?, submission_id) "
        "group by state", [summary.recorded]).fetchall()))
    return summary


def _takes_effect(submission: Submission, started_at: datetime, loaded_at: datetime
                  ) -> datetime:
    """When a file's values enter the history: when it is loaded, or, for a replayed arrival
    (received before this run), when it arrived, so the history stands as it would have."""
    if submission.received_at < started_at:  # arrival order: keys follow it within the night
        return submission.received_at + timedelta(microseconds=submission.key)
    return loaded_at


def night_parts(submissions: list[Submission]) -> Iterator[list[Submission]]:
    """The night in consecutive parts of at most PART_FILES files and about PART_BYTES, each
    examined, validated and loaded before the next, so memory stays flat however many arrive."""
    return _runs(submissions, PART_FILES, PART_BYTES, lambda s: s.arrival.size_bytes)


def _load_chunks(submissions: list[Submission]) -> Iterator[list[Submission]]:
    """Consecutive runs of at most LOAD_CHUNK_FILES files and about LOAD_CHUNK_OBSERVATIONS."""
    return _runs(submissions, LOAD_CHUNK_FILES, LOAD_CHUNK_OBSERVATIONS,
                 lambda s: 0 if s.observations is None else len(s.observations))


def _runs(submissions: list[Submission], most_files: int, about_size: int,
          size_of: Callable[[Submission], int]) -> Iterator[list[Submission]]:
    """Consecutive runs of at most `most_files` submissions; a run ends once its size (as
    `size_of` measures it) reaches `about_size`."""
    run: list[Submission] = []
    size = 0
    for submission in submissions:
        run.append(submission)
        size += size_of(submission)
        if len(run) == most_files or size >= about_size:
            yield run
            run, size = [], 0
    if run:
        yield run


def check_warehouse(con: duckdb.DuckDBPyConnection, as_of: datetime, today: date
                    ) -> WarehouseValidation:
    """Cross-submission rules (cross-indicator, plausibility, completeness), results stored."""
    validation = run_warehouse_suite(con, as_of=as_of, today=today)
    store_results(con, validation, run_at=as_of)
    return validation


def publish_data_docs(settings: Settings,
                      submission_results: list[ExpectationSuiteValidationResult],
                      warehouse: WarehouseValidation, started: datetime) -> Path:
    """GX's own Data Docs site under EFC_HOME/data_docs, listing tonight's runs.

    `submission_results` are tonight's submission validations, one per part of the night
    (none without new files: the site keeps showing the last night's).
    """
    return build_data_docs(settings.data_docs_dir, [*submission_results,
                                                    *warehouse.suite_results],
                           run_name=f"nightly-{started:%Y%m%dT%H%M%SZ}", run_time=started)


def issue_receipts(con: duckdb.DuckDBPyConnection, settings: Settings,
                   since: datetime) -> int:
    """Write the receipts whose state changed in this run, and any a crash left unwritten."""
    def path_of(receipt: dict):
        name = receipt_name(receipt["submission_id"], receipt["sha256"])
        return settings.receipts_dir / receipt["member_id"] / f"{name}.json"

    due = {r["submission_id"]: r for r in receipts_since(con, since)}
    for receipt in receipts_since(con, None):
        if receipt["submission_id"] not in due and not path_of(receipt).exists():
            due[receipt["submission_id"]] = receipt
    for receipt in due.values():
        write_receipt(settings.receipts_dir, receipt,
                      receipt_name(receipt["submission_id"], receipt["sha256"]))
    return len(due)


def summary_markdown(summary: NightlySummary) -> str:
    """The run's summary as a Prefect markdown artifact: counts and rule ids only, no values."""
    lines = [f"# Nightly aggregation {summary.started_at:%Y-%m-%d %H:%M} UTC", "",
             f"Inbox: `{summary.inbox}`", "", "| state | files |", "|---|---:|"]
    lines += [f"| {state} | {n} |" for state, n in sorted(summary.files_by_state.items())]
    lines += ["", f"Observations loaded: {summary.observations_loaded:,}", ""]
    if summary.problems_by_rule:
        lines += ["| rejected files by rule | files |", "|---|---:|"]
        lines += [f"| {rule} | {n} |" for rule, n in summary.problems_by_rule.most_common()]
    if summary.warehouse_flags:
        lines += ["", "| warehouse rule | rows flagged |", "|---|---:|"]
        lines += [f"| {rule} | {n} |" for rule, n in summary.warehouse_flags.most_common()]
    if summary.ignored:
        lines += ["", "Not read:"] + [f"- {entry}" for entry in summary.ignored]
    return "\n".join(lines) + "\n"

"""The steps of the nightly aggregation as plain functions; the flow module wires them."""

from __future__ import annotations

import csv
import logging
import time
from collections import Counter
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from checks.data_docs import build_data_docs, night_of_parts
from checks.warehouse_checks import (
    WarehouseValidation,
    run_changed_warehouse_suite,
    store_results,
)
from efc.settings import Settings
from transforms import intake
from transforms.catalogue import Catalogue, load_catalogue
from transforms.inbox import (
    Arrival,
    Sighting,
    StillArriving,
    clear_receiving,
    discard_received,
    leave_inbox,
    receive,
    scan_inbox,
)
from transforms.intake import COPY_OF_TONIGHTS, Submission, could_not_read
from transforms.loading import (
    already_received,
    file_name_sha256,
    receipts_since,
    record_submissions,
)
from transforms.receipts import printable, receipt_path, write_receipts
from transforms.sql_files import sql
from transforms.warehouse import now_utc

if TYPE_CHECKING:
    from great_expectations.core import ExpectationSuiteValidationResult

log = logging.getLogger("efc.nightly")


@dataclass
class NightlySummary:
    """What one run did, for the run's artifact, the CLI's last line and `--json`."""

    started_at: datetime
    inbox: str
    files_found: int = 0  # files the night may record, for progress: it falls as files wait
    files_recorded: int = 0
    files_by_state: Counter = field(default_factory=Counter)
    problems_by_rule: Counter = field(default_factory=Counter)
    observations_loaded: int = 0
    ignored: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # left in the inbox for the next night
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
            "waiting": self.waiting,
            "receipts_written": self.receipts_written,
            "warehouse_flags_by_rule": dict(self.warehouse_flags.most_common()),
        }

    def one_line(self) -> str:
        states = ", ".join(f"{n} {s}" for s, n in sorted(self.files_by_state.items())) or "none"
        return (f"ingested {sum(self.files_by_state.values())} new file(s): {states}; "
                f"{self.observations_loaded:,} observations loaded")


@dataclass
class Reception:
    """A night's reception of the inbox: the files sighted, in arrival order, and what earlier
    nights and this one received, so that a copy is known in whichever part of the night it
    comes. Files are received part by part (`receive_files`), each once."""

    settings: Settings
    received_at: datetime
    catalogue: Catalogue
    sightings: list[Sighting]
    replayed: dict[str, datetime]  # member/file -> recorded arrival (a demo device)
    seen: set[tuple[str, str, str]]  # (member, name fingerprint, sha256) handled before
    first_loaded: dict[tuple[str, str], int]  # (member, sha256) -> first loaded submission
    ignored: list[str]
    waiting: list[str] = field(default_factory=list)  # left in the inbox for the next night
    first_tonight: set[tuple[str, str]] = field(default_factory=set)
    submissions: int = 0  # received so far: the next one's key
    unread: int = 0  # sightings not received yet

    @property
    def expected(self) -> int:
        """Submissions the night will have at most: those received and the files still to read."""
        return self.submissions + self.unread


def open_reception(con: duckdb.DuckDBPyConnection, settings: Settings, received_at: datetime,
                   arrivals: Path | None = None) -> Reception:
    """Sight the inbox's files and what earlier nights received; nothing is read yet.

    `arrivals` names a file of recorded arrival times (a demo device: `efc demo` replays the
    sample's history); a file listed there is received at its recorded time, in that order.
    """
    seen, first_loaded = already_received(con)
    clear_receiving(settings.quarantine_dir)
    scan = scan_inbox(settings.inbox)
    replayed = recorded_arrivals(arrivals, received_at)
    sightings = sorted(scan.sightings, key=lambda s: replayed.get(
        f"{s.member_folder}/{s.file_name}", received_at))
    return Reception(settings, received_at, load_catalogue(settings.reference_dir), sightings,
                     replayed, seen, first_loaded,
                     [_withheld_if_identifying(entry) for entry in scan.ignored],
                     unread=len(sightings))


def receive_files(reception: Reception, sightings: list[Sighting]) -> list[Submission]:
    """Sighted files, in arrival order, as submissions, each read once.

    Each file's bytes are copied owner-only as they are hashed; the copy is what is examined
    and kept. A file still being written, or gone before it could be read, waits for the next
    night; one the service may not read gets a receipt saying so. The sender (the folder) is
    checked before anything is called a duplicate, and only a file that was loaded has
    duplicates: refused bytes are judged afresh.
    """
    settings, catalogue = reception.settings, reception.catalogue
    submissions: list[Submission] = []

    def leave_for_next_night(entry: str) -> None:
        reception.waiting.append(_withheld_if_identifying(entry))

    for sighting in sightings:
        reception.unread -= 1
        where = f"{sighting.member_folder}/{sighting.file_name}"
        key = reception.submissions + len(submissions)
        try:
            arrival = receive(sighting, settings.quarantine_dir, settle_s=0 if
                              settings.inbox_read_only else settings.settle_s,
                              now_ns=time.time_ns())
        except StillArriving as still:
            leave_for_next_night(f"{where}: {still}")
            continue
        except FileNotFoundError:
            leave_for_next_night(f"{where}: gone before it could be read (renamed or removed)")
            continue
        except OSError as error:  # it stays in the inbox: one receipt, then read once it can be
            if (sighting.member_folder, file_name_sha256(sighting.file_name), "") \
                    not in reception.seen:
                submissions.append(could_not_read(_submission(
                    key, Arrival(sighting.member_folder, sighting.file_name, sighting.path, "",
                                 sighting.size_bytes, sighting.modified_ns),
                    reception.received_at), error, catalogue))
            leave_for_next_night(f"{where}: could not be read ({error.strerror or error})")
            continue
        arrival = replace(arrival, leaves_inbox=not settings.inbox_read_only)
        sender = arrival.member_folder
        if (sender, file_name_sha256(arrival.file_name), arrival.sha256) in reception.seen:
            discard_received(arrival)  # handled on an earlier night (a crash left it here)
            _leave_inbox(arrival)
            continue
        submission = _submission(key, arrival, reception.replayed.get(where,
                                                                      reception.received_at))
        if sender in catalogue.sector_of_member:
            if (sender, arrival.sha256) in reception.first_loaded:
                submission.duplicate_of = reception.first_loaded[(sender, arrival.sha256)]
            elif (sender, arrival.sha256) in reception.first_tonight:
                submission.duplicate_of = COPY_OF_TONIGHTS  # settled once its original is
            else:
                reception.first_tonight.add((sender, arrival.sha256))
        submissions.append(submission)
    reception.submissions += len(submissions)
    return submissions


def discover_submissions(con: duckdb.DuckDBPyConnection, settings: Settings,
                         received_at: datetime, arrivals: Path | None = None,
                         ) -> tuple[list[Submission], list[str], list[str]]:
    """Every new file in the inbox as submissions at once: (submissions, ignored, waiting)."""
    reception = open_reception(con, settings, received_at, arrivals)
    submissions = receive_files(reception, reception.sightings)
    return submissions, reception.ignored, reception.waiting


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


def _submission(key: int, arrival: Arrival, received_at: datetime) -> Submission:
    return Submission(key=key, arrival=arrival, received_at=received_at,
                      shown_file_name=arrival.file_name)


def _withheld_if_identifying(entry: str) -> str:
    """Ignored entries reach the run's artifact: a name that looks identifying is withheld, and
    any other is shown escaped (a name may hold line breaks or terminal escapes)."""
    from checks.screening import screen_cells

    path, _, reason = entry.partition(": ")
    return f"(name withheld): {reason}" if screen_cells([(0, "file name", path)]) \
        else printable(entry)


def examine_part(submissions: list[Submission], catalogue: Catalogue, settings: Settings,
                 examiner: Executor | None = None) -> list[Submission]:
    """Examine a part of the night as columns and keep each file's bytes, in arrival order;
    a file our code failed on is rejected, and its traceback goes to the run's log.

    With `examiner` (the flow's second process) the part is examined there, and comes back
    as copies of its submissions.
    """
    outcomes = (intake.examine_received_part(submissions, catalogue, settings)
                if examiner is None else examiner.submit(
                    intake.examine_received_part, submissions, catalogue, settings).result())
    examined = []
    for submission, failure in outcomes:
        if failure:
            log.error("examining submission %d from %s failed:\n%s", submission.key,
                      submission.member_id, failure)
        examined.append(submission)
    return examined


def load_submissions(con: duckdb.DuckDBPyConnection, submissions: list[Submission],
                     summary: NightlySummary) -> NightlySummary:
    """Record a part of the night's submissions, in arrival order, in one transaction (a crash
    loses whole parts, which the rerun finds unrecorded and loads); the night's file states are
    counted afresh, since a later file can supersede an earlier one."""
    last = now_utc()
    loaded_at = []
    for submission in submissions:  # strictly increasing: the order in which corrections apply
        last = max(now_utc(), last + timedelta(microseconds=1))
        loaded_at.append(_takes_effect(submission, summary.started_at, last))
    summary.recorded += record_submissions(con, submissions, loaded_at)
    for submission in submissions:  # recorded and kept: it leaves the drop folder
        _leave_inbox(submission.arrival)
    summary.files_recorded += len(submissions)
    log.info("recorded %d/%d files, accepted or rejected", summary.files_recorded,
             summary.files_found)
    for submission in submissions:
        if submission.state.startswith("accepted"):
            summary.observations_loaded += submission.observation_count
        if submission.state == "rejected":
            summary.problems_by_rule.update(
                {p.rule for p in submission.problems if p.severity == "error"})
        submission.drop_rows()  # in the warehouse now: the night keeps neither rows nor counts
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


def _leave_inbox(arrival: Arrival) -> None:
    try:
        leave_inbox(arrival)
    except OSError as error:  # it stays, and is recognised (and removed) on the next night
        log.warning("could not remove %s from the inbox: %s", printable(str(arrival.path)),
                    error)


def check_warehouse(con: duckdb.DuckDBPyConnection, as_of: datetime, today: date
                    ) -> WarehouseValidation:
    """Cross-submission rules (cross-indicator, plausibility, completeness) over what the night
    changed, the other verdicts carried over; results stored. Read the refreshed marts."""
    validation = run_changed_warehouse_suite(con, as_of=as_of, today=today)
    store_results(con, validation, run_at=as_of)
    return validation


def publish_data_docs(settings: Settings,
                      submission_results: list[ExpectationSuiteValidationResult],
                      warehouse: WarehouseValidation, started: datetime) -> Path:
    """GX's own Data Docs site under EFC_HOME/data_docs, listing tonight's runs.

    `submission_results` are tonight's submission validations, one per part of the night,
    shown as one (none without new files: the site keeps showing the last night's).
    """
    submissions = [night_of_parts(submission_results)] if submission_results else []
    return build_data_docs(settings.data_docs_dir, [*submissions, *warehouse.suite_results],
                           run_name=f"nightly-{started:%Y%m%dT%H%M%SZ}", run_time=started)


def issue_receipts(con: duckdb.DuckDBPyConnection, settings: Settings,
                   since: datetime) -> int:
    """Write the receipts whose state changed in this run, and any a crash left unwritten (a
    file looked for per submission; only the missing ones are read from the warehouse)."""
    due = {r["submission_id"]: r for r in receipts_since(con, since)}
    unwritten = [submission_id for submission_id, member_id, sha256
                 in con.execute(sql("receipted_files")).fetchall()
                 if submission_id not in due and not receipt_path(
                     settings.receipts_dir, member_id, submission_id, sha256).exists()]
    if unwritten:
        due |= {r["submission_id"]: r for r in receipts_since(con, None, only=unwritten)}
    write_receipts(settings.receipts_dir, due.values())
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
    if summary.waiting:
        lines += ["", "Waiting for the next night:"] + [f"- {entry}" for entry in summary.waiting]
    return "\n".join(lines) + "\n"

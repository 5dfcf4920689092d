"""Examining received files: parse, screen for identifiers, read values, validate, decide a state.

Plain functions over plain data; the nightly flow and `efc check` both call them, so a
member's offline check and the nightly run judge a file the same way.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from checks.problems import Problem
from checks.screening import screen_batch, screen_cells
from checks.validation import validate_batch
from efc.settings import Settings
from transforms.catalogue import Catalogue
from transforms.cells import FileCells, PartCells
from transforms.inbox import Arrival, keep_all_received
from transforms.observations import canonical_batch, uppercase_country_codes
from transforms.parsing import COLUMNS, ParsedFile, parse_file

if TYPE_CHECKING:  # efc check must not import Great Expectations
    from great_expectations.core import ExpectationSuiteValidationResult

# `duplicate_of` of a copy of a file received earlier the same night, before its id is known.
COPY_OF_TONIGHTS = -1
STATES = ("accepted", "accepted_with_warnings", "rejected", "duplicate", "superseded")
# Rules that stop reading a file at once: nothing more is examined (nor screened) after them.
LIMIT_RULES = frozenset({"file_too_large", "too_many_rows", "workbook_too_large"})
SHOWN_EXTRA_COLUMNS = 5
MIB = 1024 * 1024  # sizes are shown in MiB, the unit EFC_MAX_FILE_MB counts in


@dataclass
class Submission:
    """One received file on its way through the night: what it holds and what is wrong with it."""

    key: int
    arrival: Arrival
    received_at: datetime
    file_format: str = "unknown"
    problems: list[Problem] = field(default_factory=list)
    is_identifying: bool = False
    duplicate_of: int | None = None
    shown_file_name: str = ""
    # Where the file's canonical observations lie in the frame of the part examined with it
    # (frame, first row, row after the last); None until its values are read, or once they are
    # dropped. A part's files are put together again by one selection of that frame.
    rows_in_part: tuple[pd.DataFrame, int, int] | None = field(default=None, repr=False)
    # Where the file's count per rule lies in its part's frame of rule counts, the same way;
    # None until it is validated (and for a duplicate).
    rule_counts_in_part: tuple[pd.DataFrame, int, int] | None = field(default=None, repr=False)

    @property
    def member_id(self) -> str:
        return self.arrival.member_folder

    @property
    def state(self) -> str:
        if self.duplicate_of is not None:
            return "duplicate"
        if any(p.severity == "error" for p in self.problems):
            return "rejected"
        if any(p.severity == "warning" for p in self.problems):
            return "accepted_with_warnings"
        return "accepted"

    @property
    def observations(self) -> pd.DataFrame | None:
        """The file's canonical observations, taken from its part's frame when asked for (the
        night takes a part's files together, `observations_of`)."""
        return None if self.rows_in_part is None else rows_in_parts([self.rows_in_part])

    @property
    def observation_count(self) -> int:
        return 0 if self.rows_in_part is None else self.rows_in_part[2] - self.rows_in_part[1]

    def drop_rows(self) -> None:
        """Let go of the file's observations and rule counts (and of the part's frames they
        lie in): stored, or never to be."""
        self.rows_in_part = None
        self.rule_counts_in_part = None

    def resolve_copy(self, original: int | None) -> None:
        """Settle a copy of a file received earlier tonight, once that file is recorded: a
        duplicate if it was loaded, else judged as itself (it was examined like any file)."""
        self.duplicate_of = original
        if original is not None:  # told only what a duplicate of an earlier night is told
            self.drop_rows()
            self.problems = [p for p in self.problems if p.column == "file name"]


def examine(submission: Submission, data: bytes | None, catalogue: Catalogue,
            *, max_file_bytes: int, max_rows: int) -> Submission:
    """Parse and screen one file (`efc check`); a part of the night of one file.

    `data` is None when the file exceeds the size limit and was not read.
    """
    (_, failure), = examine_part([(submission, data)], catalogue,
                                 max_file_bytes=max_file_bytes, max_rows=max_rows)
    if failure is not None:
        raise failure
    return submission


def examine_part(files: list[tuple[Submission, bytes | None]], catalogue: Catalogue, *,
                 max_file_bytes: int, max_rows: int
                 ) -> list[tuple[Submission, Exception | None]]:
    """Examine a part of the night: each file parsed on its own, then all their cells screened
    and all their values read at once, as columns; each file's canonical observations filled
    unless it must be rejected.

    Returns each submission with the exception our code raised on it, if any (the caller
    rejects that file and goes on). Should the columnar step fail, each file is examined on
    its own, so that the failure stays with the file that caused it.
    """
    outcome: dict[int, Exception | None] = {}
    read: list[ReadFile] = []
    part = PartCells()
    with _rows_without_cycles():
        for submission, data in files:
            try:
                parsed = _parse(submission, data, catalogue, max_file_bytes=max_file_bytes,
                                max_rows=max_rows)
                if parsed is not None:
                    part.add(submission.key, parsed.text_rows)  # its rows of text go here
            except Exception as exc:  # one file must not stop the night for the others
                outcome[submission.key] = exc
                continue
            outcome[submission.key] = None
            if parsed is not None:
                read.append(ReadFile(submission, parsed.text_rows.columns, parsed.header_row,
                                     parsed.readable, submission.is_identifying))
        cells = part.cells()
        try:
            _examine_columns(read, cells, catalogue)
        except Exception as exc:
            if len(read) == 1:
                outcome[read[0].submission.key] = exc
            else:
                for one in read:
                    try:
                        _examine_columns([one], cells.rows_of(cells.keys == one.submission.key),
                                         catalogue)
                    except Exception as exc_alone:
                        outcome[one.submission.key] = exc_alone
    return [(submission, outcome[submission.key]) for submission, _ in files]


class ReadFile(NamedTuple):
    """What examining a part keeps of a parsed file besides its cells."""

    submission: Submission
    columns: list[str]  # as the file names them (made unique)
    header_row: int | None
    readable: bool  # no error in reading it
    named: bool  # identifying in its name alone


@contextlib.contextmanager
def _rows_without_cycles() -> Iterator[None]:
    """Python's cycle collector paused while a part is read: parsing makes millions of small
    lists of text that hold no cycles, and the collector kept walking them and, now and then,
    the whole heap (the stack's imports included). While a part's rows piled up that was a
    third of examining; with a file's rows encoded as it is read, some 0.5 s of 1M's night."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _parse(submission: Submission, data: bytes | None, catalogue: Catalogue, *,
           max_file_bytes: int, max_rows: int) -> ParsedFile | None:
    """Check one file's name, sender and size and parse it: its rows of text, or None when
    there is nothing to read further (too large, a limit met, not a table)."""
    examine_name(submission)
    check_sender(submission, catalogue)
    if data is None:
        submission.problems.append(Problem(
            severity="error", rule="file_too_large",
            message=f"The file is {submission.arrival.size_bytes / MIB:,.1f} MiB; at most "
                    f"{max_file_bytes / MIB:,.0f} MiB are accepted (1 MiB = 1,048,576 bytes).",
            fix="Split the submission into several smaller files (for example one per period)."))
        return None
    parsed = parse_file(submission.arrival.file_name, data, max_rows=max_rows)
    submission.file_format = parsed.file_format
    submission.problems.extend(parsed.problems)
    if any(p.rule in LIMIT_RULES for p in parsed.problems) or parsed.text_rows is None:
        return None  # rejected at the first limit: read no further, screen nothing
    return parsed


def _examine_columns(read: list[ReadFile], cells: FileCells, catalogue: Catalogue) -> None:
    """Screen and read the values of parsed files together; nothing changes on a submission
    until every step has run, so a failure leaves them as they were."""
    if not read:
        return
    findings = screen_batch(cells.columns, cells.keys, cells.source_rows, {
        f.submission.key: (f.columns, f.header_row) for f in read})
    usable = [f.submission.key for f in read
              if f.readable and not f.named and f.submission.key not in findings]
    chosen = cells.rows_of(np.isin(cells.keys, usable))
    frame, value_problems = canonical_batch(chosen.columns, chosen.keys, chosen.source_rows)
    frame = uppercase_country_codes(frame, catalogue.code_list_of_dimension)
    sender = {f.submission.key: f.submission.member_id for f in read}
    frame["folder_member"] = pd.Series(frame["submission_key"].map(sender), dtype="str")
    rows_of_file = {key: (frame, start, stop) for key, start, stop in _files_of(frame)}
    for submission, columns, _, _, named in read:
        found = findings.get(submission.key, [])
        submission.problems.extend(found)
        submission.is_identifying = bool(found or named)
        if submission.key not in rows_of_file:
            continue
        submission.problems.extend(value_problems.get(submission.key, []))
        extra = sorted(set(columns) - set(COLUMNS))
        if extra:
            submission.problems.append(unknown_columns_problem(extra))
        submission.rows_in_part = rows_of_file[submission.key]


def _files_of(frame: pd.DataFrame) -> Iterator[tuple[int, int, int]]:
    """(key, first row, row after the last) of each file of a frame whose files' rows lie
    together."""
    keys = frame["submission_key"].to_numpy()
    if not len(keys):
        return
    starts = np.concatenate([[0], np.flatnonzero(np.diff(keys)) + 1, [len(keys)]])
    for start, stop in itertools.pairwise(starts):
        yield int(keys[start]), int(start), int(stop)


def observations_of(submissions: list[Submission]) -> pd.DataFrame:
    """The observations of these submissions (those that have some) as one frame, in their
    order."""
    return rows_in_parts([s.rows_in_part for s in submissions if s.rows_in_part is not None])


def rows_in_parts(slices: list[tuple[pd.DataFrame, int, int]]) -> pd.DataFrame:
    """Files' rows, each file's a (frame, first row, row after the last) of its part's frame,
    as one frame in their order. Files of one part are taken in one selection (put together
    from a thousand per-file frames, a part took some 0.5 s each time)."""
    if len({id(frame) for frame, _, _ in slices}) == 1:
        rows = np.concatenate([np.arange(start, stop) for _, start, stop in slices])
        return slices[0][0].take(rows).reset_index(drop=True)
    return pd.concat([frame.iloc[start:stop] for frame, start, stop in slices],
                     ignore_index=True)


def unknown_columns_problem(extra: list[str]) -> Problem:
    """One warning for columns outside the contract, naming the first few and counting all."""
    shown = ", ".join(extra[:SHOWN_EXTRA_COLUMNS]) + (
        " …" if len(extra) > SHOWN_EXTRA_COLUMNS else "")
    count = f"{len(extra):,} extra column{'s' * (len(extra) != 1)}"
    return Problem(
        severity="warning", rule="unknown_column", column=shown,
        message=f"{count} not part of the contract {'were' if len(extra) != 1 else 'was'} "
                f"not loaded: {shown}.",
        fix="Remove the extra columns, or keep them out of the export.")


def check_sender(submission: Submission, catalogue: Catalogue) -> Submission:
    """The inbox folder names the sender: it must be a registered member code, exactly."""
    if submission.member_id not in catalogue.sector_of_member:
        submission.problems.append(Problem(
            severity="error", rule="member_registered",
            message=f"The inbox folder '{submission.member_id}' is not a registered member.",
            fix="Upload into the inbox folder named after your registered member code."))
    return submission


def examine_received(submission: Submission, catalogue: Catalogue, settings: Settings
                     ) -> tuple[Submission, str | None]:
    """Examine one received file and keep its bytes: a part of the night of one file."""
    return examine_received_part([submission], catalogue, settings)[0]


def examine_received_part(submissions: list[Submission], catalogue: Catalogue,
                          settings: Settings) -> list[tuple[Submission, str | None]]:
    """Examine a part of the night's received files from their received copies (the bytes
    their hashes name) and keep those bytes: archived, or quarantined if identifying.

    Any failure while examining a file rejects that file rather than stopping the night; its
    traceback comes back for the run's log.
    """
    files: list[tuple[Submission, bytes | None]] = []
    failures: dict[int, Exception] = {}
    for submission in submissions:
        arrival = submission.arrival
        if arrival.received is None:  # it could not be read: its receipt says so already
            continue
        if submission.duplicate_of not in (None, COPY_OF_TONIGHTS):
            examine_name(submission)
            continue
        try:
            too_large = arrival.size_bytes > settings.max_file_bytes  # never read whole
            files.append((submission, None if too_large else arrival.received.read_bytes()))
        except OSError as exc:
            failures[submission.key] = exc
    for submission, failure in examine_part(files, catalogue,
                                            max_file_bytes=settings.max_file_bytes,
                                            max_rows=settings.max_rows):
        if failure is not None:
            failures[submission.key] = failure
    for submission in submissions:
        if submission.key in failures:
            could_not_examine(submission, failures[submission.key])
    keep_all_received([
        (s.arrival, settings.quarantine_dir if s.is_identifying else settings.archive_dir,
         s.is_identifying) for s in submissions if s.arrival.received is not None])
    return [(submission, "".join(traceback.format_exception(failures[submission.key]))
             if submission.key in failures else None) for submission in submissions]


def could_not_examine(submission: Submission, error: Exception) -> Submission:
    """Reject a file our reader failed on; it is kept (in quarantine, unscreened) for a look."""
    submission.drop_rows()
    submission.is_identifying = True  # not screened: treat as possibly identifying
    submission.problems.append(Problem(
        severity="error", rule="file_unreadable",
        message=f"The file could not be read: our reader failed on it "
                f"({type(error).__name__}). It is kept for the coalition's data team.",
        fix="Tell the coalition's data team, who can see what happened; meanwhile check the "
            "file opens as a table, export it again as CSV or XLSX and resend it."))
    return submission


def could_not_read(submission: Submission, error: OSError, catalogue: Catalogue
                   ) -> Submission:
    """Reject a file the service cannot read from the inbox; it stays there and is read on
    the first night it can be (nothing was read, so nothing is kept)."""
    examine_name(submission)
    check_sender(submission, catalogue)
    if isinstance(error, PermissionError):
        message = ("The file could not be read: the service is not allowed to read it "
                   "(permission denied). It stays in the inbox and is read on the first night "
                   "it can be.")
        fix = ("Upload the file again so that the coalition's service can read it (your upload "
               "client sets who may read it); if this happens again, tell the coalition's data "
               "team, who can check the inbox folder's permissions.")
    else:
        message = (f"The file could not be read ({error.strerror or type(error).__name__}). "
                   "It stays in the inbox and is read again on the next night.")
        fix = "Tell the coalition's data team, who can see what happened; then resend the file."
    submission.problems.append(Problem(severity="error", rule="file_unreadable",
                                       message=message, fix=fix))
    return submission


def utf8_name(name: str) -> str:
    """A file name as text the warehouse and receipts can hold: bytes of the name that were not
    UTF-8 (surrogates, as the file system hands them over) shown as \\xNN."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def examine_name(submission: Submission) -> list[Problem]:
    """Screen the file name too: it reaches receipts and the warehouse, so it must not identify."""
    findings = [Problem(p.severity, p.rule, p.message, "Rename the file; a file name carries "
                        "no meaning beyond its extension.", None, "file name", p.value)
                for p in screen_cells([(0, "file name", submission.arrival.file_name)])]
    suffix = Path(submission.arrival.file_name).suffix
    submission.shown_file_name = (
        f"(name withheld: it looked identifying){suffix}" if findings
        else utf8_name(submission.arrival.file_name))
    submission.problems.extend(findings)
    submission.is_identifying = submission.is_identifying or bool(findings)
    return findings


def validate(submissions: list[Submission], catalogue: Catalogue, today: date,
             *, engine: str = "great_expectations") -> ExpectationSuiteValidationResult | None:
    """Validate every readable submission of a batch in one run of the suite.

    Returns GX's own result of that run (counts only) for the Data Docs, so the nightly run
    need not validate the batch a second time; None offline or when nothing was readable.
    """
    if all(s.rows_in_part is None for s in submissions):
        return None
    validation = validate_batch(observations_of(submissions), catalogue, today, engine=engine)
    by_key = {s.key: s for s in submissions}
    for key, found in validation.problems.items():
        by_key[key].problems.extend(found)
    counts = validation.rule_counts
    for key, start, stop in _files_of(counts):
        by_key[key].rule_counts_in_part = (counts, start, stop)
    return validation.suite_result

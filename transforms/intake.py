"""Examining received files: parse, screen for identifiers, read values, validate, decide a state.

Plain functions over plain data; the nightly flow and `efc check` both call them, so a
member's offline check and the nightly run judge a file the same way.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from checks.problems import Problem
from checks.screening import screen_cells, screen_frame
from checks.validation import RuleResult, validate_batch
from efc.settings import Settings
from transforms.catalogue import Catalogue
from transforms.inbox import Arrival, keep_received
from transforms.observations import canonical_observations, uppercase_country_codes
from transforms.parsing import parse_file

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
    observations: pd.DataFrame | None = None
    problems: list[Problem] = field(default_factory=list)
    rule_results: list[RuleResult] = field(default_factory=list)
    is_identifying: bool = False
    duplicate_of: int | None = None
    shown_file_name: str = ""

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

    def resolve_copy(self, original: int | None) -> None:
        """Settle a copy of a file received earlier tonight, once that file is recorded: a
        duplicate if it was loaded, else judged as itself (it was examined like any file)."""
        self.duplicate_of = original
        if original is not None:  # told only what a duplicate of an earlier night is told
            self.observations = None
            self.rule_results = []
            self.problems = [p for p in self.problems if p.column == "file name"]


def examine(submission: Submission, data: bytes | None, catalogue: Catalogue,
            *, max_file_bytes: int, max_rows: int) -> Submission:
    """Parse and screen one file; fill its canonical observations unless it must be rejected.

    `data` is None when the file exceeds the size limit and was not read.
    """
    name_findings = examine_name(submission)
    check_sender(submission, catalogue)
    if data is None:
        submission.problems.append(Problem(
            severity="error", rule="file_too_large",
            message=f"The file is {submission.arrival.size_bytes / MIB:,.1f} MiB; at most "
                    f"{max_file_bytes / MIB:,.0f} MiB are accepted (1 MiB = 1,048,576 bytes).",
            fix="Split the submission into several smaller files (for example one per period)."))
        return submission

    parsed = parse_file(submission.arrival.file_name, data, max_rows=max_rows)
    submission.file_format = parsed.file_format
    submission.problems.extend(parsed.problems)
    if any(p.rule in LIMIT_RULES for p in parsed.problems):
        return submission  # rejected at the first limit: read no further, screen nothing
    if parsed.rows is not None:
        findings = screen_frame(parsed.rows.drop(columns="source_row"),
                                parsed.rows["source_row"].tolist(), header_row=parsed.header_row)
        submission.problems.extend(findings)
        submission.is_identifying = bool(findings or name_findings)
        if not parsed.readable or submission.is_identifying:
            return submission
        observations, value_problems = canonical_observations(parsed.rows)
        submission.problems.extend(value_problems)
        extra = sorted(set(parsed.rows.columns) - set(observations.columns) - {"source_row"})
        if extra:
            submission.problems.append(unknown_columns_problem(extra))
        observations = uppercase_country_codes(observations, catalogue.code_list_of_dimension)
        submission.observations = observations.assign(
            submission_key=submission.key, folder_member=submission.member_id)
    return submission


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
    """Examine one received file from its received copy and keep those bytes: archived, or
    quarantined if identifying. It touches this file alone, so a night's files can be examined
    in parallel.

    Any failure while examining rejects the file rather than stopping the night; its
    traceback comes back for the run's log.
    """
    arrival = submission.arrival
    if arrival.received is None:  # it could not be read: its receipt says so already
        return submission, None
    failure = None
    if submission.duplicate_of in (None, COPY_OF_TONIGHTS):
        try:
            too_large = arrival.size_bytes > settings.max_file_bytes  # never read whole
            examine(submission, None if too_large else arrival.received.read_bytes(),
                    catalogue, max_file_bytes=settings.max_file_bytes, max_rows=settings.max_rows)
        except Exception as exc:  # one file must not stop the night for the others
            failure = traceback.format_exc()
            could_not_examine(submission, exc)
    else:
        examine_name(submission)
    if submission.is_identifying:
        keep_received(arrival, settings.quarantine_dir, private=True)
    else:
        keep_received(arrival, settings.archive_dir)
    return submission, failure


def could_not_examine(submission: Submission, error: Exception) -> Submission:
    """Reject a file our reader failed on; it is kept (in quarantine, unscreened) for a look."""
    submission.observations = None
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
    frames = [s.observations for s in submissions if s.observations is not None]
    if not frames:
        return None
    validation = validate_batch(pd.concat(frames, ignore_index=True), catalogue, today,
                                engine=engine)
    by_key = {s.key: s for s in submissions}
    for key, found in validation.problems.items():
        by_key[key].problems.extend(found)
    for result in validation.results:
        by_key[result.submission_key].rule_results.append(result)
    return validation.suite_result

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
from transforms.inbox import Arrival, keep_bytes
from transforms.observations import canonical_observations, uppercase_country_codes
from transforms.parsing import parse_file

if TYPE_CHECKING:  # efc check must not import Great Expectations
    from great_expectations.core import ExpectationSuiteValidationResult

# `duplicate_of` of a copy of a file received earlier the same night, before its id is known.
COPY_OF_TONIGHTS = -1
STATES = ("accepted", "accepted_with_warnings", "rejected", "duplicate", "superseded")


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


def examine(submission: Submission, data: bytes | None, catalogue: Catalogue,
            *, max_file_bytes: int, max_rows: int) -> Submission:
    """Parse and screen one file; fill its canonical observations unless it must be rejected.

    `data` is None when the file exceeds the size limit and was not read.
    """
    name_findings = examine_name(submission)
    if submission.member_id not in catalogue.sector_of_member:
        submission.problems.append(Problem(
            severity="error", rule="member_registered",
            message=f"The inbox folder '{submission.member_id}' is not a registered member.",
            fix="Upload into the inbox folder named after your registered member code."))
    if data is None:
        submission.problems.append(Problem(
            severity="error", rule="file_too_large",
            message=f"The file is {submission.arrival.size_bytes / 1e6:,.1f} MB; at most "
                    f"{max_file_bytes / 1e6:,.0f} MB are accepted.",
            fix="Split the submission into several smaller files (for example one per period)."))
        return submission

    parsed = parse_file(submission.arrival.file_name, data, max_rows=max_rows)
    submission.file_format = parsed.file_format
    submission.problems.extend(parsed.problems)
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
            submission.problems.append(Problem(
                severity="warning", rule="unknown_column", column=", ".join(extra),
                message=f"Column(s) {', '.join(extra)} are not part of the contract and were "
                        "not loaded.",
                fix="Remove the extra columns, or keep them out of the export."))
        observations = uppercase_country_codes(observations, catalogue.code_list_of_dimension)
        submission.observations = observations.assign(
            submission_key=submission.key, folder_member=submission.member_id)
    return submission


def examine_received(submission: Submission, catalogue: Catalogue, settings: Settings
                     ) -> tuple[Submission, str | None]:
    """Read one received file, examine it and keep its bytes: archived, or quarantined if
    identifying. It touches this file alone, so a night's files can be examined in parallel.

    A reader failure rejects the file rather than stopping the night; its traceback comes
    back for the run's log.
    """
    arrival = submission.arrival
    data = arrival.path.read_bytes()
    failure = None
    if submission.duplicate_of is None:
        too_large = arrival.size_bytes > settings.max_file_bytes
        try:
            examine(submission, None if too_large else data, catalogue,
                    max_file_bytes=settings.max_file_bytes, max_rows=settings.max_rows)
        except Exception:  # one unreadable file must not stop the night for the others
            failure = traceback.format_exc()
            could_not_examine(submission)
    else:
        examine_name(submission)
    if submission.is_identifying:
        keep_bytes(data, arrival.sha256, settings.quarantine_dir, private=True)
    else:
        keep_bytes(data, arrival.sha256, settings.archive_dir)
    return submission, failure


def could_not_examine(submission: Submission) -> Submission:
    """Reject a file our reader failed on; it is kept (in quarantine, unscreened) for a look."""
    submission.observations = None
    submission.is_identifying = True  # not screened: treat as possibly identifying
    submission.problems.append(Problem(
        severity="error", rule="file_unreadable",
        message="The file could not be read: our reader failed on it. It is kept, and the "
                "coalition's data team can see what happened.",
        fix="Check the file opens as a table, export it again as CSV or XLSX, and resend it; "
            "if it fails again, contact the coalition's data team."))
    return submission


def examine_name(submission: Submission) -> list[Problem]:
    """Screen the file name too: it reaches receipts and the warehouse, so it must not identify."""
    findings = [Problem(p.severity, p.rule, p.message, "Rename the file; a file name carries "
                        "no meaning beyond its extension.", None, "file name", p.value)
                for p in screen_cells([(0, "file name", submission.arrival.file_name)])]
    suffix = Path(submission.arrival.file_name).suffix
    submission.shown_file_name = (
        f"(name withheld: it looked identifying){suffix}" if findings
        else submission.arrival.file_name)
    submission.problems.extend(findings)
    submission.is_identifying = submission.is_identifying or bool(findings)
    return findings


def validate(submissions: list[Submission], catalogue: Catalogue, today: date,
             *, engine: str = "great_expectations") -> ExpectationSuiteValidationResult | None:
    """Validate every readable submission of a batch in one run of the suite.

    Returns GX's own result of that run (counts only) for the Data Docs, so the nightly run
    need not validate the batch a second time; None offline or when nothing was readable.
    """
    frames = [s.observations for s in submissions
              if s.observations is not None and s.duplicate_of is None]
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

"""The one shape in which every judgement on a submission is reported to its member."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One finding about a submission, phrased so the member can act on it.

    `row` is the line number as the member sees it in their own file (title and header
    rows counted, 1-based), or None when the problem concerns the whole file.
    `value` is already masked when it looked identifying: never the whole identifier.
    """

    severity: Severity
    rule: str
    message: str
    fix: str
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)

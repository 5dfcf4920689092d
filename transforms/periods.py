"""Reporting periods: `YYYY-MM` months and `YYYY-Qn` quarters, as CONTRACT.md defines them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True)
class Period:
    """A month or a quarter; `first_month`/`last_month` count months since year 0."""

    text: str
    frequency: str  # "month" or "quarter"
    first_month: int
    last_month: int

    @property
    def quarter(self) -> str:
        year, month0 = divmod(self.first_month, 12)
        return f"{year}-Q{month0 // 3 + 1}"

    @property
    def start(self) -> date:
        year, month0 = divmod(self.first_month, 12)
        return date(year, month0 + 1, 1)


def parse_period(text: str) -> Period | None:
    """The period named by `text`, or None when it is not `YYYY-MM` or `YYYY-Qn`."""
    if m := MONTH.match(text):
        index = int(m[1]) * 12 + int(m[2]) - 1
        return Period(text, "month", index, index)
    if m := QUARTER.match(text):
        first = int(m[1]) * 12 + (int(m[2]) - 1) * 3
        return Period(text, "quarter", first, first + 2)
    return None


def month_of(day: date) -> int:
    """The month `day` falls in, counted as Period.first_month counts (months since year 0)."""
    return day.year * 12 + day.month - 1


def month_period(index: int) -> Period:
    """The month `index` months after January of year 0 (the count Period.first_month uses)."""
    year, month0 = divmod(index, 12)
    return Period(f"{year:04d}-{month0 + 1:02d}", "month", index, index)


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarter_months(quarter: str) -> list[str]:
    """The three `YYYY-MM` months of a quarter."""
    period = parse_period(quarter)
    if period is None or period.frequency != "quarter":
        raise ValueError(f"{quarter!r} is not a quarter of the form YYYY-Qn")
    return [f"{i // 12}-{i % 12 + 1:02d}" for i in range(period.first_month, period.last_month + 1)]


def shift_quarter(quarter: str, by: int) -> str:
    """The quarter `by` quarters after (negative: before) `quarter`."""
    period = parse_period(quarter)
    if period is None or period.frequency != "quarter":
        raise ValueError(f"{quarter!r} is not a quarter of the form YYYY-Qn")
    index = period.first_month // 3 + by
    return f"{index // 4}-Q{index % 4 + 1}"


def last_complete_quarter(today: date) -> str:
    return shift_quarter(quarter_of(today), -1)

"""The one place where numbers become text for the assessment.

Conventions (one rule each, so a reader can predict every cell):
- Thousands are separated by a comma and decimals by a point (``12,345.6``), as in
  Europol's and the IWF's English-language publications; a comma survives copy-paste,
  text search and narrow table columns, where a thin space would not.
- Negative numbers use the true minus sign U+2212 (``−4.0%``), not a hyphen.
- Shares and changes are passed as fractions, never as percentages:
  ``fmt_pct(0.583) == "58.3%"``, ``fmt_change_pct(-0.04) == "−4.0%"``,
  ``fmt_points(0.031) == "+3.1 pp"`` (the difference of two shares).
- Rounding is half away from zero on the decimal value as written (2.675 -> 2.68), as
  official statistics round, not Python's binary round-half-even.
- ``SUPPRESSED`` (``"c"``, "confidential") marks a cell hidden by disclosure control.
  Every formatter returns it unchanged. A missing level (None, NaN, pd.NA) also reads
  ``c`` by default, because after the disclosure gate the only blank in a publishable
  table is a suppressed cell; pass ``missing=NOT_AVAILABLE`` where a blank means "not
  collected". A missing change (no base, base zero, series break) reads ``n/a``.
- ``c`` is a table's symbol: in a sentence a hidden figure is worded, ``WITHHELD``
  ("withheld for confidentiality"; ``in_prose``), so no running text prints a bare ``c``.
- ``NOTHING`` (``"–"``, an en dash) marks a cell with nothing to show (no entry, a measure
  that has no value for that column); no printed cell is ever blank: it is a figure, ``c``
  or ``–``; every formatter returns it unchanged, as it does ``c``.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from numbers import Real
from typing import Any

import pandas as pd

SUPPRESSED = "c"
WITHHELD = "withheld for confidentiality"
NOT_AVAILABLE = "n/a"
NOTHING = "\u2013"  # en dash: nothing to show, as opposed to c (hidden)
MINUS = "\u2212"

__all__ = [
    "MINUS",
    "NOTHING",
    "NOT_AVAILABLE",
    "SUPPRESSED",
    "WITHHELD",
    "fmt_change_pct",
    "fmt_count",
    "fmt_days",
    "fmt_eur",
    "fmt_number",
    "fmt_pct",
    "fmt_points",
    "in_prose",
    "is_missing",
    "listed",
]


def is_missing(x: Any) -> bool:
    """True for None, NaN, pandas' NA/NaT and infinities; TypeError for non-numbers."""
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    if isinstance(x, (str, bytes)) or not isinstance(x, Real):
        # A stray label in a numeric cell is a bug upstream, not a suppressed cell.
        raise TypeError(f"expected a number, None or {SUPPRESSED!r}, got {x!r}")
    return not math.isfinite(float(x))


def _rounded(x: Real, digits: int) -> Decimal:
    """x rounded half away from zero to `digits` decimals, from its shortest repr."""
    quantum = Decimal(1).scaleb(-digits)
    return Decimal(repr(float(x))).quantize(quantum, rounding=ROUND_HALF_UP)


def _plain(x: Real, digits: int, *, sign: bool = False) -> str:
    """Grouped decimal text with U+2212 for negatives and, if `sign`, "+" for positives."""
    value = _rounded(x, digits)
    if value == 0:
        value = abs(value)  # never print "−0.0"
    text = f"{abs(value):,.{digits}f}"
    if value < 0:
        return MINUS + text
    if sign and value > 0:
        return "+" + text
    return text


def _level(x: Any, missing: str) -> str | None:
    """Shared guard of the level formatters: the marker to print, or None to format x."""
    if isinstance(x, str) and x in (SUPPRESSED, NOTHING):
        return x
    if is_missing(x):
        return missing
    return None


def fmt_number(x: Any, digits: int = 1, *, missing: str = SUPPRESSED) -> str:
    """A plain decimal number with grouping: ``fmt_number(1234.56) == "1,234.6"``."""
    if (marker := _level(x, missing)) is not None:
        return marker
    return _plain(x, digits)


def fmt_count(x: Any, *, missing: str = SUPPRESSED) -> str:
    """A count, rounded to a whole number: ``fmt_count(291273) == "291,273"``."""
    return fmt_number(x, 0, missing=missing)


def fmt_eur(x: Any, digits: int = 0, *, symbol: bool = True,
            missing: str = SUPPRESSED) -> str:
    """Euros: ``fmt_eur(8000) == "€8,000"``; ``symbol=False`` for a column headed (EUR)."""
    if (marker := _level(x, missing)) is not None:
        return marker
    text = _plain(x, digits)
    if not symbol:
        return text
    if text.startswith(MINUS):
        return MINUS + "€" + text[1:]
    return "€" + text


def fmt_pct(x: Any, digits: int = 1, *, missing: str = SUPPRESSED) -> str:
    """A share given as a fraction: ``fmt_pct(0.583) == "58.3%"``."""
    if (marker := _level(x, missing)) is not None:
        return marker
    return _plain(float(x) * 100, digits) + "%"


def fmt_days(x: Any, digits: int = 1, *, unit: bool = True,
             missing: str = SUPPRESSED) -> str:
    """A duration in days: ``fmt_days(2.5) == "2.5 days"``, ``fmt_days(1) == "1.0 day"``."""
    if (marker := _level(x, missing)) is not None:
        return marker
    text = _plain(x, digits)
    if not unit:
        return text
    return f"{text} day" if _rounded(x, digits) == 1 else f"{text} days"


def fmt_change_pct(x: Any, digits: int = 1) -> str:
    """A relative change given as a fraction, signed: ``+12.3%``, ``−4.0%``, ``n/a``."""
    if isinstance(x, str) and x in (SUPPRESSED, NOTHING):
        return x
    if is_missing(x):
        return NOT_AVAILABLE
    return _plain(float(x) * 100, digits, sign=True) + "%"


def fmt_points(x: Any, digits: int = 1) -> str:
    """A difference of two shares (fractions) in percentage points: ``+3.1 pp``."""
    if isinstance(x, str) and x in (SUPPRESSED, NOTHING):
        return x
    if is_missing(x):
        return NOT_AVAILABLE
    return _plain(float(x) * 100, digits, sign=True) + " pp"


def in_prose(text: str) -> str:
    """A figure as a sentence prints it: as formatted, or where hidden, worded in brackets
    (``[withheld for confidentiality]``), an editor's note in the analysts' own sentence."""
    return f"[{WITHHELD}]" if text == SUPPRESSED else text


def listed(items: list[str]) -> str:
    """Items as a sentence lists them: `a`, `a and b`, `a, b and c`."""
    return ", ".join(items[:-1]) + (" and " if len(items) > 1 else "") + items[-1]

"""The release check ("airlock"): every artefact of an edition is searched before it leaves.

Disclosure control (`checks.disclosure`) decides which cells may be published; this check
does not trust that every path from a figure to a page went through it. It reads what was
actually rendered (the PDF's text, the HTML, each attachment, the manifest, alt texts) and
looks for two things an edition must never hold:

- the true value of a cell the edition's audit marks suppressed, in the forms a value is
  printed in: ``43210``, ``43,210``, ``43 210`` (a space, no-break or thin space),
  ``43.2k``, and its share of the table's published total (``12.3%``);
- in an edition without member detail (the public one), any member code.

Free text is matched on values of three or more significant digits and shares printed with
their unit and at least one decimal, so that page numbers, dates, counts of members and
chapter numbers do not block an edition. A signed figure (``+409``, ``−1.2%``) is a change,
never a level or a share. A share is a hit only where the hidden cell's category is named
just before it (its code, its words or its country's name) and its quarter near it, in the
same sentence (in a table: in the share's row or its column's heading):
shares are few and dense (a report prints hundreds between 0.0% and 100.0%), so without its
label a share matches some hidden cell of another table by chance (on the sample, every one
of 27 share hits was such a coincidence). Structured outputs (attachments, the manifest) are
read cell by cell: a cell whose whole content is such a value is a hit. A number that is
also the value of a cell the edition publishes, or one of the edition's own counts (files,
cells hidden and published per table and in all), is not a hit: the reader cannot tell the
two apart, and the gate has shown that value safe. Small suppressed values (fewer than three
significant digits) are left to the gate, since a search for them would hit every
coincidence.

A hit blocks the edition: it is not written, the message names the cell and the artefact
(never the value), and the check's report goes to the private audit folder. The check runs
on each draft as `efc assess` issues it; a final differs from its draft only in the approval
rows of its document control.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pycountry

from checks.disclosure import TOTAL, CellKey, DisclosureLog, SuppressionPattern

MIN_SIGNIFICANT_DIGITS = 3
LABEL_REACH = 60  # characters before a printed share where its category must be named
# A number as the report prints one: grouped by comma or (no-break, thin) space, or plain;
# optionally a "k" (thousands) or "%" suffix. The look-arounds keep digits of longer tokens
# (dates such as 2026-09-30, codes such as HL_URLS, versions such as 1.2.3) out.
_NUMBER = re.compile(
    r"(?P<sign>[+\u2212-])?(?<![\w.,/:])"
    r"(?P<number>\d{1,3}(?:(?:,|[ \u00a0\u202f])\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?P<suffix>\s?%|k\b)?"
    r"(?![\w/]|[.,]\d|-\d)")
_YEARS = range(1900, 2101)
_QUARTER = re.compile(r"\d{4}-Q[1-4]")
_SENTENCE_END = re.compile(r"[.!?](?=\s)")  # not a decimal point: a space follows


@dataclass(frozen=True)
class SuppressedCell:
    """A hidden cell's identity and true value (and its share of the table's total, if any)."""

    table: str
    key: tuple[str, ...]
    value: float
    share: float | None = None

    def name(self) -> str:
        return f"{self.table} [{', '.join(self.key)}]"

    def named_in(self, before: str, around: str) -> bool:
        """True when the cell's category is named in `before` (its code, its words, or the
        country's name) and its quarter, if it has one, in `around`: what makes a printed
        share this cell's rather than another category's or another quarter's."""
        if not self.key or _label_pattern(self.key[0]).search(before) is None:
            return False
        quarters = [k for k in self.key[1:] if _QUARTER.fullmatch(k)]
        return all(q in around for q in quarters)


@functools.cache
def _label_pattern(code: str) -> re.Pattern:
    names = {code, code.replace("_", " ")}
    if len(code) == 2 and code.isalpha():
        country = pycountry.countries.get(alpha_2=code.upper())
        names |= {country.name, getattr(country, "common_name", country.name)} if country else set()
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    """One thing an edition must not print, where it was found (the value itself left out)."""

    artefact: str
    what: str
    context: str

    def message(self) -> str:
        return f"{self.what} in {self.artefact}: …{self.context}…"


@dataclass
class ReleaseReport:
    """The check's outcome for one edition: blocked when anything was found."""

    edition: str
    artefacts: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return bool(self.findings)

    def to_dict(self) -> dict:
        return {"edition": self.edition, "blocked": self.blocked, "artefacts": self.artefacts,
                "findings": [{"artefact": f.artefact, "what": f.what, "context": f.context}
                             for f in self.findings]}


def suppressed_cells(log: DisclosureLog) -> list[SuppressedCell]:
    """The hidden cells of an edition, from its disclosure log, with each one's share of the
    published total it belongs to (its row's margin), where that total is published."""
    cells = []
    for table, audit in sorted(log.audits.items()):
        keys = [c for c in audit.columns if c not in _AUDIT_COLUMNS]
        for row in audit.to_dict("records"):
            key = tuple(str(row[k]) for k in keys)
            value = float(row["value"])
            total = next((log.margins[(table, margin)] for margin in _margins_of(key)
                          if (table, margin) in log.margins), None)
            share = value / total if total and math.isfinite(total) and total > 0 else None
            cells.append(SuppressedCell(table, key, value, share))
    return cells


def _margins_of(key: CellKey) -> list[CellKey]:
    """The totals a cell adds to, its own row's first: (a, q) -> (Total, q), (a, Total), ..."""
    return [key[:i] + (TOTAL,) + key[i + 1:] for i in range(len(key)) if key[i] != TOTAL] + (
        [(TOTAL,) * len(key)] if len(key) > 1 else [])


_AUDIT_COLUMNS = {"status", "suppressed_by", "value", "lower", "upper", "protection_lower",
                  "protection_upper", "ok", "table"}


def significant_digits(value: float) -> int:
    """Significant digits of a value as a count would print it (trailing zeros not counted)."""
    digits = f"{abs(value):.6f}".replace(".", "").strip("0")
    return len(digits)


def check_release(edition: str, *, texts: Mapping[str, str],
                  tables: Mapping[str, bytes], documents: Mapping[str, object],
                  suppressed: Iterable[SuppressedCell], published_values: Iterable[float],
                  member_codes: Iterable[str] = (),
                  sources: Mapping[str, str] | None = None) -> ReleaseReport:
    """Search an edition's artefacts; `member_codes` are searched for only when given.

    `texts`: free text by artefact (PDF text, HTML, alt texts); `tables`: CSV attachments;
    `documents`: JSON-like structures (the manifest), read value by value; `sources`: an
    artefact as shipped (the HTML's markup, styles and scripts, which anyone can read) searched
    for member codes only, since its numbers are sizes and coordinates.
    """
    report = ReleaseReport(edition=edition)
    targets = [c for c in suppressed if math.isfinite(c.value)
               and significant_digits(c.value) >= MIN_SIGNIFICANT_DIGITS]
    safe = np.unique(np.array([float(v) for v in published_values
                               if math.isfinite(float(v))], dtype="float64"))
    codes = sorted(set(member_codes), key=len, reverse=True)
    code_pattern = (re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, codes)) + r")(?![\w-])",
                               re.IGNORECASE) if codes else None)

    def search(artefact: str, text: str, *, whole_cell: bool,
               row: tuple[str, str] | None = None) -> None:
        for match in _NUMBER.finditer(text):
            if whole_cell and match.group(0).strip() != text.strip():
                continue
            cells = _matching_cells(match, targets, safe)
            if match.group("suffix") and cells:  # a share: only beside its category's name
                before, around = row if row is not None else (
                    text[max(0, match.start() - LABEL_REACH):match.start()],
                    _sentence(text, match.start(), match.end(), 2 * LABEL_REACH))
                cells = [c for c in cells if c.named_in(before, around)]
            for cell in cells:
                report.findings.append(Finding(
                    artefact, f"suppressed cell {cell.name()}",
                    _context(text, match.start(), match.end())))
        search_codes(artefact, text)

    def search_codes(artefact: str, text: str) -> None:
        for match in code_pattern.finditer(text) if code_pattern is not None else ():
            report.findings.append(Finding(artefact, f"member code {match.group(1)}",
                                           _context(text, match.start(), match.end())))

    for artefact, text in sorted(texts.items()):
        report.artefacts.append(artefact)
        search(artefact, text, whole_cell=False)
    for artefact, text in sorted((sources or {}).items()):
        report.artefacts.append(artefact)
        search_codes(artefact, text)
    for artefact, body in sorted(tables.items()):
        report.artefacts.append(artefact)
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        header = rows[0] if rows else []
        for row in rows:
            for j, cell in enumerate(row):  # a cell's row and its column's heading name it
                context = " ".join(row) + " " + (header[j] if j < len(header) else "")
                search(artefact, cell, whole_cell=True, row=(context, context))
    for artefact, document in sorted(documents.items()):
        report.artefacts.append(artefact)
        for cell in _leaves(document):
            search(artefact, cell, whole_cell=True)
    return report


def _matching_cells(match: re.Match, targets: list[SuppressedCell],
                    safe: np.ndarray) -> list[SuppressedCell]:
    """The suppressed cells a printed number could be, given its precision and unit."""
    text, suffix = match.group("number"), (match.group("suffix") or "").strip()
    if match.group("sign"):
        return []  # a signed figure is a change (+409, −1.2%), never a level or a share
    plain = re.sub(r"[, \u00a0\u202f]", "", text)
    grouped = plain != text
    number = float(plain)
    decimals = len(plain.split(".")[1]) if "." in plain else 0
    half_step = 0.5 * 10 ** -decimals
    if suffix == "%":
        if decimals == 0:  # "12%" is every other share in the report
            return []
        return [c for c in targets if c.share is not None
                and abs(c.share * 100 - number) <= half_step + 1e-9]
    if suffix == "k":
        scale = 1000.0
    else:
        scale = 1.0
        if not grouped and decimals == 0 and int(number) in _YEARS:
            return []  # a year, not a count
    value, tolerance = number * scale, half_step * scale + 1e-9
    nearest = np.searchsorted(safe, value - tolerance)
    if nearest < len(safe) and safe[nearest] <= value + tolerance:
        return []  # also a published value: not evidence of a leak
    return [c for c in targets if abs(c.value - value) <= tolerance]


def _sentence(text: str, start: int, end: int, reach: int) -> str:
    """The sentence around text[start:end], at most `reach` characters either side: a quarter
    named in the sentence before ("... in 2026-Q2. Not removed was 5.1% in both 2026-Q1 and
    2026-Q3.") is another figure's."""
    before = text[max(0, start - reach):start]
    after = text[end:end + reach]
    ends = list(_SENTENCE_END.finditer(before))
    if ends:
        before = before[ends[-1].end():]
    following = _SENTENCE_END.search(after)
    if following:
        after = after[:following.end()]
    return before + text[start:end] + after


def _leaves(document: object) -> Iterable[str]:
    """Every key and scalar value of a JSON-like structure, as text."""
    if isinstance(document, Mapping):
        for key, value in document.items():
            yield str(key)
            yield from _leaves(value)
    elif isinstance(document, (list, tuple)):
        for value in document:
            yield from _leaves(value)
    elif document is not None:
        yield document if isinstance(document, str) else json.dumps(document)


def _context(text: str, start: int, end: int, width: int = 40) -> str:
    """The words around a hit with the hit itself masked, so the message leaks nothing."""
    before = text[max(0, start - width):start]
    after = text[end:end + width]
    return " ".join(f"{before}[…]{after}".split())


# -- an edition's rendered files ---------------------------------------------------------


@dataclass(frozen=True)
class ReleaseInputs:
    """What the check searches an edition for: its hidden cells' true values, the values it
    publishes (not hits), and the member codes, where the edition names no member."""

    suppressed: tuple[SuppressedCell, ...]
    published_values: frozenset[float]
    member_codes: tuple[str, ...] = ()

    @classmethod
    def from_log(cls, log: DisclosureLog, member_codes: Iterable[str] = (),
                 counts: Iterable[float] = ()) -> ReleaseInputs:
        """`counts`: numbers the edition prints about itself (files, submissions)."""
        own = [n for _, _, hidden, published in log.rows() for n in (hidden, published)]
        kept = log.information_kept([])  # the annex prints these totals too
        own += [kept["cells_hidden"], kept["cells_published"],
                kept["cells_hidden"] + kept["cells_published"]]
        return cls(tuple(suppressed_cells(log)),
                   frozenset(log.published_values) | frozenset(map(float, [*own, *counts])),
                   tuple(sorted(member_codes)))


class ReleaseBlocked(RuntimeError):
    """An edition the release check stopped: it is not written; the message names each hit.

    `pattern`: the cells the edition hid, which a later edition of the run still hides."""

    def __init__(self, report: ReleaseReport, pattern: SuppressionPattern | None = None):
        self.report, self.pattern = report, pattern
        hits = "; ".join(f.message() for f in report.findings[:5])
        more = len(report.findings) - 5
        super().__init__(
            f"the {report.edition} edition was not released: the release check found "
            f"{len(report.findings)} thing(s) it must not print ({hits}"
            + (f"; and {more} more" if more > 0 else "") + "). Every number should pass the "
            "disclosure gate; find the path that printed these and route it through the gate.")

    def __reduce__(self):  # picklable, as an orchestrator stores a failed run's exception
        return type(self), (self.report, self.pattern)


class EditionsBlocked(RuntimeError):
    """The run wrote what it could; these editions were blocked by the release check."""

    def __init__(self, blocked: list[ReleaseBlocked], written: list[str]):
        self.blocked, self.written = blocked, written
        names = ", ".join(b.report.edition for b in blocked)
        super().__init__(f"blocked by the release check: {names} edition(s), not written. "
                         + " ".join(str(b) for b in blocked))

    def __reduce__(self):
        return type(self), (self.blocked, self.written)


def check_rendered(edition: str, inputs: ReleaseInputs, *, pdf: Path, html: str,
                   tables: Mapping[str, bytes], manifest: bytes) -> ReleaseReport:
    """Run the check over one rendered edition: the PDF's text, the HTML's text and alt
    texts (and its source, for member codes), each attachment and the manifest."""
    return check_release(
        edition,
        texts={pdf.name: pdf_text(pdf), "HTML edition": visible_text(html)},
        tables={f"attachment {name}": body for name, body in tables.items()},
        documents={"manifest.json": json.loads(manifest)},
        suppressed=inputs.suppressed, published_values=inputs.published_values,
        member_codes=inputs.member_codes, sources={"HTML edition's source": html})


def pdf_text(pdf: Path) -> str:
    """Every page's text, as a reader copying from the PDF gets it."""
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(pdf).pages)


class _VisibleText(HTMLParser):
    """Text nodes and the attributes people and screen readers read (alt, title, aria-label);
    no markup, styles or drawing coordinates."""

    SKIP = {"style", "script"}
    READ = {"alt", "title", "aria-label"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skipping += 1
        self.parts += [value for name, value in attrs if name in self.READ and value]

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return "\n".join(parser.parts)

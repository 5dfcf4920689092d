"""Reading a member's file (CSV, XLSX or JSON) into rows of text, as CONTRACT.md describes them.

Parsing never judges content beyond the file's shape: every row keeps the line number the
member sees in their own file, so later problems can point at it.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePath
from xml.etree.ElementTree import ParseError

import pandas as pd

from checks.problems import Problem

COLUMNS = ("member_id", "period", "indicator", "dimension", "category", "value", "unit",
           "status", "note")
REQUIRED_COLUMNS = ("member_id", "period", "indicator", "value")
SEPARATORS = (",", ";", "\t")
XLSX_MAX_INFLATED_BYTES = 200 * 1024 * 1024
XLSX_MAX_RATIO = 100
HEADER_SEARCH_ROWS = 20
LINE_BREAK = re.compile(r"\r\n|\r|\n")
# A row with nothing but blanks and separators (the csv module's reading skips it), or none,
# in lines each after a \n (a pattern that starts with one is searched for it, fast).
BLANK_ROW = {separator: re.compile(rf"\n(?:[^\S\n]|{re.escape(separator)})*(?:\n|\Z)")
             for separator in SEPARATORS}
# Control characters: below 32, but tab, CR, LF, FF (as UTF-8, each is its own byte).
CONTROL_CHARACTERS = bytes([*range(0x00, 0x09), 0x0b, *range(0x0e, 0x20)])
MIB = 1024 * 1024
# What openpyxl, zipfile and the XML parser raise for a damaged or hostile workbook (a missing
# part is a KeyError, an attribute it cannot take a TypeError, a sheet list it cannot index an
# IndexError). Caught around openpyxl's own calls only: an error in our code still surfaces.
WORKBOOK_DAMAGE = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ParseError,
                   KeyError, ValueError, TypeError, IndexError, AttributeError, OSError)
# A worksheet cell openpyxl must read: a formula, an error value, an ISO 8601 date cell, or a
# whole number of more digits than a float holds (openpyxl reads it exactly, calamine rounds).
NOT_PLAIN_CELL = re.compile(rb'<(?:\w+:)?f[\s>/]|\st="(?:e|d)"|<(?:\w+:)?v>\s*[-+]?\d{16,}')
ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>/]")
WIDE_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$")


class Rows:
    """A file's observation rows as text: `columns` (made unique), `records` (one list of
    cells per row) and `line_numbers` (the line, or observation, the member sees for each)."""

    columns: list[str]
    records: list[list[str]]
    line_numbers: list[int]

    def frame(self) -> pd.DataFrame:
        """The rows as a frame of text columns plus `source_row`."""
        records = self.records
        frame = pd.DataFrame(records, columns=self.columns, dtype="str") if records \
            else pd.DataFrame({name: pd.Series([], dtype="str") for name in self.columns})
        frame["source_row"] = pd.Series(self.line_numbers, dtype="int64")
        return frame


@dataclass
class TextRows(Rows):
    """Rows as read, cell by cell."""

    columns: list[str]
    records: list[list[str]]
    line_numbers: list[int]

    def __len__(self) -> int:
        return len(self.records)


@dataclass
class PlainRows(Rows):
    """The rows of a plain CSV file, kept as its lines: no quote character, no blank row, no
    line break but \\n or \\r\\n, and every line a row with as many fields as the header. Such
    lines are the rows the csv module reads, cell for cell, and many files' lines are split
    into cells at once (`PartCells`), in a few calls rather than a call a row."""

    columns: list[str]
    lines: list[str]
    separator: str
    first_line: int  # the line number of the first row

    def __len__(self) -> int:
        return len(self.lines)

    @property
    def records(self) -> list[list[str]]:
        return [line.split(self.separator) for line in self.lines]

    @property
    def line_numbers(self) -> list[int]:
        return list(range(self.first_line, self.first_line + len(self.lines)))


@dataclass
class ParsedFile:
    """The rows of one file as text, or the problems that kept it from being read."""

    file_format: str
    text_rows: Rows | None = None
    problems: list[Problem] = field(default_factory=list)
    details: dict[str, str] = field(default_factory=dict)
    header_row: int | None = None

    @property
    def rows(self) -> pd.DataFrame | None:
        """The rows as one frame (text columns + `source_row`), for a reader of one file."""
        return None if self.text_rows is None else self.text_rows.frame()

    @property
    def readable(self) -> bool:
        return self.text_rows is not None and not any(p.severity == "error"
                                                      for p in self.problems)


def _file_problem(rule: str, message: str, fix: str) -> Problem:
    return Problem(severity="error", rule=rule, message=message, fix=fix)


def _too_many_rows(parsed: ParsedFile, max_rows: int) -> ParsedFile:
    """Stop reading at the first row over the limit: nothing of the file is kept."""
    parsed.text_rows = None
    parsed.problems.append(_file_problem(
        "too_many_rows", f"The file holds more than {max_rows:,} rows; at most {max_rows:,} "
        "are accepted (reading stopped there).",
        "Split the submission into several files (for example one per period)."))
    return parsed


def parse_file(name: str, data: bytes, *, max_rows: int, plain: bool = True) -> ParsedFile:
    """Parse `data` by the file's extension; anything unreadable becomes a file-level problem.

    A plain CSV's rows are kept as its lines (PlainRows); `plain=False` reads every CSV row by
    row with the csv module, the reading those lines are tested against."""
    suffix = PurePath(name).suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        parsed = _parse_csv(data, max_rows, plain)
    elif suffix == ".xlsx":
        parsed = _parse_xlsx(data, max_rows)
    elif suffix == ".json":
        parsed = _parse_json(data, max_rows)
    elif suffix in (".xlsm", ".xls", ".xlsb"):
        parsed = ParsedFile(suffix.lstrip("."), problems=[_file_problem(
            "format_not_accepted",
            f"{suffix} workbooks are not accepted (macro-enabled or legacy Excel formats).",
            "Save the workbook as .xlsx (Excel Workbook) or export the sheet as CSV.")])
    else:
        parsed = ParsedFile("unknown", problems=[_file_problem(
            "format_not_accepted",
            f"Files ending in '{suffix or '(none)'}' are not read; expected .csv, .xlsx or .json.",
            "Export the statistics as CSV, XLSX or JSON as described in the submission contract.")])
    if parsed.text_rows is not None and not len(parsed.text_rows) and not parsed.problems:
        parsed.problems.append(_file_problem(
            "no_observations", "The file has a header but no observation rows.",
            "Add one row per observation below the header."))
    return parsed


# --- CSV -------------------------------------------------------------------------------

def decode_text(data: bytes) -> tuple[str, str]:
    """Decode as the contract allows: UTF-8 (BOM or not), UTF-16 with BOM, else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _looks_binary(text: str) -> bool:
    sample = text[:65536]
    if "\x00" in sample:
        return True
    encoded = sample.encode("utf-8", "surrogatepass")
    controls = len(encoded) - len(encoded.translate(None, CONTROL_CHARACTERS))
    return bool(sample) and controls / len(sample) > 0.01


def _normalise_header(cells: list[str]) -> list[str]:
    return [cell.strip().lstrip("\ufeff").strip().lower() for cell in cells]


def _missing_columns_problem(header: list[str], where: str) -> Problem:
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    periods = [c for c in header if WIDE_PERIOD.match(c.upper())]
    if len(periods) >= 2:
        return _file_problem(
            "wide_table",
            f"The {where} has periods as columns ({', '.join(periods[:3])}, …): a wide table. "
            "Expected one observation per row.",
            "Send one row per member, period, indicator, dimension and category, with the "
            "number in a 'value' column (see the submission contract).")
    shown = ", ".join(h for h in header[:8] if h) or "nothing"
    return _file_problem(
        "missing_column",
        f"The {where} lacks the required column(s) {', '.join(missing)}; found: {shown}.",
        "Start the file with the header row member_id, period, indicator, dimension, "
        "category, value, unit, status, note.")


def _choose_separator(header_line: str) -> tuple[str, list[str]]:
    best = (",", _normalise_header(next(csv.reader([header_line]), [])))
    best_score = -1
    for sep in SEPARATORS:
        cells = _normalise_header(next(csv.reader([header_line], delimiter=sep), []))
        score = sum(cell in COLUMNS for cell in cells)
        if score > best_score:
            best, best_score = (sep, cells), score
    return best


def _parse_csv(data: bytes, max_rows: int, plain: bool) -> ParsedFile:
    parsed = ParsedFile("csv")
    try:
        text, encoding = decode_text(data)
    except UnicodeDecodeError:
        parsed.problems.append(_file_problem(
            "encoding_unreadable",
            "The file starts with a byte-order mark but its text cannot be decoded.",
            "Save the CSV as UTF-8 (File > Save As > CSV UTF-8)."))
        return parsed
    parsed.details["encoding"] = encoding
    if _looks_binary(text):
        parsed.problems.append(_file_problem(
            "not_a_text_file",
            "The file ends in .csv but holds binary data, not text (or UTF-16 text without "
            "a byte-order mark).",
            "Export the statistics as a CSV text file in UTF-8 (or send the .xlsx workbook "
            "itself)."))
        return parsed
    if text.lstrip()[:15].lower().startswith(("<!doctype html", "<html")):
        parsed.problems.append(_file_problem(
            "html_not_csv",
            "The file is a web page (HTML), not CSV: perhaps an error page saved from a "
            "browser or portal.",
            "Download the export again and check it opens as a table before sending."))
        return parsed

    first = _first_non_blank_line(text)
    if first is None:
        parsed.problems.append(_file_problem(
            "empty_file", "The file is empty.", "Send the export with its header row."))
        return parsed
    parsed.header_row, header_line = first
    separator, header = _choose_separator(header_line)
    parsed.details["separator"] = {"\t": "tab"}.get(separator, separator)
    if any(c not in header for c in REQUIRED_COLUMNS):
        parsed.problems.append(_missing_columns_problem(header, "header row"))
        return parsed

    if plain and (lines := _plain_rows(text, parsed.header_row, header_line, separator, header,
                                       max_rows)):
        parsed.text_rows = lines
        return parsed
    csv.field_size_limit(max(len(text), 131072))  # a long note is a problem to report, not a crash
    records: list[list[str]] = []
    line_numbers: list[int] = []
    width = len(header)
    for line_number_before, last_line, cells in _rows_with_numbers(text, separator):
        if last_line <= parsed.header_row:
            continue
        if not "".join(cells).strip():
            continue
        if len(cells) != width:
            parsed.problems.append(Problem(
                severity="error", rule="field_count", row=line_number_before,
                message=f"Row has {len(cells)} fields where the header has {width}.",
                fix="Quote any field that contains the separator "
                    f"('{parsed.details['separator']}') with double quotes."))
            continue
        if len(records) == max_rows:
            return _too_many_rows(parsed, max_rows)
        records.append(cells)
        line_numbers.append(line_number_before)
    parsed.text_rows = TextRows(_unique_names(header), records, line_numbers)
    return parsed


def _plain_rows(text: str, header_row: int, header_line: str, separator: str,
                header: list[str], max_rows: int) -> PlainRows | None:
    """The rows after the header as lines, when the file is plain CSV and all its rows can be
    kept (see PlainRows); None when the csv module must read it row by row."""
    if '"' in text or "\x00" in text:
        return None
    body = text[text.index(header_line) + len(header_line):]  # above it, only blank lines
    body = body[2:] if body.startswith("\r\n") else body[1:]  # the header's line break
    if "\r" in body:
        body = body.replace("\r\n", "\n")
        if "\r" in body:
            return None
    body = body[:-1] if body.endswith("\n") else body
    if not body or BLANK_ROW[separator].search("\n" + body):
        return None
    lines = body.split("\n")
    if len(lines) > max_rows or \
            set(map(str.count, lines, itertools.repeat(separator))) != {len(header) - 1}:
        return None
    return PlainRows(_unique_names(header), lines, separator, header_row + 1)


def _first_non_blank_line(text: str) -> tuple[int, str] | None:
    """(line number, line) of the first line with more than whitespace, in the csv module's
    notion of a line (\\r\\n, \\r or \\n, not str.splitlines()); the text is not split whole."""
    start = 0
    for number, end in enumerate(itertools.chain(LINE_BREAK.finditer(text), [None]), start=1):
        line = text[start:end.start() if end else len(text)]
        if line.strip():
            return number, line
        if end:
            start = end.end()
    return None


def _rows_with_numbers(text: str, separator: str) -> Iterator[tuple[int, int, list[str]]]:
    """Yield (first line, last line, cells) of each row; a quoted field may span lines.

    Text without a quote character has one row per line (a blank line is a row of no cells),
    so its rows are numbered without asking the reader after each one.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    if '"' not in text:
        yield from ((number, number, cells) for number, cells in enumerate(reader, start=1))
        return
    previous_end = 0
    for cells in reader:
        yield previous_end + 1, reader.line_num, cells
        previous_end = reader.line_num


def _unique_names(header: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for i, name in enumerate(header):
        name = name or f"column_{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        names.append(name)
    return names


# --- XLSX ------------------------------------------------------------------------------

def _parse_xlsx(data: bytes, max_rows: int) -> ParsedFile:
    parsed = ParsedFile("xlsx")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        protected = "EncryptedPackage".encode("utf-16-le") in data
        parsed.problems.append(_file_problem(
            "workbook_protected" if protected else "format_not_accepted",
            "The workbook is password-protected; it cannot be read." if protected else
            "The file is a legacy Excel (.xls) workbook renamed to .xlsx.",
            "Remove the password (File > Info > Protect Workbook) and send it again."
            if protected else "Open it in Excel and save it as .xlsx, or export it as CSV."))
        return parsed
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, NotImplementedError, ValueError):
        parsed.problems.append(_file_problem(
            "not_a_workbook", "The file ends in .xlsx but is not an Excel workbook.",
            "Save the sheet from Excel as .xlsx, or export it as CSV."))
        return parsed
    inflated = sum(entry.file_size for entry in entries)
    suspicious_ratio = inflated > 10 * 1024 * 1024 and inflated > XLSX_MAX_RATIO * len(data)
    if inflated > XLSX_MAX_INFLATED_BYTES or suspicious_ratio:
        parsed.problems.append(_file_problem(
            "workbook_too_large",
            f"The workbook would inflate to {inflated / MIB:,.0f} MiB; it was not opened.",
            "Send only the data sheet, or export it as CSV."))
        return parsed
    if any(entry.filename.lower().endswith("vbaproject.bin") for entry in entries):
        parsed.problems.append(_file_problem(
            "format_not_accepted", "The workbook contains macros; macro workbooks are refused.",
            "Save it as a plain .xlsx workbook (without macros) and send it again."))
        return parsed

    plain = _plain_sheet_rows(archive, data, max_rows)
    if plain is not None:
        parsed.details["sheet"], rows = plain
        return _sheet_table(parsed, rows, max_rows)

    import openpyxl

    try:
        with warnings.catch_warnings():  # what openpyxl drops (extensions, bad styles) is ours
            warnings.simplefilter("ignore", UserWarning)  # to judge, not the log's
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except WORKBOOK_DAMAGE as exc:
        return _damaged(parsed, "could not be opened", exc)
    try:
        sheet = _data_sheet(workbook, parsed)
        if sheet is None:
            return parsed
        return _sheet_table(parsed, _sheet_rows(sheet), max_rows)
    except WorkbookDamaged as damaged:  # read-only sheets parse lazily: damage shows up here
        return _damaged(parsed, "is damaged and could not be read", damaged.__cause__)
    finally:
        workbook.close()


def _sheet_table(parsed: ParsedFile, rows: Iterable[Sequence[object]], max_rows: int
                 ) -> ParsedFile:
    """The data sheet's header (within its first rows) and observation rows, as text."""
    header: list[str] | None = None
    records: list[list[str]] = []
    numbers: list[int] = []
    for number, values in enumerate(rows, start=1):
        if header is None:
            cells = _normalise_header([_cell_text(v) for v in values])
            if "member_id" in cells or "indicator" in cells:
                header, parsed.header_row = cells, number
            elif number >= HEADER_SEARCH_ROWS:
                break
            continue
        texts = [_cell_text(v, period=(i < len(header) and header[i] == "period"))
                 for i, v in enumerate(values)]
        if not any(t.strip() for t in texts):
            continue
        if len(records) == max_rows:
            return _too_many_rows(parsed, max_rows)
        records.append((texts + [""] * len(header))[: len(header)])
        numbers.append(number)
    if header is None:
        parsed.problems.append(_file_problem(
            "missing_column",
            f"No header row (with member_id, period, indicator, value) was found in the first "
            f"{HEADER_SEARCH_ROWS} rows of sheet '{parsed.details['sheet']}'.",
            "Name the sheet 'data' and put the header row above the observations."))
        return parsed
    if any(c not in header for c in REQUIRED_COLUMNS):
        parsed.problems.append(_missing_columns_problem(header,
                                                        f"sheet '{parsed.details['sheet']}'"))
        return parsed
    parsed.text_rows = TextRows(_unique_names(header), records, numbers)
    return parsed


def _plain_sheet_rows(archive: zipfile.ZipFile, data: bytes, max_rows: int
                      ) -> tuple[str, list[list[object]]] | None:
    """(sheet name, rows) read by calamine, some forty times faster than openpyxl, where both
    read the same values; None where openpyxl, the reference, must read the workbook.

    They read the same values of a plain workbook (tests/test_parsing.py holds them to it):
    worksheets only, the data sheet chosen as `_data_sheet` chooses it and visible, and no
    formula, error, ISO-date or overlong whole-number cell in any worksheet (openpyxl reads
    those as the reference, as it does every workbook calamine cannot open). A date typed in a
    cell is a date to calamine and a datetime at midnight to openpyxl: it is read as the
    latter. calamine reads a sheet whole, so a sheet of more rows than a file may hold is left
    to openpyxl, which stops reading at the limit.
    """
    try:
        for entry in archive.infolist():
            if not (entry.filename.startswith("xl/worksheets/")
                    and entry.filename.endswith(".xml")):
                continue
            sheet = archive.read(entry)
            if NOT_PLAIN_CELL.search(sheet) or \
                    len(ROW_TAG.findall(sheet)) > max_rows + HEADER_SEARCH_ROWS:
                return None
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError):
        return None
    from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = workbook.sheets_metadata
        if any(s.typ != SheetTypeEnum.WorkSheet for s in sheets):
            return None
        visible = [s.name for s in sheets if s.visible == SheetVisibleEnum.Visible]
        if not visible or any(s.name == "data" and s.visible != SheetVisibleEnum.Visible
                              for s in sheets):
            return None  # openpyxl says what is wrong
        name = "data" if "data" in visible else visible[0]
        rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except (CalamineError, OSError, ValueError, TypeError, IndexError):
        return None
    return name, [[datetime(v.year, v.month, v.day) if type(v) is date else v for v in row]
                  for row in rows]


class WorkbookDamaged(Exception):
    """openpyxl failed on the workbook's content (its cause says how), not our code."""


def _sheet_rows(sheet) -> Iterator[tuple]:
    """The sheet's rows as values; damage found while reading lazily becomes WorkbookDamaged."""
    rows = sheet.iter_rows(values_only=True)
    while True:
        try:
            values = next(rows)
        except StopIteration:
            return
        except WORKBOOK_DAMAGE as exc:
            raise WorkbookDamaged from exc
        yield values


def _data_sheet(workbook, parsed: ParsedFile):
    """The visible sheet named `data`, else the first visible sheet; a hidden sheet is never
    read, and a hidden `data` sheet is a problem (what is loaded must be what a reader sees)."""
    try:
        sheets = list(workbook.worksheets)
        visible = [s for s in sheets if s.sheet_state == "visible"]
    except WORKBOOK_DAMAGE as exc:
        _damaged(parsed, "is damaged and could not be read", exc)
        return None
    hidden_data = [s for s in sheets if s.title == "data" and s.sheet_state != "visible"]
    if hidden_data:
        parsed.problems.append(_file_problem(
            "sheet_hidden",
            f"The sheet 'data' is hidden ({hidden_data[0].sheet_state}); hidden sheets are "
            "never read, so nothing was loaded.",
            "Unhide the sheet 'data' (right-click a sheet tab > Unhide) and check it holds the "
            "figures you mean to send, or delete it; then send the file again."))
        return None
    if not visible:
        parsed.problems.append(_file_problem(
            "not_a_workbook", "The workbook has no visible sheet to read.",
            "Put the observations on a visible sheet named 'data' and send the file again."))
        return None
    sheet = next((s for s in visible if s.title == "data"), visible[0])
    parsed.details["sheet"] = sheet.title
    return sheet


def _damaged(parsed: ParsedFile, what: str, exc: BaseException | None) -> ParsedFile:
    parsed.problems.append(_file_problem(
        "not_a_workbook", f"The workbook {what} ({type(exc).__name__}).",
        "Open it in Excel, save it again as .xlsx, or export the sheet as CSV."))
    return parsed


def _cell_text(value: object, *, period: bool = False) -> str:
    """A cell as text; numbers keep a decimal point, a month typed into Excel becomes YYYY-MM."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date):
        return f"{value.year}-{value.month:02d}" if period else value.isoformat()
    return str(value)


# --- JSON ------------------------------------------------------------------------------

def _parse_json(data: bytes, max_rows: int) -> ParsedFile:
    parsed = ParsedFile("json")
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except RecursionError:
        parsed.problems.append(_file_problem(
            "json_too_deep", "The JSON document is nested too deeply to read (lists or objects "
            "inside one another thousands of levels deep).",
            'Send the expected shape: {"member_id": ..., "period": ..., "observations": '
            '[{"indicator": ..., "value": ...}, ...]}, one level of observations.'))
        return parsed
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError too
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(
            exc, json.JSONDecodeError) else ""
        parsed.problems.append(_file_problem(
            "json_invalid", f"The file is not valid UTF-8 JSON{where}.",
            "Check the export with a JSON validator; the expected shape is "
            '{"member_id": ..., "period": ..., "observations": [...]}.'))
        return parsed
    if not isinstance(document, dict) or not isinstance(document.get("observations"), list):
        parsed.problems.append(_file_problem(
            "json_shape",
            "The JSON document has no 'observations' list at the top level.",
            'Send {"member_id": ..., "period": ..., "observations": [{"indicator": ..., '
            '"value": ...}, ...]}.'))
        return parsed
    if len(document["observations"]) > max_rows:
        return _too_many_rows(parsed, max_rows)
    defaults = {key: document.get(key) for key in ("member_id", "period")}
    records, numbers = [], []
    extra: list[str] = []
    for number, observation in enumerate(document["observations"], start=1):
        if not isinstance(observation, dict):
            parsed.problems.append(Problem(
                severity="error", rule="json_shape", row=number,
                message=f"Observation {number} is not an object.",
                fix='Write each observation as {"indicator": ..., "value": ...}.'))
            continue
        merged = {**defaults, **observation}
        for key in merged:
            if key not in COLUMNS and key not in extra:
                extra.append(key)
        records.append(merged)
        numbers.append(number)
    header = list(COLUMNS) + extra
    parsed.text_rows = TextRows(
        _unique_names(header), [[_json_text(r.get(c)) for c in header] for r in records],
        numbers)
    parsed.details["rows_are"] = "observations"
    return parsed


def _json_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)

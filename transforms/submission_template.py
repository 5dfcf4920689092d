"""A ready submission file for one member and period: the totals to fill in, with dropdowns.

The file pre-fills one total row per indicator the member reports (its reporting plan, or
every indicator of its sector when the plan names none), with the value left empty so an
unfilled template is rejected (`value_present`) rather than loaded as zeros. Breakdown rows
are left to the member: the dropdowns offer the allowed dimensions and categories.

Frequencies follow CONTRACT.md ("a quarter figure is never split into months"):
- a month for an indicator reported by quarter cannot be filled in; if no indicator is left
  for the month, that is a TemplateError naming the quarter to ask for instead;
- a quarter for an indicator reported by month pre-fills its three months, so a member who
  sends a quarter's figures at once gets every row they owe in one file.
"""

from __future__ import annotations

import csv
import difflib
import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

import pandas as pd

from transforms.catalogue import EXTRA_COUNTRY_CODES, STATUSES, UNITS, read_reference
from transforms.parsing import COLUMNS
from transforms.periods import Period, parse_period

FORMATS = ("xlsx", "csv")
VALIDATED_ROWS = (2, 1000)  # Excel rows the dropdowns cover: row 1 is the header
NOTE_MAX_CHARS = 280
STATUS_ORDER = ("A", "E", "P", "B", "U", "M", "L")
UNIT_ORDER = ("count", "EUR", "days", "hours", "percent")
STATUS_MEANINGS = {
    "A": "normal value (the default: leave status empty)",
    "E": "estimated",
    "P": "provisional; send a corrected file when the final figure is known",
    "B": "break in series: counted differently from earlier periods (say how in the note)",
    "U": "low reliability",
    "M": "cannot exist for your organisation (leave the value empty)",
    "L": "exists but was not collected (leave the value empty)",
}
COLUMN_WIDTHS = {"member_id": 14, "period": 10, "indicator": 28, "dimension": 20,
                 "category": 18, "value": 14, "unit": 9, "status": 8, "note": 60}
TEXT_COLUMNS = ("member_id", "period", "indicator", "dimension", "category", "unit", "status",
                "note")  # stored as text so Excel never turns 2026-08 into a date


class TemplateError(ValueError):
    """A template cannot be made for this member, period or format; the message says why."""


@dataclass(frozen=True)
class TemplateContent:
    """What a template holds, before it becomes a workbook or a CSV file."""

    member_id: str
    member_name: str
    period: Period
    rows: list[tuple[str, str, str, str]]   # (member_id, period, indicator, unit) totals
    indicators: pd.DataFrame                 # indicator, name, unit, frequency, description
    breakdowns: pd.DataFrame                 # indicator, dimension, is_exhaustive
    dimensions: pd.DataFrame                 # dimension, code_list, label (those allowed)
    code_lists: pd.DataFrame                 # code_list, code, label (of those dimensions)
    reported_elsewhere: list[str]            # indicators due by quarter, left out of a month

    @property
    def indicator_codes(self) -> list[str]:
        return self.indicators["indicator"].tolist()

    @property
    def dimension_codes(self) -> list[str]:
        return self.dimensions["dimension"].tolist()

    @property
    def category_codes(self) -> list[str]:
        """Every code of the allowed dimensions' lists, once each, in list order."""
        return list(dict.fromkeys(self.code_lists["code"]))


def template_file_name(member_id: str, period: str, file_format: str) -> str:
    """The name a template is saved under, e.g. `hl-north_2026-07.xlsx`."""
    return f"{member_id}_{period}.{file_format}"


def build_template(reference_dir: Path, member_id: str, period: str,
                   file_format: str = "xlsx") -> bytes:
    """The template file's bytes; the same inputs and reference data give the same bytes."""
    fmt = file_format.strip().lower().lstrip(".")
    if fmt not in FORMATS:
        raise TemplateError(
            f"'{file_format}' is not a template format; choose {' or '.join(FORMATS)}.")
    content = template_content(read_reference(reference_dir), member_id, period)
    return xlsx_bytes(content) if fmt == "xlsx" else csv_bytes(content)


# --- content ---------------------------------------------------------------------------

def template_content(tables: dict[str, pd.DataFrame], member_id: str,
                     period_text: str) -> TemplateContent:
    """The rows and lists of a template, from the reference tables (see read_reference)."""
    member_id = member_id.strip().lower()
    members = tables["members"]
    if member_id not in set(members["member_id"]):
        known = sorted(members["member_id"])
        close = difflib.get_close_matches(member_id, known, n=3)
        hint = (f"did you mean {' or '.join(close)}?" if close
                else f"registered codes are {', '.join(known)}.")
        raise TemplateError(
            f"'{member_id}' is not a registered member code; {hint} Use your organisation's "
            "code, in lower case, exactly as your inbox folder is named.")
    member = members.loc[members["member_id"] == member_id].iloc[0]
    period_text = period_text.strip().upper()
    period = parse_period(period_text)
    if period is None:
        raise TemplateError(
            f"'{period_text}' is not a period; write a month as 2026-07 or a quarter as "
            "2026-Q3.")

    catalogue = tables["indicators"]
    plan = tables["reporting_plan"]
    planned = plan.loc[plan["member_id"] == member_id, ["indicator", "frequency",
                                                         "from_period"]]
    if planned.empty:
        # Without a plan, any frequency is allowed: the period asked for decides.
        allowed = catalogue.loc[catalogue["sectors"].map(lambda s: member["sector"] in s),
                                "indicator"]
        planned = pd.DataFrame({"indicator": allowed, "frequency": period.frequency,
                                "from_period": member["reporting_since"]})

    rows: list[tuple[str, str, str]] = []  # (period, indicator, frequency)
    reported_elsewhere: list[str] = []
    starts: list[Period] = []
    for item in planned.itertuples(index=False):
        start = parse_period(item.from_period)
        first_month = start.first_month if start else -1
        if item.frequency == "quarter" and period.frequency == "month":
            reported_elsewhere.append(item.indicator)
            continue
        months = ([period] if period.frequency == item.frequency else
                  [parse_period(f"{i // 12}-{i % 12 + 1:02d}")
                   for i in range(period.first_month, period.last_month + 1)])
        due = [p for p in months if p.first_month >= first_month]
        if not due and start is not None:
            starts.append(start)
        rows += [(p.text, item.indicator, item.frequency) for p in due]

    if not rows:
        if reported_elsewhere and period.frequency == "month":
            raise TemplateError(
                f"{member_id} reports {', '.join(reported_elsewhere)} by quarter, and a "
                f"quarter's figure is never split into months; ask for the template of the "
                f"quarter {period.quarter} instead of the month {period.text}.")
        if starts:
            first = min(starts, key=lambda p: p.first_month)
            raise TemplateError(
                f"{member_id} has nothing to report for {period.text}: its reporting plan "
                f"starts in {first.text}. Ask for {first.text} or a later period.")
        raise TemplateError(
            f"{member_id} has no indicators to report for {period.text}; the catalogue "
            f"lists none for the sector '{member['sector']}'.")
    # A quarter template lists each month's block in turn, in the plan's indicator order.
    rows.sort(key=lambda r: r[0])

    frequency_of = {indicator: frequency for _, indicator, frequency in rows}
    indicators = (catalogue.loc[catalogue["indicator"].isin(frequency_of),
                                ["indicator", "name", "unit", "description"]]
                  .assign(frequency=lambda f: f["indicator"].map(frequency_of)))
    order = {code: i for i, code in enumerate(dict.fromkeys(r[1] for r in rows))}
    indicators = indicators.sort_values("indicator", key=lambda s: s.map(order),
                                        ignore_index=True)
    unit_of = dict(zip(indicators["indicator"], indicators["unit"], strict=True))

    pairs = tables["indicator_dimensions"]
    breakdowns = pairs.loc[pairs["indicator"].isin(unit_of)].reset_index(drop=True)
    dims = tables["dimensions"]
    dimensions = dims.loc[dims["dimension"].isin(breakdowns["dimension"])].reset_index(
        drop=True)
    codes = tables["code_lists"]
    code_lists = codes.loc[codes["code_list"].isin(dimensions["code_list"])].reset_index(
        drop=True)
    return TemplateContent(
        member_id=member_id,
        member_name=member["name"],
        period=period,
        rows=[(member_id, p, indicator, unit_of[indicator]) for p, indicator, _ in rows],
        indicators=indicators,
        breakdowns=breakdowns,
        dimensions=dimensions,
        code_lists=code_lists,
        reported_elsewhere=reported_elsewhere,
    )


# --- CSV -------------------------------------------------------------------------------

def csv_bytes(content: TemplateContent) -> bytes:
    """UTF-8, comma-separated, LF line endings: the header and one total row per indicator."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for member_id, period, indicator, unit in content.rows:
        writer.writerow([member_id, period, indicator, "", "", "", unit, "", ""])
    return buffer.getvalue().encode("utf-8")


# --- XLSX ------------------------------------------------------------------------------

def xlsx_bytes(content: TemplateContent) -> bytes:
    """The workbook: `data` (header in row 1, dropdowns), `instructions`, hidden `codes`."""
    from openpyxl import Workbook

    workbook = Workbook()
    data = workbook.active
    data.title = "data"
    _fill_data_sheet(data, content)
    _fill_instructions_sheet(workbook.create_sheet("instructions"), content)
    codes = workbook.create_sheet("codes")
    lists = {"indicator": content.indicator_codes, "dimension": content.dimension_codes,
             "category": content.category_codes}
    _fill_codes_sheet(codes, lists)
    codes.sheet_state = "hidden"
    _add_validations(data, content, lists)

    # Zip timestamps cannot go before 1980.
    fixed = datetime.combine(max(content.period.start, date(1980, 1, 1)), datetime.min.time())
    workbook.properties.creator = "efc template"
    workbook.properties.title = f"{content.member_id} {content.period.text}"
    workbook.properties.created = fixed
    workbook.properties.modified = fixed
    return _stable_workbook_bytes(workbook, fixed)


def _fill_data_sheet(sheet, content: TemplateContent) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for member_id, period, indicator, unit in content.rows:
        sheet.append([member_id, period, indicator, None, None, None, unit, None, None])
    sheet.freeze_panes = "A2"
    for index, column in enumerate(COLUMNS, start=1):
        dimension = sheet.column_dimensions[get_column_letter(index)]
        dimension.width = COLUMN_WIDTHS[column]
        if column in TEXT_COLUMNS:
            dimension.number_format = "@"
    for row in sheet.iter_rows(min_row=2):
        for cell, column in zip(row, COLUMNS, strict=True):
            if column in TEXT_COLUMNS:
                cell.number_format = "@"


def _fill_codes_sheet(sheet, lists: dict[str, list[str]]) -> None:
    for index, (name, values) in enumerate(lists.items(), start=1):
        sheet.cell(row=1, column=index, value=name)
        for row, value in enumerate(values, start=2):
            sheet.cell(row=row, column=index, value=value)


def _add_validations(sheet, content: TemplateContent, lists: dict[str, list[str]]) -> None:
    """Dropdowns and limits on rows 2..1000; long lists point at the hidden `codes` sheet."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    first, last = VALIDATED_ROWS

    def column_range(column: str) -> str:
        letter = get_column_letter(COLUMNS.index(column) + 1)
        return f"{letter}{first}:{letter}{last}"

    def codes_range(name: str) -> str:
        letter = get_column_letter(list(lists).index(name) + 1)
        return f"codes!${letter}$2:${letter}${len(lists[name]) + 1}"

    def inline(values: list[str]) -> str:
        return '"' + ",".join(values) + '"'

    rules = {
        "member_id": (dict(type="list", formula1=inline([content.member_id])),
                      f"Every row carries your member code, {content.member_id}."),
        "indicator": (dict(type="list", formula1=codes_range("indicator")),
                      "Choose one of your indicators (see the instructions sheet)."),
        "dimension": (dict(type="list", formula1=codes_range("dimension")),
                      "Leave empty for the total, or choose a breakdown of the indicator."),
        "category": (dict(type="list", formula1=codes_range("category")),
                     "Choose a code of the chosen breakdown; leave empty for the total."),
        "unit": (dict(type="list", formula1=inline([u for u in UNIT_ORDER if u in UNITS])),
                 "The indicator's unit (pre-filled); it may also be left empty."),
        "status": (dict(type="list", formula1=inline([s for s in STATUS_ORDER
                                                      if s in STATUSES])),
                   "Leave empty for a normal value, or A, E, P, B, U, M, L."),
        "value": (dict(type="decimal", operator="greaterThanOrEqual", formula1="0"),
                  "A number of 0 or more in the indicator's unit, without units or symbols."),
        "note": (dict(type="textLength", operator="lessThanOrEqual",
                      formula1=str(NOTE_MAX_CHARS)),
                 f"At most {NOTE_MAX_CHARS} characters; never a name or other identifier."),
    }
    for column, (kwargs, message) in rules.items():
        validation = DataValidation(allow_blank=True, showErrorMessage=True,
                                    errorTitle=f"Check the {column}", error=message,
                                    **kwargs)
        validation.add(column_range(column))
        sheet.add_data_validation(validation)


def _fill_instructions_sheet(sheet, content: TemplateContent) -> None:
    from openpyxl.styles import Alignment, Font

    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")

    def line(*values: str, heading: bool = False) -> None:
        sheet.append(list(values))
        for cell in sheet[sheet.max_row]:
            cell.alignment = wrap
            if heading:
                cell.font = bold

    exhaustive, other = _breakdowns_by_kind(content)
    summed = sorted({d for ds in exhaustive.values() for d in ds})
    months = content.period.frequency == "quarter" and any(
        content.indicators["frequency"] == "month")

    line(f"Submission template for {content.member_id} ({content.member_name}), "
         f"period {content.period.text}", heading=True)
    line("")
    line("How to fill in the sheet 'data'", heading=True)
    for text in [
        "One row per observation: member_id, period, indicator, and for a breakdown its "
        "dimension and category, then the value.",
        "The rows already there are the totals you report for this period: fill in the "
        "value column. A total has the dimension and the category empty. Write 0 for "
        "zero; an empty value is refused unless the status is M or L.",
        *(["Indicators you report by month have one row for each month of the quarter."]
          if months else []),
        *([f"Not in this file: {', '.join(content.reported_elsewhere)}, which you report by "
           f"quarter (ask for the template of {content.period.quarter}); a quarter's figure "
           "is never split into months."] if content.reported_elsewhere else []),
        "To add a breakdown, add a row below the totals with the same member_id, period and "
        "indicator, choose the dimension and the category from the dropdowns, and give the "
        "value. The category list holds the codes of all your breakdowns together; the "
        "check before sending (below) confirms that the category belongs to the dimension.",
        "Breakdowns that must sum to the total (the categories add up to the total; put "
        "the rest in the unknown category, ZZ, other or unknown, where the list has one): "
        + (", ".join(summed) if summed else "none") + ". The table below shows which "
        "apply to which indicator. For any other breakdown no category may be larger "
        "than the total (for a median, a category may be above the overall median).",
        "Do not change the header row, add nothing above it and keep the sheet named "
        "'data': the row numbers in the receipt are the rows of this sheet.",
        "Units: counts are whole numbers; amounts in euro (EUR); durations in days or "
        "hours, as the indicator says; never type the unit into the value cell.",
    ]:
        line(text)
    line("")
    line("Status (leave empty for a normal value)", heading=True)
    for code in STATUS_ORDER:
        line(code, STATUS_MEANINGS[code])
    line("")
    line("Never include personal or identifying details", heading=True)
    line("Only aggregated statistics. Never a name, an e-mail address, a phone number, an "
         "account, card or IBAN number, an IP address, a URL, a wallet address or a case "
         "reference: not in a value, not in a note, not in the file name. A file that "
         "holds any of these is rejected whole and never loaded.")
    line("")
    line("Check the file before sending", heading=True)
    line("Save the workbook as .xlsx (not .xlsm or .xls) and run:  "
         f"efc check FILE --member {content.member_id}  - it prints the receipt the "
         "nightly run would give, row by row, without storing anything. Fix every error, "
         "then upload the file to your inbox folder.")
    line("")
    line("Your indicators", heading=True)
    line("indicator", "name", "unit", "reported by", "breakdowns that sum to the total",
         "other breakdowns", "description", heading=True)
    for row in content.indicators.itertuples(index=False):
        line(row.indicator, row.name, row.unit, row.frequency,
             ", ".join(exhaustive.get(row.indicator, [])) or "-",
             ", ".join(other.get(row.indicator, [])) or "-", row.description)
    line("")
    line("Breakdowns and their categories", heading=True)
    line("dimension", "meaning", "categories", heading=True)
    for row in content.dimensions.itertuples(index=False):
        line(row.dimension, row.label, _categories_text(content, row.code_list))

    widths = {"A": 26, "B": 40, "C": 40, "D": 12, "E": 28, "F": 28, "G": 70}
    for letter, width in widths.items():
        sheet.column_dimensions[letter].width = width


def _breakdowns_by_kind(content: TemplateContent
                        ) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Per indicator: (dimensions whose categories sum to the total, the other dimensions)."""
    exhaustive: dict[str, list[str]] = {}
    other: dict[str, list[str]] = {}
    for row in content.breakdowns.itertuples(index=False):
        target = exhaustive if row.is_exhaustive else other
        target.setdefault(row.indicator, []).append(row.dimension)
    return exhaustive, other


def _categories_text(content: TemplateContent, code_list: str) -> str:
    if code_list == "country":
        extra = "; ".join(f"{code} = {label}" for code, label in EXTRA_COUNTRY_CODES.items())
        return f"ISO 3166-1 alpha-2 country code (DE, NL, US, ...); {extra}"
    codes = content.code_lists.loc[content.code_lists["code_list"] == code_list]
    return "; ".join(f"{r.code} = {r.label}" for r in codes.itertuples(index=False))


def _stable_workbook_bytes(workbook, moment: datetime) -> bytes:
    """Save with fixed zip timestamps; openpyxl's own save stamps the current time.

    openpyxl adds most parts with `writestr` and the worksheets with `write` from a
    temporary file (whose time would leak in), so both go through one fixed ZipInfo.
    """
    from openpyxl.writer.excel import ExcelWriter

    class StableZip(ZipFile):
        def writestr(self, name, data, *args, **kwargs):
            if isinstance(name, str):
                name = ZipInfo(name, date_time=moment.timetuple()[:6])
                name.compress_type = ZIP_DEFLATED
            super().writestr(name, data, *args, **kwargs)

        def write(self, filename, arcname=None, *args, **kwargs):
            self.writestr(arcname or Path(filename).name, Path(filename).read_bytes())

    buffer = io.BytesIO()
    ExcelWriter(workbook, StableZip(buffer, "w", ZIP_DEFLATED)).save()
    return buffer.getvalue()

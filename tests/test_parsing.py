"""Parsing members' files: formats, dialects, row numbers as the member sees them."""

from __future__ import annotations

import datetime
import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest

from transforms import parsing
from transforms.parsing import parse_file

HEADER = "member_id,period,indicator,dimension,category,value,unit,status,note"


def parse(name: str, data: bytes):
    return parse_file(name, data, max_rows=1000)


def test_csv_utf8_comma_keeps_row_numbers():
    text = HEADER + "\nhl-north,2026-07,HL_URLS_CONFIRMED,,,120,count,,\n\n" \
        "hl-north,2026-07,HL_URLS_CONFIRMED,site_type,forum,20,count,,\"a, b\"\n"
    parsed = parse("x.csv", text.encode())
    assert parsed.readable
    assert parsed.rows["source_row"].tolist() == [2, 4]
    assert parsed.rows["note"].tolist() == ["", "a, b"]


@pytest.mark.parametrize("encoding,sep", [("utf-8-sig", ","), ("utf-16", ";"),
                                          ("cp1252", ";"), ("utf-8", "\t")])
def test_csv_encodings_and_separators(encoding, sep):
    value = '"1.234,5"' if sep == "," else "1.234,5"
    text = HEADER.replace(",", sep) + "\r\n" + sep.join(
        ["hl-north", "2026-07", "HL_URLS_CONFIRMED", "", "", value, "", "", "Großhändler é"]
    ) + "\r\n"
    parsed = parse("x.csv", text.encode(encoding))
    assert parsed.readable, parsed.problems
    assert parsed.rows["note"].iloc[0] == "Großhändler é"
    assert parsed.rows["value"].iloc[0] == "1.234,5"


def test_csv_field_count_problem_names_the_row():
    parsed = parse("x.csv", (HEADER + "\nhl-north,2026-07,X,,,1,,,,extra\n").encode())
    assert [(p.rule, p.row) for p in parsed.problems] == [("field_count", 2)]


@pytest.mark.parametrize("data,rule", [
    (b"<!DOCTYPE html><html><body>Error 500</body></html>", "html_not_csv"),
    (bytes(range(256)) * 4, "not_a_text_file"),
    (b"member,quarter,2026-01,2026-02\nhl-north,HL_URLS_CONFIRMED,1,2\n", "wide_table"),
    (b"foo,bar\n1,2\n", "missing_column"),
    (b"", "empty_file"),
])
def test_csv_that_is_not_a_submission(data, rule):
    parsed = parse("x.csv", data)
    assert not parsed.readable
    assert parsed.problems[0].rule == rule
    assert parsed.problems[0].fix


def _workbook(rows, sheet="data", title_rows=()) -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    for row in title_rows:
        ws.append(row)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_skips_title_rows_and_counts_rows_like_excel():
    data = _workbook([HEADER.split(","), ["hl-north", "2026-07", "HL_URLS_CONFIRMED", None, None,
                                          1234.5, None, None, None]],
                     title_rows=[["Monthly statistics"], []])
    parsed = parse("x.xlsx", data)
    assert parsed.readable, parsed.problems
    assert parsed.header_row == 3
    assert parsed.rows["source_row"].tolist() == [4]
    assert parsed.rows["value"].iloc[0] == "1234.5"


@pytest.mark.parametrize("name,data,rule", [
    ("x.xlsm", b"PK", "format_not_accepted"),
    ("x.xls", b"\xd0\xcf\x11\xe0", "format_not_accepted"),
    ("x.xlsx", b"\xd0\xcf\x11\xe0" + "EncryptedPackage".encode("utf-16-le"), "workbook_protected"),
    ("x.xlsx", b"not a zip", "not_a_workbook"),
    ("x.pdf", b"%PDF", "format_not_accepted"),
])
def test_refused_workbooks_say_why(name, data, rule):
    parsed = parse(name, data)
    assert [p.rule for p in parsed.problems] == [rule]


def test_json_period_per_document_or_observation():
    doc = {"member_id": "hl-north", "period": "2026-07", "observations": [
        {"indicator": "HL_URLS_CONFIRMED", "value": 10},
        {"indicator": "HL_URLS_CONFIRMED", "period": "2026-08", "value": 12.5}]}
    parsed = parse("x.json", json.dumps(doc).encode())
    assert parsed.readable
    assert parsed.rows["period"].tolist() == ["2026-07", "2026-08"]
    assert parsed.rows["value"].tolist() == ["10", "12.5"]


def test_json_wrong_shape():
    parsed = parse("x.json", b'[{"indicator": "X"}]')
    assert parsed.problems[0].rule == "json_shape"


def test_row_limit():
    text = HEADER + "\n" + "hl-north,2026-07,HL_URLS_CONFIRMED,,,1,,,\n" * 3
    parsed = parse_file("x.csv", text.encode(), max_rows=2)
    assert "too_many_rows" in [p.rule for p in parsed.problems]


# --- calamine reads plain workbooks; openpyxl stays the reference ---------------------------

def _every_workbook() -> list:
    from tests.conftest import SAMPLE

    corpus = Path(__file__).parent / "corpus"
    return sorted([*corpus.rglob("*.xlsx"), *SAMPLE.rglob("*.xlsx")])


def _mixed_workbook() -> bytes:
    """Cells of every kind a member's export holds: dates typed as dates, booleans, floats,
    empty rows and columns before the table, a second sheet, hidden sheets left to openpyxl."""
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Notes"
    notes["B2"] = "Figures on the sheet data"
    sheet = book.create_sheet("data")
    sheet["C3"] = "member_id"
    for column, name in zip("DEFGHIJK", HEADER.split(",")[1:], strict=True):
        sheet[f"{column}3"] = name
    sheet.append([None, None, "hl-north", datetime.date(2026, 7, 1), "HL_URLS_CONFIRMED", None,
                  None, 1234.5, "count", None, True])
    sheet.append([None, None, "hl-north", "2026-07", "HL_URLS_CONFIRMED", "site_type", "forum",
                  12, None, "L", datetime.datetime(2026, 7, 3, 10, 30)])
    sheet.append([])
    sheet.append([None, None, "hl-north", "2026-07", "HL_URLS_CONFIRMED", "country", "NL",
                  0.1 + 0.2, None, None, datetime.date(2026, 7, 9)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _read_both(data: bytes, monkeypatch) -> tuple:
    def seen(parsed):
        return (parsed.file_format, None if parsed.text_rows is None else (
            parsed.text_rows.columns, parsed.text_rows.records, parsed.text_rows.line_numbers),
            [p.as_dict() for p in parsed.problems], parsed.details, parsed.header_row)

    fast = seen(parse_file("x.xlsx", data, max_rows=10_000))
    with monkeypatch.context() as patch:
        patch.setattr(parsing, "_plain_sheet_rows", lambda *_: None)
        reference = seen(parse_file("x.xlsx", data, max_rows=10_000))
    return fast, reference


def test_calamine_reads_every_workbook_of_the_sample_and_corpus_as_openpyxl_does(monkeypatch):
    workbooks = _every_workbook()
    assert len(workbooks) > 100
    read_fast = 0
    for path in workbooks:
        data = path.read_bytes()
        fast, reference = _read_both(data, monkeypatch)
        assert fast == reference, path
        read_fast += zipfile.is_zipfile(io.BytesIO(data)) and parsing._plain_sheet_rows(
            zipfile.ZipFile(io.BytesIO(data)), data, 10_000) is not None
    assert read_fast > len(workbooks) / 2  # the plain ones are read fast


def test_calamine_reads_dates_booleans_floats_and_offsets_as_openpyxl_does(monkeypatch):
    data = _mixed_workbook()
    assert parsing._plain_sheet_rows(zipfile.ZipFile(io.BytesIO(data)), data, 100) is not None
    fast, reference = _read_both(data, monkeypatch)
    assert fast == reference
    columns, records, _ = fast[1]
    first = dict(zip(columns, records[0], strict=True))
    assert (first["period"], first["note"], first["value"]) == ("2026-07", "True", "1234.5")


def test_formulas_errors_hidden_sheets_and_long_sheets_are_left_to_openpyxl():
    book = openpyxl.Workbook()
    book.active.title = "data"
    book.active.append(HEADER.split(","))
    book.active.append(["hl-north", "2026-07", "HL_URLS_CONFIRMED", None, None, "=2+3"])
    buffer = io.BytesIO()
    book.save(buffer)
    formula = buffer.getvalue()
    hidden = _workbook([HEADER.split(",")])
    book = openpyxl.load_workbook(io.BytesIO(hidden))
    book.create_sheet("other")
    book["data"].sheet_state = "hidden"
    buffer = io.BytesIO()
    book.save(buffer)
    hidden = buffer.getvalue()
    long = _workbook([HEADER.split(",")] + [["hl-north", "2026-07", "X", None, None, 1]] * 40)
    digits = _workbook([HEADER.split(","), ["hl-north", "2026-07", "X", None, None, 5]])
    with zipfile.ZipFile(io.BytesIO(digits)) as book, io.BytesIO() as buffer:
        with zipfile.ZipFile(buffer, "w") as rewritten:  # 20 digits: exact to openpyxl only
            for entry in book.infolist():
                rewritten.writestr(entry, book.read(entry).replace(
                    b"<v>5</v>", b"<v>12345678901234567890</v>"))
        digits = buffer.getvalue()
    for data, max_rows in ((formula, 100), (hidden, 100), (long, 10), (digits, 100)):
        assert parsing._plain_sheet_rows(zipfile.ZipFile(io.BytesIO(data)), data,
                                         max_rows) is None
    assert parse("x.xlsx", hidden).problems[0].rule == "sheet_hidden"
    assert parse("x.xlsx", digits).text_rows.records[0][5] == "12345678901234567890"

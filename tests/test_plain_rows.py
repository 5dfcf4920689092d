"""Plain CSV files, kept as lines and split into cells many at a time, read exactly as the csv
module reads them row by row: the same rows, cells, line numbers and problems."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from transforms.cells import MISSING, PartCells
from transforms.parsing import COLUMNS, PlainRows, TextRows, parse_file

MAX_ROWS = 50
# Cells as plain files hold them: codes, numbers, blanks and characters that are no line break
# to the csv module (form feed, NEL, line separator).
CELL = st.text(st.sampled_from(list("ab1., \t\x0c\x85\u00a0\u2028é")), max_size=4) \
    | st.sampled_from(["", "HL_URLS_CONFIRMED", "2026-07", " NL ", "5"])
# What makes a file not plain, or a line no row (or, if many, a file binary): put into a
# plain file at a random line.
FAULTS = ["\x0b", '"', "\x00", "\r", "\r\n", "\n", " \n", "\n\n", "{separator}", "{separator}\n"]


@st.composite
def plain_looking_csv(draw) -> bytes:
    """A plain CSV, or one with a few faults put in: a quote, a NUL, a line break or a
    separator too many, a blank row or line; with blank lines before the header or not, any
    line break, any of the contract's encodings."""
    separator = draw(st.sampled_from([",", ";", "\t"]))
    header = draw(st.permutations(COLUMNS))
    rows = draw(st.lists(st.lists(CELL, min_size=len(header), max_size=len(header)),
                         min_size=1, max_size=MAX_ROWS + 1))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    lines = [separator.join(header)] + [
        separator.join(cell.replace(separator, "") for cell in row) for row in rows]
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(1, len(lines) - 1))
        where = draw(st.integers(0, len(lines[at])))
        fault = draw(st.sampled_from(FAULTS)).format(separator=separator)
        lines[at] = lines[at][:where] + fault + lines[at][where:]
    if draw(st.booleans()):
        lines.insert(draw(st.integers(1, len(lines))), separator * (len(header) - 1))
    text = draw(st.sampled_from(["", "\n", " \r\n"])) + newline.join(lines)
    text += newline if draw(st.booleans()) else ""
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
    return text.encode(encoding, errors="replace")


def read_both(data: bytes):
    return (parse_file("stats.csv", data, max_rows=MAX_ROWS),
            parse_file("stats.csv", data, max_rows=MAX_ROWS, plain=False))


def cells_of(part: PartCells) -> dict[str, list]:
    found = part.cells()
    return {name: [column.texts[code] if code != MISSING else None for code in column.codes]
            for name, column in found.columns.items()} | {
        "keys": found.keys.tolist(), "rows": found.source_rows.tolist()}


@settings(max_examples=400, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(plain_looking_csv())
@example(b"member_id,period,indicator,value\n,,,\nhl,2026-07,A,5\n")  # a row of blanks
@example(b"member_id,period,indicator,value\nhl,2026-07,A,5\r\n\r\nhl,2026-08,A,6")
@example(b"member_id,period,indicator,value\nhl,2026-07\r,A,5\n")  # a lone CR in a row
@example(b"\n \nmember_id,period,indicator,value\nhl,2026-07,A,5\n")  # header on line 3
def test_a_plain_file_read_as_lines_reads_as_the_csv_module_reads_it(data):
    as_lines, row_by_row = read_both(data)
    assert isinstance(row_by_row.text_rows, TextRows | None)
    assert (as_lines.file_format, as_lines.problems, as_lines.details, as_lines.header_row) \
        == (row_by_row.file_format, row_by_row.problems, row_by_row.details,
            row_by_row.header_row)
    if row_by_row.text_rows is None:
        assert as_lines.text_rows is None
        return
    pd.testing.assert_frame_equal(as_lines.rows, row_by_row.rows)
    split, read = PartCells(plain_batch_rows=3), PartCells()
    for key in (1, 2):
        split.add(key, as_lines.text_rows)
        read.add(key, row_by_row.text_rows)
    assert cells_of(split) == cells_of(read)


def test_the_contracts_plain_export_is_kept_as_lines():
    data = ("member_id,period,indicator,dimension,category,value,unit,status,note\r\n"
            "hl-north,2026-07,HL_URLS_CONFIRMED,,,5,count,,\r\n"
            "hl-north,2026-07,HL_URLS_CONFIRMED,hosting_country,NL, 3 ,count,E,late\r\n")
    parsed = parse_file("stats.csv", data.encode(), max_rows=MAX_ROWS)
    assert isinstance(parsed.text_rows, PlainRows)
    assert parsed.text_rows.line_numbers == [2, 3]
    assert parsed.text_rows.records[1][5] == " 3 "


def test_plain_and_cell_by_cell_files_keep_their_order_in_a_part():
    """Files of either kind, and of two layouts, in one part: each file's rows where it came,
    whichever batch of lines split them."""
    plain = PlainRows(["indicator", "value"], ["A,1", "B,2"], ",", 2)
    other_layout = PlainRows(["value", "indicator"], ["3;C"], ";", 5)
    by_cell = TextRows(["indicator", "value"], [["D", "4"]], [7])
    part = PartCells(plain_batch_rows=3)
    for key, rows in enumerate([plain, by_cell, other_layout, plain, by_cell]):
        part.add(key, rows)
    found = cells_of(part)
    assert found["indicator"] == ["A", "B", "D", "C", "A", "B", "D"]
    assert found["value"] == ["1", "2", "4", "3", "1", "2", "4"]
    assert found["keys"] == [0, 0, 1, 2, 3, 3, 4]
    assert found["rows"] == [2, 3, 7, 5, 2, 3, 7]
    assert np.array_equal(part.cells().keys, np.array([0, 0, 1, 2, 3, 3, 4]))

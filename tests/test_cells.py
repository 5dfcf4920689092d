"""Columns of distinct texts: every row gets back its own cell, whatever the files' columns."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from transforms.cells import MISSING, CellColumn, PartCells, categorical_per_row, frame_columns
from transforms.parsing import TextRows


def cells_of(column: CellColumn) -> list:
    return [column.texts[code] if code != MISSING else None for code in column.codes]


def test_files_with_other_columns_keep_their_rows_and_miss_the_rest():
    part = PartCells()
    part.add(7, TextRows(["indicator", "value"], [["A", "1"], ["B", "2"], ["A", "3"]], [2, 3, 5]))
    part.add(8, TextRows(["value", "note"], [["4", "late"]], [2]))
    part.add(9, TextRows(["indicator", "value"], [], []))
    part.add(10, TextRows(["indicator", "value"], [["B", "5"]], [4]))
    cells = part.cells()
    assert cells_of(cells.columns["indicator"]) == ["A", "B", "A", None, "B"]
    assert cells_of(cells.columns["value"]) == ["1", "2", "3", "4", "5"]
    assert cells_of(cells.columns["note"]) == [None, None, None, "late", None]
    assert cells.columns["indicator"].texts == ["A", "B"]  # each distinct text once
    assert cells.keys.tolist() == [7, 7, 7, 8, 10]
    assert cells.source_rows.tolist() == [2, 3, 5, 2, 4]
    one = cells.rows_of(cells.keys == 8)
    assert [cells_of(one.columns[n]) for n in ("indicator", "value", "note")] == [
        [None], ["4"], ["late"]]
    assert one.source_rows.tolist() == [2]


def test_a_file_whose_rows_do_not_fit_its_columns_adds_none_of_them():
    part = PartCells()
    part.add(1, TextRows(["indicator", "value"], [["A", "1"]], [2]))
    with pytest.raises(ValueError):
        part.add(2, TextRows(["indicator", "value"], [["B", "2"], ["C"]], [2, 3]))
    part.add(3, TextRows(["indicator", "value"], [["D", "4"]], [2]))
    cells = part.cells()
    assert cells.keys.tolist() == [1, 3]
    assert cells_of(cells.columns["indicator"]) == ["A", "D"]
    assert cells_of(cells.columns["value"]) == ["1", "4"]


def test_an_empty_part_has_no_rows():
    cells = PartCells().cells()
    assert cells.columns == {} and cells.keys.tolist() == [] and cells.source_rows.tolist() == []


def test_a_function_runs_once_per_distinct_text_and_reads_a_missing_cell_as_empty():
    seen = []

    def shout(text: str) -> str:
        seen.append(text)
        return text.strip().upper() or "(empty)"

    column = CellColumn.encode([" nl", "de", None, " nl", "de"])
    assert column.each(shout).tolist() == ["NL", "DE", "(empty)", "NL", "DE"]
    assert sorted(seen) == ["", " nl", "de"]


def test_taking_rows_keeps_their_cells():
    column = CellColumn.encode(["x", "y", "z", "y"])
    assert column.take(np.array([False, True, True, False])).each(str).tolist() == ["y", "z"]
    assert column.take(np.array([], dtype=np.int64)).each(str).tolist() == []


def test_a_frames_missing_values_are_missing_cells():
    columns = frame_columns(pd.DataFrame({"note": pd.Series(["a", None, "a"], dtype="str")}))
    assert cells_of(columns["note"]) == ["a", None, "a"]


@given(st.lists(st.one_of(st.none(), st.sampled_from([" nl", "NL", "nl ", "Be", "", " ", "x"])),
                max_size=30),
       st.lists(st.booleans(), max_size=30))
def test_a_categorical_of_codes_is_the_one_astype_makes_of_the_texts(cells, chosen):
    """Only the texts of the rows taken become categories, sorted, as astype gives them."""
    mask = np.array((chosen + [True] * len(cells))[:len(cells)], dtype=bool)
    column = CellColumn.encode(cells).take(mask)
    expected = pd.Series(column.each(str.upper), dtype="str").astype("category")
    pd.testing.assert_series_equal(pd.Series(column.categorical(str.upper)), expected)


@given(st.lists(st.one_of(st.none(), st.sampled_from(["month", "quarter", "2026-Q1", ""])),
                max_size=8),
       st.lists(st.integers(0, 7), max_size=30))
def test_results_per_row_as_a_categorical_are_the_one_astype_makes(results, rows):
    """Only the results rows use become categories, sorted; None is a missing row."""
    codes = np.array([row % len(results) for row in rows] if results else [], dtype=np.int64)
    expected = pd.Series([results[code] for code in codes], dtype="str").astype("category")
    pd.testing.assert_series_equal(pd.Series(categorical_per_row(results, codes)), expected)

"""Columns of distinct texts: every row gets back its own cell, whatever the files' columns."""

import numpy as np
import pandas as pd

from transforms.cells import MISSING, CellColumn, cell_columns, frame_columns


def cells_of(column: CellColumn) -> list:
    return [column.texts[code] if code != MISSING else None for code in column.codes]


def test_files_with_other_columns_keep_their_rows_and_miss_the_rest():
    groups = [(["indicator", "value"], [["A", "1"], ["B", "2"], ["A", "3"]]),
              (["value", "note"], [["4", "late"]]),
              (["indicator", "value"], [])]
    columns = cell_columns(["indicator", "value", "note"], groups)
    assert cells_of(columns["indicator"]) == ["A", "B", "A", None]
    assert cells_of(columns["value"]) == ["1", "2", "3", "4"]
    assert cells_of(columns["note"]) == [None, None, None, "late"]
    assert columns["indicator"].texts == ["A", "B"]  # each distinct text once


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

"""Many files' cells as columns of distinct texts: a night's codes repeat a handful of values
across hundreds of thousands of rows, so each distinct text is screened, trimmed, cased and
read once, and each cell is hashed once, when its column is built."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

MISSING = -1  # the code of a row whose file lacks the column


@dataclass(frozen=True)
class CellColumn:
    """One column of cells: row i holds `texts[codes[i]]`, or nothing when its code is
    MISSING."""

    codes: np.ndarray
    texts: list[str]

    @classmethod
    def encode(cls, cells: Iterable[object]) -> CellColumn:
        """Cells as read; anything but text (None, NaN) is a missing cell."""
        index: dict[str, int] = {}
        codes = np.fromiter((index.setdefault(c, len(index)) if isinstance(c, str) else MISSING
                             for c in cells), dtype=np.int64)
        return cls(codes, list(index))

    def take(self, rows: np.ndarray) -> CellColumn:
        """The column at the rows `rows` picks (a boolean mask or positions)."""
        return CellColumn(self.codes[rows], self.texts)

    def read(self, function: Callable[[str], object]) -> tuple[np.ndarray, list]:
        """`function` of each distinct text, a missing cell read as empty text: (codes, results),
        each row's result at results[codes[row]]."""
        results = [function(text) for text in self.texts]
        if (self.codes == MISSING).any():
            return np.where(self.codes == MISSING, len(results), self.codes), \
                results + [function("")]
        return self.codes, results

    def each(self, function: Callable[[str], object]) -> np.ndarray:
        """`function` of each row's cell (a missing cell read as empty text), as objects."""
        codes, results = self.read(function)
        return per_row(results, codes)


def per_row(results: list, codes: np.ndarray) -> np.ndarray:
    """Each row's result, `results[codes[row]]`, as objects."""
    return np.asarray(results, dtype=object)[codes] if len(codes) else np.array([], dtype=object)


def cell_columns(column_names: Iterable[str], groups: list[tuple[list[str], list[list[str]]]]
                 ) -> dict[str, CellColumn]:
    """The columns of groups of rows, each group a (column names, rows of cells) pair: the
    union of their columns, a group's rows missing the cells of columns it lacks."""
    transposed = [dict(zip(names, zip(*rows, strict=True), strict=True)) if rows else {}
                  for names, rows in groups]
    sizes = [len(rows) for _, rows in groups]
    columns = {}
    for name in column_names:
        index: dict[str, int] = {}
        codes = [np.fromiter((index.setdefault(c, len(index)) for c in group[name]),
                             dtype=np.int64, count=size) if name in group
                 else np.full(size, MISSING, dtype=np.int64)
                 for group, size in zip(transposed, sizes, strict=True)]
        columns[name] = CellColumn(np.concatenate(codes) if codes else np.array([], np.int64),
                                   list(index))
    return columns


def frame_columns(frame: pd.DataFrame) -> dict[str, CellColumn]:
    """A frame's columns of text (missing values as missing cells)."""
    return {str(name): CellColumn.encode(frame[name].tolist()) for name in frame.columns}

"""Many files' cells as columns of distinct texts: a night's codes repeat a handful of values
across hundreds of thousands of rows, so each distinct text is screened, trimmed, cased and
read once, and each cell is hashed once, when its column is built."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from transforms.parsing import PlainRows, Rows

MISSING = -1  # the code of a row whose file lacks the column
# Plain files' lines wait until about this many rows are there to be split into cells
# together: fewer calls than a file at a time, and a part's lines are never all held.
PLAIN_BATCH_ROWS = 20_000


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
        return cls(_codes(cells, index), list(index))

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

    def categorical(self, function: Callable[[str], str]) -> pd.Categorical:
        """`function` of each row's cell as a categorical, the very one `astype("category")`
        makes of those texts, built from the codes rather than by hashing every row's text
        again."""
        codes, results = self.read(function)
        return categorical_per_row(results, codes)


def _codes(cells: Iterable[object], index: dict[str, int], count: int = -1) -> np.ndarray:
    """Each cell's number in `index`, a text met for the first time added to it; anything but
    text (None, NaN) is a missing cell."""
    return np.fromiter((index.setdefault(c, len(index)) if isinstance(c, str) else MISSING
                        for c in cells), dtype=np.int64, count=count)


def per_row(results: list, codes: np.ndarray) -> np.ndarray:
    """Each row's result, `results[codes[row]]`, as objects."""
    return np.asarray(results, dtype=object)[codes] if len(codes) else np.array([], dtype=object)


def categorical_per_row(results: list[str | None], codes: np.ndarray) -> pd.Categorical:
    """Each row's result, `results[codes[row]]`, as the categorical `astype("category")` makes
    of them (the texts in use, sorted; None is missing)."""
    used = np.flatnonzero(np.bincount(codes, minlength=len(results))) if len(codes) \
        else np.array([], dtype=np.int64)
    categories = sorted({results[i] for i in used} - {None})
    position = {text: i for i, text in enumerate(categories)}
    of_code = np.array([position.get(text, MISSING) for text in results], dtype=np.int64)
    return pd.Categorical.from_codes(of_code[codes], categories=pd.Index(categories, dtype="str"))


@dataclass(frozen=True)
class FileCells:
    """Many files' cells as columns, with each row's file (its submission key) and its row in
    that file; a file's rows lie together, in order."""

    columns: dict[str, CellColumn]
    keys: np.ndarray
    source_rows: np.ndarray

    def rows_of(self, chosen: np.ndarray) -> FileCells:
        """The rows `chosen` picks (a boolean mask)."""
        return FileCells({name: column.take(chosen) for name, column in self.columns.items()},
                         self.keys[chosen], self.source_rows[chosen])


class PartCells:
    """A part of the night's cells, encoded as the files are read: only a few files' rows of
    text are held at once (a part's, as lists of text, took some 600 bytes a row)."""

    def __init__(self, plain_batch_rows: int = PLAIN_BATCH_ROWS) -> None:
        self._plain_batch_rows = plain_batch_rows
        self._index: dict[str, dict[str, int]] = {}
        self._codes: dict[str, list[tuple[int, np.ndarray]]] = {}  # (first row, codes)
        self._keys: list[np.ndarray] = []
        self._source_rows: list[np.ndarray] = []
        self._rows = 0
        # plain files' (first row, lines) by their (columns, separator), not yet split
        self._plain: dict[tuple[tuple[str, ...], str], list[tuple[int, list[str]]]] = {}
        self._plain_rows = 0

    def add(self, key: int, rows: Rows) -> None:
        """A file's rows: its columns (names unique) and its cells. A file whose rows do not
        fit its columns raises, and none of its rows is added."""
        size = len(rows)
        if isinstance(rows, PlainRows):
            self._plain.setdefault((tuple(rows.columns), rows.separator), []).append(
                (self._rows, rows.lines))
            self._plain_rows += size
        else:
            columns = zip(rows.columns, zip(*rows.records, strict=True), strict=True) \
                if size else ()
            encoded = []
            for name, cells in columns:
                encoded.append((name, _codes(cells, self._index.setdefault(name, {}), size)))
            for name, codes in encoded:
                self._codes.setdefault(name, []).append((self._rows, codes))
        self._keys.append(np.full(size, key, dtype=np.int64))
        self._source_rows.append(np.asarray(rows.line_numbers, dtype=np.int64))
        self._rows += size
        if self._plain_rows >= self._plain_batch_rows:
            self._split_plain()

    def _split_plain(self) -> None:
        """Split the waiting plain files' lines into cells, all files of a layout at once (one
        join and one split), and encode each column in one call."""
        for (columns, separator), files in self._plain.items():
            cells = separator.join(itertools.chain.from_iterable(
                lines for _, lines in files)).split(separator)
            for position, name in enumerate(columns):
                found, distinct = pd.factorize(np.array(cells[position::len(columns)],
                                                        dtype=object))
                codes = _codes(distinct, self._index.setdefault(name, {}), len(distinct))[found]
                at = 0
                for start, lines in files:
                    self._codes.setdefault(name, []).append((start, codes[at:at + len(lines)]))
                    at += len(lines)
        self._plain.clear()
        self._plain_rows = 0

    def cells(self) -> FileCells:
        """The files added so far, in the order they came; a file lacking a column has
        missing cells in it."""
        self._split_plain()
        columns = {}
        for name, pieces in self._codes.items():
            codes = np.full(self._rows, MISSING, dtype=np.int64)
            for start, piece in pieces:
                codes[start:start + len(piece)] = piece
            columns[name] = CellColumn(codes, list(self._index[name]))
        return FileCells(columns, np.concatenate([np.array([], np.int64), *self._keys]),
                         np.concatenate([np.array([], np.int64), *self._source_rows]))


def frame_columns(frame: pd.DataFrame) -> dict[str, CellColumn]:
    """A frame's columns of text (missing values as missing cells)."""
    return {str(name): CellColumn.encode(frame[name].tolist()) for name in frame.columns}

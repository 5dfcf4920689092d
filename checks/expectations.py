"""A small pandas executor for the expectation types our suite files use.

`efc check` runs on members' laptops and must start in about a second; Great Expectations
takes seconds to import. This module reads the same suite file and applies each
expectation with GX's semantics (nulls are not evaluated by column-map expectations);
tests/test_validation.py holds both engines to identical verdicts, so the suite file stays
the single statement of the rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Outcome:
    """One expectation's verdict on a batch: which rows (positions in the frame) failed."""

    expectation: dict  # the entry of the suite file
    severity: str      # "error" or "warning"
    failing: np.ndarray


def severity_of(expectation: dict) -> str:
    """A suite entry's severity as a problem carries it: GX's "warning", else "error"."""
    return "warning" if str(expectation.get("severity", "critical")).lower() == "warning" \
        else "error"


def _resolve(value: object, parameters: dict) -> object:
    if isinstance(value, dict) and "$PARAMETER" in value:
        return parameters[value["$PARAMETER"]]
    return value


def _in_set(frame: pd.DataFrame, column: str, value_set, **_) -> pd.Series:
    values = frame[column]
    return values.notna() & ~values.isin(list(value_set))


def _between(frame: pd.DataFrame, column: str, min_value=None, max_value=None, **_) -> pd.Series:
    values = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    bad = pd.Series(False, index=frame.index)
    if min_value is not None:
        bad |= values < float(min_value)
    if max_value is not None:
        bad |= values > float(max_value)
    return bad & values.notna()


def _match_regex(frame: pd.DataFrame, column: str, regex: str, **_) -> pd.Series:
    values = frame[column]
    pattern = re.compile(regex)
    matched = values.map(lambda v: bool(pattern.search(str(v))) if pd.notna(v) else True)
    return values.notna() & ~matched.astype(bool)


def _null(frame: pd.DataFrame, column: str, **_) -> pd.Series:
    return frame[column].notna()


def _pair_equal(frame: pd.DataFrame, column_A: str, column_B: str, **_) -> pd.Series:
    a, b = frame[column_A], frame[column_B]
    return a.notna() & b.notna() & (a != b)


def _compound_unique(frame: pd.DataFrame, column_list: list[str], **_) -> pd.Series:
    return frame.duplicated(subset=column_list, keep=False)


def _lengths_between(frame: pd.DataFrame, column: str, min_value=None, max_value=None,
                     **_) -> pd.Series:
    values = frame[column]
    lengths = values.str.len()
    bad = pd.Series(False, index=frame.index)
    if min_value is not None:
        bad |= lengths < int(min_value)
    if max_value is not None:
        bad |= lengths > int(max_value)
    return bad & values.notna()


EXPECTATIONS = {
    "expect_column_values_to_be_in_set": _in_set,
    "expect_column_values_to_be_between": _between,
    "expect_column_values_to_match_regex": _match_regex,
    "expect_column_values_to_be_null": _null,
    "expect_column_pair_values_to_be_equal": _pair_equal,
    "expect_compound_columns_to_be_unique": _compound_unique,
    "expect_column_value_lengths_to_be_between": _lengths_between,
}


def run_with_pandas(definition: dict, checked: pd.DataFrame, parameters: dict
                    ) -> list[Outcome]:
    """Apply every expectation of a suite definition; return the same Outcomes as GX."""
    outcomes = []
    for expectation in definition["expectations"]:
        kind = expectation["type"]
        if kind not in EXPECTATIONS:
            raise NotImplementedError(
                f"the offline check cannot run {kind} (rule {expectation['meta']['rule']}); "
                "add it to checks/expectations.py")
        kwargs = {k: _resolve(v, parameters) for k, v in expectation["kwargs"].items()
                  if k not in ("ignore_row_if", "mostly")}
        failing = EXPECTATIONS[kind](checked, **kwargs)
        outcomes.append(Outcome(expectation, severity_of(expectation),
                                np.flatnonzero(failing.fillna(False).to_numpy(dtype=bool))))
    return outcomes

"""Validation of submissions with Great Expectations, from the suites kept in checks/suites.

The suite's rules read columns derived here from the catalogue (which indicators a sector may
report, which breakdowns and codes exist), so a reviewer can change a rule in the JSON file
without touching Python. One validation covers a whole batch of files; every failing row is
mapped back to the file and the line the member sees.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from checks.expectations import Outcome, run_with_pandas, severity_of
from checks.problems import Problem
from transforms.catalogue import Catalogue
from transforms.observations import CODE_COLUMNS
from transforms.periods import month_of

if TYPE_CHECKING:
    from great_expectations.core import ExpectationSuiteValidationResult

SUITES_DIR = Path(__file__).parent / "suites"


def load_suite_definition(name: str, suites_dir: Path = SUITES_DIR) -> dict:
    return json.loads((suites_dir / f"{name}.json").read_text(encoding="utf-8"))


# The columns that decide every catalogue lookup of a row: the lookups run once per distinct
# combination (thousands in a night's batch) instead of once per row (a million).
ROW_KIND = ["member_id", "indicator", "dimension", "category", "unit", "status"]


def rule_columns(frame: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """Add the columns the submission suite reads; nulls mean "not applicable" to GX.

    `frame` is canonical observations of one or more files, with `submission_key` and
    `folder_member` (the inbox folder each file arrived in). The code columns and the
    derived text columns come back as categoricals.
    """
    out = frame.reset_index(drop=True).astype(dict.fromkeys(CODE_COLUMNS, "category"))
    kind = group_ids(out, ROW_KIND)
    kinds = _kind_columns(out.iloc[np.unique(kind, return_index=True)[1]][ROW_KIND], catalogue)
    for column in ["sector_indicator", "indicator_dimension", "dimension_category",
                   "indicator_unit"]:
        out[column] = _per_row(kinds[column], kind)
    out["indicator_frequencies"] = _indicator_frequencies(out)

    value = out["value"].to_numpy()
    kind_flag = {column: kinds[column].to_numpy(dtype=bool)[kind] for column in [
        "may_be_empty", "is_count", "is_breakdown", "is_part", "is_exhaustive_part"]}
    # An unreadable value was reported when it was read; here only an empty one counts.
    out["value_required"] = (out["value_text"] != "").to_numpy() | kind_flag["may_be_empty"]
    finite = np.isfinite(value)
    fraction = np.full(len(value), np.nan)
    fraction[finite] = value[finite] % 1
    fraction[np.isinf(value)] = np.inf  # inf % 1 is NaN, which no rule judges: not whole either
    out["count_fraction"] = np.where(kind_flag["is_count"], fraction, np.nan)
    # The catalogue's ceiling where a value exceeds it or is not finite (null elsewhere): a
    # value no member could report, which would also break the statistics.
    ceiling = kinds["max_value"].to_numpy(dtype="float64")[kind]
    ceiling = np.where(np.isnan(ceiling), max(catalogue.max_value_of_indicator.values(),
                                              default=np.inf), ceiling)
    implausible = ~np.isnan(value) & ~(finite & (value <= ceiling))
    out["value_above_ceiling"] = np.where(implausible, ceiling, np.nan)

    group = group_ids(out, ["submission_key", "member_id", "period", "indicator"])
    total = _first_total(group, value, kind_flag["is_breakdown"])
    # A category's median may exceed the overall median: only additive indicators have parts.
    is_category = kind_flag["is_part"] & ~np.isnan(total) & ~np.isnan(value)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["share_of_total"] = np.select(
            [is_category & (total > 0), is_category & (total == 0)],
            [value / total, np.where(value > 0, np.inf, 0.0)], np.nan)
    exhaustive = kind_flag["is_exhaustive_part"] & is_category
    dimension = out["dimension"].cat.codes.to_numpy()
    parts = pd.Series(value[exhaustive]).groupby(
        [group[exhaustive], dimension[exhaustive]]).transform("sum").to_numpy()
    out["breakdown_gap"] = np.nan
    # inf - inf warns: a part or total that is not finite has no gap (value_plausible says why)
    gap = np.full(len(parts), np.nan)
    np.subtract(parts, total[exhaustive], out=gap,
                where=np.isfinite(parts) & np.isfinite(total[exhaustive]))
    out.loc[exhaustive, "breakdown_gap"] = gap
    out["estimated_status"] = _per_row(kinds["estimated_status"], kind)
    return out


def group_ids(frame: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """A group number (0..n-1) per row, in order of first appearance, nulls a group of their own
    (pandas' `groupby(keys, sort=False, dropna=False).ngroup()`).

    Each key's codes (a categorical's own, other columns factorized) are combined into one
    integer per row, which is factorized: on a part of 566k rows, 0.04 s for the three calls of
    a validation where pandas' groupby took 0.15 s.
    """
    combined, span = np.zeros(len(frame), dtype=np.int64), 1
    for key in keys:
        column = frame[key]
        if isinstance(column.dtype, pd.CategoricalDtype):
            codes, size = column.cat.codes.to_numpy(np.int64), len(column.cat.categories)
        else:
            codes, uniques = pd.factorize(column)
            size = len(uniques)
        if span * (size + 1) >= 2 ** 62:  # renumbered first, so the product cannot overflow
            combined = pd.factorize(combined)[0].astype(np.int64)
            span = int(combined.max(initial=-1)) + 1
        combined = combined * (size + 1) + (codes + 1)  # a null's code, -1, becomes 0
        span *= size + 1
    return pd.factorize(combined)[0]


def _per_row(per_kind: pd.Series, kind: np.ndarray) -> pd.Categorical:
    """Each row's value of its kind, as a categorical (nulls stay null)."""
    codes, categories = pd.factorize(per_kind)
    return pd.Categorical.from_codes(codes[kind], categories)


def _kind_columns(kinds: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """The catalogue's verdict inputs for each distinct row kind (one row per kind number)."""
    kinds = kinds.astype("str").reset_index(drop=True)
    indicator, dimension, category = kinds["indicator"], kinds["dimension"], kinds["category"]
    sector = kinds["member_id"].map(catalogue.sector_of_member)
    known_indicator = indicator.isin(catalogue.unit_of_indicator.keys())
    indicator_dimension = indicator + "|" + dimension
    dimension_ok = indicator_dimension.isin(catalogue.indicator_dimensions)
    is_breakdown = dimension != ""
    return pd.DataFrame({
        "sector_indicator": (sector + "|" + indicator).where(sector.notna() & known_indicator),
        "indicator_dimension": indicator_dimension.where(known_indicator),
        "dimension_category": (dimension + "|" + category).where(
            (is_breakdown | (category != "")) & (dimension_ok | ~is_breakdown)),
        "indicator_unit": (indicator + "|" + kinds["unit"]).where(
            known_indicator & (kinds["unit"] != "")),
        "may_be_empty": kinds["status"].isin(["M", "L"]),
        "is_count": indicator.map(catalogue.unit_of_indicator) == "count",
        "is_breakdown": is_breakdown,
        "is_part": is_breakdown & indicator.isin(catalogue.additive_indicators),
        "is_exhaustive_part": indicator_dimension.isin(catalogue.exhaustive),
        "estimated_status": kinds["status"].where(kinds["status"].isin(["E", "P"])),
        "max_value": indicator.map(catalogue.max_value_of_indicator).astype("float64"),
    })


def _first_total(group: np.ndarray, value: np.ndarray, is_breakdown: np.ndarray) -> np.ndarray:
    """Per row, the value of the first total row (dimension '') of its group; NaN if none."""
    total_rows = np.flatnonzero(~is_breakdown)
    groups, first = np.unique(group[total_rows], return_index=True)
    totals = np.full(group.max(initial=-1) + 1, np.nan)
    totals[groups] = value[total_rows[first]]
    return totals[group]


def _indicator_frequencies(frame: pd.DataFrame) -> pd.Series:
    """Per row, the frequencies its indicator is reported in within its file ("month",
    "month+quarter"); null where the row's own period is unreadable.

    Joined once per distinct (file, member, indicator, frequency), not once per row.
    """
    group = group_ids(frame, ["submission_key", "member_id", "indicator"])
    reported = pd.DataFrame({"group": group, "frequency": frame["frequency"]}).dropna(
        subset="frequency").drop_duplicates()
    mixed = reported.duplicated("group", keep=False)
    joined = pd.concat([
        reported[~mixed].set_index("group")["frequency"],
        reported[mixed].sort_values("frequency").groupby("group")["frequency"].agg("+".join)])
    found = joined.astype("str").reindex(group).set_axis(frame.index)
    return found.where(frame["frequency"].notna())


def suite_parameters(catalogue: Catalogue, today: date) -> dict:
    return {
        "members": sorted(catalogue.sector_of_member),
        "current_month": month_of(today),
        "indicators": sorted(catalogue.unit_of_indicator),
        "sector_indicators": sorted(catalogue.sector_indicators),
        "indicator_dimensions": sorted(catalogue.indicator_dimensions),
        "dimension_categories": sorted(catalogue.dimension_categories),
        "indicator_units": sorted(f"{i}|{u}" for i, u in catalogue.unit_of_indicator.items()),
    }


@cache
def _batch_definition():
    """A pandas-engine GX context made once per process (its SQL path over DuckDB is broken)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    for name in ["great_expectations", *logging.root.manager.loggerDict]:
        if name.startswith("great_expectations"):
            logging.getLogger(name).setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("submissions")
    asset = source.add_dataframe_asset("observations")
    return context, asset.add_batch_definition_whole_dataframe("batch")


def _expectation_suite(definition: dict):
    import great_expectations as gx

    return gx.ExpectationSuite(**definition)


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _texts(column: pd.Series) -> list[str]:
    return [_text(value) for value in column.tolist()]


def _shown(failed: pd.DataFrame, kwargs: dict, member_column: str | None
           ) -> tuple[list[str], list[str]]:
    """(the member's own cell, the derived figure the rule judged) for each failing row."""
    if "column_list" in kwargs:
        keys = [" / ".join(map(str, key)) for key in zip(
            *(failed[c].tolist() for c in kwargs["column_list"][2:]), strict=True)]
        return keys, keys
    judged = kwargs.get("column") or kwargs.get("column_A")
    cell = "value_text" if member_column == "value" else \
        member_column if member_column in failed else judged
    detail = _texts(failed[judged])
    return (detail if cell == judged else _texts(failed[cell])), detail


def columns_read(definition: dict) -> list[str]:
    """The columns a suite's expectations read, in order of first use."""
    names: list[str] = []
    for expectation in definition["expectations"]:
        kwargs = expectation["kwargs"]
        for name in [kwargs.get("column"), kwargs.get("column_A"), kwargs.get("column_B"),
                     *kwargs.get("column_list", [])]:
            if name and name not in names:
                names.append(name)
    return names


def gx_frame(checked: pd.DataFrame, definition: dict) -> pd.DataFrame:
    """The columns the suite reads, in dtypes GX's pandas engine handles fast.

    GX copies the whole frame several times per expectation (null filters, failing-row
    lookups): a narrow frame of categoricals copies in a fraction of the time of a wide one of
    Python strings. GX compares nullable Int64 value by value, float64 at once. Both columns of
    an equality pair share one set of categories, as pandas compares categoricals only then.
    """
    frame = checked[columns_read(definition)]
    columns: dict[str, pd.Series] = {}
    for name, column in frame.items():
        if isinstance(column.dtype, pd.StringDtype):
            columns[name] = column.astype("category")
        elif isinstance(column.dtype, pd.Int64Dtype):
            columns[name] = column.astype("float64")
    for expectation in definition["expectations"]:
        kwargs = expectation["kwargs"]
        if "column_A" not in kwargs:
            continue
        a, b = (columns.get(kwargs[c], frame[kwargs[c]]) for c in ("column_A", "column_B"))
        if isinstance(a.dtype, pd.CategoricalDtype) and isinstance(b.dtype, pd.CategoricalDtype):
            shared = pd.CategoricalDtype(a.cat.categories.union(b.cat.categories))
            columns[kwargs["column_A"]], columns[kwargs["column_B"]] = (
                a.astype(shared), b.astype(shared))
    return frame.assign(**columns)


# What the Data Docs may show of a submission result: counts, never a value or a row number.
COUNT_KEYS = ("element_count", "unexpected_count", "unexpected_percent",
              "unexpected_percent_total", "unexpected_percent_nonmissing", "missing_count",
              "missing_percent")


def run_with_great_expectations(definition: dict, checked: pd.DataFrame, parameters: dict
                                ) -> tuple[list[Outcome], ExpectationSuiteValidationResult]:
    """The engine of record: Great Expectations' pandas engine over the whole batch.

    Returns the failing rows of each expectation, and GX's result reduced to counts (the Data
    Docs show it, so the nightly run need not validate the batch a second time).
    """
    _, batch_definition = _batch_definition()
    batch = batch_definition.get_batch(
        batch_parameters={"dataframe": gx_frame(checked, definition)})
    result = batch.validate(
        _expectation_suite(definition),
        result_format={"result_format": "COMPLETE", "include_unexpected_rows": False,
                       "return_unexpected_index_query": False, "partial_unexpected_count": 0},
        expectation_parameters=parameters,
    )
    by_rule = {e["meta"]["rule"]: e for e in definition["expectations"]}
    order = {rule: i for i, rule in enumerate(by_rule)}
    outcomes = []
    for item in result.results:
        meta = item.expectation_config.meta or {}
        if item.exception_info and item.exception_info.get("raised_exception"):
            raise RuntimeError(f"expectation {meta.get('rule')} could not run: "
                               f"{item.exception_info.get('exception_message')}")
        expectation = by_rule[meta["rule"]]
        outcomes.append(Outcome(expectation, severity_of(expectation), np.sort(np.asarray(
            item.result.get("unexpected_index_list") or [], dtype="int64"))))
        item.result = {k: v for k, v in item.result.items() if k in COUNT_KEYS}
    return sorted(outcomes, key=lambda o: order[o.expectation["meta"]["rule"]]), result


# How each rule of a suite fared for each submission (stored; never an identifying value).
RULE_COUNT_COLUMNS = ["submission_key", "suite", "rule", "severity", "success",
                      "unexpected_count"]


def per_submission(checked: pd.DataFrame, outcomes: list[Outcome], suite: str
                   ) -> tuple[dict[int, list[Problem]], pd.DataFrame]:
    """Each failing row as a problem of its own file and line; every rule's count per file (as
    RULE_COUNT_COLUMNS, a file's rules together)."""
    submission_keys, position = np.unique(checked["submission_key"].to_numpy(),
                                          return_inverse=True)
    keys = submission_keys.tolist()
    problems: dict[int, list[Problem]] = {key: [] for key in keys}
    failed = np.zeros((len(keys), len(outcomes)), dtype=np.int64)
    for number, outcome in enumerate(outcomes):
        meta = outcome.expectation["meta"]
        failed[:, number] = np.bincount(position[outcome.failing], minlength=len(keys))
        failing = checked.iloc[outcome.failing]
        values, details = _shown(failing, outcome.expectation["kwargs"], meta.get("column"))
        message = meta.get("message", meta["rule"])
        for key, row, value, detail in zip(failing["submission_key"].tolist(),
                                           failing["source_row"].tolist(), values, details,
                                           strict=True):
            problems[key].append(Problem(
                severity=outcome.severity, rule=meta["rule"], row=row, column=meta.get("column"),
                value=value, message=message.format(value=value, detail=detail),
                fix=meta.get("fix", "")))
    rule_counts = pd.DataFrame({
        "submission_key": np.repeat(submission_keys, len(outcomes)), "suite": suite,
        "rule": np.tile([o.expectation["meta"]["rule"] for o in outcomes], len(keys)),
        "severity": np.tile([o.severity for o in outcomes], len(keys)),
        "success": (failed == 0).ravel(), "unexpected_count": failed.ravel()},
        columns=RULE_COUNT_COLUMNS)
    return problems, rule_counts


@dataclass(frozen=True)
class BatchValidation:
    """A suite's verdicts on a batch: what each submission is told, and what is stored."""

    problems: dict[int, list[Problem]]  # by submission_key
    rule_counts: pd.DataFrame  # RULE_COUNT_COLUMNS, one row per submission and rule
    suite_result: ExpectationSuiteValidationResult | None  # GX's, counts only; None offline


def validate_batch(
    frame: pd.DataFrame, catalogue: Catalogue, today: date, suite: str = "submission",
    *, suites_dir: Path = SUITES_DIR, engine: str = "great_expectations",
) -> BatchValidation:
    """Run the suite over a batch: problems per submission_key, rule counts, GX's result.

    `engine="pandas"` reads the same suite file without importing Great Expectations, for
    `efc check`, which must start fast; tests hold both engines to the same verdicts.
    """
    definition = load_suite_definition(suite, suites_dir)
    checked = rule_columns(frame, catalogue)
    parameters = suite_parameters(catalogue, today)
    suite_result = None
    if engine == "great_expectations":
        outcomes, suite_result = run_with_great_expectations(definition, checked, parameters)
    elif engine == "pandas":
        outcomes = run_with_pandas(definition, checked, parameters)
    else:
        raise ValueError(f"unknown validation engine {engine!r}")

    problems, rule_counts = per_submission(checked, outcomes, suite)
    return BatchValidation(problems, rule_counts, suite_result)

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

import numpy as np
import pandas as pd

from checks.problems import Problem
from transforms.catalogue import Catalogue
from transforms.periods import month_index

SUITES_DIR = Path(__file__).parent / "suites"


@dataclass(frozen=True)
class RuleResult:
    """How one rule of a suite fared for one submission (stored; never an identifying value)."""

    submission_key: int
    suite: str
    rule: str
    severity: str
    success: bool
    unexpected_count: int


def load_suite_definition(name: str, suites_dir: Path = SUITES_DIR) -> dict:
    return json.loads((suites_dir / f"{name}.json").read_text(encoding="utf-8"))


def rule_columns(frame: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """Add the columns the submission suite reads; nulls mean "not applicable" to GX.

    `frame` is canonical observations of one or more files, with `submission_key` and
    `folder_member` (the inbox folder each file arrived in).
    """
    out = frame.copy()
    sector = out["member_id"].map(catalogue.sector_of_member)
    known_indicator = out["indicator"].isin(catalogue.unit_of_indicator.keys())
    out["sector_indicator"] = (sector + "|" + out["indicator"]).where(
        sector.notna() & known_indicator)
    indicator_dimension = out["indicator"] + "|" + out["dimension"]
    out["indicator_dimension"] = indicator_dimension.where(known_indicator)
    dimension_ok = indicator_dimension.isin(catalogue.indicator_dimensions)
    has_breakdown = (out["dimension"] != "") | (out["category"] != "")
    out["dimension_category"] = (out["dimension"] + "|" + out["category"]).where(
        has_breakdown & (dimension_ok | (out["dimension"] == "")))
    out["indicator_unit"] = (out["indicator"] + "|" + out["unit"]).where(
        known_indicator & (out["unit"] != ""))

    frequencies = out.groupby(["submission_key", "member_id", "indicator"])[
        "frequency"].transform(lambda s: "+".join(sorted(set(s.dropna()))))
    out["indicator_frequencies"] = frequencies.where(out["frequency"].notna())

    missing_value = out["value"].isna()
    # An unreadable value was reported when it was read; here only an empty one counts.
    out["value_required"] = (out["value_text"] != "") | out["status"].isin(["M", "L"])
    is_count = out["indicator"].map(catalogue.unit_of_indicator) == "count"
    out["count_fraction"] = (out["value"] % 1).where(is_count & ~missing_value)

    group = ["submission_key", "member_id", "period", "indicator"]
    totals = out.loc[out["dimension"] == "", group + ["value"]].drop_duplicates(
        group).rename(columns={"value": "total"})
    out = out.merge(totals, on=group, how="left")
    # A category's median may exceed the overall median: only additive indicators have parts.
    is_category = ((out["dimension"] != "") & out["total"].notna() & out["value"].notna()
                   & out["indicator"].isin(catalogue.additive_indicators))
    out["share_of_total"] = (out["value"] / out["total"].replace(0, np.nan)).where(
        is_category & (out["total"] > 0))
    out.loc[is_category & (out["total"] == 0), "share_of_total"] = np.where(
        out.loc[is_category & (out["total"] == 0), "value"] > 0, np.inf, 0.0)
    exhaustive = indicator_dimension.isin(catalogue.exhaustive).to_numpy() & is_category
    sums = out.loc[exhaustive].groupby(group + ["dimension"])["value"].transform("sum")
    out["breakdown_gap"] = np.nan
    out.loc[exhaustive, "breakdown_gap"] = sums - out.loc[exhaustive, "total"]
    out["estimated_status"] = out["status"].where(out["status"].isin(["E", "P"]))
    return out.drop(columns="total")


def suite_parameters(catalogue: Catalogue, today: date) -> dict:
    return {
        "members": sorted(catalogue.sector_of_member),
        "current_month": month_index(today),
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


def _shown(row: pd.Series, kwargs: dict, member_column: str | None) -> tuple[str, str]:
    """(the member's own cell, the derived figure the rule judged) for one failing row."""
    if "column_list" in kwargs:
        key = " / ".join(str(row[c]) for c in kwargs["column_list"][2:])
        return key, key
    judged = kwargs.get("column") or kwargs.get("column_A")
    cell = row["value_text"] if member_column == "value" else row.get(member_column, row[judged])
    return _text(cell), _text(row[judged])


@dataclass(frozen=True)
class Outcome:
    """One expectation's verdict on a batch: which rows (positions in the frame) failed."""

    expectation: dict  # the entry of the suite file
    severity: str      # "error" or "warning"
    failing: np.ndarray


def _severity(expectation: dict) -> str:
    return "warning" if str(expectation.get("severity", "critical")).lower() == "warning" \
        else "error"


def run_with_great_expectations(definition: dict, checked: pd.DataFrame,
                                parameters: dict) -> list[Outcome]:
    """The engine of record: Great Expectations' pandas engine over the whole batch."""
    _, batch_definition = _batch_definition()
    batch = batch_definition.get_batch(batch_parameters={"dataframe": checked})
    result = batch.validate(
        _expectation_suite(definition),
        result_format={"result_format": "COMPLETE", "include_unexpected_rows": False,
                       "partial_unexpected_count": 0},
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
        outcomes.append(Outcome(expectation, _severity(expectation), np.sort(np.asarray(
            item.result.get("unexpected_index_list") or [], dtype="int64"))))
    return sorted(outcomes, key=lambda o: order[o.expectation["meta"]["rule"]])


def validate_observations(
    frame: pd.DataFrame, catalogue: Catalogue, today: date, suite: str = "submission",
    *, suites_dir: Path = SUITES_DIR, engine: str = "great_expectations",
) -> tuple[dict[int, list[Problem]], list[RuleResult]]:
    """Run the suite over a batch; return problems per submission_key and per-rule results.

    `engine="pandas"` reads the same suite file without importing Great Expectations, for
    `efc check`, which must start fast; tests hold both engines to the same verdicts.
    """
    definition = load_suite_definition(suite, suites_dir)
    checked = rule_columns(frame, catalogue).reset_index(drop=True)
    parameters = suite_parameters(catalogue, today)
    if engine == "great_expectations":
        outcomes = run_with_great_expectations(definition, checked, parameters)
    elif engine == "pandas":
        from checks.expectations import run_with_pandas

        outcomes = run_with_pandas(definition, checked, parameters)
    else:
        raise ValueError(f"unknown validation engine {engine!r}")

    keys = checked["submission_key"].to_numpy()
    problems: dict[int, list[Problem]] = {int(k): [] for k in np.unique(keys)}
    results: list[RuleResult] = []
    for outcome in outcomes:
        meta = outcome.expectation["meta"]
        counts = pd.Series(keys[outcome.failing]).value_counts() if len(outcome.failing) \
            else pd.Series(dtype=int)
        for key in problems:
            failed = int(counts.get(key, 0))
            results.append(RuleResult(key, suite, meta["rule"], outcome.severity,
                                      failed == 0, failed))
        for index in outcome.failing:
            row = checked.iloc[int(index)]
            value, detail = _shown(row, outcome.expectation["kwargs"], meta.get("column"))
            problems[int(row["submission_key"])].append(Problem(
                severity=outcome.severity, rule=meta["rule"], row=int(row["source_row"]),
                column=meta.get("column"), value=value,
                message=meta.get("message", meta["rule"]).format(value=value, detail=detail),
                fix=meta.get("fix", "")))
    return problems, results

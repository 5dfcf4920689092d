"""Checks across submissions, run nightly after loading over the current observations.

The rules live in checks/suites/warehouse.json and run only under Great Expectations' pandas
engine (the offline `efc check` never reads them): cross-indicator bounds on each member's
period totals, each total against the member's own history, and which periods the reporting
plan expects are late. What is kept is rule counts and keys (member, period, indicator).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar, Literal

import duckdb
import great_expectations as gx
import numpy as np
import pandas as pd
from great_expectations.compatibility import pydantic
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnPairMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnPairMapMetricProvider,
    column_pair_condition_partial,
)
from great_expectations.render import LegacyRendererType, RenderedStringTemplateContent
from great_expectations.render.renderer.renderer import renderer

from checks.expectations import severity_of
from checks.validation import SUITES_DIR, group_ids, load_suite_definition
from transforms.completeness import completeness, period_months
from transforms.periods import month_period, parse_period, quarter_of, shift_quarter
from transforms.sql_files import sql
from transforms.warehouse import (
    changed_member_quarters,
    in_slices,
    latest_submission_id,
    record_refresh,
    reference_fingerprint,
    refresh_state,
)

SUITE = "warehouse"
# The frames the suite's rules read (meta.batch), and the keys GX names failing rows by:
# flags keep these keys, never the values.
BATCH_KEYS = {
    "member_period_totals": ["member_id", "period"],
    "indicator_totals": ["member_id", "period", "indicator"],
}
OVERDUE_RULE = "period_overdue"
FLAG_COLUMNS = ["rule", "severity", "member_id", "period", "indicator"]
STEP = "warehouse_suite"  # its row in refresh_state
# Indicator totals a full run judges at once: each total meets its 12 trailing months in
# memory, and at 5M observations (676k totals) the whole history at once took 2.1 GB.
SLICE_TOTALS = 100_000


# ------------------------------------------------------------------ the custom expectation


class ColumnPairValuesAWithinRatioOfB(ColumnPairMapMetricProvider):
    """Row by row: A lies within a factor `max_ratio` of B, up or down, or both are small."""

    condition_metric_name = "column_pair_values.a_within_ratio_of_b"
    condition_domain_keys = ("batch_id", "table", "column_A", "column_B", "row_condition",
                             "condition_parser", "ignore_row_if")
    condition_value_keys = ("max_ratio", "ignore_below")

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A, column_B, max_ratio, ignore_below=0, **kwargs):  # noqa: N803
        a = column_A.astype("float64")
        b = column_B.astype("float64")
        # Multiplied, never divided: a reference of zero needs no special case.
        within = (a <= b * max_ratio) & (a * max_ratio >= b)
        return within | ((a < ignore_below) & (b < ignore_below))


class ExpectColumnPairValuesAToBeWithinRatioOfB(ColumnPairMapExpectation):
    """Expect each value of column A within a factor `max_ratio` of column B, either way.

    With max_ratio 3, A fails above 3 × B or below B / 3. Rows where both values are below
    `ignore_below` are accepted: small counts swing by whole multiples by chance.
    """

    max_ratio: float = pydantic.Field(gt=1, description="how many times B, up or down, A may be")
    ignore_below: float = pydantic.Field(
        default=0, ge=0, description="accept rows where both A and B are below this")
    ignore_row_if: Literal["both_values_are_missing", "either_value_is_missing", "neither"] = (
        "either_value_is_missing")

    map_metric: ClassVar[str] = "column_pair_values.a_within_ratio_of_b"
    success_keys: ClassVar[tuple[str, ...]] = (
        "column_A", "column_B", "ignore_row_if", "max_ratio", "ignore_below", "mostly")
    args_keys: ClassVar[tuple[str, ...]] = ("column_A", "column_B", "max_ratio")

    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    def _prescriptive_renderer(cls, configuration=None, result=None, runtime_configuration=None,
                               **kwargs):
        params = dict(configuration.kwargs) if configuration else {}
        template = ("Values in $column_A must lie within a factor of $max_ratio of $column_B, "
                    "up or down")
        template += (", unless both are below $ignore_below." if params.get("ignore_below")
                     else ".")
        styling = (runtime_configuration or {}).get("styling")
        return [RenderedStringTemplateContent(
            content_block_type="string_template",
            string_template={"template": template, "params": params, "styling": styling})]


# ------------------------------------------------------------------ running a suite under GX


def gx_context(*, data_docs_sites: dict | None = None, results_dir: Path | None = None):
    """A GX context in memory: no progress bars, no chatter below warnings, no files but the
    docs sites given and, with `results_dir`, its validation results as JSON files there."""
    for name in ["great_expectations", *logging.root.manager.loggerDict]:
        if name.startswith("great_expectations"):
            logging.getLogger(name).setLevel(logging.WARNING)
    defaults = InMemoryStoreBackendDefaults(init_temp_docs_sites=False)
    if results_dir is not None:
        defaults.stores[defaults.validation_results_store_name]["store_backend"] = {
            "class_name": "TupleFilesystemStoreBackend", "base_directory": str(results_dir)}
    config = DataContextConfig(
        store_backend_defaults=defaults,
        data_docs_sites=data_docs_sites or {},
        progress_bars=ProgressBarsConfig(globally=False),
        analytics_enabled=False,
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def expectation_suite(name: str, expectations: list[dict], meta: dict | None = None):
    """A GX suite from entries of a suite file; GX only logs an entry it cannot read, we stop."""
    suite = gx.ExpectationSuite(name=name, expectations=expectations, meta=meta)
    if len(suite.expectations) != len(expectations):
        built = {e.meta.get("rule") for e in suite.expectations}
        lost = [e["meta"]["rule"] for e in expectations if e["meta"]["rule"] not in built]
        raise ValueError(f"suite {name}: Great Expectations cannot read rule(s) {lost}")
    return suite


def run_suite(context, suite, frame: pd.DataFrame, *, run_id: RunIdentifier,
              result_format: dict, parameters: dict | None = None):
    """Validate `frame` against `suite` through a ValidationDefinition (results are stored)."""
    source = context.data_sources.add_or_update_pandas("efc")
    asset = source.add_dataframe_asset(suite.name)
    batch = asset.add_batch_definition_whole_dataframe(suite.name)
    definition = context.validation_definitions.add(gx.ValidationDefinition(
        name=suite.name, data=batch, suite=context.suites.add(suite)))
    result = definition.run(batch_parameters={"dataframe": frame},
                            expectation_parameters=parameters, result_format=result_format,
                            run_id=run_id)
    for item in result.results:
        info = item.exception_info or {}
        if info.get("raised_exception"):
            raise RuntimeError(f"rule {item.expectation_config.meta.get('rule')} could not run: "
                               f"{info.get('exception_message')}")
    return result


# ------------------------------------------------------------------ the frames the rules read


def current_totals(con: duckdb.DuckDBPyConnection,
                   member_periods: list[tuple[str, str]] | None = None, *,
                   members: list[str] | None = None) -> pd.DataFrame:
    """Every member's indicator totals (dimension '') in the current_observations mart, or only
    those of the (member, period) pairs given, or of the members given."""
    scope = None if member_periods is None else [
        {"member_id": member, "period": period} for member, period in member_periods]
    return con.execute(sql("current_totals"), {"member_periods": scope, "members": members}
                       ).df()


def member_slices(con: duckdb.DuckDBPyConnection, most_totals: int) -> list[list[str]]:
    """Members in consecutive slices of about `most_totals` indicator totals (a member's whole
    history is never split: its plausibility compares each total with its own earlier ones);
    one empty slice for an empty warehouse, so the rules still report."""
    return list(in_slices(con.execute(sql("member_totals_counts")).fetchall(), most_totals)
                ) or [[]]


def member_period_totals(totals: pd.DataFrame, indicators: list[str]) -> pd.DataFrame:
    """One row per member and period, one column per indicator's total (NaN: not reported)."""
    wide = totals.pivot(index=["member_id", "period"], columns="indicator", values="value")
    wide = wide.reindex(columns=indicators).astype("float64").reset_index()
    wide.columns.name = None
    return wide


def indicator_totals(totals: pd.DataFrame, series_breaks: pd.DataFrame, *,
                     trailing_months: int, min_history: int) -> pd.DataFrame:
    """Each total beside the median of the same member's own earlier totals of the indicator.

    The median spans the `trailing_months` before the period, at the same frequency and from
    the latest series break on (status B, or a row of series_breaks; a member_id left empty
    there means every member). It is null, so the row is not judged, for a break's own period
    and when fewer than `min_history` earlier values compare.
    """
    key = ["member_id", "indicator"]
    series = [*key, "frequency"]
    frame = totals.loc[totals["value"].notna(), [*series, "period", "value", "status"]]
    frame = frame.reset_index(drop=True)
    frame["first_month"], frame["last_month"] = period_months(frame["period"])

    listed = series_breaks.merge(frame[key].drop_duplicates(), on="indicator",
                                 suffixes=("_listed", ""))
    listed = listed.loc[listed["member_id_listed"].isna()
                        | (listed["member_id_listed"] == listed["member_id"])]
    starts = pd.concat([
        pd.DataFrame({"member_id": listed["member_id"], "indicator": listed["indicator"],
                      "break_month": period_months(listed["period"])[0]}),
        frame.loc[frame["status"] == "B", [*key, "first_month"]].rename(
            columns={"first_month": "break_month"}),
    ])
    rows = frame[[*key, "first_month", "last_month"]].reset_index(names="row")
    breaks = rows.merge(starts, on=key)
    breaks = breaks.loc[breaks["break_month"] <= breaks["last_month"]]
    since = breaks.groupby("row")["break_month"].max().reindex(frame.index)
    frame["is_break"] = (since >= frame["first_month"]).to_numpy()
    frame["series_since"] = since.fillna(-1).astype("int64")

    # Each value serves as history for the `trailing_months` months after its own start. The
    # pairs are joined on one number per series and month (on the series' texts, the join was
    # half the warehouse suite's time).
    offsets = np.arange(1, trailing_months + 1)
    months = frame["first_month"].to_numpy()
    month_key = group_ids(frame, series) * (int(months.max(initial=0)) + trailing_months + 1)
    history = pd.DataFrame({"history_month": months, "history_value": frame["value"].to_numpy()})
    served = history.loc[history.index.repeat(len(offsets))].assign(
        month_key=np.repeat(month_key + months, len(offsets)) + np.tile(offsets, len(history)))
    pairs = pd.DataFrame({"row": frame.index, "month_key": month_key + months,
                          "series_since": frame["series_since"]}).merge(served, on="month_key")
    pairs = pairs.loc[pairs["history_month"] >= pairs["series_since"]]
    stats = pairs.groupby("row")["history_value"].agg(["median", "count"]).reindex(frame.index)
    frame["history_count"] = stats["count"].fillna(0).astype("int64")
    judged = (frame["history_count"] >= min_history) & ~frame["is_break"]
    frame["trailing_median"] = stats["median"].where(judged)
    return frame.drop(columns=["first_month", "last_month", "series_since"])


# ------------------------------------------------------------------ the nightly run


@dataclass(frozen=True)
class WarehouseRuleResult:
    """How one warehouse rule fared over all current observations (stored with no submission)."""

    suite: str
    rule: str
    severity: str  # "error" or "warning"
    success: bool
    unexpected_count: int


@dataclass
class WarehouseValidation:
    """Per-rule results, the keys each rule flagged, and the completeness of recent quarters.

    `reads_up_to` is the last submission the run reflects and `fingerprint` the reference data
    and suite it ran under: stored beside the results, they let the next night judge only what
    changed since.
    """

    results: list[WarehouseRuleResult]
    flagged: pd.DataFrame        # rule, severity, member_id, period, indicator
    completeness: pd.DataFrame   # see completeness()
    suite_results: list[Any] = field(default_factory=list)  # GX results, for Data Docs
    reads_up_to: int | None = None
    fingerprint: str | None = None


def _flags_of(item, expectation: dict, severity: str) -> list[tuple]:
    """(rule, severity, member, period, indicator) of each row GX found failing."""
    rule = expectation["meta"]["rule"]
    # On member_period_totals the row names no indicator: the one over its bound is column_B.
    default = expectation["kwargs"].get("column_B")
    return [(rule, severity, row["member_id"], row["period"], row.get("indicator", default))
            for row in item.result.get("unexpected_index_list") or []]


def suite_fingerprint(con: duckdb.DuckDBPyConnection, definition: dict) -> str:
    """Reference data and suite: verdicts reached under other ones may differ, so judge all."""
    digest = hashlib.sha256(reference_fingerprint(con).encode())
    digest.update(json.dumps(definition, sort_keys=True).encode())
    return digest.hexdigest()


def _rule_frames(con: duckdb.DuckDBPyConnection, totals: pd.DataFrame, meta: dict
                 ) -> dict[str, pd.DataFrame]:
    indicators = [row[0] for row in con.execute(
        "select indicator from indicators order by indicator").fetchall()]
    series_breaks = con.execute("select indicator, member_id, period from series_breaks").df()
    return {
        "member_period_totals": member_period_totals(totals, indicators),
        "indicator_totals": indicator_totals(totals, series_breaks, **meta["plausibility"]),
    }


def _judge(frames: dict[str, pd.DataFrame], definition: dict, as_of: datetime
           ) -> tuple[dict[str, WarehouseRuleResult], list[tuple], list[Any]]:
    """Run the suite's rules over their frames under GX: results by rule, flags, GX results."""
    by_rule = {e["meta"]["rule"]: e for e in definition["expectations"]}
    if unknown := {e["meta"].get("batch") for e in by_rule.values()} - set(BATCH_KEYS):
        raise ValueError(f"suite {SUITE}: meta.batch must be one of {sorted(BATCH_KEYS)}, "
                         f"not {sorted(map(str, unknown))}")
    context = gx_context()
    run_id = RunIdentifier(run_name=SUITE, run_time=as_of)
    results, flags, suite_results = {}, [], []
    for batch, keys in BATCH_KEYS.items():
        expectations = [e for e in definition["expectations"] if e["meta"]["batch"] == batch]
        if not expectations:
            continue
        suite = expectation_suite(f"{SUITE}.{batch}", expectations, definition["meta"])
        suite_result = run_suite(context, suite, frames[batch], run_id=run_id, result_format={
            "result_format": "COMPLETE", "unexpected_index_column_names": keys,
            "partial_unexpected_count": 20, "include_unexpected_rows": False})
        suite_results.append(suite_result)
        for item in suite_result.results:
            expectation = by_rule[item.expectation_config.meta["rule"]]
            severity = severity_of(expectation)
            count = int(item.result.get("unexpected_count") or 0)
            results[expectation["meta"]["rule"]] = WarehouseRuleResult(
                SUITE, expectation["meta"]["rule"], severity, count == 0, count)
            flags += _flags_of(item, expectation, severity)
    return results, flags, suite_results


def _overdue(con: duckdb.DuckDBPyConnection, as_of: datetime, today: date
             ) -> tuple[pd.DataFrame, list[tuple]]:
    """Completeness of the quarter of `today` and the one before, and its overdue periods."""
    quarter = quarter_of(today)
    coverage = pd.concat([
        completeness(con, q, as_of=as_of, today=today)
        for q in (shift_quarter(quarter, -1), quarter)], ignore_index=True)
    overdue = coverage.loc[coverage["state"] == "overdue"]
    return coverage, [(OVERDUE_RULE, "warning", m, p, i) for m, p, i in zip(
        overdue["member_id"], overdue["period"], overdue["indicator"], strict=True)]


def run_warehouse_suite(con: duckdb.DuckDBPyConnection, *, as_of: datetime, today: date,
                        suites_dir: Path = SUITES_DIR) -> WarehouseValidation:
    """Run checks/suites/warehouse.json over the observations current at `as_of`.

    The rules read the current_observations mart, so the marts are refreshed as of `as_of`
    first (the nightly flow does so). Completeness covers the quarter of `today` and the one
    before it. Members are judged in slices, so memory stays flat however long the history
    (a first night, `efc rebuild`); the Data Docs show a part for each slice.
    """
    definition = load_suite_definition(SUITE, suites_dir)
    fingerprint = suite_fingerprint(con, definition)  # before GX adds its ids to the entries
    reads_up_to = latest_submission_id(con)
    # A rule passing with `mostly` is judged on its share of all rows: then one slice of all.
    slices = ([None] if any("mostly" in e["kwargs"] for e in definition["expectations"])
              else member_slices(con, SLICE_TOTALS))
    results: dict[str, WarehouseRuleResult] = {}
    flags, suite_results = [], []
    for members in slices:
        frames = _rule_frames(con, current_totals(con, members=members), definition["meta"])
        slice_results, slice_flags, slice_suite_results = _judge(frames, definition, as_of)
        for rule, result in slice_results.items():
            if rule in results:
                count = results[rule].unexpected_count + result.unexpected_count
                result = replace(result, success=results[rule].success and result.success,
                                 unexpected_count=count)
            results[rule] = result
        flags += slice_flags
        suite_results += slice_suite_results
    coverage, overdue = _overdue(con, as_of, today)
    ordered = [results[e["meta"]["rule"]] for e in definition["expectations"]]
    ordered.append(WarehouseRuleResult(SUITE, OVERDUE_RULE, "warning", not overdue,
                                       len(overdue)))
    flagged = pd.DataFrame(flags + overdue, columns=FLAG_COLUMNS).astype("str")
    return WarehouseValidation(ordered, flagged, coverage, suite_results, reads_up_to,
                               fingerprint)


def run_changed_warehouse_suite(con: duckdb.DuckDBPyConnection, *, as_of: datetime,
                                today: date, suites_dir: Path = SUITES_DIR
                                ) -> WarehouseValidation:
    """The suite's verdicts as a full run would give them, judging only what changed.

    The member-quarters changed since the last stored run (as the marts see them, so refresh
    those first) are judged again, with the trailing months after each, whose plausibility
    compares against them; every other verdict is the last run's. The overdue rule depends on
    today and covers two quarters of the reporting plan, so it runs whole (cheap). A full run
    instead when there is no stored run to start from, the reference data or suite changed,
    a rule passes with `mostly` (a count no longer says success), or `as_of` goes back.
    """
    definition = load_suite_definition(SUITE, suites_dir)
    fingerprint = suite_fingerprint(con, definition)
    state = refresh_state(con, STEP)
    if (state is None or state.fingerprint != fingerprint or as_of < state.as_of
            or any("mostly" in e["kwargs"] for e in definition["expectations"])):
        return run_warehouse_suite(con, as_of=as_of, today=today, suites_dir=suites_dir)
    reads_up_to = latest_submission_id(con)
    judged, read = _scopes(changed_member_quarters(con, state.last_submission_id),
                           definition["meta"]["plausibility"]["trailing_months"])
    flags, suite_results = [], []
    if judged:
        frames = {batch: _within(frame, judged) for batch, frame in _rule_frames(
            con, current_totals(con, sorted(read)), definition["meta"]).items()}
        _, flags, suite_results = _judge(frames, definition, as_of)
    coverage, overdue = _overdue(con, as_of, today)

    before = con.execute(sql("warehouse_run_flags"), {"run_at": state.as_of, "suite": SUITE}
                         ).df().astype("str")
    still = before.loc[(before["rule"] != OVERDUE_RULE) & ~_within(before, judged, mask=True)]
    flagged = pd.concat([still, pd.DataFrame(flags + overdue, columns=FLAG_COLUMNS).astype(
        "str")], ignore_index=True)
    counts = flagged["rule"].value_counts()
    severities = {e["meta"]["rule"]: severity_of(e) for e in definition["expectations"]}
    severities[OVERDUE_RULE] = "warning"
    results = [WarehouseRuleResult(SUITE, rule, severity, int(counts.get(rule, 0)) == 0,
                                   int(counts.get(rule, 0)))
               for rule, severity in severities.items()]
    return WarehouseValidation(results, flagged, coverage, suite_results, reads_up_to,
                               fingerprint)


def _periods_between(first_month: int, last_month: int) -> list[str]:
    """Every month, and every quarter starting, from `first_month` to `last_month`."""
    months = [month_period(m).text for m in range(first_month, last_month + 1)]
    quarters = [month_period(m).quarter for m in range(first_month, last_month + 1) if m % 3 == 0]
    return months + quarters


def _scopes(member_quarters: list[tuple[str, str]], trailing_months: int
            ) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(judged, read): the member-periods whose verdicts a change to these member-quarters can
    alter (the quarter and the `trailing_months` after it, judged against it), and the
    member-periods judging them reads (their own trailing months before, and the breaks of a
    last quarter's months)."""
    judged, read = set(), set()
    for member, quarter in member_quarters:
        span = parse_period(quarter)
        judged |= {(member, p) for p in _periods_between(
            span.first_month, span.last_month + trailing_months)}
        read |= {(member, p) for p in _periods_between(
            span.first_month - trailing_months, span.last_month + trailing_months + 2)}
    return judged, read


def _within(frame: pd.DataFrame, member_periods: set[tuple[str, str]], *, mask: bool = False):
    """The rows of `frame` whose (member_id, period) is among `member_periods` (or the mask)."""
    inside = pd.Series([key in member_periods for key in zip(
        frame["member_id"], frame["period"], strict=True)], index=frame.index, dtype=bool)
    return inside if mask else frame.loc[inside].reset_index(drop=True)


def store_results(con: duckdb.DuckDBPyConnection, validation: WarehouseValidation,
                  run_at: datetime) -> None:
    """Append the run's rule counts to validation_results and its keys to warehouse_flags, and
    record how far it read (for the next night's changed run)."""
    results = pd.DataFrame([r.__dict__ for r in validation.results],
                           columns=["suite", "rule", "severity", "success", "unexpected_count"])
    flags = validation.flagged.assign(suite=SUITE)
    con.register("warehouse_results", results)
    con.register("warehouse_flagged", flags)
    con.execute("begin transaction")
    try:
        con.execute(sql("insert_warehouse_results"), {"run_at": run_at})
        con.execute(sql("insert_warehouse_flags"), {"run_at": run_at})
        if validation.reads_up_to is not None:
            record_refresh(con, STEP, run_at, validation.reads_up_to, validation.fingerprint)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        con.unregister("warehouse_results")
        con.unregister("warehouse_flagged")

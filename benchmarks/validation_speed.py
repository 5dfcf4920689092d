"""How fast the submission suite runs under Great Expectations, set beside plain DuckDB SQL.

Run: python benchmarks/validation_speed.py [--years 10] [--member-scale 12] [--sample 20]
                                            [--workdir DIR] [--profile]

The sample generator writes an inbox (its scaled clones send one file per quarter, so about
1M observations come in ~7,000 files of ~150 rows; 1,000 such files hold ~150k). Every file
is parsed with the project's own functions into one batch, then timed:
  (a) one GX validation of the whole batch (checks.validation.validate_observations);
  (b) GX per file, on a random sample of files, extrapolated to all of them;
  (c) the floor: the same 19 rules as DuckDB SQL over the registered frame, one query each,
      each returning the failing rows; its counts must equal GX's, rule by rule;
  (d) (a) with the catalogue's large value sets moved out of the suite: pandas marks each
      value known or not in a boolean column and GX checks that column is true;
  (e) (d) with GX given only the columns the suite reads, the period's month as float64;
  (f) (e) per file, on the same sample as (b).
The GX import and the first context are paid once before timing.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import json
import pstats
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

import duckdb  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from checks.validation import (  # noqa: E402
    load_suite_definition,
    rule_columns,
    run_with_great_expectations,
    suite_parameters,
    validate_observations,
)
from efc.settings import REPO_ROOT  # noqa: E402
from sample_generator.generator import write_sample  # noqa: E402
from transforms.catalogue import Catalogue, catalogue_version, read_reference  # noqa: E402
from transforms.observations import canonical_observations, uppercase_country_codes  # noqa: E402
from transforms.parsing import parse_file  # noqa: E402

TODAY = date(2026, 11, 28)
SUBMISSION_SUFFIXES = {".csv", ".json", ".xlsx"}

# The floor: each rule of checks/suites/submission.json as one query over `obs` (the canonical
# frame with row_id) and the catalogue's tables; each returns the row_id of every failing row.
FLOOR_SQL = {
    "member_registered": "select row_id from obs anti join members using (member_id)",
    "member_matches_inbox": "select row_id from obs where member_id <> folder_member",
    "period_format": """select row_id from obs
        where not regexp_full_match(period, '\\d{4}-(?:0[1-9]|1[0-2]|Q[1-4])')""",
    "period_not_future": "select row_id from obs where period_first_month > $current_month",
    "one_frequency_per_indicator": """
        with mixed as (
            select submission_key, member_id, indicator from obs
            group by all having count(distinct frequency) > 1)
        select row_id from obs join mixed using (submission_key, member_id, indicator)
        where frequency is not null""",
    "indicator_in_catalogue": "select row_id from obs anti join indicators using (indicator)",
    "indicator_allowed_for_sector": """
        select row_id from obs join members using (member_id) semi join indicators using (indicator)
        anti join sector_indicators using (sector, indicator)""",
    "dimension_allowed": """
        select row_id from obs semi join indicators using (indicator)
        anti join indicator_dimensions using (indicator, dimension)""",
    "category_in_code_list": """
        select row_id from obs
        where (dimension <> '' or category <> '')
          and (dimension = '' or (indicator, dimension) in (
              select (indicator, dimension) from indicator_dimensions))
          and (dimension, category) not in (
              select (dimension, category) from dimension_categories)""",
    "unit_matches_catalogue": """
        select row_id from obs join indicators using (indicator)
        where obs.unit <> '' and obs.unit <> indicators.unit""",
    "status_code": "select row_id from obs where status not in ('A', 'E', 'P', 'B', 'U', 'M', 'L')",
    "value_present": """select row_id from obs
        where not (value_text <> '' or status in ('M', 'L'))""",
    "value_non_negative": "select row_id from obs where value < 0",
    "count_whole_number": """
        select row_id from obs join indicators using (indicator)
        where indicators.unit = 'count' and fmod(value, 1) <> 0""",
    "observation_unique": """
        select row_id from obs qualify count(*) over (
            partition by submission_key, member_id, period, indicator, dimension, category) > 1""",
    "category_within_total": """
        with totals as (
            select submission_key, member_id, period, indicator, value as total from obs
            where dimension = ''
            qualify row_number() over (
                partition by submission_key, member_id, period, indicator order by row_id) = 1)
        select row_id from obs join totals using (submission_key, member_id, period, indicator)
            semi join indicators on indicators.indicator = obs.indicator and is_additive
        where dimension <> '' and value is not null and total is not null
          and ((total > 0 and (value / total > 1.000001 or value < 0))
               or (total = 0 and value > 0))""",
    "categories_sum_to_total": """
        with totals as (
            select submission_key, member_id, period, indicator, value as total from obs
            where dimension = ''
            qualify row_number() over (
                partition by submission_key, member_id, period, indicator order by row_id) = 1),
        parts as (
            select row_id, value, total,
                sum(value) over (partition by submission_key, member_id, period, indicator,
                                 dimension) as parts_sum
            from obs join totals using (submission_key, member_id, period, indicator)
                semi join indicators on indicators.indicator = obs.indicator and is_additive
                semi join exhaustive using (indicator, dimension)
            where dimension <> '' and value is not null and total is not null)
        select row_id from parts where abs(parts_sum - total) > 0.5""",
    "note_length": "select row_id from obs where length(note) > 280",
    "value_estimated": "select row_id from obs where status in ('E', 'P')",
}


# ------------------------------------------------------------------ the inbox and its batch


def generate(workdir: Path, years: int, member_scale: int) -> Path:
    """The generator's inbox under workdir, written once per (years, scale) and then reused."""
    inbox = workdir / f"inbox_{years}y_x{member_scale}"
    done = inbox / "_complete"
    if not done.exists():
        write_sample(inbox, years=years, member_scale=member_scale, include_faults=False)
        done.write_text("written by benchmarks/validation_speed.py\n")
    return inbox


def submission_files(inbox: Path) -> list[Path]:
    return sorted(p for p in inbox.glob("*/*") if p.suffix in SUBMISSION_SUFFIXES)


def scaled_catalogue(inbox: Path) -> Catalogue:
    """The repository's catalogue with the generator's cloned members registered."""
    reference = REPO_ROOT / "reference"
    tables = read_reference(reference)
    tables["members"] = pd.read_csv(inbox / "_reference_members.csv", dtype=str,
                                    keep_default_na=False)
    return Catalogue.from_tables(catalogue_version(reference), tables)


def parse_batch(files: list[Path], catalogue: Catalogue) -> list[pd.DataFrame]:
    """Each file as the nightly run reads it: parse, canonical observations, keyed."""
    frames = []
    for key, path in enumerate(files):
        parsed = parse_file(path.name, path.read_bytes(), max_rows=1_000_000)
        frame, _ = canonical_observations(parsed.rows)
        frame = uppercase_country_codes(frame, catalogue.code_list_of_dimension)
        frames.append(frame.assign(submission_key=key, folder_member=path.parent.name))
    return frames


# ------------------------------------------------------------------ the timed runs


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def failures_by_rule(results) -> dict[str, int]:
    counts: Counter = Counter()
    for result in results:
        counts[result.rule] += result.unexpected_count
    return dict(counts)


def floor_tables(catalogue: Catalogue) -> dict[str, pd.DataFrame]:
    """The catalogue's lookups as small tables for the SQL floor."""
    def pairs(values, names):
        return pd.DataFrame([v.split("|", 1) for v in sorted(values)], columns=names)

    return {
        "members": pd.DataFrame(sorted(catalogue.sector_of_member.items()),
                                columns=["member_id", "sector"]),
        "indicators": pd.DataFrame(
            [(i, u, i in catalogue.additive_indicators)
             for i, u in sorted(catalogue.unit_of_indicator.items())],
            columns=["indicator", "unit", "is_additive"]),
        "sector_indicators": pairs(catalogue.sector_indicators, ["sector", "indicator"]),
        "indicator_dimensions": pairs(catalogue.indicator_dimensions, ["indicator", "dimension"]),
        "exhaustive": pairs(catalogue.exhaustive, ["indicator", "dimension"]),
        "dimension_categories": pairs(catalogue.dimension_categories, ["dimension", "category"]),
    }


def sql_floor(batch: pd.DataFrame, catalogue: Catalogue) -> dict[str, int]:
    """Every rule as one DuckDB query over the registered frame; failing rows per rule."""
    con = duckdb.connect()
    con.register("obs", batch.assign(row_id=np.arange(len(batch))))
    for name, table in floor_tables(catalogue).items():
        con.register(name, table)
    failing = {}
    for rule, query in FLOOR_SQL.items():
        params = {"current_month": suite_parameters(catalogue, TODAY)["current_month"]} \
            if "$current_month" in query else None
        failing[rule] = len(con.execute(query, params).fetchnumpy()["row_id"])
    con.close()
    return failing


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


def tuned_suite(definition: dict) -> tuple[dict, dict[str, tuple[str, str]]]:
    """The suite with each $PARAMETER value set replaced by a check on a `<column>_known` flag."""
    suite = copy.deepcopy(definition)
    flags = {}
    for expectation in suite["expectations"]:
        value_set = expectation["kwargs"].get("value_set")
        if isinstance(value_set, dict) and "$PARAMETER" in value_set:
            column = expectation["kwargs"]["column"]
            flags[f"{column}_known"] = (column, value_set["$PARAMETER"])
            expectation["kwargs"] = {"column": f"{column}_known", "value_set": [True]}
    return suite, flags


def validate_tuned(batch: pd.DataFrame, catalogue: Catalogue, *, narrow: bool
                   ) -> tuple[dict[str, int], float]:
    """rule_columns; pandas marks values known to the catalogue; GX checks the flags.

    Returns failing rows per rule and the seconds of the GX run alone.

    With `narrow`, GX gets only the columns the suite reads, and the period's first month as
    float64 (GX compares a nullable Int64 column value by value in Python).
    """
    parameters = suite_parameters(catalogue, TODAY)
    suite, flags = tuned_suite(load_suite_definition("submission"))
    checked = rule_columns(batch, catalogue).reset_index(drop=True)
    for flag, (column, parameter) in flags.items():
        values = checked[column]
        checked[flag] = values.isin(parameters[parameter]).astype("boolean").where(values.notna())
    if narrow:
        checked = checked[columns_read(suite)].astype({"period_first_month": "float64"})
    scalars = {k: v for k, v in parameters.items() if not isinstance(v, list)}
    gx_s, outcomes = timed(run_with_great_expectations, suite, checked, scalars)
    return {o.expectation["meta"]["rule"]: len(o.failing) for o in outcomes}, gx_s


# Where the GX run spends its time: (file, function) whose cumulative time is reported.
HOT_SPOTS = {
    "whole-frame row filters (df[mask])": ("pandas/core/frame.py", "_getitem_bool_array"),
    "between on nullable Int64, value by value": ("column_values_between.py", "_pandas"),
    "expectation configs to dicts (pydantic)": ("pydantic/v1/main.py", "dict"),
    "failing-row index lists": ("map_condition_auxilliary_methods.py",
                                "_pandas_map_condition_index"),
}


def profile_gx(checked: pd.DataFrame, catalogue: Catalogue) -> dict[str, float]:
    """Cumulative seconds of the GX run's hot spots under cProfile (inflated by profiling)."""
    profiler = cProfile.Profile()
    profiler.runcall(run_with_great_expectations, load_suite_definition("submission"), checked,
                     suite_parameters(catalogue, TODAY))
    stats = pstats.Stats(profiler)
    spots = {"GX run, profiled": stats.total_tt}
    for label, (path_end, function) in HOT_SPOTS.items():
        spots[label] = sum(cumulative for (path, _, name), (_, _, _, cumulative, _)
                           in stats.stats.items() if path.endswith(path_end) and name == function)
    return spots


def warm_up(catalogue: Catalogue, frame: pd.DataFrame) -> float:
    """Import GX and make its context outside the timings (it costs seconds, once)."""
    seconds, _ = timed(validate_observations, frame, catalogue, TODAY)
    return seconds


# ------------------------------------------------------------------ the report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=10, help="years of data (default 10)")
    parser.add_argument("--member-scale", type=int, default=12,
                        help="copies of the 13 members (default 12: about 1M observations)")
    parser.add_argument("--sample", type=int, default=20, help="files timed one by one")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir())
                        / "efc-validation-speed", help="where the inbox is written and kept")
    parser.add_argument("--profile", action="store_true",
                        help="also profile the GX run and report its hot spots")
    args = parser.parse_args(argv)

    generate_s, inbox = timed(generate, args.workdir, args.years, args.member_scale)
    files = submission_files(inbox)
    catalogue = scaled_catalogue(inbox)
    parse_s, frames = timed(parse_batch, files, catalogue)
    batch = pd.concat(frames, ignore_index=True)
    rows = len(batch)
    print(f"inbox {inbox}: {len(files):,} files, {rows:,} observations "
          f"(generated/reused in {generate_s:.1f} s, parsed in {parse_s:.1f} s)")
    warm_s = warm_up(catalogue, frames[0])

    batch_s, (_, results) = timed(validate_observations, batch, catalogue, TODAY)
    gx_counts = failures_by_rule(results)
    columns_s, checked = timed(lambda: rule_columns(batch, catalogue).reset_index(drop=True))
    gx_only_s, _ = timed(run_with_great_expectations, load_suite_definition("submission"),
                         checked, suite_parameters(catalogue, TODAY))

    sample = random.Random(args.seed).sample(range(len(frames)), min(args.sample, len(frames)))
    per_file = [timed(validate_observations, frames[i], catalogue, TODAY)[0] for i in sample]
    per_file_s = float(np.mean(per_file)) * len(frames)
    sample_rows = sum(len(frames[i]) for i in sample)

    floor_s, floor_counts = timed(sql_floor, batch, catalogue)
    sets_s, (sets_counts, _) = timed(validate_tuned, batch, catalogue, narrow=False)
    tuned_s, (tuned_counts, tuned_gx_s) = timed(validate_tuned, batch, catalogue, narrow=True)
    tuned_file = [timed(validate_tuned, frames[i], catalogue, narrow=True)[0] for i in sample]
    tuned_file_s = float(np.mean(tuned_file)) * len(frames)
    mismatches = {rule: (gx_counts.get(rule), floor_counts.get(rule), sets_counts.get(rule),
                         tuned_counts.get(rule))
                  for rule in FLOOR_SQL
                  if not gx_counts.get(rule) == floor_counts.get(rule) == sets_counts.get(rule)
                  == tuned_counts.get(rule)}

    lines = [
        ("(a) GX, one batch (validate_observations)", batch_s),
        ("    of which rule_columns (pandas)", columns_s),
        ("    of which the GX run itself", gx_only_s),
        ("    of which problems mapped to rows (the rest)", batch_s - columns_s - gx_only_s),
        (f"(b) GX per file: {len(sample)} timed, x {len(frames):,} files", per_file_s),
        ("(c) floor: DuckDB SQL, one query per rule", floor_s),
        ("(d) (a) with value sets as derived booleans", sets_s),
        ("(e) (d) on the columns read, first month float", tuned_s),
        ("    of which the GX run itself", tuned_gx_s),
        (f"(f) (e) per file: {len(sample)} timed, x {len(frames):,}", tuned_file_s),
    ]
    print(f"\n{'step':<48}{'seconds':>9}{'obs/s':>12}{'x floor':>9}")
    for label, seconds in lines:
        print(f"{label:<48}{seconds:>9.2f}{rows / seconds:>12,.0f}{seconds / floor_s:>9.1f}")
    print(f"\nGX import and first context, paid once: {warm_s:.1f} s; per-file sample "
          f"{sample_rows:,} rows in {sum(per_file):.1f} s "
          f"({float(np.mean(per_file)):.2f} s a file; tuned {float(np.mean(tuned_file)):.2f} s)")
    print("failing rows per rule agree (GX, SQL, (d), (e)):",
          "yes" if not mismatches else f"NO {mismatches}")
    print("failing rows:", {r: n for r, n in gx_counts.items() if n} or "none")

    profile = profile_gx(checked, catalogue) if args.profile else {}
    if profile:
        print("\nthe GX run of (a) under cProfile, cumulative seconds:")
    for label, seconds in profile.items():
        print(f"  {label:<46}{seconds:>7.1f} s")

    print(json.dumps({
        "files": len(files), "observations": rows, "sample_files": len(sample),
        "batch_s": round(batch_s, 3), "rule_columns_s": round(columns_s, 3),
        "gx_run_s": round(gx_only_s, 3), "per_file_extrapolated_s": round(per_file_s, 3),
        "floor_sql_s": round(floor_s, 3), "derived_sets_s": round(sets_s, 3),
        "tuned_s": round(tuned_s, 3), "tuned_gx_run_s": round(tuned_gx_s, 3),
        "tuned_per_file_extrapolated_s": round(tuned_file_s, 3),
        "batch_vs_floor": round(batch_s / floor_s, 2),
        "tuned_vs_floor": round(tuned_s / floor_s, 2),
        "within_3x": batch_s <= 3 * floor_s, "counts_agree": not mismatches,
        "gx_profile_s": {label: round(seconds, 2) for label, seconds in profile.items()},
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

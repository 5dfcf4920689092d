"""How fast the nightly run validates a batch under Great Expectations, beside plain DuckDB SQL.

Run: python benchmarks/validation_speed.py [--years 10] [--member-scale 12] [--sample 20]
                                            [--repeat 3] [--workdir DIR] [--profile]

The sample generator writes an inbox into --workdir once and reuses it (its scaled clones send
one file per quarter, so about 1M observations come in ~6,400 files of ~160 rows). Every file
is parsed with the project's own functions into one batch, then timed:
  (a) the production path: checks.validation.validate_batch over the whole batch, as the
      nightly flow calls it (the rule columns, one GX run, every failing row mapped back to its
      file and line; its counts-only GX result is what the Data Docs show);
  (b) the same per file, on a random sample of files, extrapolated to all of them;
  (c) the floor: the same 19 rules as DuckDB SQL over the registered frame, one query each,
      each returning the failing rows;
  (d) the offline engine (`engine="pandas"`, what `efc check` runs without importing GX).
Failing rows per rule must agree between (a), (c) and (d). The headline is (a) against (c):
seconds, observations per second and the ratio (the goal is within 3x of the floor). (a), its
parts and (c) each count their fastest of --repeat runs; the GX import and the first context
are paid once before timing.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

import duckdb  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from checks.validation import (  # noqa: E402
    load_suite_definition,
    per_submission,
    rule_columns,
    run_with_great_expectations,
    suite_parameters,
    validate_batch,
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
    """The repository's catalogue with the generator's cloned members registered (it writes
    them only when it clones, at a member scale above 1)."""
    reference = REPO_ROOT / "reference"
    tables = read_reference(reference)
    if (clones := inbox / "_reference_members.csv").exists():
        tables["members"] = pd.read_csv(clones, dtype=str, keep_default_na=False)
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


def best_of(repeat: int, function, *args, **kwargs):
    """The fastest of `repeat` runs and its result: others share this machine's two cores."""
    runs = [timed(function, *args, **kwargs) for _ in range(repeat)]
    return min(seconds for seconds, _ in runs), runs[-1][1]


def failures_by_rule(rule_counts: pd.DataFrame) -> dict[str, int]:
    return {rule: int(n) for rule, n in rule_counts.groupby("rule")["unexpected_count"].sum()
            .items()}


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


# Where the production run spends its time: (file, function) whose cumulative time is reported.
HOT_SPOTS = {
    "rule_columns (pandas)": ("checks/validation.py", "rule_columns"),
    "GX run (run_with_great_expectations)": ("checks/validation.py",
                                             "run_with_great_expectations"),
    "  of which gx_frame: columns read, compact": ("checks/validation.py", "gx_frame"),
    "  of which whole-frame row filters": ("pandas/core/frame.py", "_getitem_bool_array"),
    "  of which failing-row index lists": ("map_condition_auxilliary_methods.py",
                                          "_pandas_map_condition_index"),
    "  of which expectation configs to dicts": ("pydantic/v1/main.py", "dict"),
    "per_submission: problems mapped to rows": ("checks/validation.py", "per_submission"),
}


def profile_production(batch: pd.DataFrame, catalogue: Catalogue) -> dict[str, float]:
    """Cumulative seconds of (a)'s parts under cProfile (inflated by profiling)."""
    profiler = cProfile.Profile()
    profiler.runcall(validate_batch, batch, catalogue, TODAY)
    stats = pstats.Stats(profiler)
    spots = {"validate_batch, profiled": stats.total_tt}
    for label, (path_end, function) in HOT_SPOTS.items():
        spots[label] = sum(cumulative for (path, _, name), (_, _, _, cumulative, _)
                           in stats.stats.items() if path.endswith(path_end) and name == function)
    return spots


def warm_up(catalogue: Catalogue, frame: pd.DataFrame) -> float:
    """Import GX and make its context outside the timings (it costs seconds, once)."""
    seconds, _ = timed(validate_batch, frame, catalogue, TODAY)
    return seconds


# ------------------------------------------------------------------ the report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=10, help="years of data (default 10)")
    parser.add_argument("--member-scale", type=int, default=12,
                        help="copies of the 13 members (default 12: about 1M observations)")
    parser.add_argument("--sample", type=int, default=20, help="files timed one by one")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of (a), its parts and (c); the fastest counts (default 3)")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir())
                        / "efc-validation-speed", help="where the inbox is written and kept")
    parser.add_argument("--profile", action="store_true",
                        help="also profile the production run and report where it spends time")
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

    batch_s, validation = best_of(args.repeat, validate_batch, batch, catalogue, TODAY)
    gx_counts = failures_by_rule(validation.rule_counts)
    columns_s, checked = best_of(args.repeat, rule_columns, batch, catalogue)
    gx_only_s, (outcomes, _) = best_of(
        args.repeat, run_with_great_expectations, load_suite_definition("submission"), checked,
        suite_parameters(catalogue, TODAY))
    mapped_s, _ = best_of(args.repeat, per_submission, checked, outcomes, "submission")

    sample = random.Random(args.seed).sample(range(len(frames)), min(args.sample, len(frames)))
    per_file = [timed(validate_batch, frames[i], catalogue, TODAY)[0] for i in sample]
    per_file_s = float(np.mean(per_file)) * len(frames)
    sample_rows = sum(len(frames[i]) for i in sample)

    floor_s, floor_counts = best_of(args.repeat, sql_floor, batch, catalogue)
    offline_s, offline = timed(validate_batch, batch, catalogue, TODAY, engine="pandas")
    offline_counts = failures_by_rule(offline.rule_counts)
    mismatches = {rule: (gx_counts.get(rule), floor_counts.get(rule), offline_counts.get(rule))
                  for rule in FLOOR_SQL
                  if not gx_counts.get(rule) == floor_counts.get(rule) == offline_counts.get(rule)}

    lines = [
        ("(a) production: validate_batch, one GX run", batch_s),
        ("    of which rule_columns (pandas)", columns_s),
        ("    of which the GX run (compact frame, GX)", gx_only_s),
        ("    of which per_submission (rows to problems)", mapped_s),
        (f"(b) (a) per file: {len(sample)} timed, x {len(frames):,} files", per_file_s),
        ("(c) floor: DuckDB SQL, one query per rule", floor_s),
        ("(d) offline engine (pandas, efc check)", offline_s),
    ]
    print(f"\n{'step':<48}{'seconds':>9}{'obs/s':>12}{'x floor':>9}")
    for label, seconds in lines:
        print(f"{label:<48}{seconds:>9.2f}{rows / seconds:>12,.0f}{seconds / floor_s:>9.1f}")
    print(f"\nvalidate_batch (the nightly path) {batch_s:.2f} s, {rows / batch_s:,.0f} obs/s; "
          f"SQL floor {floor_s:.2f} s, {rows / floor_s:,.0f} obs/s: "
          f"{batch_s / floor_s:.1f}x the floor (goal: within 3x)")
    print(f"GX import and first context, paid once: {warm_s:.1f} s; per-file sample "
          f"{sample_rows:,} rows in {sum(per_file):.1f} s "
          f"({float(np.mean(per_file)):.2f} s a file)")
    print("failing rows per rule agree (GX, SQL, offline):",
          "yes" if not mismatches else f"NO {mismatches}")
    print("failing rows:", {r: n for r, n in gx_counts.items() if n} or "none")

    profile = profile_production(batch, catalogue) if args.profile else {}
    if profile:
        print("\n(a) under cProfile, cumulative seconds:")
    for label, seconds in profile.items():
        print(f"  {label:<46}{seconds:>7.1f} s")

    print(json.dumps({
        "files": len(files), "observations": rows, "sample_files": len(sample),
        "batch_s": round(batch_s, 3), "rule_columns_s": round(columns_s, 3),
        "gx_run_s": round(gx_only_s, 3), "per_submission_s": round(mapped_s, 3),
        "repeat": args.repeat, "per_file_extrapolated_s": round(per_file_s, 3),
        "floor_sql_s": round(floor_s, 3), "offline_s": round(offline_s, 3),
        "batch_obs_per_s": round(rows / batch_s), "floor_obs_per_s": round(rows / floor_s),
        "batch_vs_floor": round(batch_s / floor_s, 2), "within_3x": batch_s <= 3 * floor_s,
        "counts_agree": not mismatches,
        "profile_s": {label.strip(): round(seconds, 2) for label, seconds in profile.items()},
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

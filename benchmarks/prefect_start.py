"""The Prefect floor: a hello-world flow in a fresh process, with the CLI's Prefect settings.

Run: python benchmarks/prefect_start.py [--runs N] [--compare] [--repeat R]

Without --compare: runs the flow `--runs` times in this process (the first run starts the local
ephemeral API server unless PREFECT_API_URL is set) and prints one JSON line: seconds to import
Prefect, each run's seconds. benchmarks/run_all.py times this script in a fresh process as the
floor of a flow run.

With --compare: times that fresh process (`--runs 2`: cold first run, warm second run) under
several sets of Prefect settings, `--repeat` times each, and prints a table of medians. Each set
is added on top of the CLI's own defaults (efc.prefect_env.quiet_prefect), in a throw-away
PREFECT_HOME that is warmed once (migrations) before timing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

# Appended, not inserted: with PYTHONPATH set (run_all.py --snapshot) its `efc` wins.
sys.path.append(str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

SERVICES_OFF = {f"PREFECT_SERVER_SERVICES_{name}_ENABLED": "false" for name in (
    "TASK_RUN_RECORDER", "EVENT_PERSISTER", "TRIGGERS", "ACTIONS", "EVENT_LOGGER",
    "SCHEDULER", "LATE_RUNS", "FOREMAN", "CANCELLATION_CLEANUP", "PAUSE_EXPIRATIONS",
    "REPOSSESSOR", "DB_VACUUM")}

# Settings tried on top of the CLI's; each is one environment.
VARIANTS: dict[str, dict[str, str]] = {
    "CLI defaults (quiet_prefect)": {},
    "+ no logs to the API": {"PREFECT_LOGGING_TO_API_ENABLED": "false"},
    "+ no migration check on start": {"PREFECT_API_DATABASE_MIGRATE_ON_START": "false"},
    "+ no block registration on start": {"PREFECT_API_BLOCKS_REGISTER_ON_START": "false"},
    "+ server services off": SERVICES_OFF,
    "+ all of the above": {"PREFECT_LOGGING_TO_API_ENABLED": "false",
                           "PREFECT_API_DATABASE_MIGRATE_ON_START": "false",
                           "PREFECT_API_BLOCKS_REGISTER_ON_START": "false", **SERVICES_OFF},
    "+ analytics ON (the CLI turns it off)": {"PREFECT_SERVER_ANALYTICS_ENABLED": "true"},
}


def hello_runs(runs: int) -> dict:
    from efc.prefect_env import quiet_prefect

    quiet_prefect()
    started = time.perf_counter()
    from prefect import flow

    imported = time.perf_counter() - started

    @flow(name="hello")
    def hello() -> int:
        return 1

    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        assert hello() == 1
        seconds.append(time.perf_counter() - start)
    return {"import_s": round(imported, 3), "runs_s": [round(s, 3) for s in seconds]}


def compare(repeat: int, runs: int) -> int:
    from benchmarks.measure import run_measured

    rows = []
    argv = [sys.executable, __file__, "--runs", str(runs)]
    for label, extra in VARIANTS.items():
        home = Path(tempfile.mkdtemp(prefix="efc-prefect-home-"))
        # The first process in a new PREFECT_HOME creates and migrates its database: with the
        # CLI's settings only (a variant may skip migrations), and not timed in the medians.
        warm = run_measured(argv, env={**os.environ, "PREFECT_HOME": str(home)}).check(
            f"first start for {label}")
        env = {**os.environ, "PREFECT_HOME": str(home), **extra}
        walls, firsts, seconds, imports, peaks = [], [], [], [], []
        for _ in range(repeat):
            m = run_measured(argv, env=env).check(label)
            inner = json.loads(m.stdout.strip().splitlines()[-1])
            walls.append(m.seconds)
            imports.append(inner["import_s"])
            firsts.append(inner["runs_s"][0])
            seconds.append(inner["runs_s"][1] if len(inner["runs_s"]) > 1 else float("nan"))
            peaks.append(m.peak_mb)
        shutil.rmtree(home, ignore_errors=True)
        rows.append((label, warm.seconds, statistics.median(walls), statistics.median(imports),
                     statistics.median(firsts), statistics.median(seconds),
                     statistics.median(peaks)))
        print(f"  {label}: fresh process {statistics.median(walls):.2f} s", flush=True)
    print(f"\n{'settings (on top of the CLI defaults)':<40}{'cold*':>7}{'process':>9}"
          f"{'import':>8}{'1st run':>9}{'2nd run':>9}{'RSS MB':>8}")
    for label, warm, wall, imp, first, second, peak in rows:
        print(f"{label:<40}{warm:>7.1f}{wall:>9.2f}{imp:>8.2f}{first:>9.2f}{second:>9.2f}"
              f"{peak:>8.0f}")
    print(f"\nmedians of {repeat} fresh processes, each running the flow {runs} times; "
          "cold* = the first process in a new PREFECT_HOME (database created and migrated, CLI "
          "settings only)")
    print(json.dumps({"repeat": repeat, "runs": runs, "variants": {
        label: {"env": VARIANTS[label], "cold_first_process_s": round(warm, 3),
                "process_s": round(wall, 3), "import_s": imp, "first_run_s": first,
                "second_run_s": second, "peak_mb": round(peak, 1)}
        for label, warm, wall, imp, first, second, peak in rows}}))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="flow runs in this process")
    parser.add_argument("--compare", action="store_true",
                        help="compare Prefect settings, each in fresh processes")
    parser.add_argument("--repeat", type=int, default=3, help="processes per setting (--compare)")
    args = parser.parse_args(argv)
    if args.compare:
        return compare(args.repeat, max(args.runs, 2))
    print(json.dumps(hello_runs(args.runs)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

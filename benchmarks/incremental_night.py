"""A night's cost on a long history: marts, warehouse suite and readers' snapshot, full and
incremental, for 10 new files (issue 16: 10 files on the history within 1.5x the same on an
empty warehouse).

Run: python benchmarks/incremental_night.py [--observations 5000000] [--workdir DIR]

The history is written straight into a warehouse with SQL (every member's reporting plan over
120 months, each total with enough breakdown cells to reach --observations, one submission per
member-month), then refreshed, judged and published in full. Ten files (nine new months and
one correction of an earlier month) are then examined, validated and loaded as the nightly run
loads them (after a night with none, so the snapshot has its spare, as every night after the
second does), and the night's three steps timed: incremental on the history, incremental on a
warehouse that held nothing before, and full on the history. Prints a table and one JSON line;
the process's peak memory (RSS) is printed too.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import resource
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

import duckdb  # noqa: E402

from checks.warehouse_checks import (  # noqa: E402
    run_changed_warehouse_suite,
    run_warehouse_suite,
    store_results,
)
from efc.settings import Settings, keep_workspace_private  # noqa: E402
from transforms import nightly  # noqa: E402
from transforms.catalogue import Catalogue, load_catalogue  # noqa: E402
from transforms.inbox import Arrival  # noqa: E402
from transforms.intake import Submission, examine, validate  # noqa: E402
from transforms.marts import refresh_changed, refresh_marts  # noqa: E402
from transforms.warehouse import publish_snapshot, writer  # noqa: E402

MONTHS = 120
LAST_MONTH = date.today().year * 12 + date.today().month - 2  # last month, as a month index
GOAL = 1.5

HISTORY_SQL = """
with months as (
    select $last - range as m from range($months)
),
periods as (
    select printf('%04d-%02d', m // 12, m % 12 + 1) as period, 'month' as frequency,
           printf('%04d-Q%d', m // 12, (m % 12) // 3 + 1) as quarter, m as last_month
    from months
    union all
    select printf('%04d-Q%d', m // 12, (m % 12) // 3 + 1), 'quarter',
           printf('%04d-Q%d', m // 12, (m % 12) // 3 + 1), m
    from months where m % 3 = 2
),
cells as (
    select '' as dimension, '' as category, 0 as k
    union all
    select 'hosting_country', printf('C%03d', range), range + 1 from range($categories)
)
select plan.member_id, periods.period, periods.frequency, periods.quarter, plan.indicator,
       cells.dimension, cells.category,
       (800 + hash(plan.member_id, periods.period, plan.indicator, cells.k) % 400)
           * (case when hash(plan.member_id, periods.period, plan.indicator) % 97 = 0
                   then 5 else 1 end) / (case when cells.k = 0 then 1 else $categories end)
           as value,
       periods.last_month
from reporting_plan as plan
join periods using (frequency)
cross join cells
"""


def write_history(con: duckdb.DuckDBPyConnection, observations: int) -> int:
    """The history straight into observations and submissions; returns its row count."""
    [(totals,)] = con.execute(
        "select count(*) from reporting_plan join (select 'month' as frequency, range "
        "from range($months) union all select 'quarter', range from range($quarters)) "
        "using (frequency)", {"months": MONTHS, "quarters": MONTHS // 3}).fetchall()
    categories = max(0, round(observations / totals) - 1)
    con.execute("create temp table history as " + HISTORY_SQL,
                {"last": LAST_MONTH, "months": MONTHS, "categories": categories})
    con.execute("""
        insert into submissions (sha256, member_id, file_name, file_name_sha256, file_format,
            size_bytes, received_at, state, state_changed_at, observation_count, problems)
        select sha256(member_id || period), member_id, period || '.csv',
               sha256(period || '.csv'), 'csv', 1000, arrived, 'accepted', arrived, rows, '[]'
        from (select member_id, period, count(*) as rows,
                     make_timestamptz(last_month // 12, last_month % 12 + 1, 1, 0, 0, 0)
                         + interval 50 days as arrived
              from history group by member_id, period, last_month)
        order by arrived, member_id""")
    con.execute("""
        insert into observations
        select submissions.submission_id, history.member_id, history.period, history.frequency,
               history.quarter, history.indicator, history.dimension, history.category,
               history.value, 'A', null, submissions.received_at, null
        from history
        join submissions on submissions.member_id = history.member_id
            and submissions.file_name = history.period || '.csv'""")
    con.execute("drop table history")
    return con.execute("select count(*) from observations").fetchall()[0][0]


def tonight(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """Ten files: this month's totals of nine monthly members, and one member's correction of
    a month six months back (totals and their breakdowns, as the history holds them)."""
    plan = con.execute("select member_id, list(indicator order by indicator) from "
                       "reporting_plan where frequency = 'month' group by member_id "
                       "order by member_id").fetchall()
    header = "member_id,period,indicator,value\n"
    month = f"{(LAST_MONTH + 1) // 12:04d}-{(LAST_MONTH + 1) % 12 + 1:02d}"
    files = [(member, header + "".join(f"{member},{month},{indicator},{900 + n}\n"
                                       for n, indicator in enumerate(indicators)))
             for member, indicators in plan[:9]]
    member, indicators = plan[0]
    earlier = f"{(LAST_MONTH - 6) // 12:04d}-{(LAST_MONTH - 6) % 12 + 1:02d}"
    files.append((member, header + "".join(f"{member},{earlier},{indicator},{950 + n}\n"
                                           for n, indicator in enumerate(indicators))))
    return files


def load(con: duckdb.DuckDBPyConnection, files: list[tuple[str, str]], catalogue: Catalogue,
         today: date) -> nightly.NightlySummary:
    """Examine, validate and load (member, CSV text) files as the nightly run does, without an
    inbox or Prefect; every file must be accepted (tests/test_incremental_refresh.py uses it
    too)."""
    now = datetime.now(UTC)
    submissions = []
    for key, (member, text) in enumerate(files):
        data = text.encode()
        arrival = Arrival(member, f"night-{key}.csv", Path(f"/nonexistent/night-{key}.csv"),
                          hashlib.sha256(data).hexdigest(), len(data), 0)
        submissions.append(examine(Submission(key=key, arrival=arrival, received_at=now),
                                   data, catalogue, max_file_bytes=10**7, max_rows=10**6))
    validate(submissions, catalogue, today)
    refused = {s.arrival.file_name: s.state for s in submissions
               if s.state not in ("accepted", "accepted_with_warnings")}
    if refused:
        raise ValueError(f"files not accepted: {refused}")
    return nightly.load_submissions(con, submissions,
                                    nightly.NightlySummary(started_at=now, inbox="bench"))


def timed(step) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def night_steps(con: duckdb.DuckDBPyConnection, settings: Settings, as_of: datetime, *,
                full: bool) -> dict[str, float]:
    """Seconds of each of the night's steps after loading, in the flow's order."""
    def suite() -> None:
        run = run_warehouse_suite if full else run_changed_warehouse_suite
        store_results(con, run(con, as_of=as_of, today=as_of.date()), as_of)

    return {
        "marts": timed(lambda: refresh_marts(con, as_of) if full
                       else refresh_changed(con, as_of)),
        "warehouse suite": timed(suite),
        "snapshot": timed(lambda: publish_snapshot(con, settings, full=full)),
    }


def settings_for(home: Path) -> Settings:
    """The environment's settings (EFC_DUCKDB_MEMORY_LIMIT, ...) with a workspace of its own."""
    return dataclasses.replace(Settings.from_env(), home=home, inbox=home / "inbox")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--observations", type=int, default=5_000_000)
    parser.add_argument("--workdir", type=Path, help="default: a temporary folder")
    args = parser.parse_args(argv)
    keep_workspace_private()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="efc-incremental-"))
    history, empty = settings_for(workdir / "history"), settings_for(workdir / "empty")
    figures: dict[str, dict[str, float]] = {}

    with writer(history) as con:
        started = time.perf_counter()
        rows = write_history(con, args.observations)
        print(f"history: {rows:,} observations written in "
              f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
        first = datetime.now(UTC)
        figures["history, first full build"] = night_steps(con, history, first, full=True)
        publish_snapshot(con, history)  # as a later night leaves it: a snapshot and its spare
        files = tonight(con)
        load(con, files, load_catalogue(history.reference_dir), date.today())
        as_of = datetime.now(UTC)
        figures["10 files on the history, incremental"] = night_steps(
            con, history, as_of, full=False)
        figures["10 files on the history, full"] = night_steps(
            con, history, as_of + timedelta(seconds=1), full=True)
        snapshot_mb = (workdir / "history" / "warehouse.snapshot.duckdb").stat().st_size / 2**20

    with writer(empty) as con:
        night_steps(con, empty, datetime.now(UTC), full=True)  # the state a first night leaves
        publish_snapshot(con, empty)
        load(con, files, load_catalogue(empty.reference_dir), date.today())
        figures["10 files on an empty warehouse, incremental"] = night_steps(
            con, empty, datetime.now(UTC), full=False)

    steps = ["marts", "warehouse suite", "snapshot"]
    print(f"\n{'':47}" + "".join(f"{s:>17}" for s in steps) + f"{'total':>10}")
    for name, seconds in figures.items():
        print(f"{name:47}" + "".join(f"{seconds[s]:>16.2f}s" for s in steps)
              + f"{sum(seconds.values()):>9.2f}s")
    on_history = sum(figures["10 files on the history, incremental"].values())
    on_empty = sum(figures["10 files on an empty warehouse, incremental"].values())
    ratio = on_history / on_empty
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n10 files on {rows:,} observations vs on an empty warehouse: {ratio:.2f}x "
          f"(goal <= {GOAL}x: {'met' if ratio <= GOAL else 'NOT met'}); snapshot file "
          f"{snapshot_mb:,.0f} MB; peak RSS of this process {peak_mb:,.0f} MB")
    print(json.dumps({"observations": rows, "figures": figures, "ratio": round(ratio, 3),
                      "goal": GOAL, "snapshot_mb": round(snapshot_mb), "peak_rss_mb":
                      round(peak_mb)}))
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())

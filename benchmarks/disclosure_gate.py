"""How long the disclosure gate takes for a quarter's tables, beside a threshold-only floor.

Run: python benchmarks/disclosure_gate.py [--tables N] [--seed S] [--repeat R]

A quarter-sized synthetic set: one-way tables (categories and total, like hosting countries or
site types) and two-way tables (quarters by category with each quarter's total, and
category by category with both margins), up to 200 cells each, from member contributions of
4 to 12 members per table, one of them often dominant and many cells with few members. The gate
(`protect_table`: primary rules, optimal secondary suppression, audit) is timed against the
floor: the threshold rule alone (`protect`) on the same cells. CPU time is printed beside wall
time: on a shared machine it is the steadier of the two.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from checks.disclosure import DisclosureLog, load_rules, protect, protect_table  # noqa: E402


def synthetic_table(rng: np.random.Generator, kind: str) -> tuple[pd.DataFrame, dict]:
    """Member contributions for one table and the protect_table arguments that shape it."""
    members = [f"m{i:02d}" for i in range(int(rng.integers(4, 15)))]
    weight = rng.pareto(2.0, len(members)) + 0.3  # a few members far larger than the rest
    if kind == "one-way":
        rows, cols = [f"c{i:02d}" for i in range(int(rng.integers(5, 61)))], [""]
    elif kind == "quarters":
        rows, cols = [f"c{i:02d}" for i in range(int(rng.integers(4, 11)))], \
            [f"2024-Q{q}" for q in range(1, 5)] + [f"2025-Q{q}" for q in range(1, 5)] \
            + [f"2026-Q{q}" for q in range(1, 5)]
    else:
        rows = [f"r{i:02d}" for i in range(int(rng.integers(4, 13)))]
        cols = [f"k{i:02d}" for i in range(int(rng.integers(4, 15)))]
    records = []
    for r in rows:
        for c in cols:
            present = rng.random(len(members)) < rng.uniform(0.3, 0.95)
            for m, w, p in zip(members, weight, present, strict=True):
                if p:
                    records.append((r, c, m, float(rng.poisson(20 * w))))
    frame = pd.DataFrame(records, columns=["category", "column", "member_id", "value"])
    frame["indicator"] = "HL_URLS_CONFIRMED"
    if kind == "one-way":
        return frame.drop(columns="column"), {"row": "category"}
    if kind == "quarters":
        return frame, {"row": "category", "col": "column", "totals": ("category",)}
    return frame, {"row": "category", "col": "column"}


def quarter_of_tables(n: int, seed: int) -> list[tuple[pd.DataFrame, dict]]:
    rng = np.random.default_rng(seed)
    kinds = ["one-way"] * (2 * n // 5) + ["quarters"] * (3 * n // 10)
    kinds += ["two-way"] * (n - len(kinds))
    return [synthetic_table(rng, kind) for kind in kinds]


def threshold_cells(contributions: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The interior cells as `protect` takes them: value, contributors, indicator."""
    return contributions.groupby(keys, as_index=False).agg(
        value=("value", "sum"), contributors=("member_id", "nunique"),
        indicator=("indicator", "first"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=50)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rules = load_rules("public")
    tables = quarter_of_tables(args.tables, args.seed)
    floors = [threshold_cells(frame, [shape["row"], shape.get("col", shape["row"])])
              for frame, shape in tables]
    n_cells = sum(len(f) for f in floors)

    gate, floor = {"wall": [], "cpu": []}, {"wall": [], "cpu": []}
    for _ in range(args.repeat):
        log = DisclosureLog()
        wall, cpu = time.perf_counter(), time.process_time()
        results = [protect_table(frame, rules=rules, log=log, table=f"t{i}", **shape)
                   for i, (frame, shape) in enumerate(tables)]
        gate["wall"].append(time.perf_counter() - wall)
        gate["cpu"].append(time.process_time() - cpu)
        floor_log = DisclosureLog()
        wall, cpu = time.perf_counter(), time.process_time()
        for i, cells in enumerate(floors):
            protect(cells, rules, floor_log, f"t{i}")
        floor["wall"].append(time.perf_counter() - wall)
        floor["cpu"].append(time.process_time() - cpu)

    cells = pd.concat([r.cells for r in results])
    slowest = max(len(r.cells) for r in results)
    print(f"{len(tables)} tables, {len(cells)} cells with margins ({n_cells} interior), "
          f"largest {slowest} cells")
    print("status: " + ", ".join(f"{s} {n}" for s, n in
                                 cells["status"].value_counts().sort_index().items()))
    print("hidden by: " + ", ".join(f"{r} {n}" for r, n in
                                    cells["suppressed_by"].value_counts().sort_index().items()
                                    if r))
    print(f"audit: {sum(len(r.audit) for r in results)} hidden cells, "
          f"all protected: {all(r.ok for r in results)}")
    for name, times in (("gate  (rules, secondary, audit)", gate),
                        ("floor (threshold rule only)    ", floor)):
        wall, cpu = statistics.median(times["wall"]), statistics.median(times["cpu"])
        print(f"{name}: {wall:.3f} s wall, {cpu:.3f} s CPU, {1000 * wall / len(tables):.1f} ms "
              f"a table (median of {args.repeat} runs)")

if __name__ == "__main__":
    main()

"""`make bench`: the pipeline at 10k to 5M observations, each figure beside its floor.

Run: python benchmarks/run_all.py [--scales 10k,100k,member-months,1M,5M] [--workdir DIR]
                                  [--keep] [--resume] [--out FILE] [--lock FILE]
                                  [--profile SCALES] [--snapshot [REVISION]]

For each scale the sample generator writes an inbox (more members x more years; clones send
one file per quarter), except member-months (issue 16), which benchmarks/member_months.py
writes: 13 members x 120 months, one CSV of about 275 rows per member-month. Every measured
command runs in a fresh process, as an operator would run it, with its own EFC_HOME and a
PREFECT_HOME private to the benchmark:
- floor of the flow runs: a hello-world Prefect flow in a fresh process, with the CLI's Prefect
  settings (median of 3, after one first start that creates the Prefect database);
- the fixed cost of the stack (measured when a scale of FIXED_COST_SCALES is): a fresh process
  that imports the nightly flow's modules and Great Expectations, and nothing else;
- floor of the ingest: benchmarks/duckdb_floor.py, bare DuckDB read_csv/read_json of the same
  files into tables of a fresh database (XLSX left out: see that script);
- `efc ingest` of the inbox less 10 files held back (the history);
- `efc ingest` of those 10 files on top of the history, and on an empty warehouse;
- `efc assess --quarter <the data's last quarter>` on the history's warehouse.
Wall time, observations/s and peak memory (RSS, see benchmarks/measure.py) of each, and the
goals of issues 8 and 16: ingest within 3x the DuckDB floor plus one Prefect start (not judged
at 100k and below, where importing the stack costs more than the work: its fixed cost is printed
beside the goal); 10 new files on the history within 1.5x the empty case; an assessment within
15 s of the Prefect floor; peak memory under 2 GB at 5M observations.

Generated inboxes are reused from --workdir when kept (--keep); with --resume, a scale already
measured in --workdir is reported from its stored figures instead of being measured again.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import io
import json
import os
import platform
import pstats
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from benchmarks.measure import Measured, run_measured  # noqa: E402
from efc.settings import REPO_ROOT  # noqa: E402

# name: (years, member_scale). Scaled clones report from the window's first month.
SCALES: dict[str, tuple[int, int]] = {
    "10k": (1, 1),
    "100k": (3, 4),
    "member-months": (10, 1),
    "1M": (10, 12),
    "5M": (20, 30),
}
# Issue 16's case, "generated outside the project": benchmarks/member_months.py writes it.
MEMBER_MONTHS = "member-months"
# Scales where importing the stack costs more than the work: the ingest goal is not judged.
FIXED_COST_SCALES = ("10k", "100k")
# What `efc ingest` imports before it reads a file: its fixed cost, beside P.
STACK_IMPORT = "import flows.nightly_aggregation, great_expectations"
LAST_QUARTER = "2026-Q3"  # the generator's default: the quarter assessed
LAST_MONTH = f"{LAST_QUARTER[:4]}-{3 * int(LAST_QUARTER[-1]):02d}"
HELD_BACK = 10
PREFECT_REPEAT = 3
MEMORY_GOAL_MB = 2048
INGEST_FACTOR, INCREMENTAL_FACTOR, ASSESS_MARGIN_S = 3.0, 1.5, 15.0
BENCH = Path(__file__).resolve().parent


# ------------------------------------------------------------------ rows of the table


@dataclass
class Row:
    scale: str
    step: str
    seconds: float | None  # None: a row that is not a timing (peak memory)
    observations: int | None = None
    files: int | None = None
    floor_s: float | None = None
    versus: str = ""  # the figure the goal constrains, e.g. "2.4x" or "+11.2 s"
    goal: str = ""
    met: bool | None = None
    peak_mb: float | None = None
    detail: dict = field(default_factory=dict)

    @property
    def per_second(self) -> float | None:
        return self.observations / self.seconds if self.observations and self.seconds else None


def say(message: str) -> None:
    print(message, flush=True)


def fmt(value, spec: str, empty: str = "") -> str:
    return empty if value is None else format(value, spec)


def print_table(rows: list[Row]) -> None:
    scale = max(6, *(len(r.scale) + 1 for r in rows))
    goal = max(22, *(len(r.goal) + 1 for r in rows))
    head = (f"{'scale':<{scale}}{'observations':>13}{'files':>7}  {'step':<38}{'seconds':>9}"
            f"{'obs/s':>10}{'floor s':>9}{'vs floor':>10}  {'goal':<{goal}}{'met?':<6}"
            f"{'peak MB':>8}")
    say(head)
    say("-" * len(head))
    for r in rows:
        met = "" if r.met is None else ("yes" if r.met else "NO")
        say(f"{r.scale:<{scale}}{fmt(r.observations, ',d'):>13}{fmt(r.files, ',d'):>7}  "
            f"{r.step:<38}{fmt(r.seconds, '.2f'):>9}{fmt(r.per_second, ',.0f'):>10}"
            f"{fmt(r.floor_s, '.2f'):>9}{r.versus:>10}  {r.goal:<{goal}}{met:<6}"
            f"{fmt(r.peak_mb, ',.0f'):>8}")


# ------------------------------------------------------------------ environment


class HeavyLock:
    """An exclusive flock held around each heavy step, when --lock is given (shared machines)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    @contextlib.contextmanager
    def held(self):
        if self.path is None:
            yield 0.0
            return
        with open(self.path, "a") as handle:
            started = time.perf_counter()
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield time.perf_counter() - started
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def efc_command(code: Path | None) -> list[str]:
    """The installed `efc` script; `python -m efc.cli` when measuring a snapshot of the code."""
    script = Path(sys.executable).parent / "efc"
    if code is None and script.exists():
        return [str(script)]
    return [sys.executable, "-m", "efc.cli"]


def base_env(prefect_home: Path, code: Path | None) -> dict[str, str]:
    """The caller's environment with the benchmark's private PREFECT_HOME and no EFC_* leftovers.

    With a snapshot of the code, PYTHONPATH puts it ahead of the editable install.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("EFC_")}
    env["PREFECT_HOME"] = str(prefect_home)
    env["PYTHONUNBUFFERED"] = "1"
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(code), *filter(None, [env.get("PYTHONPATH")])])
    return env


def snapshot_head(workdir: Path, revision: str = "HEAD") -> tuple[str, Path]:
    """The committed HEAD (or another revision), extracted with `git archive` (reads the
    repository, writes nothing to it) into WORKDIR/code-<commit>: measurements then ignore edits
    in progress in a shared working tree."""
    commit = subprocess.run(["git", "rev-parse", "--verify", f"{revision}^{{commit}}"],
                            cwd=REPO_ROOT, check=True, capture_output=True,
                            text=True).stdout.strip()
    target = workdir / f"code-{commit[:12]}"
    if not (target / ".complete").exists():
        partial = workdir / f".code-{commit[:12]}.{os.getpid()}"
        partial.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", "--format=tar", commit], cwd=REPO_ROOT,
                                 check=True, capture_output=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(partial, filter="data")
        (partial / ".complete").write_text(commit + "\n")
        if target.exists():
            shutil.rmtree(target)
        partial.rename(target)
    return commit, target


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for name in ("prefect", "duckdb", "great-expectations", "pandas", "weasyprint"):
        with contextlib.suppress(PackageNotFoundError):
            found[name] = version(name)
    return found


def git_state() -> dict[str, str | int]:
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True,
                                  text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    return {"commit": git("rev-parse", "HEAD"),
            "modified_files": len([line for line in git("status", "--porcelain").splitlines()
                                   if line and not line.startswith("??")])}


# ------------------------------------------------------------------ one scale's inputs


@dataclass
class Inputs:
    name: str
    years: int
    member_scale: int
    inbox: Path  # the history: the generated inbox less the held-back files
    new_files: Path  # the held-back files, as an inbox of their own
    reference: Path | None  # a reference folder registering the clones (None: the repo's)
    generated_observations: int
    generated_files: int
    held_back: list[str]


def member_files(inbox: Path) -> list[Path]:
    return sorted(p for p in inbox.glob("*/*") if p.is_file() and not p.name.startswith("."))


def hold_back(inbox: Path, target: Path, count: int) -> list[str]:
    """Move `count` recent CSV files, newest first and one member at a time, to `target`.

    The latest quarter's files of the highest clones: what the next night would bring. hl-west
    is left alone (its sample holds a correction that supersedes an earlier file).
    """
    def clone(folder: Path) -> int:
        tail = folder.name.rsplit("-", 1)[-1]
        return int(tail) if tail.isdigit() else 1

    folders = sorted((d for d in inbox.iterdir()
                      if d.is_dir() and not d.name.startswith("hl-west")),
                     key=lambda d: (-clone(d), d.name))
    newest = {d: sorted((p for p in d.iterdir() if p.suffix == ".csv" and "_v2" not in p.name),
                        reverse=True) for d in folders}
    chosen: list[Path] = []
    depth = 0
    while len(chosen) < count and any(len(files) > depth for files in newest.values()):
        for folder in folders:
            if len(chosen) < count and len(newest[folder]) > depth:
                chosen.append(newest[folder][depth])
        depth += 1
    moved = []
    for path in chosen:
        destination = target / path.parent.name / path.name
        destination.parent.mkdir(parents=True, exist_ok=True)
        path.rename(destination)
        moved.append(f"{path.parent.name}/{path.name}")
    return moved


def scaled_reference(inbox: Path, target: Path, code: Path) -> Path:
    """The code's reference data with the generator's clones registered."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(code / "reference", target)
    shutil.copyfile(inbox / "_reference_members.csv", target / "members.csv")
    shutil.copyfile(inbox / "_reference_reporting_plan.csv", target / "reporting_plan.csv")
    return target


def prepare(name: str, folder: Path, seed: int, lock: HeavyLock, code: Path) -> Inputs:
    """Generate (or reuse) the scale's inbox, hold back the new files, register the clones."""
    from benchmarks.member_months import write_inbox
    from sample_generator.generator import write_sample

    years, member_scale = SCALES[name]
    inbox, new_files = folder / "inbox", folder / "new-files"
    marker = folder / "generated.json"
    wanted = {"years": years, "member_scale": member_scale, "seed": seed,
              "last_quarter": LAST_QUARTER}
    stored = json.loads(marker.read_text()) if marker.exists() else {}
    if {k: stored.get(k) for k in wanted} != wanted:
        for stale in (inbox, new_files):
            discard(stale)
        marker.unlink(missing_ok=True)
        say(f"[{name}] generating {years} year(s) x {member_scale} cop(ies) of the members"
            + (" (benchmarks/member_months.py)" if name == MEMBER_MONTHS else "") + " …")
        with lock.held():
            started = time.perf_counter()
            if name == MEMBER_MONTHS:
                sample = write_inbox(inbox, seed=seed, months=12 * years, last_month=LAST_MONTH,
                                     reference_dir=code / "reference")
            else:
                sample = write_sample(inbox, seed=seed, years=years, member_scale=member_scale,
                                      last_quarter=LAST_QUARTER, include_faults=False)
            seconds = time.perf_counter() - started
        files = len(member_files(inbox))
        held = hold_back(inbox, new_files, HELD_BACK)
        stored = {**wanted, "observations": sample.observations, "files": files,
                  "held_back": held, "generate_s": round(seconds, 1)}
        marker.write_text(json.dumps(stored, indent=2))
        say(f"[{name}] generated {sample.observations:,} observations in {files:,} files "
            f"({seconds:.1f} s)")
    else:
        say(f"[{name}] reusing {stored['observations']:,} observations in "
            f"{stored['files']:,} files from {inbox}")
    reference = (scaled_reference(inbox, folder / "reference", code) if member_scale > 1
                 else None)
    return Inputs(name, years, member_scale, inbox, new_files, reference,
                  stored["observations"], stored["files"], stored["held_back"])


# ------------------------------------------------------------------ the measured commands


class StepFailed(RuntimeError):
    def __init__(self, label: str, measured: Measured, why: str | None = None) -> None:
        lines = [line for line in measured.stderr.splitlines() if line.strip()]
        self.measured = measured
        self.last_line = why or (lines[-1] if lines else f"exit {measured.returncode}")
        super().__init__(f"{label} exited with {measured.returncode}: {self.last_line}")


class Runner:
    def __init__(self, prefect_home: Path, lock: HeavyLock, timeout_s: float, logs: Path,
                 code: Path | None):
        self.prefect_home, self.lock, self.timeout_s, self.logs = (
            prefect_home, lock, timeout_s, logs)
        self.code = code  # a snapshot of the code to run, or None: the working tree

    def env(self) -> dict[str, str]:
        return base_env(self.prefect_home, self.code)

    def run(self, label: str, argv: list[str], env: dict[str, str]) -> Measured:
        with self.lock.held() as waited:
            load = os.getloadavg()[0]
            measured = run_measured(argv, env=env, cwd=self.code or REPO_ROOT,
                                    timeout_s=self.timeout_s,
                                    log=self.logs / f"{label}.log")
        measured.extra.update(load_1min_before=round(load, 2), waited_for_lock_s=round(waited, 1))
        if measured.returncode != 0:
            raise StepFailed(label, measured)
        return measured

    def prefect_floor(self, label: str) -> Measured:
        argv = [sys.executable, str(BENCH / "prefect_start.py"), "--runs", "1"]
        return self.run(label, argv, self.env())

    def stack_import(self, label: str) -> Measured:
        return self.run(label, [sys.executable, "-c", STACK_IMPORT], self.env())

    def efc(self, label: str, args: list[str], inputs: Inputs, home: Path, inbox: Path,
            profile: Path | None = None) -> tuple[Measured, dict]:
        env = self.env()
        env.update(EFC_HOME=str(home), EFC_INBOX=str(inbox))
        if inputs.reference is not None:
            env["EFC_REFERENCE_DIR"] = str(inputs.reference)
        if args[0] == "ingest":  # only read, never emptied (kept inboxes and the 10 files serve
            args = [*args, "--inbox", str(inbox)]  # again), and no file waits to settle
        argv = efc_command(self.code) + args
        if profile is not None:
            argv = [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "efc.cli", *args]
        measured = self.run(label, argv, env)
        output = json_output(measured.stdout)
        if output.get("waiting"):  # a figure for part of the inbox would mislead
            raise StepFailed(label, measured, f"{len(output['waiting'])} file(s) left waiting")
        return measured, output


def json_output(stdout: str) -> dict:
    """The JSON document a command printed last (anything printed before it is skipped)."""
    lines = stdout.splitlines()
    start = max(i for i, line in enumerate(lines) if line.startswith("{"))
    return json.loads("\n".join(lines[start:]))


# Folders a run is done with are renamed with this prefix, and deleted once it has measured
# every command: on ext4 without a journal (this machine's disk) a new file's inode is sought
# one by one past those freed in the last minutes, so tens of thousands of files deleted just
# before a measured command made its copies and receipts seconds slower.
DISCARDED = ".discarded-"


def discard(folder: Path) -> None:
    """Move a folder aside, beside itself, for `delete_discarded` to delete after measuring."""
    if folder.exists():
        folder.rename(folder.with_name(f"{DISCARDED}{folder.name}-{time.time_ns()}"))


def delete_discarded(workdir: Path) -> None:
    """Delete what this run (or an interrupted one) moved aside in the work directory."""
    for folder in [*workdir.glob(f"{DISCARDED}*"), *workdir.glob(f"*/{DISCARDED}*")]:
        shutil.rmtree(folder, ignore_errors=True)


def fresh(folder: Path) -> Path:
    discard(folder)
    return folder


def measure_scale(inputs: Inputs, folder: Path, runner: Runner, prefect_s: float,
                  stack_s: float | None, profile: bool) -> list[Row]:
    """The scale's rows; stack_s, the fixed cost of importing the stack, where it dominates
    the ingest (the goal is then shown, not judged)."""
    name = inputs.name
    rows: list[Row] = []

    db = folder / "floor.duckdb"
    db.unlink(missing_ok=True)
    say(f"[{name}] floor: DuckDB read_csv/read_json of the same files …")
    floor_run = runner.run(f"{name}-duckdb-floor", [
        sys.executable, str(BENCH / "duckdb_floor.py"), "--inbox", str(inputs.inbox),
        "--db", str(db)], runner.env())
    floor = json_output(floor_run.stdout)
    db.unlink(missing_ok=True)
    floor_s = floor["seconds"]
    floor_rows = floor["rows"]["csv"] + floor["rows"]["json"]
    rows.append(Row(name, "floor: DuckDB read_csv/read_json", floor_s, floor_rows,
                    floor["files"]["csv"] + floor["files"]["json"], peak_mb=floor_run.peak_mb,
                    detail={**floor, "process_s": round(floor_run.seconds, 3),
                            **run_detail(floor_run)}))
    say(f"[{name}]   {floor_s:.2f} s for {floor_rows:,} rows "
        f"({floor['files']['xlsx_excluded']} XLSX files left out; process "
        f"{floor_run.seconds:.1f} s)")

    history = fresh(folder / "home-history")
    say(f"[{name}] efc ingest of the history ({inputs.generated_files - HELD_BACK:,} files) …")
    ingest, summary = runner.efc(f"{name}-ingest-history", ["ingest", "--json"], inputs,
                                 history, inputs.inbox)
    budget = INGEST_FACTOR * floor_s + prefect_s
    multiple = (ingest.seconds - prefect_s) / floor_s
    goal = f"<=3x floor+P {budget:.1f} s"
    if stack_s is not None:
        goal += f"; stack import {stack_s:.1f} s dominates"
    rows.append(Row(name, "ingest + validate (efc ingest)", ingest.seconds,
                    summary["observations_loaded"], summary["files"], floor_s,
                    f"{multiple:.1f}x", goal,
                    ingest.seconds <= budget if stack_s is None else None, ingest.peak_mb,
                    detail={"summary": summary, **run_detail(ingest)}))
    say(f"[{name}]   {ingest.seconds:.1f} s, {summary['observations_loaded']:,} observations "
        f"({summary['observations_loaded'] / ingest.seconds:,.0f}/s), "
        f"peak {ingest.peak_mb:,.0f} MB; states {summary['files_by_state']}")

    say(f"[{name}] efc ingest of {HELD_BACK} new files on the history …")
    on_history, summary_h = runner.efc(f"{name}-ingest-10-on-history", ["ingest", "--json"],
                                       inputs, history, inputs.new_files)
    empty = fresh(folder / "home-empty")
    say(f"[{name}] efc ingest of the same {HELD_BACK} files on an empty warehouse …")
    on_empty, summary_e = runner.efc(f"{name}-ingest-10-on-empty", ["ingest", "--json"],
                                     inputs, empty, inputs.new_files)
    ratio = on_history.seconds / on_empty.seconds
    rows.append(Row(name, f"{HELD_BACK} new files on the history", on_history.seconds,
                    summary_h["observations_loaded"], summary_h["files"], on_empty.seconds,
                    f"{ratio:.2f}x", "<=1.5x empty case", ratio <= INCREMENTAL_FACTOR,
                    on_history.peak_mb, detail={"summary": summary_h, **run_detail(on_history)}))
    rows.append(Row(name, f"{HELD_BACK} new files, empty warehouse", on_empty.seconds,
                    summary_e["observations_loaded"], summary_e["files"], prefect_s,
                    f"{on_empty.seconds - prefect_s:+.1f} s", "(the 1.5x reference)", None,
                    on_empty.peak_mb, detail={"summary": summary_e, **run_detail(on_empty)}))
    say(f"[{name}]   {on_history.seconds:.1f} s on the history, {on_empty.seconds:.1f} s "
        f"empty ({ratio:.2f}x)")
    discard(empty)

    say(f"[{name}] efc assess --quarter {LAST_QUARTER} …")
    try:
        assess, result = runner.efc(f"{name}-assess", ["assess", "--quarter", LAST_QUARTER,
                                                       "--json"], inputs, history, inputs.inbox)
    except StepFailed as failed:  # a failing assessment is a finding: record it, go on
        say(f"[{name}]   FAILED after {failed.measured.seconds:.1f} s: {failed.last_line}")
        rows.append(Row(name, f"quarterly assessment {LAST_QUARTER}", failed.measured.seconds,
                        floor_s=prefect_s, versus="FAILED", goal="<=P+15 s", met=False,
                        peak_mb=failed.measured.peak_mb,
                        detail={"error": failed.last_line, **run_detail(failed.measured)}))
        return rows + [memory_row(name, rows)]
    over = assess.seconds - prefect_s
    rows.append(Row(name, f"quarterly assessment {LAST_QUARTER}", assess.seconds, None, None,
                    prefect_s, f"{over:+.1f} s", f"<=P+15 s {prefect_s + ASSESS_MARGIN_S:.0f} s",
                    over <= ASSESS_MARGIN_S, assess.peak_mb,
                    detail={"pdfs": result.get("pdf"), **run_detail(assess)}))
    say(f"[{name}]   {assess.seconds:.1f} s ({over:+.1f} s over the Prefect floor), "
        f"peak {assess.peak_mb:,.0f} MB")

    rows.append(memory_row(name, rows))

    if profile:
        rows[-1].detail["profiles"] = profile_runs(inputs, folder, runner)
    return rows


def memory_row(name: str, rows: list[Row]) -> Row:
    peak = max(r.peak_mb or 0 for r in rows)
    return Row(name, "peak memory, any step", None, goal=f"<{MEMORY_GOAL_MB} MB"
               + ("" if name == "5M" else " (at 5M)"), met=peak < MEMORY_GOAL_MB, peak_mb=peak)


def run_detail(m: Measured) -> dict:
    return {"wall_s": round(m.seconds, 3), "max_rss_mb": round(m.max_rss_mb, 1),
            "tree_peak_mb": round(m.tree_peak_mb, 1), **m.extra}


# ------------------------------------------------------------------ profiles


def profile_runs(inputs: Inputs, folder: Path, runner: Runner) -> dict:
    """The history ingest and the assessment again, under cProfile; their hot spots."""
    found = {}
    home = fresh(folder / "home-profile")
    for label, args in (("ingest", ["ingest", "--json"]),
                        ("assess", ["assess", "--quarter", LAST_QUARTER, "--json"])):
        target = folder / f"{label}.prof"
        say(f"[{inputs.name}] profiling efc {label} (cProfile, slower than measured) …")
        measured, _ = runner.efc(f"{inputs.name}-{label}-profiled", args, inputs, home,
                                 inputs.inbox, profile=target)
        found[label] = {"profile": str(target), "wall_s": round(measured.seconds, 1),
                        "hot_spots": hot_spots(target, runner.code or REPO_ROOT)}
        say(f"[{inputs.name}]   {label} under cProfile {measured.seconds:.1f} s "
            f"(profile in {target}); project functions by cumulative time:")
        for spot in found[label]["hot_spots"]:
            say(f"      {spot['cumulative_s']:>8.1f} s  {spot['calls']:>9,}  {spot['function']}")
    discard(home)
    return found


def hot_spots(path: Path, root: Path, limit: int = 18) -> list[dict]:
    """The project's functions by cumulative time."""
    stats = pstats.Stats(str(path))
    spots = []
    for (file, line, function), (_, calls, _, cumulative, _) in stats.stats.items():
        if file.startswith(str(root)) and "/.venv/" not in file:
            where = f"{Path(file).relative_to(root)}:{line} {function}"
            spots.append({"function": where, "calls": calls, "cumulative_s": round(cumulative, 2)})
    spots.sort(key=lambda s: -s["cumulative_s"])
    return spots[:limit]


# ------------------------------------------------------------------ main


def parse_scales(text: str) -> list[str]:
    names = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in names if s not in SCALES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown scale(s) {unknown}; known: {list(SCALES)}")
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=parse_scales, default=list(SCALES),
                        help="comma-separated, of " + ",".join(SCALES) + " (default: all)")
    parser.add_argument("--workdir", type=Path,
                        default=Path(tempfile.gettempdir()) / "efc-bench",
                        help="inboxes, workspaces, logs and results (default: $TMPDIR/efc-bench)")
    parser.add_argument("--keep", action="store_true",
                        help="keep each scale's inbox and workspaces (a later run reuses "
                        "the inbox); without it they are deleted when the run ends, so the "
                        "disk holds every scale's until then")
    parser.add_argument("--resume", action="store_true",
                        help="report scales already measured in --workdir from their stored "
                        "figures")
    parser.add_argument("--out", type=Path, help="the JSON file "
                        "(default: WORKDIR/results/bench-<UTC time>.json)")
    parser.add_argument("--lock", type=Path, help="hold an exclusive flock on this file during "
                        "each heavy step (machines shared with other measurements)")
    parser.add_argument("--profile", type=parse_scales, default=[], metavar="SCALES",
                        help="also profile ingest and assess at these scales (cProfile)")
    parser.add_argument("--snapshot", nargs="?", const="HEAD", metavar="REVISION",
                        help="measure the committed HEAD, or REVISION (git archive into "
                        "WORKDIR/code), not the working tree: for checkouts that others are "
                        "editing, and for a before/after on the same inputs")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--timeout", type=float, default=4 * 3600,
                        help="seconds before a command is killed (default 4 h)")
    args = parser.parse_args(argv)

    started = datetime.now(UTC)
    workdir = args.workdir.resolve()
    results = workdir / "results"
    results.mkdir(parents=True, exist_ok=True)
    out = args.out or results / f"bench-{started:%Y%m%dT%H%M%SZ}.json"
    lock = HeavyLock(args.lock)
    run_id = f"{started:%Y%m%dT%H%M%SZ}"
    prefect_home = fresh(workdir / f"prefect-home-{run_id}")  # this run's own Prefect database
    code = None
    if args.snapshot:
        commit, code = snapshot_head(workdir, args.snapshot)
        code_state = {"measured": f"{args.snapshot} snapshot", "commit": commit}
    else:
        code_state = {"measured": "working tree", **git_state()}
    runner = Runner(prefect_home, lock, args.timeout, workdir / "logs" / run_id, code)
    say(f"efc benchmarks, {started:%Y-%m-%d %H:%M} UTC, scales {','.join(args.scales)}; "
        f"workdir {workdir}; {os.cpu_count()} CPUs; Prefect API: "
        f"{os.environ.get('PREFECT_API_URL') or 'local ephemeral'} (PREFECT_HOME {prefect_home}); "
        f"code: {code_state['measured']} {code_state['commit'][:10]}")

    rows: list[Row] = []
    prefect: list[float] = []  # the floor P, measured when the first scale needs it

    def prefect_floor() -> float:
        if prefect:
            return prefect[0]
        say("[P] Prefect: first start in a new PREFECT_HOME (creates its database) …")
        cold = runner.prefect_floor("prefect-first-start")
        floors = [runner.prefect_floor(f"prefect-floor-{i + 1}") for i in range(PREFECT_REPEAT)]
        prefect.append(statistics.median(m.seconds for m in floors))
        inner = [json_output(m.stdout) for m in floors]
        say(f"[P]   first start {cold.seconds:.1f} s; hello flow in a fresh process "
            f"{', '.join(f'{m.seconds:.1f}' for m in floors)} s -> floor P = {prefect[0]:.1f} s")
        rows[:0] = [
            Row("-", "Prefect first start (new PREFECT_HOME)", cold.seconds, peak_mb=cold.peak_mb,
                detail=run_detail(cold)),
            Row("-", "floor P: hello flow, fresh process", prefect[0],
                peak_mb=max(m.peak_mb for m in floors),
                detail={"runs": [run_detail(m) | inner_run
                                 for m, inner_run in zip(floors, inner, strict=True)]}),
        ]
        return prefect[0]

    stack: list[float] = []  # the fixed cost of importing the stack, measured when needed

    def stack_import() -> float:
        if stack:
            return stack[0]
        say(f"[I] fixed cost of the stack: `python -c '{STACK_IMPORT}'` …")
        imports = [runner.stack_import(f"stack-import-{i + 1}") for i in range(PREFECT_REPEAT)]
        stack.append(statistics.median(m.seconds for m in imports))
        say(f"[I]   {', '.join(f'{m.seconds:.1f}' for m in imports)} s -> {stack[0]:.1f} s")
        rows.insert(2, Row("-", "fixed cost: import the ingest stack", stack[0],
                           peak_mb=max(m.peak_mb for m in imports),
                           detail={"runs": [run_detail(m) for m in imports]}))
        return stack[0]

    scales: dict[str, dict] = {}
    for name in args.scales:
        folder = workdir / name
        stored = results / f"{name}.json"
        config = {"years": SCALES[name][0], "member_scale": SCALES[name][1], "seed": args.seed}
        if args.resume and stored.exists():
            previous = json.loads(stored.read_text())
            if previous.get("config") == config:
                say(f"[{name}] resumed from {stored} (measured {previous['measured_at']})")
                scales[name] = previous
                rows += [Row(**r) for r in previous["rows"]]
                continue
        prefect_s = prefect_floor()
        inputs = prepare(name, folder, args.seed, lock, code or REPO_ROOT)
        measured_at = datetime.now(UTC).isoformat(timespec="seconds")
        stack_s = stack_import() if name in FIXED_COST_SCALES else None
        scale_rows = measure_scale(inputs, folder, runner, prefect_s, stack_s,
                                   name in args.profile)
        scales[name] = {"config": config, "measured_at": measured_at, "code": code_state,
                        "prefect_floor_s": round(prefect_s, 3),
                        "stack_import_s": None if stack_s is None else round(stack_s, 3),
                        "generated_observations": inputs.generated_observations,
                        "generated_files": inputs.generated_files,
                        "held_back": inputs.held_back,
                        "rows": [asdict(r) for r in scale_rows]}
        stored.write_text(json.dumps(scales[name], indent=2, default=str))
        rows += scale_rows
        if not args.keep:
            for leftover in ("inbox", "new-files", "reference", "home-history", "home-profile"):
                discard(folder / leftover)
            (folder / "generated.json").unlink(missing_ok=True)
        say("")
        print_table(scale_rows)
        say("")

    finished = datetime.now(UTC)
    floors_used = sorted({s["prefect_floor_s"] for s in scales.values()})
    say(f"\nefc benchmarks, run {started:%Y-%m-%d %H:%M}-{finished:%H:%M} UTC on "
        f"{os.cpu_count()} CPUs (P = Prefect floor: {', '.join(f'{p:.1f}' for p in floors_used)} "
        "s; peak MB = resident set of the command's whole process tree)")
    print_table(rows)
    goals = [r for r in rows if r.met is not None]
    missed = [f"{r.scale} {r.step}" for r in goals if not r.met]
    say(f"\ngoals met: {len(goals) - len(missed)} of {len(goals)}"
        + (f"; missed: {'; '.join(missed)}" if missed else ""))
    report = {
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": finished.isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), **versions()},
        "code": code_state,
        "prefect_api": os.environ.get("PREFECT_API_URL") or "local ephemeral",
        "prefect_floor_s": prefect[0] if prefect else None,
        "stack_import_s": stack[0] if stack else None,
        "goals": {"ingest": "seconds <= 3 x duckdb floor + P (not judged at "
                  f"{', '.join(FIXED_COST_SCALES)}: the stack's import dominates)",
                  "incremental": "10 files on the history <= 1.5 x the same on an empty warehouse",
                  "assessment": "seconds <= P + 15 s", "memory": "peak < 2048 MB at 5M"},
        "scales_config": {n: {"years": y, "member_scale": s} for n, (y, s) in SCALES.items()},
        "rows": [asdict(r) | {"observations_per_s": r.per_second} for r in rows],
        "scales": scales,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str))
    if not args.keep:
        discard(prefect_home)
    delete_discarded(workdir)
    say(f"JSON: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

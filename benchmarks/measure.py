"""Run one command in a fresh process and measure it: wall time and peak memory.

Used by benchmarks/run_all.py. Each command gets its own figures:
- `max_rss_mb`: the kernel's peak resident set of the largest single process of the command's
  tree (os.wait4 on that one child: its own peak, or a reaped descendant's if larger). Exact,
  and unaffected by any other command the benchmark ran before.
- `tree_peak_mb`: the peak of the summed resident sets of the whole tree (the command and,
  say, the Prefect API server it starts), sampled from /proc ten times a second. A sample can
  miss a short spike; it is the figure to compare with a memory budget.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20


@dataclass
class Measured:
    argv: list[str]
    seconds: float
    returncode: int
    max_rss_mb: float
    tree_peak_mb: float
    stdout: str
    stderr: str
    extra: dict = field(default_factory=dict)

    @property
    def peak_mb(self) -> float:
        """The larger of the two peaks (the sampled sum can miss a spike of one process)."""
        return max(self.max_rss_mb, self.tree_peak_mb)

    def check(self, what: str) -> Measured:
        if self.returncode != 0:
            tail = "\n".join(self.stderr.strip().splitlines()[-25:])
            raise RuntimeError(f"{what} exited with {self.returncode}:\n{tail}")
        return self


def process_parents() -> dict[int, int]:
    """pid -> parent pid of every process (read from /proc/<pid>/stat)."""
    parents = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # the command name is in parentheses and may hold spaces: split after the last ')'
        fields = stat[stat.rfind(b")") + 2:].split()
        parents[int(entry.name)] = int(fields[1])
    return parents


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm", "rb") as handle:
            return int(handle.read().split()[1]) * PAGE_MB
    except (OSError, IndexError, ValueError):
        return 0.0


def tree_rss_mb(root: int) -> float:
    """Summed resident set of `root` and all its descendants, now."""
    children: dict[int, list[int]] = {}
    for pid, parent in process_parents().items():
        children.setdefault(parent, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += _rss_mb(pid)
        todo.extend(children.get(pid, ()))
    return total


class _TreeSampler(threading.Thread):
    def __init__(self, pid: int, every_s: float) -> None:
        super().__init__(daemon=True)
        self.pid, self.every_s = pid, every_s
        self.peak_mb = 0.0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak_mb = max(self.peak_mb, tree_rss_mb(self.pid))
            self.stop.wait(self.every_s)


def run_measured(argv: list[str], *, env: dict[str, str] | None = None,
                 cwd: Path | None = None, timeout_s: float | None = None,
                 sample_every_s: float = 0.1, log: Path | None = None) -> Measured:
    """Run `argv` to completion in a new session; its wall time, peaks and output.

    Standard output and error go to temporary files (no pipe to drain while we wait); if
    `log` is given, both are also written there for a look after the run.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=err,
                                start_new_session=True)
        sampler = _TreeSampler(proc.pid, sample_every_s)
        sampler.start()
        timer = None
        if timeout_s:
            timer = threading.Timer(timeout_s, lambda: os.killpg(proc.pid, signal.SIGKILL))
            timer.start()
        try:
            # wait4 on this child alone: its rusage, not the sum over every child so far
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            seconds = time.perf_counter() - started
            if timer:
                timer.cancel()
            sampler.stop.set()
            sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped: Popen must not wait
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(f"$ {' '.join(argv)}\n# exit {proc.returncode}, {seconds:.2f} s\n"
                       f"--- stdout\n{stdout}\n--- stderr\n{stderr}")
    return Measured(argv=list(argv), seconds=seconds, returncode=proc.returncode,
                    max_rss_mb=usage.ru_maxrss / 1024, tree_peak_mb=sampler.peak_mb,
                    stdout=stdout, stderr=stderr)

"""The nightly flow's second process, which examines parts of a night while the flow's own
process receives the next ones and validates and loads those before.

Examining is pure Python and half a large night's work, and a machine has more than one core.
The process is spawned rather than forked, since the flow's process runs Prefect's threads, and
it imports what examining needs as it starts (1M inbox: some 1.4 s). So the command that runs
the flow starts it ahead (`start_ahead`), beside its own imports, when the inbox holds more than
a part; the flow adopts it (`examining_process`), or starts its own. Prefect is not imported
here: the command calls this before it imports the flow.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path

from efc.settings import keep_workspace_private
from transforms.inbox import files_arrived

_started_ahead: ProcessPoolExecutor | None = None


def ready_to_examine() -> None:
    """The process's start: it imports what it examines with now, not as the first part comes,
    and makes its files owner-only, as the flow does."""
    import transforms.intake  # noqa: F401

    keep_workspace_private()


def _start() -> ProcessPoolExecutor:
    examiner = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=ready_to_examine)
    examiner.submit(os.getpid)  # the process starts with the first call
    return examiner


def start_ahead(inbox: Path, part_files: int) -> None:
    """Start the second process now if the inbox holds more than one part's files."""
    global _started_ahead
    if _started_ahead is None and files_arrived(inbox, part_files + 1) > part_files:
        _started_ahead = _start()


@contextlib.contextmanager
def examining_process(needed: bool) -> Iterator[Executor | None]:
    """The second process, when the night has more than one part: the one started ahead, or one
    started now. Gone when the block ends (before the marts), and one started ahead but not
    needed is stopped."""
    global _started_ahead
    examiner, _started_ahead = _started_ahead, None
    if not needed:
        if examiner is not None:
            examiner.shutdown(cancel_futures=True)
        yield None
        return
    examiner = examiner or _start()
    try:
        yield examiner
    finally:
        examiner.shutdown(cancel_futures=True)

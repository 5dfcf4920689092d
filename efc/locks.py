"""Advisory file locks with a bounded wait: the warehouse's one writer, a quarter's reviewer."""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Callable, Iterator
from pathlib import Path


@contextlib.contextmanager
def exclusive_lock(path: Path, timeout_s: float, busy: Callable[[], Exception]
                   ) -> Iterator[None]:
    """Hold an exclusive lock on `path` for the block, waiting at most `timeout_s` for it.

    When the wait runs out, `busy()` is raised: an error that says who holds the lock and
    what to do, instead of a hang or a raw error from what the lock protects.
    """
    with open(path, "a+") as handle:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise busy() from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

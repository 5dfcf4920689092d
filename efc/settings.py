"""The one settings object: every path and limit the system uses, read from the environment."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


# DuckDB's own spelling of a memory size: 1GB, 512MB, 1.5GiB.
MEMORY_SIZE = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.IGNORECASE)

WORKSPACE_UMASK = 0o077  # files 0600, folders 0700: the workspace holds member-level data


def keep_workspace_private() -> None:
    """Make every file this process creates owner-only, whatever the caller's umask.

    Set where the CLI and each flow start, so files that DuckDB, Great Expectations and
    WeasyPrint write (warehouse, snapshot, data docs, reports) follow it too.
    """
    os.umask(WORKSPACE_UMASK)


class SettingsError(ValueError):
    """A setting from the environment is unusable; the message names the variable."""


def _int_from_env(name: str, default: int, minimum: int = 1) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}={raw!r} is not a whole number") from exc
    if value < minimum:
        raise SettingsError(f"{name}={raw!r} must be at least {minimum}")
    return value


def _memory_from_env(name: str, default: str) -> str:
    raw = os.environ.get(name) or default
    if not MEMORY_SIZE.match(raw.strip()):
        raise SettingsError(f"{name}={raw!r} is not a memory size such as 1GB or 512MB")
    return raw.strip()


@dataclass(frozen=True)
class Settings:
    """Where the workspace lives and the limits a submission must respect.

    Everything the system writes lives under `home` (EFC_HOME, default ./var); the
    reference data, SQL, suites and templates are read from the repository.
    """

    home: Path
    inbox: Path
    reference_dir: Path
    max_file_bytes: int
    max_rows: int
    lock_timeout_s: int
    # A night is examined, validated and loaded in parts of at most this many files (and about
    # PART_BYTES), each in one transaction: memory stays flat however many files arrive. Each
    # part pays Great Expectations' fixed cost (some 0.6 s): at 7.6M observations in 42k files
    # (83613cf, one run each), parts of 4,000 files took 132 s and 1.83 GB of the 2 GB goal,
    # against 160 s and 1.59 GB with 2,000; without Prefect the two differed by 2 s.
    part_files: int
    # A file in the drop folder modified more recently than this may still be being written.
    settle_s: int = 60
    inbox_read_only: bool = False  # a folder given with --inbox: read, never changed
    # The writer's DuckDB: at most this much memory (it spills to disk beyond), so a night on a
    # 5M-observation history stays under 2 GB for the whole process; and its threads. Built a
    # slice of members at a time, the 5M marts take 10.3 s with two threads and 15.7 s with
    # one, both within 1GB (peak 868 and 830 MB); all at once, two threads ran out of it.
    duckdb_memory_limit: str = "1GB"
    duckdb_threads: int = 2

    @classmethod
    def from_env(cls) -> Settings:
        home = Path(os.environ.get("EFC_HOME") or "var").expanduser().resolve()
        inbox = os.environ.get("EFC_INBOX")
        reference = os.environ.get("EFC_REFERENCE_DIR")
        settings = cls(
            home=home,
            inbox=Path(inbox).expanduser().resolve() if inbox else home / "inbox",
            reference_dir=Path(reference).resolve() if reference else REPO_ROOT / "reference",
            max_file_bytes=_int_from_env("EFC_MAX_FILE_MB", 50) * 1024 * 1024,
            max_rows=_int_from_env("EFC_MAX_ROWS", 1_000_000),
            lock_timeout_s=_int_from_env("EFC_LOCK_TIMEOUT_S", 60),
            part_files=_int_from_env("EFC_PART_FILES", 2_000),
            settle_s=_int_from_env("EFC_SETTLE_S", 60, minimum=0),
            duckdb_memory_limit=_memory_from_env("EFC_DUCKDB_MEMORY_LIMIT", "1GB"),
            duckdb_threads=_int_from_env("EFC_DUCKDB_THREADS", 2),
        )
        if not (settings.reference_dir / "members.csv").is_file():
            raise SettingsError(
                f"EFC_REFERENCE_DIR={settings.reference_dir} holds no members.csv"
            )
        return settings

    def with_inbox(self, inbox: Path) -> Settings:
        """The same settings reading another inbox (`efc ingest --inbox DIR`), which is only
        read: its files stay where they are."""
        return replace(self, inbox=inbox.expanduser().resolve(), inbox_read_only=True)

    @property
    def warehouse_path(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def archive_dir(self) -> Path:
        return self.home / "archive"

    @property
    def quarantine_dir(self) -> Path:
        return self.home / "quarantine"

    @property
    def receipts_dir(self) -> Path:
        return self.home / "receipts"

    @property
    def data_docs_dir(self) -> Path:
        return self.home / "data_docs"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def private_dir(self) -> Path:
        """Owner-only: whatever holds a true suppressed value (disclosure audits)."""
        return self.home / "private"

    @property
    def lock_path(self) -> Path:
        return self.home / "warehouse.lock"

    def ensure_folders(self) -> None:
        """Create the workspace folders owner-only (0700), tightening any made before.

        The files inside follow the process umask (`keep_workspace_private`). The inbox, a drop
        folder members' uploads may write to, keeps the mode it was given.
        """
        self.inbox.mkdir(mode=0o700, parents=True, exist_ok=True)
        for folder in (self.home, self.archive_dir, self.quarantine_dir, self.receipts_dir,
                       self.data_docs_dir, self.reports_dir):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(folder, 0o700)

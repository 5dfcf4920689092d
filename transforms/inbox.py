"""Finding new files in the inbox and keeping their bytes, addressed by SHA-256."""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Arrival:
    """A regular file found directly inside `inbox/<member_folder>/`."""

    member_folder: str
    file_name: str
    path: Path
    sha256: str
    size_bytes: int
    modified_ns: int


@dataclass(frozen=True)
class InboxScan:
    """What one look at the inbox found: files to examine and entries it will not read."""

    arrivals: list[Arrival]
    ignored: list[str]  # paths relative to the inbox, with the reason


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def scan_inbox(inbox: Path) -> InboxScan:
    """Regular files in member folders, in arrival order (modification time, then name).

    The inbox keeps its files, so each night sees them again; the caller drops those already
    received. Links and special files are never followed; dot-files are transfers still in
    progress.
    """
    arrivals: list[Arrival] = []
    ignored: list[str] = []
    if not inbox.is_dir():
        return InboxScan([], [])
    for folder in sorted(os.scandir(inbox), key=lambda e: e.name):
        if not folder.is_dir(follow_symlinks=False):
            if not folder.name.startswith((".", "_")) and folder.is_file(follow_symlinks=False):
                ignored.append(f"{folder.name}: not inside a member folder")
            continue
        for entry in os.scandir(folder.path):
            if entry.name.startswith("."):
                continue
            info = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode):
                ignored.append(f"{folder.name}/{entry.name}: not a regular file (link or special)")
                continue
            path = Path(entry.path)
            arrivals.append(Arrival(folder.name, entry.name, path, file_sha256(path),
                                    info.st_size, info.st_mtime_ns))
    arrivals.sort(key=lambda a: (a.modified_ns // 1_000_000_000, a.member_folder, a.file_name))
    return InboxScan(arrivals, ignored)


def keep_bytes(data: bytes, sha256: str, folder: Path, *, private: bool = False) -> Path:
    """Write received bytes once under their hash (atomic; a rerun finds them already there)."""
    target = folder / sha256
    if target.exists():
        return target
    partial = folder / f".{sha256}.{os.getpid()}.partial"
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    fd = os.open(partial, flags, 0o600 if private else 0o640)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, target)
    return target


"""The one deliberate deletion: erasing quarantined identifying files after a retention period.

Each erasure is recorded (which bytes, whose, when quarantined, when erased) before the file
is removed, so a crash in between leaves a record and a file the next purge removes.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import duckdb

from efc.settings import Settings

DURATION = re.compile(r"^(\d+)([dh])$")


def parse_duration(text: str) -> timedelta:
    """`30d` or `12h` as a timedelta; ValueError otherwise."""
    match = DURATION.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a duration like 30d or 12h")
    amount = int(match[1])
    return timedelta(days=amount) if match[2] == "d" else timedelta(hours=amount)


def purge_quarantine(con: duckdb.DuckDBPyConnection, settings: Settings,
                     older_than: timedelta, now: datetime | None = None) -> list[dict]:
    """Erase quarantined files older than `older_than`; return what was erased."""
    now = now or datetime.now(UTC)
    erased = []
    folder = settings.quarantine_dir
    if not folder.is_dir():
        return erased
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        quarantined_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        if now - quarantined_at < older_than:
            continue
        sha256 = path.name
        members = [row[0] for row in con.execute(
            "select distinct member_id from submissions where sha256 = ?", [sha256]).fetchall()]
        already = con.execute("select count(*) from quarantine_erasures where sha256 = ?",
                              [sha256]).fetchone()[0]
        if not already:
            for member_id in members or ["(unknown)"]:
                con.execute("insert into quarantine_erasures values (?, ?, ?, ?)",
                            [sha256, member_id, now, quarantined_at])
        path.unlink()
        erased.append({"sha256": sha256, "members": members,
                       "quarantined_at": quarantined_at.isoformat(), "erased_at": now.isoformat()})
    return erased

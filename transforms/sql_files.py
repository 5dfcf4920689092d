"""The SQL kept in transforms/sql: marts (a bare select named after its table), queries named
for what they return, and writes named for what they do. Values go in as bind parameters."""

from __future__ import annotations

from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).parent / "sql"


@cache
def sql(name: str) -> str:
    """The statement in transforms/sql/<name>.sql."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")

"""The quarterly aggregates, rebuilt from transforms/sql as the data stood at a cut-off time."""

from __future__ import annotations

from datetime import datetime

import duckdb

from transforms.warehouse import build_table

MARTS = (
    "current_observations",
    "quarterly_member_values",
    "quarterly_indicator_totals",
    "reporting_coverage",
)


def refresh_marts(con: duckdb.DuckDBPyConnection, as_of: datetime, *, temp: bool = False) -> None:
    """Rebuild every mart in dependency order; temp tables serve a read-only snapshot."""
    for name in MARTS:
        build_table(con, name, {"as_of": as_of} if name == "current_observations" else None,
                    temp=temp)

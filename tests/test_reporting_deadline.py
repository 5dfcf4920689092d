"""The reporting plan's due days come from reference/reporting_deadline.csv, and only there:
the nightly overdue flags, completeness and the assessment's coverage matrix all read it."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime

import duckdb
import pytest

from efc.settings import REPO_ROOT
from transforms.catalogue import ReferenceDataError, read_reference
from transforms.completeness import completeness, reporting_due_days
from transforms.periods import parse_period
from transforms.warehouse import load_reference, migrate


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def reference_with_due_days(tmp_path, text: str):
    folder = tmp_path / "reference"
    shutil.copytree(REPO_ROOT / "reference", folder)
    (folder / "reporting_deadline.csv").write_text(text, encoding="utf-8")
    return folder


def warehouse_with(reference) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    migrate(con)
    load_reference(con, reference)
    period = parse_period("2025-08")
    # August's figure arrives 45 days after the month ended.
    con.execute("insert into observations values (1, 'hl-north', '2025-08', ?, ?, "
                "'HL_URLS_CONFIRMED', '', '', 10, 'A', null, ?, null)",
                [period.frequency, period.quarter, at("2025-10-15")])
    return con


def state_of_august(con) -> str:
    frame = completeness(con, "2025-Q3", as_of=at("2025-11-28"), today=date(2025, 11, 28))
    row = frame.loc[(frame["member_id"] == "hl-north")
                    & (frame["indicator"] == "HL_URLS_CONFIRMED") & (frame["period"] == "2025-08")]
    return row["state"].item()


def test_the_repository_reference_gives_the_due_days(tmp_path):
    con = warehouse_with(REPO_ROOT / "reference")
    assert reporting_due_days(con) == read_reference(REPO_ROOT / "reference")[
        "reporting_deadline"]["due_days"].item()


def test_changing_the_reference_file_moves_the_deadline(tmp_path):
    thirty = warehouse_with(reference_with_due_days(tmp_path / "a", "due_days\n30\n"))
    sixty = warehouse_with(reference_with_due_days(tmp_path / "b", "due_days\n60\n"))
    assert state_of_august(thirty) == "arrived_late"
    assert state_of_august(sixty) == "on_time"
    assert reporting_due_days(sixty) == 60


@pytest.mark.parametrize("text", ["due_days\n30\n45\n", "due_days\nthirty\n", "days\n30\n",
                                  "due_days\n"])
def test_a_malformed_deadline_file_is_named(tmp_path, text):
    with pytest.raises(ReferenceDataError, match="reporting_deadline.csv"):
        read_reference(reference_with_due_days(tmp_path, text))

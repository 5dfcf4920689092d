"""Recorded arrival times (the demo's replay of the sample's history): what a file is taken to
have been received at, and what the warehouse's history and the coverage matrix make of it."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.conftest import SAMPLE, efc_home
from transforms.completeness import completeness
from transforms.nightly import recorded_arrivals

RUN = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def test_recorded_arrivals_are_read_by_path_and_never_after_the_run(tmp_path: Path) -> None:
    path = tmp_path / "arrivals.csv"
    path.write_text("path,received_at\n"
                    "hl-west/2026-08_stats.csv,2026-09-12T08:15:00Z\n"
                    "hl-west/2026-09_stats.csv,2026-10-11T15:40:00+02:00\n"
                    "hl-west/2027-01_stats.csv,2027-02-03T09:00:00Z\n")
    times = recorded_arrivals(path, RUN)
    assert times == {"hl-west/2026-08_stats.csv": datetime(2026, 9, 12, 8, 15, tzinfo=UTC),
                     "hl-west/2026-09_stats.csv": datetime(2026, 10, 11, 13, 40, tzinfo=UTC),
                     "hl-west/2027-01_stats.csv": RUN}  # no file arrives after it is read
    assert recorded_arrivals(None, RUN) == {}


@pytest.mark.parametrize("row", ["hl-west/a.csv,2026-09-12 08:15", "hl-west/a.csv,soon",
                                 ",2026-09-12T08:15:00Z"])
def test_a_malformed_arrival_is_named_by_its_line(tmp_path: Path, row: str) -> None:
    path = tmp_path / "arrivals.csv"
    path.write_text(f"path,received_at\n{row}\n")
    with pytest.raises(ValueError, match="arrivals.csv, line 2"):
        recorded_arrivals(path, RUN)


@pytest.mark.slow  # a nightly flow run
def test_replayed_arrivals_make_the_history_and_the_coverage(tmp_path, prefect_harness):
    """hl-west's 2026-Q3 from the sample: July and August on time, August corrected after the
    quarter, September without a recorded time (received when the run reads it)."""
    from flows.nightly_aggregation import nightly_aggregation

    inbox, home = tmp_path / "inbox", tmp_path / "home"
    names = ["2026-07_stats.csv", "2026-08_stats.csv", "2026-08_stats_v2.csv",
             "2026-09_stats.csv"]
    (inbox / "hl-west").mkdir(parents=True)
    for name in names:
        shutil.copyfile(SAMPLE / "hl-west" / name, inbox / "hl-west" / name)
    recorded = [line for line in (SAMPLE / "arrivals.csv").read_text().splitlines()
                if line.split(",")[0] in {f"hl-west/{name}" for name in names[:3]}]
    (inbox / "arrivals.csv").write_text("path,received_at\n" + "\n".join(recorded) + "\n")
    times = recorded_arrivals(inbox / "arrivals.csv", RUN)
    assert len(times) == 3

    started = datetime.now(UTC).replace(microsecond=0)
    with efc_home(home):
        summary = nightly_aggregation(inbox=str(inbox), arrivals=str(inbox / "arrivals.csv"))
    assert summary["files_by_state"] == {"accepted": 3, "superseded": 1}

    with duckdb.connect(str(home / "warehouse.snapshot.duckdb"), read_only=True) as con:
        received = dict(con.execute(
            "select file_name, received_at from submissions").fetchall())
        for name in names[:3]:
            assert received[name] == times[f"hl-west/{name}"], name
        assert received["2026-09_stats.csv"] >= started  # a real arrival: when it was read

        def confirmed(as_of: datetime) -> int:
            return con.execute(
                "select value from observations where member_id = 'hl-west' "
                "and period = '2026-08' and indicator = 'HL_URLS_CONFIRMED' and dimension = '' "
                "and valid_from <= $t and (valid_to is null or valid_to > $t)",
                {"t": as_of}).fetchone()[0]

        correction_at = times["hl-west/2026-08_stats_v2.csv"]
        # as the data stood before the correction arrived, and after
        assert confirmed(correction_at - timedelta(days=1)) < confirmed(correction_at
                                                                        + timedelta(minutes=1))
        cut_off = correction_at + timedelta(minutes=1)
        coverage = completeness(con, "2026-Q3", as_of=cut_off, today=cut_off.date())
    months = coverage.query("member_id == 'hl-west' and indicator == 'HL_URLS_CONFIRMED'"
                            ).set_index("period")
    assert months.loc["2026-07", "state"] == "on_time"
    assert months.loc["2026-08", "state"] == "on_time" and months.loc["2026-08", "is_revised"]
    # September had not arrived by that cut-off (it arrives with the run), and was due
    assert months.loc["2026-09", "state"] == "overdue"

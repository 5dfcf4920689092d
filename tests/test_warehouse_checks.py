"""The warehouse suite, run by Great Expectations over a real DuckDB file: each rule fails on a
bad figure and passes on a good one; warnings load and are reported; the file on disk rules."""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from great_expectations.core.run_identifier import RunIdentifier

from checks import warehouse_checks
from checks.validation import SUITES_DIR, load_suite_definition
from checks.warehouse_checks import (
    expectation_suite,
    gx_context,
    run_suite,
    run_warehouse_suite,
    store_results,
)
from efc.settings import REPO_ROOT
from transforms import nightly
from transforms.completeness import completeness
from transforms.inbox import Arrival
from transforms.intake import Submission, examine, validate
from transforms.loading import record_submissions
from transforms.marts import refresh_marts
from transforms.periods import parse_period
from transforms.warehouse import load_reference, migrate

LOADED = datetime(2026, 1, 1, tzinfo=UTC)
AS_OF = datetime(2026, 11, 28, 2, tzinfo=UTC)
TODAY = date(2026, 11, 28)


def open_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    migrate(con)
    load_reference(con, REPO_ROOT / "reference")
    return con


def put(con, member: str, period: str, indicator: str, value: float | None, status: str = "A",
        loaded_at: datetime = LOADED) -> None:
    """One total observation, stored as the loader stores it."""
    p = parse_period(period)
    con.execute(
        "insert into observations values (1, ?, ?, ?, ?, ?, '', '', ?, ?, null, ?, null)",
        [member, period, p.frequency, p.quarter, indicator, value, status, loaded_at])


def months(first: str, count: int) -> list[str]:
    start = parse_period(first).first_month
    return [f"{m // 12}-{m % 12 + 1:02d}" for m in range(start, start + count)]


# (rule, member, indicator over its bound, failing figures, passing figures); each case has
# its own year so no two cases share a member's period or history.
CROSS_CASES = [
    ("assessed_within_received", "hl-north", "HL_REPORTS_ASSESSED",
     {"HL_REPORTS_RECEIVED": 100, "HL_REPORTS_ASSESSED": 101},
     {"HL_REPORTS_RECEIVED": 100, "HL_REPORTS_ASSESSED": 100}),
    ("confirmed_within_assessed", "hl-north", "HL_URLS_CONFIRMED",
     {"HL_REPORTS_ASSESSED": 50, "HL_URLS_CONFIRMED": 80},
     {"HL_REPORTS_ASSESSED": 50, "HL_URLS_CONFIRMED": 50}),
    ("commercial_within_confirmed", "hl-south", "HL_URLS_COMMERCIAL",
     {"HL_URLS_CONFIRMED": 10, "HL_URLS_COMMERCIAL": 11},
     {"HL_URLS_CONFIRMED": 10, "HL_URLS_COMMERCIAL": 3}),
    ("terminations_within_reviews", "pay-cardnet", "PAY_MERCHANTS_TERMINATED",
     {"PAY_MERCHANT_REVIEWS": 2, "PAY_MERCHANTS_TERMINATED": 3},
     {"PAY_MERCHANT_REVIEWS": 2, "PAY_MERCHANTS_TERMINATED": 2}),
]

# (member, period, indicator) the plausibility rule must flag, and some it must leave alone.
IMPLAUSIBLE = {
    ("hl-west", "2025-01", "HL_REPORTS_RECEIVED"),    # 3.5 × a median of 1,000
    ("hl-west", "2025-02", "HL_REPORTS_RECEIVED"),    # 300: below a third of 1,000
    ("hl-north", "2025-11", "HL_URLS_CONFIRMED"),     # 4 × the median since the break
    ("pay-wallet", "2025-01", "PAY_MERCHANT_REVIEWS"),  # 40 against 5
    ("le-alpha", "2025-Q1", "LE_CASES_OPENED"),       # a quarter at 4 × the last four
}
PLAUSIBLE = {
    ("hl-west", "2025-03", "HL_REPORTS_RECEIVED"),    # 2.9 ×: within the factor
    ("hl-west", "2025-04", "HL_REPORTS_RECEIVED"),    # 3.5 × but status B
    ("hl-west", "2025-05", "HL_REPORTS_RECEIVED"),    # 0.2 × but only one value since the break
    ("hl-north", "2025-07", "HL_URLS_CONFIRMED"),     # 5 × but series_breaks lists 2025-07
    ("hl-north", "2025-10", "HL_URLS_CONFIRMED"),     # history restarts at the break
    ("pay-wallet", "2025-01", "PAY_MERCHANTS_TERMINATED"),  # 1 → 4: small counts swing
}


def fill_cases(con) -> None:
    for year, (_, member, _, failing, passing) in enumerate(CROSS_CASES, start=2015):
        for indicator, value in failing.items():
            put(con, member, f"{year}-01", indicator, value)
        for indicator, value in passing.items():
            put(con, member, f"{year}-02", indicator, value)
        put(con, member, f"{year}-03", next(iter(failing)), 5)  # its partner is missing

    for period in months("2024-01", 12):
        put(con, "hl-west", period, "HL_REPORTS_RECEIVED", 1000)
    for period, value, status in [("2025-01", 3500, "A"), ("2025-02", 300, "A"),
                                  ("2025-03", 2900, "A"), ("2025-04", 3500, "B"),
                                  ("2025-05", 700, "A")]:
        put(con, "hl-west", period, "HL_REPORTS_RECEIVED", value, status)
    for period in months("2024-07", 12):
        put(con, "hl-north", period, "HL_URLS_CONFIRMED", 1000)
    for period in months("2025-07", 4):
        put(con, "hl-north", period, "HL_URLS_CONFIRMED", 5000)
    put(con, "hl-north", "2025-11", "HL_URLS_CONFIRMED", 20000)
    for period in months("2024-01", 12):
        put(con, "pay-wallet", period, "PAY_MERCHANT_REVIEWS", 5)
        put(con, "pay-wallet", period, "PAY_MERCHANTS_TERMINATED", 1)
    put(con, "pay-wallet", "2025-01", "PAY_MERCHANT_REVIEWS", 40)
    put(con, "pay-wallet", "2025-01", "PAY_MERCHANTS_TERMINATED", 4)
    for quarter in ("2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"):
        put(con, "le-alpha", quarter, "LE_CASES_OPENED", 100)
    put(con, "le-alpha", "2025-Q1", "LE_CASES_OPENED", 400)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    con = open_warehouse(tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb")
    fill_cases(con)
    refresh_marts(con, AS_OF)  # the suite reads current_observations, as the nightly run does
    yield con
    con.close()


@pytest.fixture(scope="module")
def validation(warehouse):
    return run_warehouse_suite(warehouse, as_of=AS_OF, today=TODAY)


def flagged(validation, rule: str) -> set[tuple[str, str, str]]:
    rows = validation.flagged.loc[validation.flagged["rule"] == rule]
    return set(zip(rows["member_id"], rows["period"], rows["indicator"], strict=True))


@pytest.mark.parametrize("case", range(len(CROSS_CASES)), ids=[c[0] for c in CROSS_CASES])
def test_each_cross_indicator_rule_fails_and_passes(validation, case):
    rule, member, indicator, _, _ = CROSS_CASES[case]
    year = 2015 + case
    assert flagged(validation, rule) == {(member, f"{year}-01", indicator)}
    result = next(r for r in validation.results if r.rule == rule)
    assert (result.success, result.unexpected_count) == (False, 1)
    assert result.severity == ("warning" if rule == "confirmed_within_assessed" else "error")


def test_plausibility_against_the_members_own_history(validation):
    found = flagged(validation, "value_plausible_against_history")
    assert found == IMPLAUSIBLE
    assert not found & PLAUSIBLE
    result = next(r for r in validation.results if r.rule == "value_plausible_against_history")
    assert (result.severity, result.unexpected_count) == ("warning", len(IMPLAUSIBLE))


def test_flags_keep_to_keys(validation):
    assert list(validation.flagged.columns) == ["rule", "severity", "member_id", "period",
                                                "indicator"]


def test_members_judged_slice_by_slice_give_the_whole_run(warehouse, validation, monkeypatch):
    """A full run judges members in slices to bound its memory: one member a slice (every
    member's history stays whole in its slice) gives the same verdicts as the whole history."""
    members = warehouse.execute("select count(distinct member_id) from current_observations "
                                "where dimension = ''").fetchone()[0]
    monkeypatch.setattr(warehouse_checks, "SLICE_TOTALS", 1)
    sliced = run_warehouse_suite(warehouse, as_of=AS_OF, today=TODAY)
    assert len(sliced.suite_results) == 2 * members > len(validation.suite_results)
    assert sliced.results == validation.results
    order = list(sliced.flagged.columns)
    assert sliced.flagged.sort_values(order).reset_index(drop=True).equals(
        validation.flagged.sort_values(order).reset_index(drop=True))
    assert any(not r.success for r in sliced.results)


def test_the_suite_on_disk_is_the_one_that_runs(warehouse, tmp_path):
    """Change a threshold in a copy of the suite file: the outcome changes with it."""
    suites = tmp_path / "suites"
    shutil.copytree(SUITES_DIR, suites)
    definition = json.loads((suites / "warehouse.json").read_text())
    for expectation in definition["expectations"]:
        if expectation["meta"]["rule"] == "value_plausible_against_history":
            expectation["kwargs"]["max_ratio"] = 4
    (suites / "warehouse.json").write_text(json.dumps(definition))
    changed = run_warehouse_suite(warehouse, as_of=AS_OF, today=TODAY, suites_dir=suites)
    assert flagged(changed, "value_plausible_against_history") == {
        ("pay-wallet", "2025-01", "PAY_MERCHANT_REVIEWS")}


def test_runs_without_the_offline_executor(warehouse, monkeypatch):
    """The warehouse suite runs only under GX; checks/expectations.py is never needed."""
    monkeypatch.setitem(sys.modules, "checks.expectations", None)  # importing it now fails
    again = run_warehouse_suite(warehouse, as_of=AS_OF, today=TODAY)
    assert flagged(again, "value_plausible_against_history") == IMPLAUSIBLE
    types = {e["type"] for e in load_suite_definition("warehouse")["expectations"]}
    assert "expect_column_pair_values_a_to_be_within_ratio_of_b" in types


def test_ratio_expectation_on_a_tiny_frame():
    """The custom expectation itself: either way, zero references, small values, gaps."""
    frame = pd.DataFrame({
        "value":  [100, 301, 33, 34, 50, 5, None, 9],
        "median": [100, 100, 100, 100, 0, 0, 100, 30],
    })
    suite = expectation_suite("ratio", [{
        "type": "expect_column_pair_values_a_to_be_within_ratio_of_b",
        "kwargs": {"column_A": "value", "column_B": "median", "max_ratio": 3,
                   "ignore_below": 10},
        "meta": {"rule": "ratio"}}])
    result = run_suite(gx_context(), suite, frame, run_id=RunIdentifier("t"),
                       result_format={"result_format": "COMPLETE"})
    assert result.results[0].result["unexpected_index_list"] == [1, 2, 4, 7]


def test_a_suite_entry_gx_cannot_read_stops_the_run():
    with pytest.raises(ValueError, match="no_such_rule"):
        expectation_suite("broken", [{"type": "expect_something_made_up", "kwargs": {},
                                      "meta": {"rule": "no_such_rule"}}])


# ------------------------------------------------------------------ completeness


@pytest.fixture
def empty_warehouse(tmp_path):
    con = open_warehouse(tmp_path / "warehouse.duckdb")
    yield con
    con.close()


def states(frame: pd.DataFrame, member: str, indicator: str) -> dict[str, str]:
    rows = frame.loc[(frame["member_id"] == member) & (frame["indicator"] == indicator)]
    return dict(zip(rows["period"], rows["state"], strict=True))


def test_completeness_of_a_quarter(empty_warehouse):
    con = empty_warehouse
    at = lambda day: datetime.fromisoformat(day).replace(tzinfo=UTC)  # noqa: E731
    put(con, "hl-north", "2025-07", "HL_URLS_CONFIRMED", 10, loaded_at=at("2025-08-10"))
    put(con, "hl-north", "2025-08", "HL_URLS_CONFIRMED", 10, loaded_at=at("2025-10-15"))
    put(con, "le-alpha", "2025-Q3", "LE_CASES_OPENED", 10, loaded_at=at("2025-10-20"))
    put(con, "pay-cardnet", "2025-Q3", "PAY_SAR_FILED", 10, loaded_at=at("2025-08-01"))
    put(con, "hl-west", "2025-07", "HL_URLS_CONFIRMED", 10, loaded_at=at("2025-12-01"))
    as_of, today = at("2025-11-28"), date(2025, 11, 28)

    q3 = completeness(con, "2025-Q3", as_of=as_of, today=today)
    assert states(q3, "hl-north", "HL_URLS_CONFIRMED") == {
        "2025-07": "on_time", "2025-08": "arrived_late", "2025-09": "overdue"}
    assert states(q3, "le-alpha", "LE_CASES_OPENED") == {"2025-Q3": "on_time"}
    assert set(states(q3, "pay-cardnet", "PAY_SAR_FILED").values()) == {"on_time"}
    assert states(q3, "hl-west", "HL_URLS_CONFIRMED")["2025-07"] == "overdue"  # after as_of

    q4 = completeness(con, "2025-Q4", as_of=as_of, today=today)
    assert set(q4["state"]) == {"not_yet_due"}
    assert "hl-east" not in set(completeness(con, "2024-Q2", as_of=as_of, today=today)[
        "member_id"])  # reports from 2024-07 on
    assert "hl-east" in set(completeness(con, "2024-Q3", as_of=as_of, today=today)["member_id"])


# ------------------------------------------------------------------ loading and storing


def test_a_warning_loads_and_is_reported(empty_warehouse, catalogue):
    """Confirmed URLs above reports assessed: the file loads, the night reports a warning."""
    con = empty_warehouse
    data = (b"member_id,period,indicator,value\n"
            b"hl-north,2026-07,HL_REPORTS_RECEIVED,60\n"
            b"hl-north,2026-07,HL_REPORTS_ASSESSED,50\n"
            b"hl-north,2026-07,HL_URLS_CONFIRMED,80\n")
    arrival = Arrival("hl-north", "july.csv", Path("/nonexistent/july.csv"), "0" * 64,
                      len(data), 0)
    submission = Submission(key=0, arrival=arrival, received_at=AS_OF)
    examine(submission, data, catalogue, max_file_bytes=10**6, max_rows=10**6)
    validate([submission], catalogue, TODAY)
    assert submission.state == "accepted"
    [submission_id] = record_submissions(con, [submission], [AS_OF])

    refresh_marts(con, AS_OF)
    validation = run_warehouse_suite(con, as_of=AS_OF, today=TODAY)
    store_results(con, validation, AS_OF)
    assert con.execute("select count(*) from observations where submission_id = ?",
                       [submission_id]).fetchone()[0] == 3
    assert con.execute(
        "select severity, success, unexpected_count from validation_results "
        "where submission_id is null and suite = 'warehouse' and rule = ?",
        ["confirmed_within_assessed"]).fetchall() == [("warning", False, 1)]
    assert con.execute(
        "select member_id, period, indicator, severity from warehouse_flags where rule = ?",
        ["confirmed_within_assessed"]).fetchall() == [
        ("hl-north", "2026-07", "HL_URLS_CONFIRMED", "warning")]
    stored = con.execute("select count(*) from validation_results where suite = 'warehouse'"
                         ).fetchone()[0]
    assert stored == len(validation.results)


def examined(key: int, member: str, data: bytes, catalogue) -> Submission:
    arrival = Arrival(member, f"file-{key}.csv", Path(f"/nonexistent/file-{key}.csv"),
                      hashlib.sha256(data).hexdigest(), len(data), 0)
    submission = Submission(key=key, arrival=arrival, received_at=AS_OF)
    return examine(submission, data, catalogue, max_file_bytes=10**6, max_rows=10**6)


@pytest.mark.parametrize("part_files", [1, 2, 50])
def test_corrections_apply_in_arrival_order_whatever_the_parts(tmp_path, catalogue, part_files):
    """A later file of the night replaces what an earlier one said, in its part or across."""
    header = "member_id,period,indicator,value\n"
    files = [("hl-north", "HL_REPORTS_ASSESSED,50\nhl-north,2026-07,HL_URLS_CONFIRMED,40"),
             ("hl-north", "HL_URLS_CONFIRMED,45"),   # corrects part of file 0
             ("hl-south", "HL_URLS_CONFIRMED,10"),   # another member: untouched
             ("hl-north", "HL_REPORTS_ASSESSED,55"),  # file 0 is now wholly replaced
             ("hl-north", "HL_URLS_CONFIRMED,47")]   # and so is file 1
    submissions = [examined(key, member, f"{header}{member},2026-07,{rest}\n".encode(), catalogue)
                   for key, (member, rest) in enumerate(files)]
    con = open_warehouse(tmp_path / "warehouse.duckdb")
    summary = nightly.NightlySummary(started_at=AS_OF, inbox="inbox")
    for first in range(0, len(submissions), part_files):
        summary = nightly.load_submissions(con, submissions[first:first + part_files], summary)

    assert summary.files_by_state == {"accepted": 3, "superseded": 2}
    states = con.execute("""
        select s.state, newer.file_name from submissions s
        left join submissions newer on newer.submission_id = s.superseded_by
        order by s.submission_id""").fetchall()
    assert states == [("superseded", "file-3.csv"), ("superseded", "file-4.csv"),
                      ("accepted", None), ("accepted", None), ("accepted", None)]
    assert con.execute("""
        select member_id, indicator, value from observations where valid_to is null
        order by all""").fetchall() == [("hl-north", "HL_REPORTS_ASSESSED", 55.0),
                                        ("hl-north", "HL_URLS_CONFIRMED", 47.0),
                                        ("hl-south", "HL_URLS_CONFIRMED", 10.0)]
    closed = con.execute("""
        select old.value, old.valid_to = new.valid_from from observations old
        join observations new on new.member_id = old.member_id
            and new.indicator = old.indicator and new.valid_from = old.valid_to
        order by old.valid_from, old.indicator""").fetchall()
    assert closed == [(50.0, True), (40.0, True), (45.0, True)]  # each closed by its successor
    con.close()


def test_an_empty_warehouse_runs(empty_warehouse):
    """A fresh workspace: every rule passes, and every expected period is missing."""
    refresh_marts(empty_warehouse, AS_OF)
    validation = run_warehouse_suite(empty_warehouse, as_of=AS_OF, today=TODAY)
    assert [r.rule for r in validation.results if not r.success] == ["period_overdue"]
    assert set(validation.completeness["state"]) == {"overdue", "not_yet_due"}

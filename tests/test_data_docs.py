"""Great Expectations' Data Docs: built under data_docs/, the index (our own plain HTML) lists the
latest run of each suite, quietly (no progress bars, no GX log lines)."""

from __future__ import annotations

import json
import logging
import shutil
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from checks.data_docs import build_data_docs, night_of_parts
from checks.validation import SUITES_DIR, validate_batch
from checks.warehouse_checks import run_warehouse_suite
from tests.test_validation import COLUMNS, GOOD, frame_of
from tests.test_warehouse_checks import AS_OF, TODAY, open_warehouse, put
from transforms.marts import refresh_marts

WAREHOUSE_SUITES = {"warehouse.member_period_totals", "warehouse.indicator_totals"}


class _Rows(HTMLParser):
    """The cells' text and links of each table body row, as a browser without scripts shows."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[tuple[str, str | None]]] = []
        self.in_body = False

    def handle_starttag(self, tag, attrs):
        if tag == "tbody":
            self.in_body = True
        elif self.in_body and tag == "tr":
            self.rows.append([])
        elif self.in_body and tag == "td":
            self.rows[-1].append(["", None])
        elif self.in_body and tag == "a":
            self.rows[-1][-1][1] = dict(attrs)["href"]

    def handle_endtag(self, tag):
        self.in_body = self.in_body and tag != "tbody"

    def handle_data(self, data):
        if self.in_body and self.rows and self.rows[-1]:
            self.rows[-1][-1][0] += data


def index_rows(index: Path) -> list[dict]:
    """The rows of the index's validation-results table, read from its HTML."""
    parser = _Rows()
    parser.feed(index.read_text(encoding="utf-8"))
    names = ["suite", "data", "run_name", "run_time", "status", "met", "page"]
    return [{**{name: text.strip() for name, (text, _) in zip(names, row, strict=True)},
             "suite_page": row[0][1], "page_path": row[-1][1]} for row in parser.rows]


def listed(index: Path) -> dict[str, str]:
    return {row["suite"]: row["run_name"] for row in index_rows(index)}


@pytest.fixture(scope="module")
def runs(tmp_path_factory, catalogue):
    con = open_warehouse(tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb")
    put(con, "hl-north", "2026-07", "HL_REPORTS_ASSESSED", 50)
    put(con, "hl-north", "2026-07", "HL_URLS_CONFIRMED", 80)
    refresh_marts(con, AS_OF)
    warehouse = run_warehouse_suite(con, as_of=AS_OF, today=TODAY).suite_results
    con.close()
    bad = [list(row) for row in GOOD]
    bad[3][5] = "-1"
    observations = pd.concat([frame_of(GOOD, key=0), frame_of([tuple(r) for r in bad], key=1)],
                             ignore_index=True)
    # The nightly run's own validation of the files, passed on to the docs (not run again).
    return warehouse, validate_batch(observations, catalogue, TODAY).suite_result


def test_docs_list_the_latest_run_of_each_suite(runs, tmp_path, capsys, caplog):
    warehouse, submission = runs
    docs = tmp_path / "home" / "data_docs"
    first = datetime(2026, 11, 27, 2, tzinfo=UTC)
    with caplog.at_level(logging.DEBUG):
        index = build_data_docs(docs, [submission, *warehouse], run_name="nightly-2026-11-27",
                                run_time=first)
    assert index == docs / "index.html"
    assert listed(index) == {"submission": "nightly-2026-11-27",
                             **dict.fromkeys(WAREHOUSE_SUITES, "nightly-2026-11-27")}
    rows = {row["suite"]: row for row in index_rows(index)}
    assert rows["submission"]["status"] == "Failed"
    assert rows["warehouse.member_period_totals"]["status"] == "Failed"
    assert rows["submission"]["met"].endswith(f"of {len(submission.results)}")
    for row in rows.values():
        assert (docs / row["page_path"]).is_file() and (docs / row["suite_page"]).is_file()
    page = (docs / rows["warehouse.member_period_totals"]["page_path"]).read_text()
    assert "hl-north" in page  # the warehouse pages name the keys they flag
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""  # no progress bars
    assert not [r for r in caplog.records if r.name.startswith("great_expectations")
                and r.levelno >= logging.INFO]

    # A night without new files: tonight's warehouse run, the submission suite's last one.
    second = datetime(2026, 11, 28, 2, tzinfo=UTC)
    index = build_data_docs(docs, warehouse, run_name="nightly-2026-11-28", run_time=second)
    assert listed(index) == {"submission": "nightly-2026-11-27",
                             **dict.fromkeys(WAREHOUSE_SUITES, "nightly-2026-11-28")}
    pages = {p.relative_to(docs).as_posix() for p in (docs / "validations").rglob("*.html")}
    assert not [p for p in pages if "warehouse" in p and "nightly-2026-11-27" in p]


def test_submission_docs_keep_to_counts(runs):
    _, submission = runs
    failed = [r for r in submission.results if not r.success]
    assert [r.expectation_config.meta["rule"] for r in failed] == ["value_non_negative"]
    assert failed[0].result["unexpected_count"] == 1
    assert not [key for r in submission.results for key in r.result
                if "list" in key or "rows" in key or "query" in key]  # no values, no row numbers


@pytest.mark.parametrize("mostly", [None, 0.7])
def test_a_nights_parts_show_as_the_result_gx_gives_the_whole_night(catalogue, tmp_path, mostly):
    """Counts, percentages and verdicts of the parts put together are GX's own for the night's
    files validated at once: parts that fail, with missing values, all good. With `mostly`, a
    part can fail a rule that the night as a whole meets."""
    suites = tmp_path / "suites"
    shutil.copytree(SUITES_DIR, suites)
    if mostly:
        definition = json.loads((suites / "submission.json").read_text())
        for expectation in definition["expectations"]:
            if expectation["meta"]["rule"] == "value_non_negative":
                expectation["kwargs"]["mostly"] = mostly
        (suites / "submission.json").write_text(json.dumps(definition))

    def rows(*cells):
        out = [list(row) for row in GOOD]
        for index, column, value in cells:
            out[index][COLUMNS.index(column)] = value
        return [tuple(row) for row in out]

    files = [frame_of(rows((1, "value", "-1"), (2, "value", "-1")), key=0),
             frame_of(rows((1, "category", ""), (2, "status", "E")), key=1),
             frame_of(GOOD, key=2), frame_of(rows((0, "value", "7.5")), key=3),
             frame_of(GOOD, key=4)]

    def validated(frames):
        return validate_batch(pd.concat(frames, ignore_index=True), catalogue, TODAY,
                              suites_dir=suites).suite_result

    parts = [validated(files[:1]), validated(files[1:3]), validated(files[3:])]
    whole = validated(files)
    night = night_of_parts(parts)
    assert [r.expectation_config.meta["rule"] for r in night.results] == \
        [r.expectation_config.meta["rule"] for r in whole.results]
    assert [(r.success, r.result) for r in night.results] == \
        [(r.success, pytest.approx(r.result)) for r in whole.results]
    assert (night.success, night.statistics) == (whole.success, whole.statistics)
    failed = {r.expectation_config.meta["rule"] for r in night.results if not r.success}
    assert "count_whole_number" in failed
    assert ("value_non_negative" in failed) is (mostly is None)
    assert not parts[0].success  # the first part alone fails value_non_negative either way
    assert any(r.result.get("missing_count") for r in night.results)

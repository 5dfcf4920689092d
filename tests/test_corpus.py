"""The corpus of members' files (tests/corpus): each rule fires where it should, offline, nightly.

tests/corpus/expected.csv states, for each file, the state its receipt must end in and a rule
id that must be among its problems. The files are committed; tests/corpus_builder.py made
them once. One nightly run over a copy of the whole corpus must agree with the offline check
of every file, and leave no identifier from an identifying file anywhere outside quarantine.
"""

from __future__ import annotations

import csv
import json
import shutil
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from checks.screening import KINDS
from checks.validation import load_suite_definition
from efc.cli import main
from efc.settings import Settings
from transforms.inbox import Arrival, file_sha256
from transforms.intake import STATES, Submission, examine, validate
from transforms.parsing import XLSX_MAX_INFLATED_BYTES
from transforms.receipts import build_receipt, condense

CORPUS = Path(__file__).parent / "corpus"
EXPECTED = list(csv.DictReader((CORPUS / "expected.csv").open(encoding="utf-8")))
CASES = [(e["member_id"], e["file"]) for e in EXPECTED]

PARSE_RULES = {
    "format_not_accepted", "workbook_protected", "not_a_workbook", "workbook_too_large",
    "encoding_unreadable", "not_a_text_file", "html_not_csv", "wide_table", "missing_column",
    "empty_file", "field_count", "json_invalid", "json_shape", "no_observations",
}
VALUE_RULES = {"value_is_number", "value_decimal_mark_ambiguous",
               "value_decimal_mark_inconsistent"}
# Rules not in the corpus: they need limits no committed file should reach (50 MB, 1,000,000
# rows); tests/test_parsing.py::test_row_limit covers too_many_rows with a lowered limit.
NOT_IN_CORPUS = {"too_many_rows", "file_too_large"}

# Every identifier planted in the corpus, as written there, and the compact or partial forms a
# careless normalisation would store. None may appear anywhere in EFC_HOME outside quarantine/.
PLANTED = [
    "jan.jansen@example.org", "+44 20 7946 0958", "DE89 3704 0044 0532 0130 00",
    "4111 1111 1111 1111", "203.0.113.45", "https://images.example.net/gallery/7731",
    "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "j.devries@example.net",
    "https://portal.example.org/export/42",
]
IDENTIFIERS = PLANTED + [
    "+442079460958", "7946 0958", "DE89370400440532013000", "370400440532013000",
    "4111111111111111", "images.example.net/gallery/7731", "portal.example.org/export/42",
]
NAME_ONLY_IDENTIFIERS = {"j.devries@example.net"}  # in a file name, not in the file's bytes

# Files where the row number a member is told must be the line they see in their own file.
ROWS = {
    ("hl-north", "hotline-stats-2026-06.xlsx"): ("value_non_negative", 5),  # title, blank, header
    ("hl-east", "ntd_2026-04.csv"): ("value_non_negative", 5),  # two-line note, blank line
    ("hl-north", "hotline-stats-2026-05.csv"): ("field_count", 3),
    ("hl-south", "statistiche_2026-01.json"): ("identifying_ip_address", 2),  # observation 2
    ("ind-isp", "isp_2026-03.csv"): ("identifying_url", 1),  # the header row
    ("ind-imagehost", "pixeldock_2026-06_formulas.xlsx"): ("value_present", 2),
}


def expected_of(member_id: str, file: str) -> dict:
    return next(e for e in EXPECTED if (e["member_id"], e["file"]) == (member_id, file))


def offline_check(cases: list[tuple[str, str]], catalogue) -> dict[tuple[str, str], dict]:
    """What `efc check` prints for each file, with one validation run for them all.

    The same calls as efc.cli.cmd_check (the suite on its pandas engine, as members run it),
    batched: every file gets its own submission key, and no rule compares rows of two keys.
    """
    settings = Settings.from_env()
    submissions = []
    for key, (member_id, file) in enumerate(cases):
        path = CORPUS / member_id / file
        info = path.stat()
        arrival = Arrival(member_id, path.name, path, file_sha256(path), info.st_size,
                          info.st_mtime_ns)
        submission = Submission(key=key, arrival=arrival, received_at=datetime.now(UTC))
        examine(submission, path.read_bytes(), catalogue,
                max_file_bytes=settings.max_file_bytes, max_rows=settings.max_rows)
        submissions.append(submission)
    validate(submissions, catalogue, date.today(), engine="pandas")
    return {case: build_receipt(
        file=s.shown_file_name, sha256=s.arrival.sha256, member_id=case[0],
        received_at=s.received_at, state=s.state, problems=condense(s.problems),
        file_format=s.file_format) for case, s in zip(cases, submissions, strict=True)}


@pytest.fixture(scope="module")
def offline(catalogue) -> dict[tuple[str, str], dict]:
    return offline_check(CASES, catalogue)


# --- the corpus itself -----------------------------------------------------------------

def test_corpus_lists_every_file_once_with_distinct_bytes():
    on_disk = {(p.parent.name, p.name) for p in CORPUS.glob("*/*") if p.is_file()}
    assert on_disk == set(CASES)
    assert len(CASES) == len(set(CASES)) >= 35
    hashes = [file_sha256(CORPUS / m / f) for m, f in CASES]
    assert len(set(hashes)) == len(hashes), "two corpus files would be duplicates"
    for e in EXPECTED:
        assert e["expected_state"] in {"accepted", "accepted_with_warnings", "rejected"}
        assert bool(e["expected_rule"]) == (e["expected_state"] != "accepted")


def test_corpus_covers_every_rule():
    suite_rules = {e["meta"]["rule"] for e in load_suite_definition("submission")["expectations"]}
    every_rule = PARSE_RULES | VALUE_RULES | suite_rules | set(KINDS) | {"unknown_column"}
    covered = {e["expected_rule"] for e in EXPECTED}
    assert every_rule - NOT_IN_CORPUS <= covered, sorted(every_rule - NOT_IN_CORPUS - covered)
    accepted_formats = {Path(e["file"]).suffix for e in EXPECTED
                        if e["expected_state"] == "accepted"}
    assert accepted_formats >= {".csv", ".tsv", ".xlsx", ".json"}


def test_zip_bomb_is_small_on_disk_and_huge_inflated():
    path = CORPUS / "ind-isp" / "isp_2026-06_everything.xlsx"
    inflated = sum(entry.file_size for entry in zipfile.ZipFile(path).infolist())
    assert path.stat().st_size < 4096 < XLSX_MAX_INFLATED_BYTES < inflated


# --- offline: what `efc check` says ----------------------------------------------------

@pytest.mark.parametrize("member_id,file", CASES, ids=[f"{m}/{f}" for m, f in CASES])
def test_offline_check_gives_the_expected_state_and_rule(offline, member_id, file):
    expected = expected_of(member_id, file)
    receipt = offline[(member_id, file)]
    rules = [p["rule"] for p in receipt["problems"]]
    assert receipt["state"] == expected["expected_state"], receipt["problems"]
    if expected["expected_rule"]:
        assert expected["expected_rule"] in rules
    else:
        assert rules == []
    for problem in receipt["problems"]:
        assert problem["rule"] and problem["message"] and problem["fix"], problem
    shown = json.dumps(receipt, ensure_ascii=False)
    assert not [i for i in IDENTIFIERS if i in shown]


@pytest.mark.parametrize("case,rule_and_row", ROWS.items(), ids=[f for _, f in ROWS])
def test_rows_point_at_the_line_the_member_sees(offline, case, rule_and_row):
    rule, row = rule_and_row
    rows = sorted(p["row"] for p in offline[case]["problems"] if p["rule"] == rule)
    assert rows and rows[0] == row, offline[case]["problems"]


@pytest.mark.parametrize("member_id,file,exit_code", [
    ("le-alpha", "lagebild_2026_Q2.csv", 0),
    ("hl-north", "hotline-stats-2026-09-estimated.csv", 0),
    ("pay-remit", "remit_2026-06_sar_detail.csv", 1),
])
def test_efc_check_command_agrees_with_the_batch(offline, workspace, capsys, member_id, file,
                                                  exit_code):
    code = main(["check", str(CORPUS / member_id / file), "--member", member_id, "--json"])
    receipt = json.loads(capsys.readouterr().out)
    assert code == exit_code
    batch = offline[(member_id, file)]
    assert receipt["state"] == batch["state"]
    assert receipt["problems"] == batch["problems"]
    assert not workspace.warehouse_path.exists()


# --- one nightly run over the whole corpus ---------------------------------------------

def contents(path: Path) -> bytes:
    """A file's bytes, and the inflated entries too when it is a zip (XLSX hides text so)."""
    data = path.read_bytes()
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            data += b"".join(archive.read(entry) for entry in archive.infolist()
                             if entry.file_size < 10 * 1024 * 1024)
    return data


def nightly_receipts(settings: Settings) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(settings.receipts_dir.glob("*/*.json"))]


def warehouse_text(path: Path) -> str:
    """Every value of every table of a DuckDB file, as text."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [t for (t,) in con.execute(
            "select table_name from information_schema.tables "
            "where table_type = 'BASE TABLE'").fetchall()]
        assert "submissions" in tables
        # table names come from DuckDB's own catalogue; values are never formatted in
        return "\n".join(repr(con.execute(f'select * from "{t}"').fetchall()) for t in tables)


@pytest.mark.slow
def test_nightly_run_over_the_corpus(workspace, prefect_harness, offline, tmp_path):
    from flows.nightly_aggregation import nightly_aggregation

    inbox = tmp_path / "inbox"
    shutil.copytree(CORPUS, inbox, ignore=shutil.ignore_patterns("expected.csv"))
    summary = nightly_aggregation(inbox=str(inbox))
    assert summary["files"] == len(EXPECTED)

    # (b) every file: exactly one receipt, in the expected state, with the expected rule
    by_file = {(m, file_sha256(CORPUS / m / f)): (m, f) for m, f in CASES}
    receipts = nightly_receipts(workspace)
    received = [(r["member_id"], r["sha256"]) for r in receipts]
    assert sorted(received) == sorted(by_file)
    for receipt in receipts:
        case = by_file[(receipt["member_id"], receipt["sha256"])]
        expected = expected_of(*case)
        assert receipt["state"] == expected["expected_state"], (case, receipt["problems"])
        if expected["expected_rule"]:
            assert expected["expected_rule"] in {p["rule"] for p in receipt["problems"]}, case
        # (d) the nightly run (Great Expectations) and the offline check (pandas) judge alike
        assert receipt["state"] == offline[case]["state"], case
        assert {p["rule"] for p in receipt["problems"]} == \
            {p["rule"] for p in offline[case]["problems"]}, case

    # (c) no identifier outside quarantine: every file's bytes, then the warehouse's values
    home = workspace.home
    quarantine = workspace.quarantine_dir
    leaks = []
    for path in home.rglob("*"):
        if path.is_file() and quarantine not in path.parents:
            data = path.read_bytes()
            leaks += [(str(path.relative_to(home)), i) for i in IDENTIFIERS
                      if i.encode() in data or i.encode("utf-16-le") in data]
    for database in home.glob("*.duckdb"):
        stored = warehouse_text(database)
        leaks += [(database.name, i) for i in IDENTIFIERS if i in stored]
    assert not leaks

    # ... and the search would have found them: the quarantined bytes hold every one
    quarantined = list(quarantine.iterdir())
    held = b"".join(contents(p) for p in quarantined)
    assert [i for i in PLANTED if i not in NAME_ONLY_IDENTIFIERS
            and i.encode() not in held] == []
    identifying = [e for e in EXPECTED if e["expected_rule"].startswith("identifying_")]
    assert len(quarantined) == len(identifying)
    assert oct(quarantine.stat().st_mode & 0o777) == oct(0o700)
    assert {oct(p.stat().st_mode & 0o777) for p in quarantined} == {oct(0o600)}
    # nothing is deleted: everything else is archived under its hash
    archived = {p.name for p in workspace.archive_dir.iterdir()}
    assert archived | {p.name for p in quarantined} == {sha for _, sha in by_file}
    assert set(summary["files_by_state"]) <= set(STATES)

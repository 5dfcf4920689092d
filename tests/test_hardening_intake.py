"""Issue 18, the intake half: no single file stops a night, no number passes that could stop an
assessment, handled files leave the drop folder, and what a member wrote is shown escaped.

Unit tests call the plain functions on tiny inputs; a whole night runs only where the point is
the night (marked slow), and the fuzzing pass sends random and hostile files through both.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import time
import warnings
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from efc.settings import REPO_ROOT, Settings
from tests.conftest import efc_home, write
from transforms import nightly
from transforms.catalogue import ReferenceDataError, read_reference
from transforms.inbox import (
    Arrival,
    Sighting,
    StillArriving,
    file_sha256,
    leave_inbox,
    receive,
    scan_inbox,
)
from transforms.intake import Submission, examine, examine_received, validate
from transforms.loading import already_received
from transforms.parsing import COLUMNS, parse_file
from transforms.receipts import build_receipt, condense, printable, render_text
from transforms.warehouse import migrate

HEADER = ",".join(COLUMNS) + "\n"
TODAY = date(2026, 11, 28)


def csv_of(*rows: str) -> bytes:
    return (HEADER + "".join(row + "\n" for row in rows)).encode()


def judged(member: str, name: str, data: bytes, catalogue, *, engine: str = "pandas",
           max_rows: int = 1000, max_file_bytes: int = 50 * 1024 * 1024) -> Submission:
    """What `efc check` does with one file: examine, then the suite."""
    arrival = Arrival(member, name, Path(name), "0" * 64, len(data), 0)
    submission = Submission(key=0, arrival=arrival, received_at=datetime.now(UTC))
    examine(submission, data if len(data) <= max_file_bytes else None, catalogue,
            max_file_bytes=max_file_bytes, max_rows=max_rows)
    validate([submission], catalogue, TODAY, engine=engine)
    return submission


def rules(submission: Submission) -> set[str]:
    return {p.rule for p in submission.problems}


def workbook(sheets: dict[str, list[list]], hidden: dict[str, str] | None = None) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        sheet.sheet_state = (hidden or {}).get(title, "visible")
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def sighted(path: Path, member: str = "hl-north") -> Sighting:
    info = path.stat()
    return Sighting(member, path.name, path, info.st_size, info.st_mtime_ns, info.st_ino)


def age(path: Path, seconds: int) -> Path:
    moment = time.time() - seconds
    os.utime(path, (moment, moment))
    return path


# --- 1. values finite and plausible for their unit ---------------------------------------

HUGE = "1" + "0" * 400


@pytest.mark.parametrize("engine", ["pandas", "great_expectations"])
@pytest.mark.parametrize("name,data", [
    ("zeros.csv", csv_of(f"hl-north,2026-09,HL_URLS_CONFIRMED,,,{HUGE},,,")),
    ("finite.csv", csv_of("hl-north,2026-09,HL_URLS_CONFIRMED,,,99999999999999999999999,,,")),
    ("digits.json", json.dumps({"member_id": "hl-north", "period": "2026-09", "observations": [
        {"indicator": "HL_URLS_CONFIRMED", "value": int(HUGE + "0")}]}).encode()),
    ("cell.xlsx", workbook({"data": [list(COLUMNS), ["hl-north", "2026-09",
                                                     "HL_URLS_CONFIRMED", None, None, 1e300]]})),
])
def test_an_implausible_value_is_refused_by_both_engines(catalogue, engine, name, data):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # and no arithmetic warns on the way
        found = judged("hl-north", name, data, catalogue, engine=engine)
    assert found.state == "rejected"
    plausible = [p for p in found.problems if p.rule == "value_plausible"]
    assert plausible and "1000000000" in plausible[0].message and plausible[0].fix


def test_an_infinite_count_is_no_whole_number_either(catalogue):
    found = judged("hl-north", "zeros.csv",
                   csv_of(f"hl-north,2026-09,HL_URLS_CONFIRMED,,,{HUGE},,,"), catalogue)
    assert {"value_plausible", "count_whole_number"} <= rules(found)


@pytest.mark.parametrize("value", ["NaN", "1e400", "Infinity"])
def test_non_finite_json_numbers_are_refused(catalogue, value):
    data = ('{"member_id": "hl-north", "period": "2026-09", "observations": '
            f'[{{"indicator": "HL_URLS_CONFIRMED", "value": {value}}}]}}').encode()
    assert judged("hl-north", "x.json", data, catalogue).state == "rejected"


def test_a_value_at_its_ceiling_passes_and_every_indicator_has_one(catalogue):
    ceiling = catalogue.max_value_of_indicator["HL_URLS_CONFIRMED"]
    found = judged("hl-north", "ok.csv",
                   csv_of(f"hl-north,2026-09,HL_URLS_CONFIRMED,,,{ceiling:.0f},,,"), catalogue)
    assert found.state == "accepted", found.problems
    assert set(catalogue.max_value_of_indicator) == set(catalogue.unit_of_indicator)
    assert all(v > 0 for v in catalogue.max_value_of_indicator.values())


def test_a_catalogue_without_ceilings_is_refused(tmp_path):
    reference = tmp_path / "reference"
    shutil.copytree(REPO_ROOT / "reference", reference)
    indicators = reference / "indicators.csv"
    lines = indicators.read_text().splitlines()
    lines[1] = lines[1].rsplit(",", 1)[0] + ",-5"
    indicators.write_text("\n".join(lines) + "\n")
    with pytest.raises(ReferenceDataError, match="max_value"):
        read_reference(reference)


# --- 2. an unreadable or vanished file, and the per-file guard -----------------------------

def test_a_file_gone_before_it_is_read_raises_for_its_night_alone(tmp_path):
    path = write(tmp_path / "hl-north" / "gone.csv", HEADER)
    sighting = sighted(path)
    path.unlink()
    with pytest.raises(FileNotFoundError):
        receive(sighting, tmp_path, settle_s=0, now_ns=time.time_ns())


def test_the_guard_turns_a_failure_while_examining_into_that_files_receipt(workspace, catalogue):
    workspace.ensure_folders()
    not_a_file = workspace.quarantine_dir / ".receiving-test"
    not_a_file.mkdir()  # reading it fails for real (IsADirectoryError)
    arrival = Arrival("hl-north", "x.csv", not_a_file, "a" * 64, 10, 0, received=not_a_file)
    submission = Submission(key=0, arrival=arrival, received_at=datetime.now(UTC))
    found, failure = examine_received(submission, catalogue, workspace)
    assert "IsADirectoryError" in failure
    assert found.state == "rejected" and found.observations is None
    problem = next(p for p in found.problems if p.rule == "file_unreadable")
    assert "could not be read" in problem.message and "data team" in problem.fix


def test_narrowed_workbook_reader_still_names_damage(catalogue):
    data = workbook({"data": [list(COLUMNS)]})
    damaged = data.replace(b"xl/workbook.xml", b"xl/workbook.xmX")  # a part is missing
    parsed = parse_file("x.xlsx", damaged, max_rows=10)
    assert [p.rule for p in parsed.problems] == ["not_a_workbook"]


NO_READ_OVERRIDE = ["setpriv", "--inh-caps=-dac_override,-dac_read_search",
                    "--bounding-set=-dac_override,-dac_read_search"]


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"),
                    reason="needs root and setpriv to make a file unreadable for the service")
def test_an_unreadable_file_gets_a_receipt_and_the_night_goes_on(workspace):
    inbox = workspace.inbox
    write(inbox / "hl-north" / "ok.csv", HEADER + "hl-north,2026-07,HL_URLS_CONFIRMED,,,5,,,\n")
    locked = write(inbox / "hl-west" / "locked.csv",
                   HEADER + "hl-west,2026-07,HL_URLS_CONFIRMED,,,5,,,\n")
    os.chown(locked, 54321, 54321)
    os.chmod(locked, 0o600)
    env = {**os.environ, "EFC_HOME": str(workspace.home), "EFC_SETTLE_S": "0"}
    command = [*NO_READ_OVERRIDE, sys.executable, "-m", "efc.cli", "ingest", "--json"]
    nights = [subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
              for _ in range(2)]
    for night in nights:
        assert night.returncode == 0, night.stderr
    first, second = (json.loads(n.stdout) for n in nights)
    assert first["files_by_state"] == {"accepted": 1, "rejected": 1}
    receipt = json.loads(next((workspace.receipts_dir / "hl-west").glob("*.json")).read_text())
    assert [p["rule"] for p in receipt["problems"]] == ["file_unreadable"]
    assert "permission" in receipt["problems"][0]["message"]
    assert locked.exists() and not (inbox / "hl-north" / "ok.csv").exists()
    assert second["files"] == 0  # told once; it waits until it can be read
    assert any("locked.csv" in entry for entry in second["waiting"])


# --- 3. the bytes hashed are the bytes kept, parsed and loaded ----------------------------

def test_the_received_copy_holds_exactly_the_bytes_hashed(tmp_path):
    path = write(tmp_path / "in" / "hl-north" / "x.csv", HEADER + "hl-north,2026-07\n")
    arrival = receive(sighted(path), tmp_path, settle_s=0, now_ns=time.time_ns())
    assert arrival.received.read_bytes() == path.read_bytes()
    assert file_sha256(arrival.received) == arrival.sha256
    assert oct(arrival.received.stat().st_mode & 0o777) == oct(0o600)


def test_a_young_or_changed_file_waits(tmp_path):
    path = write(tmp_path / "in" / "hl-north" / "x.csv", HEADER)
    with pytest.raises(StillArriving, match="settle"):
        receive(sighted(path), tmp_path, settle_s=60, now_ns=time.time_ns())
    sighting = sighted(age(path, 120))
    path.write_text(HEADER + "more\n")  # rewritten after the scan
    with pytest.raises(StillArriving, match="changed"):
        receive(sighting, tmp_path, settle_s=60, now_ns=time.time_ns())
    assert not list(tmp_path.glob(".receiving-*"))


def discover(settings: Settings):
    settings.ensure_folders()
    with duckdb.connect(str(settings.warehouse_path)) as con:
        migrate(con)
        return nightly.discover_submissions(con, settings, nightly.now_utc())


def test_a_file_still_being_written_is_listed_as_waiting(workspace, monkeypatch):
    write(workspace.inbox / "hl-north" / "new.csv", HEADER)
    age(write(workspace.inbox / "hl-north" / "old.csv", HEADER + "x\n"), 600)
    monkeypatch.setenv("EFC_SETTLE_S", "60")
    found, ignored, waiting = discover(Settings.from_env())
    assert [s.arrival.file_name for s in found] == ["old.csv"]
    assert len(waiting) == 1 and waiting[0].startswith("hl-north/new.csv: modified")


def test_the_archive_holds_the_bytes_examined(workspace, catalogue):
    data = csv_of("hl-north,2026-07,HL_URLS_CONFIRMED,,,5,,,")
    write(workspace.inbox / "hl-north" / "x.csv", data.decode())
    (submission,), _, _ = discover(workspace)
    examined, failure = examine_received(submission, catalogue, workspace)
    assert failure is None and examined.state == "accepted"
    kept = workspace.archive_dir / examined.arrival.sha256
    assert kept.read_bytes() == data and file_sha256(kept) == examined.arrival.sha256
    assert not list(workspace.quarantine_dir.glob(".receiving-*"))


@pytest.mark.parametrize("syncfs", [True, False], ids=["syncfs", "fsync each"])
def test_a_part_is_kept_under_its_hashes_once_each(tmp_path, monkeypatch, syncfs):
    """Kept copies are renamed under their hashes with their modes, the bytes flushed first (by
    one syncfs where Linux offers it, else an fsync each); a second copy of the same bytes, in
    the part or kept before, leaves no file behind."""
    from transforms import inbox

    if not syncfs:  # a system without syncfs(2)
        monkeypatch.setattr(inbox, "_libc", lambda: object())
    archive, quarantine = tmp_path / "archive", tmp_path / "quarantine"
    archive.mkdir()
    quarantine.mkdir()
    texts = ["a\n", "b\n", "a\n", "kept before\n"]
    kept_before = archive / hashlib.sha256(texts[3].encode()).hexdigest()
    kept_before.write_text(texts[3])
    kept_before.chmod(0o644)
    arrivals = [receive(sighted(write(tmp_path / "in" / "hl-north" / f"{n}.csv", text)),
                        quarantine, settle_s=0, now_ns=time.time_ns())
                for n, text in enumerate(texts)]
    inbox.keep_all_received([(arrivals[0], archive, False), (arrivals[1], quarantine, True),
                             (arrivals[2], archive, False), (arrivals[3], archive, False)])
    modes = {path.name: oct(path.stat().st_mode & 0o777) for path in
             [*archive.iterdir(), *quarantine.iterdir()]}
    assert modes == {arrivals[0].sha256: "0o640", arrivals[1].sha256: "0o600",
                     kept_before.name: "0o644"}
    assert (archive / arrivals[0].sha256).read_text() == "a\n"
    assert not [arrival for arrival in arrivals if arrival.received.exists()]


# --- 4. duplicates only of loaded files; the sender first ----------------------------------

def test_only_loaded_files_have_duplicates_and_only_of_their_own_member(workspace):
    workspace.ensure_folders()
    with duckdb.connect(str(workspace.warehouse_path)) as con:
        migrate(con)
        for member, sha, state in [("hl-north", "a", "rejected"), ("hl-north", "b", "accepted"),
                                   ("hl-west", "c", "superseded"), ("hl-north", "b", "duplicate")]:
            con.execute("""insert into submissions (sha256, member_id, file_name,
                file_name_sha256, size_bytes, received_at, state, state_changed_at, problems)
                values (?, ?, 'f', ?, 1, now(), ?, now(), '[]')""", [sha, member, sha, state])
        seen, first_loaded = already_received(con)
    assert first_loaded == {("hl-north", "b"): 2, ("hl-west", "c"): 3}
    assert ("hl-north", "a", "a") in seen


@pytest.mark.slow
def test_refused_bytes_are_judged_afresh_and_strangers_learn_nothing(workspace,
                                                                     prefect_harness):
    from flows.nightly_aggregation import nightly_aggregation

    inbox = workspace.inbox
    good = csv_of("hl-north,2026-07,HL_URLS_CONFIRMED,,,5,,,")
    book = workbook({"data": [list(COLUMNS), ["hl-north", "2026-08", "HL_URLS_CONFIRMED",
                                              None, None, 7]]})
    write(inbox / "hl-north" / "july.csv", good.decode())
    (inbox / "hl-north" / "august.xlsm").write_bytes(book)
    first = nightly_aggregation()
    assert first["files_by_state"] == {"accepted": 1, "rejected": 1}

    (inbox / "hl-north" / "august.xlsx").write_bytes(book)  # the refused bytes, renamed
    (inbox / "HL-NORTH").mkdir()
    (inbox / "HL-NORTH" / "july.csv").write_bytes(good)      # an unregistered folder
    (inbox / "hl-west").mkdir()
    (inbox / "hl-west" / "july.csv").write_bytes(good)       # another member's bytes
    (inbox / "hl-north" / "july-again.csv").write_bytes(good)
    second = nightly_aggregation()
    assert second["files_by_state"] == {"accepted": 1, "duplicate": 1, "rejected": 2}
    receipts = {(r["member_id"], r["file"]): r for r in (
        json.loads(p.read_text()) for p in workspace.receipts_dir.glob("*/*.json"))}
    assert receipts[("hl-north", "august.xlsx")]["state"] == "accepted"
    assert receipts[("hl-north", "july-again.csv")]["state"] == "duplicate"
    for stranger in ("HL-NORTH", "hl-west"):
        receipt = receipts[(stranger, "july.csv")]
        assert receipt["state"] == "rejected" and receipt["duplicate_of"] is None
        assert "Same bytes" not in render_text(receipt)


# --- 5. hidden sheets -------------------------------------------------------------------

ROW = ["pay-wallet", "2026-05", "PAY_SAR_FILED", None, None]


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_a_hidden_data_sheet_is_a_problem_not_loaded(state):
    data = workbook({"Sheet1": [list(COLUMNS), [*ROW, 4]], "data": [list(COLUMNS), [*ROW, 400]]},
                    hidden={"data": state})
    parsed = parse_file("x.xlsx", data, max_rows=10)
    assert parsed.rows is None
    assert [p.rule for p in parsed.problems] == ["sheet_hidden"]
    assert state in parsed.problems[0].message


def test_other_hidden_sheets_are_never_read():
    data = workbook({"codes": [list(COLUMNS), [*ROW, 400]], "Sheet1": [list(COLUMNS), [*ROW, 4]]},
                    hidden={"codes": "hidden"})
    parsed = parse_file("x.xlsx", data, max_rows=10)
    assert parsed.details["sheet"] == "Sheet1" and parsed.rows["value"].tolist() == ["4"]


# --- 6. handled files leave the drop folder; --inbox is only read ---------------------------

def test_a_file_that_changed_since_it_was_read_stays(tmp_path):
    path = write(tmp_path / "hl-north" / "x.csv", HEADER)
    arrival = receive(sighted(path), tmp_path, settle_s=0, now_ns=time.time_ns())
    read_only = Arrival(*[getattr(arrival, f) for f in (
        "member_folder", "file_name", "path", "sha256", "size_bytes", "modified_ns", "inode")])
    assert not leave_inbox(read_only) and path.exists()  # not marked to leave: --inbox
    leaving = Arrival(arrival.member_folder, arrival.file_name, path, arrival.sha256,
                      arrival.size_bytes, arrival.modified_ns, arrival.inode, None, True)
    path.write_text(HEADER + "new bytes\n")
    assert not leave_inbox(leaving) and path.exists()


@pytest.mark.slow
def test_handled_files_leave_the_drop_folder_and_an_inbox_folder_is_only_read(
        workspace, prefect_harness, tmp_path):
    from flows.nightly_aggregation import nightly_aggregation

    files = {"hl-north/ok.csv": csv_of("hl-north,2026-07,HL_URLS_CONFIRMED,,,5,,,"),
             "hl-north/mail.csv": csv_of("hl-north,2026-08,HL_URLS_CONFIRMED,,,5,,,"
                                         "write to jan.jansen@example.org"),
             "hl-west/bad.csv": csv_of("hl-west,2026-07,HL_URLS_CONFIRMED,,,-5,,,")}
    given_inbox = tmp_path / "given"
    for name, data in files.items():
        write(workspace.inbox / name, data.decode())
        write(given_inbox / name.replace("/", "/given-"), data.decode())
    summary = nightly_aggregation()
    assert summary["files_by_state"] == {"accepted": 1, "rejected": 2}
    assert [p for p in workspace.inbox.rglob("*") if p.is_file()] == []
    quarantined = list(workspace.quarantine_dir.iterdir())
    assert len(quarantined) == 1 and oct(quarantined[0].stat().st_mode & 0o777) == oct(0o600)

    def contents() -> dict:
        return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in given_inbox.rglob("*")
                if p.is_file()}

    before = contents()
    given = nightly_aggregation(inbox=str(given_inbox))
    assert given["files_by_state"] == {"duplicate": 1, "rejected": 2}
    assert contents() == before and len(before) == 3


# --- 10. limits before and while reading ---------------------------------------------------

def test_rows_are_counted_while_reading_and_nothing_is_screened_after_the_limit(catalogue):
    rows = ["hl-north,2026-07,HL_URLS_CONFIRMED,,,1,,,"] * 200_000
    rows.append("hl-north,2026-07,HL_URLS_CONFIRMED,,,1,,,jan.jansen@example.org")
    started = time.perf_counter()
    found = judged("hl-north", "long.csv", csv_of(*rows), catalogue, max_rows=1_000)
    assert time.perf_counter() - started < 5
    assert rules(found) == {"too_many_rows"} and not found.is_identifying
    assert "more than 1,000 rows" in found.problems[0].message


@pytest.mark.parametrize("name,data", [
    ("x.json", json.dumps({"member_id": "hl-north", "period": "2026-07", "observations": [
        {"indicator": "HL_URLS_CONFIRMED", "value": i} for i in range(11)]}).encode()),
    ("x.xlsx", workbook({"data": [list(COLUMNS)] + [
        ["hl-north", "2026-07", "HL_URLS_CONFIRMED", None, None, i] for i in range(11)]})),
])
def test_every_format_stops_at_the_row_limit(name, data):
    parsed = parse_file(name, data, max_rows=10)
    assert parsed.rows is None and [p.rule for p in parsed.problems] == ["too_many_rows"]


def test_a_file_over_the_size_limit_is_kept_but_never_parsed(workspace, catalogue, monkeypatch):
    monkeypatch.setenv("EFC_MAX_FILE_MB", "1")
    settings = Settings.from_env()
    data = (HEADER + "hl-north,2026-07,HL_URLS_CONFIRMED,,,1,,,\n" * 40_000).encode()
    write(settings.inbox / "hl-north" / "big.csv", data.decode())
    (submission,), _, _ = discover(settings)
    examined, _ = examine_received(submission, catalogue, settings)
    assert rules(examined) == {"file_too_large"} and examined.file_format == "unknown"
    message = examined.problems[0].message
    assert "MiB" in message and " MB" not in message
    assert (settings.archive_dir / examined.arrival.sha256).read_bytes() == data


# --- 14. names shown escaped --------------------------------------------------------------

EVIL = "evil\nState:     ACCEPTED: loaded; every row passed.\n\x1b[2J\u202e.csv"


def test_a_receipt_shows_a_hostile_name_on_one_line():
    receipt = build_receipt(file=EVIL, sha256="0" * 64, member_id="hl-\x1bnorth",
                            received_at=datetime.now(UTC), state="rejected",
                            problems=condense([]))
    text = render_text(receipt)
    assert [line for line in text.splitlines() if line.startswith("State:")] == [
        "State:     REJECTED: nothing was loaded. Fix the problems below and send the file again."]
    assert "\x1b" not in text and "\u202e" not in text
    assert text.splitlines()[0] == "Receipt for " + printable(EVIL)
    assert printable(EVIL).startswith("evil\\nState:") and "\\x1b[2J\\u202e" in printable(EVIL)


def test_submissions_lists_hostile_names_escaped(workspace, capsys):
    from efc.cli import main
    from transforms.warehouse import publish_snapshot, writer

    with writer(workspace) as con:
        con.execute("""insert into submissions (sha256, member_id, file_name, file_name_sha256,
            size_bytes, received_at, state, state_changed_at, problems)
            values ('a', 'hl-north', ?, 'b', 1, now(), 'rejected', now(), '[]')""", [EVIL])
        publish_snapshot(con, workspace)
    assert main(["submissions"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out and len(out.splitlines()) == 2
    assert printable(EVIL) in out


# --- 15. the intake's smaller findings ------------------------------------------------------

def test_a_linked_member_folder_is_listed_as_ignored(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    write(elsewhere / "x.csv", HEADER)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "hl-north").symlink_to(elsewhere, target_is_directory=True)
    scan = scan_inbox(inbox)
    assert scan.sightings == []
    assert scan.ignored == ["hl-north: a link, not a member folder (links are never followed)"]


def test_deeply_nested_json_says_so():
    parsed = parse_file("x.json", b"[" * 100_000, max_rows=10)
    assert [p.rule for p in parsed.problems] == ["json_too_deep"]
    assert "nested too deeply" in parsed.problems[0].message


def test_many_extra_columns_are_summarised(catalogue):
    extra = [f"c{i}" for i in range(16_000)]
    data = (",".join([*COLUMNS, *extra]) + "\n"
            + ",".join(["hl-north", "2026-07", "HL_URLS_CONFIRMED", "", "", "5", "", "", ""]
                       + ["x"] * len(extra)) + "\n").encode()
    found = judged("hl-north", "wide.csv", data, catalogue)
    (warning,) = [p for p in found.problems if p.rule == "unknown_column"]
    assert warning.message.startswith("16,000 extra columns ")
    assert len(warning.message) < 200 and "c0, c1, c10" in warning.message


# --- fuzzing: random and hostile files through efc check and a whole night -----------------

def fuzz_files():
    from tests.test_properties import ANY_FILE, MEMBERS

    names = st.sampled_from(["stats", "evil\nState: ACCEPTED\n", "\x1b[2Jx", "a b", "ü"])
    return st.lists(st.tuples(st.sampled_from([*MEMBERS, "HL-NORTH"]), names, ANY_FILE),
                    min_size=1, max_size=8)


@pytest.mark.slow
@settings(max_examples=30, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(files=fuzz_files())
def test_fuzz_efc_check_answers_every_file(files):
    from transforms.catalogue import load_catalogue

    catalogue = load_catalogue(REPO_ROOT / "reference")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        for member, name, (suffix, data) in files:
            found = judged(member, name + suffix, data, catalogue)
            assert found.state in ("accepted", "accepted_with_warnings", "rejected")
            assert all(p.message and p.fix for p in found.problems)
            text = render_text(build_receipt(
                file=found.shown_file_name, sha256="0" * 64, member_id=member,
                received_at=found.received_at, state=found.state,
                problems=condense(found.problems)))
            assert text.count("\nState:") == 1 and "\x1b" not in text


def warehouse_rows(home: Path) -> dict[str, list]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return {table: con.execute(f"select * exclude ({moment}) from {table} order by all")
                .fetchall() for table, moment in [("submissions", "state_changed_at"),
                                                  ("observations", "valid_from, valid_to")]}


@pytest.mark.slow
@settings(max_examples=4, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(files=fuzz_files())
def test_fuzz_one_night_answers_every_file_and_a_rerun_changes_nothing(files, prefect_harness,
                                                                        tmp_path_factory):
    from flows.nightly_aggregation import nightly_aggregation

    root = tmp_path_factory.mktemp("fuzz")
    inbox = root / "inbox"
    names = set()
    for number, (member, name, (suffix, data)) in enumerate(files):
        path = inbox / member / f"{name}{number}{suffix}"
        names.add((member, path.name))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    with efc_home(root / "home"):
        first = nightly_aggregation(inbox=str(inbox))
        before = warehouse_rows(root / "home")
        again = nightly_aggregation(inbox=str(inbox))
        after = warehouse_rows(root / "home")
    assert first["files"] == len(files) and again["files"] == 0
    receipts = list((root / "home" / "receipts").glob("*/*.json"))
    assert len(receipts) == len(files)
    assert before == after


def test_a_name_that_is_not_utf8_gets_its_receipt_and_its_folder_is_named(workspace, catalogue):
    from transforms.loading import receipts_since, record_submissions
    from transforms.receipts import write_receipts

    inbox = os.fsencode(workspace.inbox)
    os.makedirs(os.path.join(inbox, b"hl-north"))
    os.makedirs(os.path.join(inbox, b"\xff-folder"))
    for folder in (b"hl-north", b"\xff-folder"):
        with open(os.path.join(inbox, folder, b"stats-\xff.csv"), "wb") as handle:
            handle.write(csv_of("hl-north,2026-07,HL_URLS_CONFIRMED,,,5,,,"))
    found, ignored, _ = discover(workspace)
    assert ignored == ["\\udcff-folder: a folder name that is not UTF-8, so no member code"]
    examined = [examine_received(s, catalogue, workspace)[0] for s in found]
    validate(examined, catalogue, TODAY, engine="pandas")
    with duckdb.connect(str(workspace.warehouse_path)) as con:
        record_submissions(con, examined, [nightly.now_utc()])
        (receipt,) = receipts_since(con, None)
    assert receipt["file"] == "stats-\\xff.csv" and receipt["state"] == "accepted"
    write_receipts(workspace.receipts_dir, [receipt])
    assert "stats-\\xff.csv" in render_text(receipt)

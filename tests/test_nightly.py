"""The nightly aggregation as a real Prefect flow over a small inbox: states, receipts, history."""

from __future__ import annotations

import gc
import json
import os
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import write
from transforms.marts import refresh_marts

pytestmark = pytest.mark.slow  # nightly flow runs, and examining in worker processes

HEADER = "member_id,period,indicator,dimension,category,value,unit,status,note\n"


def rows(member: str, period: str, confirmed: int, nl: int) -> str:
    return (HEADER
            + f"{member},{period},HL_URLS_CONFIRMED,,,{confirmed},count,,\n"
            + f"{member},{period},HL_URLS_CONFIRMED,hosting_country,NL,{nl},,,\n"
            + f"{member},{period},HL_URLS_CONFIRMED,hosting_country,ZZ,{confirmed - nl},,,\n")


def set_mtime(path: Path, seconds_ago: int) -> None:
    moment = time.time() - seconds_ago
    os.utime(path, (moment, moment))


def receipts(settings, member: str) -> dict[str, dict]:
    found = {}
    for path in sorted((settings.receipts_dir / member).glob("*.json")):
        receipt = json.loads(path.read_text())
        found[receipt["file"]] = receipt
        assert path.with_suffix(".txt").exists()
    return found


def test_nightly_states_corrections_and_reruns(workspace, prefect_harness):
    from flows.nightly_aggregation import nightly_aggregation

    inbox = workspace.inbox
    first = write(inbox / "hl-north" / "july.csv", rows("hl-north", "2026-07", 100, 60))
    set_mtime(first, 300)
    write(inbox / "hl-north" / "copy-of-july.csv", rows("hl-north", "2026-07", 100, 60))
    bad = write(inbox / "hl-west" / "bad.csv", rows("hl-west", "2026-07", 10, 4).replace(
        ",10,count", ",-10,count"))
    write(inbox / "hl-west" / "mail.csv", rows("hl-west", "2026-07", 10, 4).replace(
        "count,,\n", "count,,write to jan.jansen@example.org\n", 1))
    (inbox / "hl-west" / "link.csv").symlink_to(bad)

    summary = nightly_aggregation()
    assert summary["files_by_state"] == {"accepted": 1, "duplicate": 1, "rejected": 2}
    assert any("link.csv" in entry for entry in summary["ignored"])
    north = receipts(workspace, "hl-north")
    assert north["july.csv"]["state"] == "accepted"
    assert north["copy-of-july.csv"]["state"] == "duplicate"
    west = receipts(workspace, "hl-west")
    assert {p["rule"] for p in west["bad.csv"]["problems"]} >= {"value_non_negative"}
    mail = west["mail.csv"]
    assert mail["state"] == "rejected"
    assert mail["problems"][0]["rule"] == "identifying_email"
    assert "jan.jansen@example.org" not in json.dumps(mail)
    quarantined = workspace.quarantine_dir / mail["sha256"]
    assert quarantined.exists() and oct(quarantined.stat().st_mode)[-3:] == "600"
    assert (workspace.archive_dir / north["july.csv"]["sha256"]).exists()

    # A rerun over the same inbox changes nothing and counts nothing twice.
    again = nightly_aggregation()
    assert again["files"] == 0

    # A correction replaces July; the first file becomes superseded, history stays.
    before = duckdb.connect(str(workspace.warehouse_path), read_only=True)
    cut_off = before.execute("select max(state_changed_at) from submissions").fetchone()[0]
    before.close()
    time.sleep(0.01)
    write(inbox / "hl-north" / "july-corrected.csv", rows("hl-north", "2026-07", 130, 70))
    nightly_aggregation()
    north = receipts(workspace, "hl-north")
    assert north["july.csv"]["state"] == "superseded"
    assert north["july-corrected.csv"]["state"] == "accepted"
    assert north["july.csv"]["superseded_by"] == north["july-corrected.csv"]["submission_id"]
    # a number the member cannot look up is named by its file too
    assert north["july.csv"]["superseded_by_file"] == "july-corrected.csv"
    assert north["copy-of-july.csv"]["duplicate_of_file"] == "july.csv"
    text = next((workspace.receipts_dir / "hl-north").glob(
        f"{north['july.csv']['submission_id']:07d}_*.txt")).read_text()
    assert f"Replaced by submission {north['july.csv']['superseded_by']} (july-corrected.csv)." \
        in text

    with duckdb.connect(str(workspace.warehouse_path)) as con:
        now_total = con.execute("""select value from quarterly_member_values
            where indicator = 'HL_URLS_CONFIRMED' and dimension = ''""").fetchone()[0]
        assert now_total == 130
        refresh_marts(con, cut_off, temp=True)
        then_total = con.execute("""select value from quarterly_member_values
            where indicator = 'HL_URLS_CONFIRMED' and dimension = ''""").fetchone()[0]
        assert then_total == 100
        assert con.execute("select count(*) from observations").fetchone()[0] == 6


def test_unregistered_folder_and_unreadable_file_still_get_receipts(workspace, prefect_harness):
    from flows.nightly_aggregation import nightly_aggregation

    write(workspace.inbox / "someone" / "x.csv", rows("someone", "2026-07", 1, 1))
    (workspace.inbox / "hl-east").mkdir(parents=True)
    (workspace.inbox / "hl-east" / "noise.xlsx").write_bytes(os.urandom(2048))
    summary = nightly_aggregation()
    assert summary["files_by_state"] == {"rejected": 2}
    assert receipts(workspace, "someone")["x.csv"]["problems"][0]["rule"] == "member_registered"
    assert receipts(workspace, "hl-east")["noise.xlsx"]["problems"][0]["rule"] == \
        "not_a_workbook"


@pytest.mark.parametrize("state", ["accepted"])
def test_receipt_text_is_readable(workspace, prefect_harness, state):
    from flows.nightly_aggregation import nightly_aggregation

    write(workspace.inbox / "hl-north" / "ok.csv", rows("hl-north", "2026-07", 5, 5))
    nightly_aggregation()
    text = next((workspace.receipts_dir / "hl-north").glob("*.txt")).read_text()
    assert "ACCEPTED" in text and "ok.csv" in text


def test_files_examined_together_as_columns_are_judged_as_one_by_one(tmp_path, catalogue,
                                                                     monkeypatch):
    """A part of many files, examined as columns, gives every file the state, problems (in
    order), observations and kept bytes it gets when examined alone; and so does a part examined
    in a second process, as the flow examines the next part of a long night."""
    import multiprocessing
    import shutil
    from concurrent.futures import ProcessPoolExecutor

    from efc.settings import Settings
    from tests.conftest import SAMPLE
    from transforms import nightly
    from transforms.warehouse import migrate

    inbox = tmp_path / "inbox"
    for member in ("hl-north", "pay-remit", "le-beta"):  # identifying and faulty files among them
        shutil.copytree(SAMPLE / member, inbox / member)
    (inbox / "le-beta" / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    (inbox / "hl-north" / "mixed.csv").write_text(
        "member_id;period;indicator;value;note;contact\n"
        "hl-north;2026-07;HL_URLS_CONFIRMED;1.234,5;;\n"
        "hl-north;2026-07;HL_REPORTS_RECEIVED;1,5;call +49 30 1234567;x\n", encoding="utf-8")
    outcomes = {}
    for how in ("alone", "together", "elsewhere"):
        monkeypatch.setenv("EFC_HOME", str(tmp_path / f"home-{how}"))
        settings = Settings.from_env().with_inbox(inbox)
        settings.ensure_folders()
        with duckdb.connect(str(settings.warehouse_path)) as con:
            migrate(con)
            found, _, _ = nightly.discover_submissions(con, settings, nightly.now_utc())
        if how == "alone":
            examined = [one for submission in found
                        for one in nightly.examine_part([submission], catalogue, settings)]
        elif how == "together":
            examined = nightly.examine_part(found, catalogue, settings)
        else:
            with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as other:
                examined = nightly.examine_part(found, catalogue, settings, other)
            assert {id(s) for s in examined}.isdisjoint(map(id, found)), "copies came back"
        outcomes[how] = (
            [(s.key, s.member_id, s.state, s.is_identifying, [p.as_dict() for p in s.problems],
              None if s.observations is None else s.observations.to_csv(index=False))
             for s in examined],
            sorted(p.name for p in settings.archive_dir.iterdir()),
            sorted(p.name for p in settings.quarantine_dir.iterdir()))
    assert [key for key, *_ in outcomes["together"][0]] == list(range(
        len(outcomes["together"][0])))
    assert {state for _, _, state, *_ in outcomes["together"][0]} >= {"accepted", "rejected"}
    assert outcomes["together"][2], "the identifying and unreadable files are quarantined"
    assert outcomes["alone"] == outcomes["together"]
    assert outcomes["elsewhere"] == outcomes["together"]


def test_a_night_in_parts_resolves_copies_and_corrections_across_parts(workspace,
                                                                        prefect_harness,
                                                                        monkeypatch):
    """Parts of two files: a copy and a correction arrive in parts after their original."""
    from flows.nightly_aggregation import nightly_aggregation

    monkeypatch.setenv("EFC_PART_FILES", "2")
    inbox = workspace.inbox
    for name, member, confirmed, nl, age in [("a-july.csv", "hl-north", 100, 60, 400),
                                             ("b-july.csv", "hl-south", 10, 4, 300),
                                             ("c-copy.csv", "hl-north", 100, 60, 200),
                                             ("d-fixed.csv", "hl-north", 130, 70, 100)]:
        set_mtime(write(inbox / member / name, rows(member, "2026-07", confirmed, nl)), age)

    summary = nightly_aggregation()
    assert summary["files_by_state"] == {"accepted": 2, "duplicate": 1, "superseded": 1}
    assert summary["observations_loaded"] == 9  # three files of three rows; the copy adds none
    assert gc.get_freeze_count() == 0  # a process running many nights frees what each leaves
    north = receipts(workspace, "hl-north")
    original = north["a-july.csv"]["submission_id"]
    assert north["c-copy.csv"]["duplicate_of"] == original
    assert north["a-july.csv"]["superseded_by"] == north["d-fixed.csv"]["submission_id"]
    pages = (workspace.data_docs_dir / "validations" / "submission").rglob("*.html")
    assert [p.name for p in pages] == ["observations.html"]  # the night's parts as one
    [stored] = (workspace.data_docs_dir / "validation_results" / "submission").rglob("*.json")
    counted = {r["result"]["element_count"] for r in json.loads(stored.read_text())["results"]}
    assert counted == {12}  # every row of the four files, the copy's too


@pytest.mark.parametrize("part_files", [2, 10])
def test_the_second_process_started_ahead_is_the_flows_and_stops_with_it(workspace,
                                                                         prefect_harness,
                                                                         monkeypatch, part_files):
    """The command starts the second process ahead when the inbox holds more than a part; the
    flow examines with it (parts of two files) or stops it (one part of ten): either way it is
    gone when the night ends, and the night's verdicts are those of a night without it."""
    from flows import examining_process
    from flows.nightly_aggregation import nightly_aggregation
    from transforms.inbox import files_arrived

    monkeypatch.setenv("EFC_PART_FILES", str(part_files))
    for number in range(4):
        member = ("hl-north", "hl-south")[number % 2]
        set_mtime(write(workspace.inbox / member / f"{number}.csv",
                        rows(member, f"2026-0{number + 1}", 100 + number, 60)), 600 - 60 * number)
    assert files_arrived(workspace.inbox, 3) == 3  # counted no further

    examining_process.start_ahead(workspace.inbox, 4)  # not more than a part: none
    assert examining_process._started_ahead is None
    examining_process.start_ahead(workspace.inbox, 2)
    ahead = examining_process._started_ahead
    assert ahead is not None and ahead.submit(os.getpid).result() != os.getpid()

    summary = nightly_aggregation()
    assert summary["files_by_state"] == {"accepted": 4}
    assert summary["observations_loaded"] == 12
    assert examining_process._started_ahead is None  # taken by the flow,
    with pytest.raises(RuntimeError, match="shutdown"):  # and stopped when the night ended
        ahead.submit(os.getpid)


def test_this_process_examines_the_next_part_while_the_second_one_starts(workspace,
                                                                          prefect_harness):
    """While the second process has two parts and has examined neither (it is starting), the
    flow examines the third itself rather than wait; once the first is back, the second process
    is given the fourth before the first comes out; the parts still come back in arrival
    order, each file examined once and kept."""
    import hashlib
    from concurrent.futures import ThreadPoolExecutor

    from prefect import flow

    from flows.nightly_aggregation import examined_parts, night_parts
    from transforms import nightly
    from transforms.warehouse import writer

    names, kept = [], []
    for number in range(8):
        member = ("hl-north", "hl-south")[number % 2]
        text = rows(member, f"2026-0{number + 1}", 100 + number, 60)
        set_mtime(write(workspace.inbox / member / f"{number}.csv", text), 600 - 60 * number)
        names.append(f"{number}.csv")
        kept.append(workspace.archive_dir / hashlib.sha256(text.encode()).hexdigest())

    class BusySecondProcess(ThreadPoolExecutor):
        """Takes parts as the second process does, and examines none before the third part is
        kept (by the flow's own process, if it examined that part): a process still starting."""

        def __init__(self) -> None:
            super().__init__(1)
            self.parts: list[list[str]] = []

        def submit(self, examine, submissions, *args):
            self.parts.append([s.arrival.file_name for s in submissions])

            def once_the_third_part_is_kept():
                deadline = time.monotonic() + 60
                while not all(path.exists() for path in kept[4:6]) and \
                        time.monotonic() < deadline:
                    time.sleep(0.01)
                return examine(submissions, *args)
            return super().submit(once_the_third_part_is_kept)

    second = BusySecondProcess()

    received_when_out: list[int] = []  # how many files were received as each part came out

    @flow
    def night() -> list[list[tuple[str, str, int]]]:
        with writer(workspace) as con:
            reception = nightly.open_reception(con, workspace, nightly.now_utc())
        parts = list(night_parts(reception.sightings, 2))
        examined = []
        for part in examined_parts(parts, reception, workspace, second):
            received_when_out.append(reception.submissions)
            examined.append([(s.arrival.file_name, s.state, s.observation_count)
                             for s in part])
        return examined

    with second:
        parts = night()
    assert second.parts == [names[0:2], names[2:4], names[6:8]]  # the third was examined here
    assert received_when_out == [8, 8, 8, 8]  # the fourth part went out before the first came
    assert [[name for name, _, _ in part] for part in parts] == [names[0:2], names[2:4],
                                                                 names[4:6], names[6:8]]
    assert {(state, count) for part in parts for _, state, count in part} == {("accepted", 3)}
    assert all(path.exists() for path in kept)


def test_a_receipt_a_crash_left_unwritten_is_written_on_the_next_night(workspace, catalogue):
    """Only the missing receipt is written again, word for word; the others are left alone."""
    from datetime import date, timedelta

    from benchmarks.incremental_night import load
    from tests.test_incremental_refresh import month_file
    from transforms import nightly
    from transforms.warehouse import writer

    workspace.ensure_folders()
    with writer(workspace) as con:
        load(con, [("hl-north", month_file("hl-north", f"2026-0{m}", 1000, 900, 300))
                   for m in (1, 2, 3)], catalogue, date(2026, 4, 20))
        assert nightly.issue_receipts(con, workspace, nightly.now_utc() - timedelta(hours=1)) == 3
        written = sorted(workspace.receipts_dir.glob("hl-north/*"))
        texts = {path.name: path.read_bytes() for path in written}
        lost = written[2]  # as if a crash came before this receipt was written
        lost.unlink()
        later = nightly.now_utc()  # a night with no new file: nothing changed since
        assert nightly.issue_receipts(con, workspace, later) == 1
    assert sorted(workspace.receipts_dir.glob("hl-north/*")) == written
    assert {path.name: path.read_bytes() for path in written} == texts

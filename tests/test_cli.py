"""The command line as members and scripts use it: exit codes, fast check (--help for every
command: test_cli_help.py)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from efc.cli import main
from tests.conftest import SAMPLE


def test_check_accepts_a_good_file_and_prints_json(workspace, capsys):
    good = next((SAMPLE / "hl-north").glob("hotline-stats-2026-07.csv"))
    assert main(["check", str(good), "--member", "hl-north", "--json"]) == 0
    receipt = json.loads(capsys.readouterr().out)
    assert receipt["state"] in ("accepted", "accepted_with_warnings")
    assert receipt["observations"] > 10
    assert not workspace.warehouse_path.exists()  # nothing stored


def test_check_rejects_with_exit_1_and_masks_identifiers(workspace, capsys):
    bad = SAMPLE / "pay-remit" / "remit_2026-09_sar_detail.csv"
    assert main(["check", str(bad), "--member", "pay-remit", "--json"]) == 1
    out = capsys.readouterr().out
    receipt = json.loads(out)
    assert receipt["state"] == "rejected"
    assert receipt["problems"][0]["rule"] == "identifying_iban"
    assert "…" in receipt["problems"][0]["value"]


def test_check_says_what_the_night_would_do_not_what_it_did(workspace, capsys):
    """efc check sends and loads nothing: its text says so, in the receipt's layout."""
    bad = SAMPLE / "pay-remit" / "remit_2026-09_sar_detail.csv"
    assert main(["check", str(bad), "--member", "pay-remit"]) == 1
    text = capsys.readouterr().out
    assert text.splitlines()[2].startswith("Checked:   20")
    assert "State:     WOULD BE REJECTED: fix the problems below before you send" in text
    assert "Received" not in text and "nothing was loaded" not in text
    good = SAMPLE / "hl-north" / "hotline-stats-2026-07.csv"
    assert main(["check", str(good), "--member", "hl-north"]) == 0
    text = capsys.readouterr().out
    assert "WOULD BE ACCEPTED" in text and "Rows it would load: " in text


def test_check_missing_file_exit_2(workspace, tmp_path):
    assert main(["check", str(tmp_path / "nope.csv"), "--member", "hl-north"]) == 2


@pytest.mark.parametrize("args", [
    ["check", str(SAMPLE / "hl-north" / "hotline-stats-2026-07.csv"), "--member", "hl-north"],
    ["--help"], ["submissions"], ["submissions", "--json"]])
@pytest.mark.slow
def test_commands_that_do_not_orchestrate_import_neither_prefect_nor_gx(workspace, args):
    code = ("import sys; from efc.cli import main\n"
            f"try: rc = main({args!r})\n"
            "except SystemExit as stop: rc = stop.code\n"
            "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'prefect', "
            "'great_expectations'})\n"
            "assert not heavy, heavy; sys.exit(rc)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_the_command_exits_with_mains_code_and_its_objects_out_of_the_last_collection(tmp_path):
    code = ("import atexit, gc, sys; from efc import cli\n"
            "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0))\n"
            f"sys.argv = ['efc', 'check', {str(tmp_path / 'nope.csv')!r}, '--member', 'hl-north']\n"
            "cli.run()")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 2, result.stderr  # main's "could not run"
    assert result.stdout.strip() == "frozen True"


def test_bad_quarter_is_refused_before_anything_runs(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["assess", "--quarter", "2026-Q5"])
    assert exit_.value.code == 2
    assert "is not a quarter" in capsys.readouterr().err


def test_submissions_on_an_empty_workspace(workspace, capsys):
    assert main(["submissions", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_template_then_check_round_trip(workspace, tmp_path, capsys):
    """A member's template, unfilled, is refused by the check for its empty values."""
    assert main(["template", "--member", "hl-north", "--period", "2026-07",
                 "--out", str(tmp_path)]) == 0
    path = tmp_path / "hl-north_2026-07.xlsx"
    assert capsys.readouterr().out.strip() == str(path)
    assert main(["check", str(path), "--member", "hl-north", "--json"]) == 1
    receipt = json.loads(capsys.readouterr().out)
    assert {p["rule"] for p in receipt["problems"]} == {"value_present"}


def test_template_for_an_unknown_member(workspace, tmp_path):
    assert main(["template", "--member", "hl-nowhere", "--period", "2026-07",
                 "--out", str(tmp_path)]) == 2


def test_check_refuses_a_file_over_the_size_limit(workspace, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EFC_MAX_FILE_MB", "1")
    big = tmp_path / "big.csv"
    big.write_bytes(b"member_id,period,indicator,value\n" + b"x" * (1024 * 1024 + 1))
    assert main(["check", str(big), "--member", "hl-north", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["problems"][0]["rule"] == "file_too_large"


@pytest.mark.slow
def test_submissions_lists_states_from_the_sample(sample_home, monkeypatch, capsys):
    monkeypatch.setenv("EFC_HOME", str(sample_home))
    assert main(["submissions", "--state", "superseded", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(r["member_id"], r["file"]) for r in listed] == [("hl-west", "2026-08_stats.csv")]
    assert main(["submissions", "--member", "pay-remit"]) == 0
    out = capsys.readouterr().out
    assert "rejected" in out and out.strip().endswith("submission(s)")

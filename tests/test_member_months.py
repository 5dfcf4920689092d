"""The benchmark's member-months case (issue 16): files a member would send, each one accepted
by `efc check`, the same bytes for the same seed, and the case's size month by month."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import pytest

from benchmarks.member_months import MEMBERS, OBSERVATIONS_PER_MONTH, write_inbox
from efc.cli import main


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("member-months")
    write_inbox(out, seed=7, months=2, last_month="2026-09")
    return out


def rows_of(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_one_file_per_member_and_month_holding_the_months_share_of_the_case(inbox):
    written = write_inbox(inbox.parent / "again", seed=7, months=2, last_month="2026-09")
    files = sorted(inbox.glob("*/*.csv"))
    assert [f.name for f in files if f.parent.name == "hl-north"] == [
        "efc-hl-north-2026-08.csv", "efc-hl-north-2026-09.csv"]
    assert {f.parent.name for f in files} == set(MEMBERS)
    assert (written.files, written.observations) == (26, 2 * OBSERVATIONS_PER_MONTH)
    assert sum(len(rows_of(f)) for f in files) == 2 * OBSERVATIONS_PER_MONTH


def test_the_same_seed_writes_the_same_bytes(inbox, tmp_path):
    write_inbox(tmp_path, seed=7, months=2, last_month="2026-09")
    for path in inbox.glob("*/*.csv"):
        assert (tmp_path / path.relative_to(inbox)).read_bytes() == path.read_bytes()


def test_country_breakdowns_sum_to_their_totals_with_zz_taking_the_rest(inbox):
    totals, parts = {}, defaultdict(float)
    for row in rows_of(inbox / "hl-north" / "efc-hl-north-2026-09.csv"):
        if row["dimension"] == "":
            totals[row["indicator"]] = float(row["value"])
        elif row["dimension"] == "hosting_country":
            parts[row["indicator"]] += float(row["value"])
            last = row["category"]
    assert last == "ZZ"
    assert parts and all(parts[i] == totals[i] for i in parts)


def test_every_members_file_is_accepted_by_efc_check(inbox, workspace, capsys):
    for member in MEMBERS:
        path = inbox / member / f"efc-{member}-2026-09.csv"
        assert main(["check", str(path), "--member", member, "--json"]) == 0
        receipt = json.loads(capsys.readouterr().out)
        assert (receipt["state"], receipt["problems"]) == ("accepted", []), member
        assert receipt["observations"] == len(rows_of(path))

"""A copy of a file received earlier the same night is settled when its original is recorded:
a duplicate of the first loaded file of the same member with those bytes, never of a refused
one (transforms/sql/first_loaded_copy.sql)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb

from efc.settings import REPO_ROOT
from tests.test_warehouse_checks import examined
from transforms.intake import COPY_OF_TONIGHTS, Submission, validate
from transforms.loading import record_submissions
from transforms.warehouse import load_reference, migrate

AT = datetime(2026, 8, 3, 2, tzinfo=UTC)
GOOD = b"member_id,period,indicator,value\nhl-north,2026-07,HL_URLS_CONFIRMED,4\n"
BAD = b"member_id,period,indicator,value\nhl-north,2026-07,NO_SUCH_INDICATOR,4\n"


def received(key: int, member: str, data: bytes, catalogue, copy: bool = False) -> Submission:
    submission = examined(key, member, data, catalogue)
    validate([submission], catalogue, AT.date(), engine="pandas")
    if copy:
        submission.duplicate_of = COPY_OF_TONIGHTS
    return submission


def test_a_copy_tonight_duplicates_its_members_first_loaded_file(catalogue):
    con = duckdb.connect()
    migrate(con)
    load_reference(con, REPO_ROOT / "reference")
    night = [received(0, "hl-north", BAD, catalogue),            # refused: has no copies
             received(1, "hl-north", GOOD, catalogue),           # the original
             received(2, "hl-north", GOOD, catalogue, copy=True),
             received(3, "hl-north", BAD, catalogue, copy=True)]
    ids = record_submissions(con, night, [AT + timedelta(seconds=i) for i in range(len(night))])

    assert night[2].duplicate_of == ids[1]
    assert night[2].state == "duplicate"
    assert night[3].duplicate_of is None  # its original was refused: judged as itself
    assert night[3].state == "rejected"

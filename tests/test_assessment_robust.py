"""One planted submission on top of the sample cannot stop the assessment (issue 14 s2).

Each case copies the ingested sample workspace, runs the nightly flow on an inbox holding only
the planted file, then the quarterly flow: both editions must be written, the planted file
must have its receipt, and no warning from statsmodels or NumPy may reach stderr. Whether
intake refuses a value (an intake rule on magnitude) or loads it, the outcome is the same.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import efc_home, write

QUARTER = "2026-Q3"
HEADER = "member_id,period,indicator,dimension,category,value,unit,status,note\n"
PLANTED = {
    # The case: a small hotline (about 170 confirmed URLs a quarter) sends 98,765
    # for the quarter's first month, with an unusual hosting breakdown.
    "outlier": ("hl-east", "hl-east,2026-07,HL_URLS_CONFIRMED,,,98765,count,A,\n"
                           "hl-east,2026-07,HL_URLS_CONFIRMED,hosting_country,LI,43210,count,A,\n"
                           "hl-east,2026-07,HL_URLS_CONFIRMED,hosting_country,ZZ,55555,count,A,\n"),
    # Issue 18 item 1: a finite number beyond any count, and one that reads as infinity.
    "huge": ("hl-north", "hl-north,2026-09,HL_URLS_CONFIRMED,,,99999999999999999999999,count,A,\n"),
    "infinite": ("hl-north", f"hl-north,2026-09,HL_URLS_CONFIRMED,,,1{'0' * 400},count,A,\n"),
    # A count falling to zero for the coalition's largest hotline.
    "zero": ("hl-north", "hl-north,2026-08,HL_URLS_CONFIRMED,,,0,count,A,\n"),
}

pytestmark = pytest.mark.slow  # nightly and quarterly flows on a copy of the sample


@pytest.mark.parametrize("case", sorted(PLANTED))
def test_a_planted_value_does_not_stop_the_assessment(case, sample_home, prefect_harness,
                                                      tmp_path, monkeypatch, capfd):
    member, rows = PLANTED[case]
    home = tmp_path / "home"
    shutil.copytree(sample_home, home)
    inbox = tmp_path / "inbox"
    write(inbox / member / f"planted-{case}.csv", HEADER + rows)
    monkeypatch.setenv("EFC_SETTLE_S", "0")  # the planted file is written whole
    from flows.nightly_aggregation import nightly_aggregation
    from flows.quarterly_assessment import quarterly_assessment

    capfd.readouterr()
    with efc_home(home):
        nightly_aggregation(inbox=str(inbox), run_label=f"planted-{case}")
        pdfs = [Path(p) for p in quarterly_assessment(quarter=QUARTER)]
    stderr = capfd.readouterr().err
    receipts = [json.loads(p.read_text()) for p in (home / "receipts" / member).glob("*.json")]
    assert [r["state"] for r in receipts if r["file"] == f"planted-{case}.csv"], receipts[-1:]
    assert len(pdfs) == 2 and all(p.stat().st_size > 10_000 for p in pdfs)
    for noise in ("RuntimeWarning", "ConvergenceWarning", "ModelWarning",
                  "PerfectSeparationWarning", "Traceback"):
        assert noise not in stderr, stderr[-2000:]

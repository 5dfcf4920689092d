"""One planted submission on top of the sample cannot stop the assessment (issue 14 s2).

Each case copies the ingested sample workspace and runs the nightly flow on an inbox holding only
the planted file: the planted file must have its receipt. Then the assessment: the issue's case
runs the quarterly flow, which must write both editions; the others draft both editions as the
flow does (figures, judgements, forecasts, disclosure control, charts, the HTML) short of laying
them out as PDFs and reading those back, which costs most and computes nothing from the
figures. No warning from statsmodels or NumPy may reach stderr. Whether intake refuses a value
(an intake rule on magnitude) or loads it, the outcome is the same.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checks.disclosure import SuppressionPattern, load_rules
from efc.settings import Settings
from rendering.pdf import render_html
from rendering.report import build_edition
from rendering.review import Issue, stamp
from tests.conftest import efc_home, write
from transforms.assessment import read_assessment_data
from transforms.warehouse import reader

QUARTER = "2026-Q3"
HEADER = "member_id,period,indicator,dimension,category,value,unit,status,note\n"
PLANTED = {
    # The issue's case: a small hotline (about 170 confirmed URLs a quarter) sends 98,765
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

END_TO_END = "outlier"  # the issue's case: through the quarterly flow to both PDFs

pytestmark = pytest.mark.slow  # the nightly flow, and the quarterly one, on a copy of the sample


def drafted_editions(settings: Settings) -> dict[str, str]:
    """Each edition's HTML, built as the quarterly flow builds a first issue (the public
    edition hides what the coalition one hid), short of rendering the PDF."""
    from flows.quarterly_assessment import EDITIONS

    with reader(settings) as con:
        data = read_assessment_data(con, QUARTER)
    drafted, forced = {}, None
    for edition in EDITIONS:
        rules = load_rules(edition, waivers=settings.reference_dir / "disclosure_waivers.csv")
        build = build_edition(data, settings, rules, SuppressionPattern(), forced)
        drafted[edition] = render_html(stamp(build.content, Issue(1)))
        forced = build.pattern
    return drafted


@pytest.mark.parametrize("case", sorted(PLANTED))
def test_a_planted_value_does_not_stop_the_assessment(case, sample_copy, prefect_harness,
                                                      monkeypatch, capfd):
    member, rows = PLANTED[case]
    home = sample_copy(f"planted-{case}")
    inbox = home.parent / "inbox"
    write(inbox / member / f"planted-{case}.csv", HEADER + rows)
    monkeypatch.setenv("EFC_SETTLE_S", "0")  # the planted file is written whole
    from flows.nightly_aggregation import nightly_aggregation
    from flows.quarterly_assessment import quarterly_assessment

    capfd.readouterr()
    with efc_home(home):
        nightly_aggregation(inbox=str(inbox), run_label=f"planted-{case}")
        if case == END_TO_END:
            pdfs = [Path(p) for p in quarterly_assessment(quarter=QUARTER)]
            assert len(pdfs) == 2 and all(p.stat().st_size > 10_000 for p in pdfs)
        else:
            drafted = drafted_editions(Settings.from_env())
            assert list(drafted) == ["coalition", "public"]
            assert all(len(html) > 10_000 for html in drafted.values())
    stderr = capfd.readouterr().err
    receipts = [json.loads(p.read_text()) for p in (home / "receipts" / member).glob("*.json")]
    assert [r["state"] for r in receipts if r["file"] == f"planted-{case}.csv"], receipts[-1:]
    for noise in ("RuntimeWarning", "ConvergenceWarning", "ModelWarning",
                  "PerfectSeparationWarning", "Traceback"):
        assert noise not in stderr, stderr[-2000:]

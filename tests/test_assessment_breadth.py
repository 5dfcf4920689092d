"""The quarterly flow on the bundled sample with the demo's narrative: the planted stories come
back as key judgements with the right direction, the steering group's summary opens the
report, the outlook forecasts only what beat the seasonal-naive forecast, the analysts'
recommendations print, and no edition names an internal path."""

from __future__ import annotations

import json
import re

import pycountry
import pytest

from efc.settings import REPO_ROOT
from rendering.chapters.key_judgements import KPIS
from sample_generator.generator import HOSTING_ENTRANT

QUARTER = "2026-Q3"
NARRATIVE = REPO_ROOT / "data" / "narratives" / f"{QUARTER}.md"


@pytest.fixture(scope="module")
def contexts(assessed_home) -> dict[str, dict]:
    """Each edition's stored context in the shared assessed sample (the demo's narrative in
    place, as `efc demo` assesses)."""
    assert (assessed_home / "narratives" / NARRATIVE.name).read_bytes() == NARRATIVE.read_bytes()
    found = {}
    for path in (assessed_home / "reports" / QUARTER / "versions").glob("*-v1/*.context.json"):
        context = json.loads(path.read_text(encoding="utf-8"))
        context["_home"] = str(assessed_home)
        found[path.parent.name.split("-v")[0]] = context
    assert set(found) == {"coalition", "public"}
    return found


def sections(context: dict) -> dict[str, dict]:
    return {s["id"]: s for s in context["chapters"] + context["annexes"]}


def judged(context: dict, pattern: str) -> list[str]:
    return [j for j in context["key_findings"] if re.search(pattern, j)]


@pytest.mark.slow
def test_the_shift_to_virtual_assets_is_judged_a_rise(contexts):
    # on a year earlier or along its trend: the drafter keeps whichever is the stronger
    coalition = contexts["coalition"]
    assert judged(coalition, r"^It is (likely|highly likely|almost certain) that the number of "
                             r"virtual asset alert hits (rose|has been rising) by more than 10%")


@pytest.mark.slow
def test_the_hosting_entrant_is_judged_a_rise_by_name(contexts):
    code, _ = HOSTING_ENTRANT
    country = pycountry.countries.get(alpha_2=code).name
    assert judged(contexts["coalition"],
                  rf"that confirmed URLs hosted in (the )?{country} rose by more than 10% on a "
                  r"year earlier, taking it into the top ten hosting countries")


@pytest.mark.slow
def test_a_signal_names_its_hosting_country(contexts):
    """Table 8.1 prints the entrant's country as the hosting chapter does, not its ISO code."""
    code, _ = HOSTING_ENTRANT
    country = pycountry.countries.get(alpha_2=code).name
    rows = next(t for t in sections(contexts["coalition"])["livestreaming"]["tables"]
                if t["id"] == "signals")["rows"]
    hosting = [row for row in rows if row[1].endswith("by hosting country")]
    assert hosting and {row[2] for row in hosting} >= {country}
    assert all(len(row[2]) > 2 for row in hosting)  # a name, never a bare code


@pytest.mark.slow
def test_the_live_streaming_signal_is_judged_a_rise(contexts):
    assert judged(contexts["coalition"], r"^It is (likely|highly likely|almost certain) that "
                                         r"police cases opened for live-streamed abuse.* rose by "
                                         r"more than 10%")
    assert judged(contexts["coalition"], r"^It is (likely|highly likely|almost certain) that "
                                         r"flagged transactions under €100, the remittances "
                                         r"live-streaming is paid with, rose by more than 10%")
    # each sector's signal corroborates the other's: the police and the payment data agree
    assert judged(contexts["coalition"], r"police cases opened for live-streamed abuse.*"
                                         r"payment providers' data agree")
    assert judged(contexts["coalition"], r"flagged transactions under €100, the remittances.*"
                                         r"police data agree")


@pytest.mark.slow
def test_the_summary_opens_with_the_bottom_line(contexts):
    for context in contexts.values():
        summary = context["steering_summary"]
        assert 3 <= len(summary) <= 5
        assert summary[0].startswith("Bottom line: ")
        first = context["key_findings"][0].split(":")[0]
        assert first[0].lower() + first[1:] in summary[0]
        assert summary[-1].startswith("Outlook: ")


@pytest.mark.slow
def test_the_outlook_forecasts_only_what_beat_naive_and_prints_the_narrative(contexts):
    narrative = NARRATIVE.read_text(encoding="utf-8")
    for context in contexts.values():
        chapters = sections(context)
        outlook = chapters["outlook"]["summary"]
        assert outlook[0].startswith(narrative.split("## Outlook\n")[1].split(".")[0])
        expectations = [p for p in outlook if p.startswith(("It is ", "No reliable forecast"))]
        assert len(expectations) == len(KPIS)
        backtests = chapters["forecast_backtest"]["tables"][0]["rows"]
        shown = {row[0] for row in backtests if row[-1] == "yes"}
        forecasts = next((t for t in chapters["outlook"]["tables"] if t["id"] == "forecasts"),
                         None)
        assert {row[0] for row in forecasts["rows"]} == shown if forecasts else not shown
        for row in backtests:
            if row[-1] == "yes":
                assert float(row[6]) < 1  # the error ratio against seasonal naive
        assert sum(p.startswith("It is ") for p in expectations) == len(shown)


@pytest.mark.slow
def test_the_analysts_recommendations_print_and_no_path_does(contexts):
    for context in contexts.values():
        recommendations = sections(context)["recommendations"]
        assert len(recommendations["summary"]) == 4
        assert all(re.match(r"^\d\. .+ \(owner: [^;]+; due \d{4}-\d{2}-\d{2}\): ", item)
                   for item in recommendations["summary"])
        text = json.dumps({k: v for k, v in context.items() if k != "_home"},
                          ensure_ascii=False)
        assert "EFC_HOME" not in text and context["_home"] not in text
        assert "narratives/" not in text and "reference/" not in text

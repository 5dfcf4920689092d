"""Key judgements and the analysts' narrative: planted effects, the yardstick, overrides."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rendering import judgements as jd
from rendering import texts
from rendering.narrative import NarrativeError, apply_narrative
from tests.test_statistics import QUARTER, QUARTERS, build, payment_rows, simulate

FIXTURE = Path(__file__).parent / "fixtures" / "narrative_example.md"
PLANTED = {"HL_URLS_CONFIRMED": 0.4, "HL_REPORTS_RECEIVED": 0.3}


@pytest.fixture(scope="module")
def planted() -> jd.Draft:
    return jd.draft(build(simulate(seed=7, rise=PLANTED)))


def keys(draft: jd.Draft) -> set[str]:
    return {j.key for j in draft.judgements}


# -- the yardstick -------------------------------------------------------------------------


def test_yardstick_is_the_phia_scale_and_never_rounds_up():
    assert jd.YARDSTICK == (
        ("remote chance", 0.0, 0.05), ("highly unlikely", 0.10, 0.20),
        ("unlikely", 0.25, 0.35), ("realistic possibility", 0.40, 0.50),
        ("likely", 0.55, 0.75), ("highly likely", 0.80, 0.90),
        ("almost certain", 0.95, 1.0))
    cases = {0.99: "almost certain", 0.95: "almost certain", 0.93: "highly likely",
             0.80: "highly likely", 0.78: "likely", 0.55: "likely",
             0.52: "realistic possibility", 0.40: "realistic possibility",
             0.37: "realistic possibility", 0.30: "unlikely", 0.22: "unlikely",
             0.07: "highly unlikely", 0.03: "remote chance"}
    for probability, term in cases.items():
        assert jd.probability_term(probability) == term, probability
    drafted_terms = {row[0] for row in texts.evidence_to_yardstick()}
    assert {"realistic possibility", "likely", "highly likely", "almost certain"} \
        <= drafted_terms
    assert jd.in_sentence("realistic possibility") == "a realistic possibility"


# -- drafting ------------------------------------------------------------------------------


def test_a_planted_40pct_rise_across_all_members_is_at_least_likely(planted):
    judgement = next(j for j in planted.judgements if j.key == "urls_confirmed.yoy")
    assert jd.term_rank(judgement.probability_term) >= jd.term_rank("likely")
    # Every member rose, but hl-a holds four fifths of the counts: moderate, and it says so.
    assert judgement.confidence == "moderate"
    counts = judgement.evidence["largest_member_share"]
    change = judgement.evidence["largest_member_change_share"]
    assert 0.6 < counts < 0.9 and 0.6 < change < 0.9
    what = "counts" if counts >= change else "change"
    assert judgement.confidence_note == ("all 4 members compared moved the same way; main "
                                         f"limitation: one member supplies most of the {what}")
    assert "rose by more than 10%" in judgement.text
    assert planted.values["urls_confirmed.change_yoy"] in judgement.text
    assert judgement.evidence["p_adjusted"] < 0.05
    assert judgement.evidence["low"] < 0.4 < judgement.evidence["high"]
    assert "{" not in judgement.text


def test_judgements_are_ranked_by_strength_then_size(planted):
    strengths = [(j.strength, j.size) for j in planted.judgements]
    assert strengths == sorted(strengths, reverse=True)
    assert keys(planted) == {"urls_confirmed.yoy", "reports_received.yoy"}


def test_a_rise_that_comes_only_from_a_member_joining_is_not_called_a_rise():
    data = build(simulate(seed=3, joins={"hl-e": (10_000.0, QUARTER)}))
    draft = jd.draft(data)
    assert not any(k.startswith("urls_confirmed") for k in keys(draft))
    assert draft.values["urls_confirmed.members_yoy"] == "4"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_null_change_produces_no_judgement(seed):
    # Members scatter 2% a quarter: no change comes near the 10% margin.
    assert jd.draft(build(simulate(seed=seed, noise=0.02))).judgements == []


def test_false_judgements_are_rare_when_members_scatter_more():
    # At 5% scatter a null quarter drafts something about 3% of the time (measured over
    # 60 seeds while building this); twelve quarters may hold one such, not more.
    drafted = [jd.draft(build(simulate(seed=seed, noise=0.05))).judgements
               for seed in range(20, 32)]
    assert sum(bool(j) for j in drafted) <= 1


def test_a_planted_fall_is_worded_as_a_fall():
    draft = jd.draft(build(simulate(seed=5, rise={"HL_URLS_CONFIRMED": -0.4})))
    judgement = next(j for j in draft.judgements if j.key == "urls_confirmed.yoy")
    assert "fell by more than 10%" in judgement.text


def test_fewer_members_than_the_disclosure_threshold_give_no_judgement():
    rows = simulate(seed=7, rise=PLANTED, members={"hl-a": 20_000.0, "hl-b": 3_000.0})
    draft = jd.draft(build(rows))
    assert draft.judgements == []
    assert draft.values["urls_confirmed.change_yoy"] == "c"


def test_estimated_values_lower_the_confidence():
    rows = simulate(seed=7, rise=PLANTED)
    rows = [r | {"has_estimate": r["member_id"] == "hl-b" and r["quarter"] == QUARTER}
            for r in rows]
    judgement = next(j for j in jd.draft(build(rows)).judgements
                     if j.key == "urls_confirmed.yoy")
    assert judgement.confidence == "moderate"
    assert "estimated or provisional figures among those compared" in \
        judgement.evidence["confidence_reasons"]


# -- the narrative -------------------------------------------------------------------------


def test_a_narrative_override_replaces_the_drafted_judgement(planted):
    narrative = apply_narrative(planted.judgements, FIXTURE, planted.values, quarter=QUARTER)
    assert [j.key for j in narrative.judgements] == ["urls_confirmed.yoy",
                                                     "livestream_payments"]
    reworded, added = narrative.judgements
    drafted = next(j for j in planted.judgements if j.key == "urls_confirmed.yoy")
    assert reworded.source == "reworded" and reworded.text != drafted.text
    assert reworded.text.startswith("Hotlines confirmed "
                                    + planted.values["urls_confirmed.change_yoy"])
    assert reworded.confidence == "moderate"                   # lowered in front matter
    assert reworded.probability_term == drafted.probability_term
    assert reworded.evidence == drafted.evidence
    assert added.source == "analyst" and added.probability_term == "realistic possibility"
    assert added.text.startswith("It is a realistic possibility that payments")
    assert narrative.dropped == ("reports_received.yoy",)
    assert narrative.title == f"Strategic assessment {QUARTER}: analysts' narrative"
    assert len(narrative.outlook) == 2 and narrative.outlook[1].endswith("expected.")
    assert narrative.recommendations[1] == (
        "Hotlines to mark the month proactive searching starts or stops with status B, so "
        "that the series is split there.")


def test_a_figure_the_narrative_names_is_the_current_one(planted):
    later = jd.draft(build(simulate(seed=7, rise={"HL_URLS_CONFIRMED": 0.6,
                                                  "HL_REPORTS_RECEIVED": 0.3})))
    assert later.values["urls_confirmed.change_yoy"] != planted.values[
        "urls_confirmed.change_yoy"]
    text = apply_narrative(later.judgements, FIXTURE, later.values).judgements[0].text
    assert later.values["urls_confirmed.change_yoy"] in text
    assert planted.values["urls_confirmed.change_yoy"] not in text


def test_an_unknown_value_name_is_an_error_that_says_which(planted):
    text = "## Outlook\nConfirmed URLs rose by {urls_confirmed.change_yo}.\n"
    with pytest.raises(NarrativeError, match=r"line 1: unknown value \{urls_confirmed"
                                             r"\.change_yo\}; did you mean "):
        apply_narrative(planted.judgements, text, planted.values)


def test_a_term_stronger_than_the_evidence_is_refused_a_weaker_one_is_used(planted):
    drafted = next(j for j in planted.judgements if j.key == "reports_received.yoy")
    stronger = jd.TERMS[min(jd.term_rank(drafted.probability_term) + 1, 6)]
    if stronger != drafted.probability_term:
        text = f'+++\n[judgement."reports_received.yoy"]\nprobability = "{stronger}"\n+++\n'
        with pytest.raises(NarrativeError, match="claims more than the evidence reaches"):
            apply_narrative(planted.judgements, text, planted.values)
    text = '+++\n[judgement.reports_received.yoy]\nprobability = "realistic possibility"\n+++\n'
    lowered = apply_narrative(planted.judgements, text, planted.values)
    judgement = next(j for j in lowered.judgements if j.key == "reports_received.yoy")
    assert judgement.probability_term == "realistic possibility"
    assert judgement.text.startswith("It is a realistic possibility that")


def test_narrative_mistakes_are_errors(planted):
    cases = {
        '+++\nquarter = "2026-Q2"\n+++\n': "narrative for 2026-Q2, not 2026-Q3",
        '+++\ndrop = ["urls_confirmed.qoq"]\n+++\n': "not a drafted judgement",
        "## Judgement: new_thing\nText.\n": "is not drafted this quarter",
        '+++\n[judgement.new_thing]\nconfidence = "low"\n+++\n## Judgement: new_thing\nT.\n':
            "needs probability",
        '+++\n[judgement.new_thing]\nprobability = "probable"\nconfidence = "low"\n+++\n'
        "## Judgement: new_thing\nT.\n": "not a yardstick term",
        "## Summary\nText.\n": "unknown section",
        "Stray text.\n## Outlook\n": "text before the first section",
        "+++\nquarter = 2026\n": "never closed",
    }
    for text, message in cases.items():
        with pytest.raises(NarrativeError, match=message):
            apply_narrative(planted.judgements, text, planted.values, quarter=QUARTER)


def test_narrative_text_comes_back_as_plain_text_not_markup(planted):
    text = ("## Outlook\n<b>Watch</b> **e-wallets** & {{braces}}: "
            "{urls_confirmed.change_yoy}.\n")
    outlook = apply_narrative(planted.judgements, text, planted.values).outlook
    assert outlook == [f"<b>Watch</b> **e-wallets** & {{braces}}: "
                       f"{planted.values['urls_confirmed.change_yoy']}."]


def test_without_a_narrative_the_drafted_judgements_stand(planted):
    narrative = apply_narrative(planted.judgements, None, planted.values)
    assert [j.text for j in narrative.judgements] == [j.text for j in planted.judgements]


def test_every_catalogue_indicator_has_its_own_value_name(catalogue):
    codes = list(catalogue.unit_of_indicator)
    names = {jd.short_name(code) for code in codes}
    assert len(names) == len(codes)
    assert jd.short_name("HL_URLS_CONFIRMED") == "urls_confirmed"


# -- probability and confidence on the evidence (issue 14 section 3) -------------------------

EVEN = {"hl-a": 3_000.0, "hl-b": 2_500.0, "hl-c": 2_000.0, "hl-d": 1_500.0}
PAYMENT = {"pay-a": 900.0, "pay-b": 700.0, "pay-c": 500.0}


def seen_judgement(rows: list[dict]) -> jd.Judgement:
    return next(j for j in jd.draft(build(rows)).judgements
                if j.key == "payment_options_seen.yoy")


def test_a_rise_every_member_shares_and_another_sector_sees_is_high_confidence():
    hotlines = simulate(seed=3, members=EVEN, indicators=("HL_PAYMENT_OPTIONS_SEEN",),
                        rise={"HL_PAYMENT_OPTIONS_SEEN": 0.5}, noise=0.03)
    payments = simulate(seed=4, members=PAYMENT, indicators=("PAY_FLAGGED_TXN_COUNT",),
                        rise={"PAY_FLAGGED_TXN_COUNT": 0.5}, noise=0.03)
    judgement = seen_judgement(hotlines + payments)
    assert judgement.probability_term == "almost certain"
    assert judgement.confidence == "high"
    assert judgement.confidence_note == (
        "payment providers' data agree (flagged transactions also rose); main limitation: "
        "none found beyond those of members' own aggregated counts")
    alone = seen_judgement(hotlines)
    assert alone.confidence == "high"
    assert alone.confidence_note == ("all 4 members compared moved the same way; main "
                                     "limitation: no other sector's data corroborate it")


def test_one_members_jump_is_less_probable_and_low_confidence():
    rows = simulate(seed=3, members=EVEN, indicators=("HL_PAYMENT_OPTIONS_SEEN",), noise=0.03)
    jump = [r | {"value": r["value"] + 6_000.0} if (r["member_id"], r["quarter"]) ==
            ("hl-d", QUARTER) else r for r in rows]
    shared = simulate(seed=3, members=EVEN, indicators=("HL_PAYMENT_OPTIONS_SEEN",),
                      rise={"HL_PAYMENT_OPTIONS_SEEN": 0.67}, noise=0.03)
    one, everyone = seen_judgement(jump), seen_judgement(shared)
    assert one.evidence["change"] == pytest.approx(everyone.evidence["change"], abs=0.1)
    assert jd.term_rank(one.probability_term) < jd.term_rank(everyone.probability_term)
    assert one.confidence == "low" and everyone.confidence == "high"
    share = one.evidence["largest_member_change_share"]
    assert share > 0.9
    assert one.confidence_note == ("4 of 4 members expected compared; main limitation: one "
                                   "member supplies nearly all of the change")


def test_a_share_that_rose_because_the_others_fell_says_which_moved():
    rng = np.random.default_rng(5)
    counts: dict[str, dict] = {}
    for member, size in (("hl-a", 400), ("hl-b", 300), ("hl-c", 200)):
        counts[member] = {}
        for q in QUARTERS:
            others = size * (0.4 if q == QUARTER else 1.0)
            counts[member][q] = {"virtual_currency": float(rng.poisson(size * 0.5)),
                                 "card": float(rng.poisson(others * 0.6)),
                                 "money_transfer": float(rng.poisson(others * 0.4))}
    judgement = next(j for j in jd.draft(build(payment_rows(counts))).judgements
                     if j.key == "vc_share.yoy")
    assert "rose by more than 5 percentage points" in judgement.text
    assert "It rose because sightings of the other payment options fell (" in judgement.text
    assert "while sightings of virtual currency changed by " in judgement.text
    assert judgement.evidence["moved"] == "rest" and judgement.evidence["rest_change"] < -0.5
    assert judgement.confidence != "high"
    assert "the share moved because the other categories did, not its own count" in \
        judgement.evidence["confidence_reasons"]

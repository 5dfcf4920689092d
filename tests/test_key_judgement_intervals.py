"""The key judgements' chart (issue 15): each stated judgement's change and 95% interval,
drawn at the figures the judgement prints through the edition's gate, and left out where
the edition hides its interval."""

from __future__ import annotations

import pytest

from checks.disclosure import load_rules
from rendering.chapters import key_judgements as kj
from rendering.chapters.core import Edition
from rendering.formatting import SUPPRESSED
from rendering.named_values import gate_named_values
from tests.test_statistics import build, simulate

PLANTED = {"HL_URLS_CONFIRMED": 0.4, "HL_REPORTS_RECEIVED": 0.3}
EVEN = {"hl-a": 5_000.0, "hl-b": 4_000.0, "hl-c": 3_000.0, "hl-d": 2_500.0}  # none dominates


@pytest.fixture(scope="module")
def edition() -> Edition:
    """An edition of four even hotlines whose counts rose by 40% and 30% on a year."""
    edition = Edition(build(simulate(seed=7, rise=PLANTED, members=EVEN)),
                      load_rules("coalition"))
    edition.narrative = kj.final_narrative(edition, None)
    return edition


def gated(edition: Edition) -> dict[str, str]:
    judgements = kj.stated(edition)
    names = [n for j in judgements for n in kj.interval_names(j)]
    return gate_named_values(edition, kj.drafted_judgements(edition).values, names)[0]


def test_each_row_is_a_stated_judgements_printed_change_and_interval(edition):
    judgements, values = kj.stated(edition), gated(edition)
    assert {j.key for j in judgements} >= {"urls_confirmed.yoy", "reports_received.yoy"}
    rows, hidden = kj.interval_rows(edition, judgements, values)
    assert hidden == [] and len(rows) == len(judgements)
    for judgement, row in zip(judgements, rows, strict=True):
        change, low, high = (values[n] for n in kj.interval_names(judgement))
        assert f"{change} like-for-like" in judgement.text  # the text prints these figures
        assert f"95% interval {low} to {high}" in judgement.text
        assert [row["estimate"], row["low"], row["high"]] == pytest.approx(
            [kj.printed_change(t) for t in (change, low, high)])
        assert row["low"] < row["estimate"] < row["high"] and row["margin"] == 0.10
        assert row["label"] == f"{edition.name_of(judgement.evidence['indicator'])}, on a " \
                               "year earlier"
    figure = kj.intervals(edition)["figures"][0]
    for judgement, row in zip(judgements, rows, strict=True):
        change, low, high = (values[n] for n in kj.interval_names(judgement))
        assert f"{row['label']}: {change} (95% interval {low} to {high}), judged a rise of " \
               "more than 10%" in figure["alt"]
        assert f"{change} ({low} to {high})" in figure["svg"]


def test_a_suppressed_interval_drops_its_row_and_the_caption_says_so(edition):
    judgements, values = kj.stated(edition), gated(edition)
    first, rest = judgements[0], judgements[1:]
    hidden = values | {kj.interval_names(first)[1]: SUPPRESSED}  # its lower end
    rows, left_out = kj.interval_rows(edition, judgements, hidden)
    assert [r["label"] for r in rows] == [kj.subject(edition, j) for j in rest]
    assert left_out == [kj.subject(edition, first)]
    figure, why = kj.interval_figure(edition, judgements, hidden)
    assert why is None
    assert f"suppresses its interval: {kj.subject(edition, first)}." in figure["caption"]
    assert values[kj.interval_names(first)[0]] not in figure["alt"]

    none_left = values | {kj.interval_names(j)[2]: SUPPRESSED for j in judgements}
    figure, why = kj.interval_figure(edition, judgements, none_left)
    assert figure is None and "suppresses the interval of every one" in why


def test_printed_changes_read_back_as_the_fractions_they_print():
    assert kj.printed_change("+1,038.5%") == pytest.approx(10.385)
    assert kj.printed_change("\u221241.0%") == pytest.approx(-0.41)
    assert kj.printed_change("+3.1 pp") == pytest.approx(0.031)
    assert kj.printed_change(SUPPRESSED) is None and kj.printed_change("n/a") is None

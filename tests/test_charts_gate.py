"""Charts through the gate (issue 13): every number a chart shows in either edition of the
sample (its bar and segment labels, the SVG's other text, its alt text, the KPI sparklines'
alt text) is a value of a cell that edition's gate published, or a share computed only from
published cells (a part over its published total, or over the sum of its quarter's published
parts, or one published total over another of the same quarter). The key judgements' chart
of changes and intervals shows only figures its edition's judgements print.

Tick labels are left out: they are the axis's scale, not figures.
"""

from __future__ import annotations

import re
from itertools import combinations

import pandas as pd
import pytest

from checks.disclosure import load_rules
from efc.settings import Settings
from rendering.chapters import ANNEXES, CHAPTERS, key_judgements, modules
from rendering.chapters.core import Edition
from rendering.formatting import fmt_count, fmt_eur, fmt_number, fmt_pct
from tests.conftest import efc_home
from transforms.warehouse import reader

QUARTER = "2026-Q3"
NUMBER = re.compile(r"(?<![\w.])−?€?\d[\d,]*(?:\.\d+)?%?(?![A-Za-z])")  # not p2p's 2
NOT_FIGURES = [  # dates, category names with numbers in them (amount bands, takedown times),
    # and counts of what a chart leaves out or marks: none is a cell's value
    re.compile(r"\d{4}-Q[1-4]"),
    re.compile(r"(?:under|over) €\d+(?![\d,.])|€\d+-\d+"),
    re.compile(r"(?:over )?\d+(?:-\d+)? days"),
    re.compile(r"\d+ (?:suppressed|further|series breaks?|quarters?)\b"),
    re.compile(r"(?:only \d+|none) of its \d+ values"),
    re.compile(r"\b(?:80|95)%(?=(?: and 95%)? (?:prediction )?intervals?)"),  # a level
]


def numbers_shown(figure_text: str) -> set[str]:
    """The figures printed in a chart's text: numbers with their € or %, not dates or counts
    of gaps."""
    for pattern in NOT_FIGURES:
        figure_text = pattern.sub(" ", figure_text)
    return {n.rstrip(".,") for n in NUMBER.findall(figure_text)} - {""}


def svg_figures(svg: str) -> str:
    """An SVG chart's text but its axes' tick labels and its legend (category names), with
    its <title> (the alt text)."""
    svg = re.sub(r'(<g id="[^"]*--[xy]tick_\d+">.*?<g id="[^"]*--text_\d+">).*?</g>', r"\1",
                 svg, flags=re.S)
    svg = re.sub(r'<g id="[^"]*--legend_\d+">.*', "", svg, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", t)
                    for t in re.findall(r"<(?:text|title)[^>]*>(.*?)</(?:text|title)>", svg,
                                        flags=re.S))


def published_texts(edition: Edition) -> set[str]:
    """Every way a chart may print a value of a published cell of this edition, or a share
    computed from published cells only."""
    values: set[float] = set(edition.log.published_values)
    shares: set[float] = set()
    for cells in edition._protected.values():
        published = cells[cells["value"].notna()]
        values.update(published["value"].astype(float))
        if "total" in cells:
            values.update(published["total"].dropna().astype(float))
            shares.update((published["value"] / published["total"]).dropna())
            for _, quarter in published.groupby("quarter"):
                shares.update(quarter["value"] / quarter["value"].sum())
                # the suppressed parts together: the published total less the published parts
                total = quarter["total"].dropna()
                if len(total):
                    shares.add(1 - quarter["value"].sum() / total.iloc[0])
    totals = pd.concat([cells[["quarter", "value"]] for (_, dimension), cells
                        in edition._protected.items() if not dimension]).dropna()
    for _, quarter in totals.groupby("quarter"):
        for a, b in combinations(quarter["value"].astype(float), 2):
            shares.update(v for v in (a / b if b else None, b / a if a else None)
                          if v is not None and v <= 1)  # a total of 0 is nobody's share
    texts = {t for v in values for t in (fmt_count(v), fmt_eur(v), fmt_number(v, 1))}
    return texts | {fmt_pct(s, d) for s in shares for d in (0, 1)}


@pytest.fixture(scope="module")
def editions(sample_home) -> list[tuple[Edition, dict]]:
    """Both editions of the sample's 2026-Q3 as the flow builds them (the public one hides
    what the coalition's hid), with their chapters and annexes."""
    with efc_home(sample_home), reader(Settings.from_env()) as con:
        from transforms.assessment import read_assessment_data

        data = read_assessment_data(con, QUARTER)
    built, forced = [], None
    for name in ("coalition", "public"):
        edition = Edition(data, load_rules(name), forced)
        edition.narrative = key_judgements.final_narrative(edition, None)
        _, tiles = key_judgements.build(edition)
        intervals = key_judgements.intervals(edition)
        sections = [s for module in modules(CHAPTERS) + modules(ANNEXES)
                    if (s := module.build(edition))]
        built.append((edition, {"sections": sections, "tiles": tiles, "intervals": intervals,
                                "judgements": [j.text for j in
                                               key_judgements.stated(edition)]}))
        forced = edition.log.pattern
    return built


@pytest.mark.slow
def test_every_number_a_chart_shows_is_published_by_its_edition(editions):
    unpublished = {}
    charts_seen = 0
    for edition, content in editions:
        allowed = published_texts(edition)
        for section in content["sections"]:
            for figure in section["figures"]:
                if "svg" not in figure:
                    continue
                charts_seen += 1
                shown = numbers_shown(figure["alt"] + " " + svg_figures(figure["svg"]))
                if missing := sorted(shown - allowed):
                    unpublished[f"{edition.rules.label}: {figure['id']}"] = missing
        for tile in content["tiles"]:
            shown = numbers_shown(svg_figures(tile["sparkline_svg"]))
            if missing := sorted(shown - allowed):
                unpublished[f"{edition.rules.label}: sparkline {tile['label']}"] = missing
    assert charts_seen >= 5, charts_seen  # the sample's editions do draw charts
    assert not unpublished, unpublished


@pytest.mark.slow
def test_the_key_judgements_chart_shows_only_figures_the_judgements_print(editions):
    drawn = {}
    for edition, content in editions:
        printed = numbers_shown(" ".join(content["judgements"]))
        for figure in content["intervals"]["figures"]:
            shown = numbers_shown(figure["alt"] + " " + svg_figures(figure["svg"]))
            drawn[edition.rules.label] = shown
            assert shown <= printed, (edition.rules.label, sorted(shown - printed))
    # each edition of the sample states judgements and draws their intervals
    assert set(drawn) == {editions[0][0].rules.label, editions[1][0].rules.label}
    assert all(len(shown) >= 6 for shown in drawn.values()), drawn


def test_numbers_shown_leave_out_dates_and_gap_counts():
    text = ("Line chart by quarter, 2024-Q4 to 2026-Q3: URLs (count). URLs rose from 1,204 to "
            "€2,310.5 between 2024-Q4 and 2026-Q3. 3 suppressed or missing values are shown "
            "as gaps. Virtual currency was 58% in 2026-Q3; p2p 0.5%; Trend over 8 quarters: "
            "from −4.0%.")
    assert numbers_shown(text) == {"1,204", "€2,310.5", "58%", "0.5%", "−4.0%"}

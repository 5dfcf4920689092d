"""Reconciliation on the sample (issue 19): every figure printed in more than one place of an
edition (text, table, chart alt text, caption, annex, CSV attachment) has one value; every
share states its base; no printed cell is blank.

Reads back what each edition of the shared assessed sample (the quarterly flow's run on the
ingested sample) wrote: its HTML (the PDF's source), its CSV attachments and the PDF's
embedded copies.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from tests.conftest import assessment_run

pytestmark = pytest.mark.slow

QUARTER = "2026-Q3"
EDITIONS = ("coalition", "public")
NOTHING = "\u2013"
HIDDEN_COUNTS = re.compile(r"Hidden cells, as the disclosure annex counts them[^:]*: (.*?)\.")
HIDDEN_IN = re.compile(r"(\d+) in '([^']+)'")


class Edition(HTMLParser):
    """What an edition's HTML prints: tables (caption, columns, rows, notes), figures (alt
    text, caption) and paragraphs, in order."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, dict] = {}
        self.figures: dict[str, dict] = {}
        self.paragraphs: list[str] = []
        self._table: dict | None = None
        self._figure: dict | None = None
        self._text: list[str] | None = None
        self._into: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div" and (attrs.get("id") or "").startswith("tbl-"):
            self._table = {"columns": [], "rows": [], "notes": [], "caption": ""}
            self.tables[attrs["id"][4:]] = self._table
        elif tag == "figure" and (attrs.get("id") or "").startswith("fig-"):
            self._figure = {"alt": "", "caption": ""}
            self.figures[attrs["id"][4:]] = self._figure
        elif tag == "tr" and self._table is not None:
            self._table["rows"].append([])
        if tag in ("th", "td", "caption", "title", "figcaption", "p"):
            self._text, self._into = [], tag
            self._class = attrs.get("class") or ""

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag != self._into or self._text is None:
            if tag == "figure":
                self._figure = None
            return
        text = " ".join("".join(self._text).split())
        self._text, self._into = None, None
        table, figure = self._table, self._figure
        if tag == "th" and table is not None:
            table["columns"].append(text)
        elif tag == "td" and table is not None:
            table["rows"][-1].append(text)
        elif tag == "caption" and table is not None:
            table["caption"] = re.sub(r"^Table [A-Z0-9.]+ ", "", text)
        elif tag == "title" and figure is not None:
            figure["alt"] = text
        elif tag == "figcaption" and figure is not None:
            figure["caption"] = re.sub(r"^Figure [A-Z0-9.]+ ", "", text)
        elif tag == "p" and "table-note" in self._class and table is not None:
            table["notes"].append(text)
        elif tag == "p":
            self.paragraphs.append(text)
            self._table = None  # a paragraph outside a table block ends the last table

    def rows(self, table_id: str) -> list[list[str]]:
        return [r for r in self.tables[table_id]["rows"] if r]

    def row(self, table_id: str, first: str) -> dict[str, str]:
        columns = self.tables[table_id]["columns"]
        return next(dict(zip(columns, r, strict=True)) for r in self.rows(table_id)
                    if r[0] == first)


def number(text: str) -> float:
    return float(text.replace(",", "").replace("\u2212", "-").rstrip("%").replace("€", ""))


@pytest.fixture(scope="module")
def editions(assessed_home) -> dict[str, tuple[Edition | None, Path, str]]:
    """Each edition's parsed HTML, its CSV folder and why it is missing (a release block)."""
    _, blocked = assessment_run(assessed_home)
    out = {}
    for name in EDITIONS:
        html = assessed_home / "reports" / QUARTER / f"assessment-{QUARTER}-{name}.html"
        tables = assessed_home / "reports" / QUARTER / f"assessment-{QUARTER}-{name}-tables"
        parsed = Edition(html.read_text(encoding="utf-8")) if html.exists() else None
        out[name] = (parsed, tables, blocked.get(name, ""))
    return out


@pytest.fixture(params=EDITIONS)
def edition(request, editions) -> tuple[str, Edition, Path]:
    parsed, tables, blocked = editions[request.param]
    if parsed is None:
        pytest.fail(f"the {request.param} edition was not written: {blocked}")
    return request.param, parsed, tables


def test_attachments_are_the_printed_tables(edition):
    """Every table's CSV attachment has the printed header (its bases included) and cells."""
    name, doc, folder = edition
    assert doc.tables, "no table parsed"
    for table_id, table in doc.tables.items():
        path = folder / f"{table_id}.csv"
        assert path.exists(), f"{name}: no attachment for {table_id}"
        csv = pd.read_csv(path, dtype=str, keep_default_na=False)
        assert list(csv.columns) == table["columns"], (name, table_id)
        assert csv.to_numpy().tolist() == doc.rows(table_id), (name, table_id)
    pdf = folder.parent / f"assessment-{QUARTER}-{name}.pdf"
    embedded = PdfReader(pdf).attachments
    for table_id in ("hosting_top10", "darknet_measures", "payment_options_by_method"):
        if table_id in doc.tables:
            assert embedded[f"{table_id}.csv"][0] == (folder / f"{table_id}.csv").read_bytes()


def test_no_printed_cell_is_blank(edition):
    name, doc, _ = edition
    for table_id, table in doc.tables.items():
        for row in doc.rows(table_id):
            assert len(row) == len(table["columns"]), (name, table_id, row)
            assert all(cell.strip() for cell in row), f"{name} {table_id}: blank in {row}"
        if any(NOTHING in row for row in doc.rows(table_id)):
            assert any(NOTHING in note for note in table["notes"]) or table_id in (
                "member_coverage_detail",), f"{name} {table_id}: {NOTHING} not explained"


def test_every_share_states_its_base(edition):
    """A share column says what it divides by; a share figure's caption too."""
    name, doc, _ = edition
    for table_id, table in doc.tables.items():
        for column in table["columns"]:
            if re.search(r"\bshare\b", column, re.IGNORECASE):
                assert re.search(r"share of .{12,}", column, re.IGNORECASE), (
                    f"{name} {table_id}: share column without its base: {column!r}")
    for fig_id, figure in doc.figures.items():
        match = re.search(r"unit: ([^;]+);", figure["caption"])
        if match and "share" in match.group(1):
            assert re.search(r"share of .{12,}|divided by", match.group(1)), (name, fig_id)


def test_breakdown_shares_divide_by_their_printed_total(edition):
    """Each share of a breakdown table is its value over the table's total row, as printed
    (rounded counts in the public edition: a figure is rounded once, shares follow it)."""
    name, doc, _ = edition
    checked = 0
    for table_id in doc.tables:
        rows = doc.rows(table_id)
        if not rows or rows[-1][0] != "Total (the base of the shares)":
            continue
        total = rows[-1][1]
        for row in rows[:-1]:
            if "c" in (row[1], row[2], total):
                continue
            value, share = number(row[1]), number(row[2]) / 100
            assert abs(value / number(total) - share) <= 0.0005 + 1e-9, (name, table_id, row)
            checked += 1
    assert checked, f"{name}: no breakdown share could be checked"


def test_hosting_shares_agree_across_the_chapter(edition):
    """Top 10, regional view, concentration and the chapter's sentence: one base, one value."""
    name, doc, _ = edition
    if "hosting_top10" not in doc.tables:  # every country hidden: the chapter must say so
        assert any(p.startswith("Every figure on hosting countries is suppressed")
                   for p in doc.paragraphs), name
        assert "hosting_regions" not in doc.tables
        return
    top = doc.rows("hosting_top10")
    note = next(n for n in doc.tables["hosting_top10"]["notes"] if n.startswith("Base"))
    base = number(re.search(r"Base of every share: ([\d,]+)", note).group(1))
    for row in top:
        assert abs(number(row[4]) / base - number(row[5]) / 100) <= 0.0005 + 1e-9, row
    first = top[0]
    sentence = next(p for p in doc.paragraphs if p.startswith("The largest published hosting"))
    assert f"{first[1]} ({first[2]}," in sentence and first[4] in sentence, sentence
    assert first[5] in sentence, sentence
    concentration = doc.row("hosting_concentration",
                            next(r[0] for r in doc.rows("hosting_concentration")
                                 if r[0].startswith("Share of the largest")))
    assert concentration[QUARTER] == first[5]
    ten = next(r for r in doc.rows("hosting_concentration") if "ten largest" in r[0])
    assert abs(sum(number(r[4]) for r in top) / base - number(ten[2]) / 100) <= 0.0005 + 1e-9
    regions = doc.rows("hosting_regions")
    assert sum(int(r[3]) for r in regions) >= len(top)
    assert all(r[2] != "" for r in regions)


def test_darknet_measures_agree_with_hosting_and_state_bases(edition):
    name, doc, _ = edition
    if "darknet_measures" not in doc.tables or "hosting_top10" not in doc.tables:
        assert "darknet_measures" in doc.tables or any(
            "Every darknet measure is suppressed" in p for p in doc.paragraphs), name
        return
    rows = {r[0]: r for r in doc.rows("darknet_measures")}
    onion = rows["Onion-hosted (hosting country XO)"]
    note = next(n for n in doc.tables["hosting_top10"]["notes"] if n.startswith("Base"))
    assert f"XO (onion service) {onion[2]}" in note, (onion, note)
    for row in rows.values():
        if "c" not in (row[2], row[4]) and NOTHING not in (row[2], row[4]):
            assert abs(number(row[2]) / number(row[4]) - number(row[5]) / 100) <= 0.0005


def test_headline_count_is_printed_once_everywhere(edition):
    """The confirmed URLs of the quarter: sentence, hotline table and darknet bases agree."""
    name, doc, _ = edition
    value = doc.row("hotline_volumes", "URLs confirmed as child sexual abuse material")["Value"]
    if value == "c":
        assert any(p.startswith("The number of URLs hotlines confirmed") and "suppressed" in p
                   for p in doc.paragraphs), name
    else:
        sentence = next(p for p in doc.paragraphs if p.startswith("Hotlines confirmed"))
        assert f"Hotlines confirmed {value} URLs" in sentence
    if "darknet_measures" in doc.tables:
        darknet = {r[0]: r for r in doc.rows("darknet_measures")}
        assert darknet["Onion-hosted (hosting country XO)"][4] == value  # same total
    if name == "public":
        assert value == "c" or "\u2013" in value or number(value) % 5 == 0  # c, range, count


def test_caption_hidden_counts_are_the_annex_counts(edition):
    """A caption's count of hidden cells is the disclosure annex's for the same tables, and
    the annex's own total is the sum of its rows (this edition's log, never the other's)."""
    name, doc, _ = edition
    annex = pd.DataFrame(doc.rows("disclosure_counts"),
                         columns=doc.tables["disclosure_counts"]["columns"])
    hidden = annex.assign(n=annex["Cells hidden"].astype(int)).groupby("Table")["n"].sum()
    checked = 0
    for fig_id, figure in doc.figures.items():
        for listed in HIDDEN_COUNTS.findall(figure["caption"]):
            for count, table in HIDDEN_IN.findall(listed):
                assert int(count) == int(hidden.get(table, 0)), (name, fig_id, table)
                checked += 1
    assert checked, f"{name}: no caption quotes its hidden cells"
    total = next(p for p in doc.paragraphs if "hid " in p and "cells in" in p)
    assert f"hid {int(hidden.sum())} cells in {len(hidden)} tables" in total, total


def test_public_tables_say_counts_are_rounded_independently(editions):
    doc, _, blocked = editions["public"]
    if doc is None:
        pytest.fail(f"the public edition was not written: {blocked}")
    for table_id in ("hotline_volumes", "hosting_top10", "darknet_measures",
                     "payment_options_by_method", "payment_indicators"):
        if table_id in doc.tables:
            assert any("rounded" in n and "independently" in n
                       for n in doc.tables[table_id]["notes"]), table_id
    coalition, _, _ = editions["coalition"]
    assert not any("rounded to the nearest" in n for t in coalition.tables.values()
                   for n in t["notes"])


def test_public_data_quality_names_kinds_not_identifiers(editions):
    doc, _, blocked = editions["public"]
    if doc is None:
        pytest.fail(f"the public edition was not written: {blocked}")
    assert "problems_by_rule" not in doc.tables
    kinds = [r[0] for r in doc.rows("problems_by_kind")]
    assert any(k.endswith("identifying data") for k in kinds), kinds
    text = " ".join(c for t in doc.tables.values() for r in t["rows"] for c in r)
    assert "identifying_" not in text


def test_site_type_chart_prints_the_tables_shares(edition):
    """The site-type bar chart's alt text gives the hidden-service share the darknet table
    prints: one computation (core.shares) behind both."""
    name, doc, _ = edition
    if "site_types" not in doc.figures:
        return  # nothing published to compare in this edition: the chapter says why
    share = list(doc.row("darknet_measures", "Hidden services (type of site)").values())[5]
    assert f"hidden service {share}" in doc.figures["site_types"]["alt"], name


def test_key_indicators_match_the_chapter_tables(edition):
    """A KPI tile prints the same level and changes as its chapter's table."""
    name, doc, folder = edition
    tiles = pd.read_csv(folder / "key_indicators.csv", dtype=str,
                        keep_default_na=False).set_index("Indicator")
    volumes = doc.row("hotline_volumes", "URLs confirmed as child sexual abuse material")
    tile = tiles.loc["URLs confirmed (hotlines)"]
    assert tile["Value"] == volumes["Value"], name
    for change in ("Change on quarter", "Change on year"):  # less the tile's members note
        assert tile[change].split(" (")[0] == volumes[change], (name, change)
    commercial = doc.row("commercial_indicators", "Commercial URLs")
    assert tiles.loc["Commercial URLs", "Value"] == commercial["Value"], name
    arrests = next((r for r in doc.rows("police_outcomes") if r[0] == "Arrests"), None)
    if arrests is not None:
        assert tiles.loc["Arrests", "Value"] == arrests[2], name

"""What a reviewer who read every page of both editions of the sample found, read back from
the PDFs the quarterly flow wrote (their text, and the CSV attachments that carry each table
as printed): the disclosure annex counts what the body prints as a range, a withheld table
names the rule the annex gives for its cells, a caption pairs each hidden count with its
table, no table breaks a word across lines, a chart marks a quarter it cannot draw, prose
words a withheld figure, and both editions give the same forecast the same probability."""

from __future__ import annotations

import functools
import io
import json
import re
from pathlib import Path

import pandas as pd
import pdfplumber
import pytest
from pypdf import PdfReader

from rendering import pdf as rendering_pdf
from tests.conftest import assessment_run
from tests.test_layout import BOTTOM_MARGIN, LEFT, RIGHT, TOLERANCE, TOP
from tests.test_reconciliation import HIDDEN_COUNTS, HIDDEN_IN

pytestmark = pytest.mark.slow  # reads the shared assessment of the sample (a flow run)

EDITIONS = ("coalition", "public")
WATERMARK_PT = 30  # the DRAFT mark is set far larger than any text
RANGE = re.compile(r"€?\d[\d,]*\u2013€?\d[\d,]*")
DIRECTION = re.compile(r"total (rose|fell)")
CHANGE = re.compile(r"[+\u2212]?\d[\d,]*(\.\d+)?%")
SHOWN = "Shown as a range or direction"
WITHHELD_SENTENCE = re.compile(r"Every figure on ([^:]*?) is suppressed by the (.*?) rules? of "
                               r"the disclosure annex")


@pytest.fixture(scope="module")
def pdfs(assessed_home) -> dict[str, Path]:
    written, blocked = assessment_run(assessed_home)
    found = {e: next((p for p in written if f"-{e}" in p.name), None) for e in EDITIONS}
    assert all(found.values()), blocked
    return found


@functools.cache
def text(pdf: Path) -> str:
    """The PDF's text, the DRAFT watermark left out, as one line (read once per file: the
    tests read each edition's text several times)."""
    with pdfplumber.open(pdf) as doc:
        pages = [page.filter(lambda o: o.get("size", 0) < WATERMARK_PT).extract_text()
                 for page in doc.pages]
    return re.sub(r"\s+", " ", " ".join(pages))


def attachments(pdf: Path) -> dict[str, pd.DataFrame]:
    """The tables attached to the PDF, cells as printed."""
    return {name.removesuffix(".csv"): pd.read_csv(io.BytesIO(bodies[0]), dtype=str,
                                                   keep_default_na=False)
            for name, bodies in PdfReader(pdf).attachments.items() if name.endswith(".csv")}


def annex_rules(annex: pd.DataFrame, tables: list[str]) -> set[str]:
    rows = annex[annex["Table"].isin(tables) & (annex["Cells hidden"].astype(int) > 0)]
    return set(rows["Rule"])


@pytest.mark.parametrize("edition", EDITIONS)
def test_the_annex_counts_every_cell_a_table_prints_as_a_range(pdfs, edition):
    tables = attachments(pdfs[edition])
    annex = tables["disclosure_counts"]
    coarse_tables = []
    for table_id, frame in tables.items():
        cells = [cell for column in frame.columns for cell in frame[column]]
        coarse = sum(bool(RANGE.fullmatch(c) or DIRECTION.match(c)) for c in cells)
        name = table_id.replace("_", " ")
        rows = annex[annex["Table"] == name]
        if coarse:
            coarse_tables.append(name)
            assert len(rows), f"{name} prints {coarse} ranges or directions; the annex omits it"
        if len(rows):
            assert int(rows[SHOWN].iloc[0]) == coarse, (name, rows.to_dict("records"))
        changes = [c for column in frame.columns if column.startswith("Change on")
                   for c in frame[column]]
        if len(rows) and changes:  # a printed table's own cells in the annex: its changes
            printed = sum(bool(CHANGE.match(c)) for c in changes)
            assert int(rows["Cells published"].iloc[0]) == printed, (name, changes)
    assert {"key indicators", "notices and removals"} <= set(coarse_tables)


def test_the_reason_beside_withheld_industry_figures_is_the_annexs_rule(pdfs):
    pdf = pdfs["coalition"]
    annex = attachments(pdf)["disclosure_counts"]
    rules = annex_rules(annex, ["IND_NOTICES_RECEIVED by quarter", "IND_ITEMS_REMOVED by quarter"])
    assert rules, "the sample's industry figures are hidden in the coalition edition"
    said = [m for m in WITHHELD_SENTENCE.finditer(text(pdf)) if "industry" in m[1]]
    assert said, "no sentence says why the industry figures are withheld"
    named = set(re.split(r", | and ", said[0][2]))
    assert named == rules, (said[0][0], rules)


@pytest.mark.parametrize("edition", EDITIONS)
def test_no_table_breaks_a_word_across_lines_and_every_table_fits_the_page(
        assessed_home, tmp_path, edition):
    """Every table of the edition through the report's own template and stylesheet, alone
    (no chart or prose to read words from): each word the PDF prints is a whole word of a
    caption, heading, cell or note (a compound may break at its own hyphen, as in prose),
    and nothing leaves the text area."""
    stored = next((assessed_home / "reports").glob(f"*/versions/{edition}-v1/*.context.json"))
    context = json.loads(stored.read_text(encoding="utf-8"))
    sections = [rendering_pdf._numbered(s, str(n), "chapter")
                for n, s in enumerate(context["chapters"] + context["annexes"], 2)]
    template = rendering_pdf._environment().get_template("_table.html.j2")
    tables = [t for s in sections for t in s["tables"]]
    css = (rendering_pdf.TEMPLATES_DIR / "assessment.css").read_text(encoding="utf-8")
    html = (f"<html><head><style>{css}</style></head><body>"
            + "".join(template.render(table=t) for t in tables) + "</body></html>")
    out = tmp_path / "tables.pdf"
    rendering_pdf.HTML(string=html).write_pdf(out)
    words = {"Table", *(w for t in tables for w in " ".join(
        [t["number"], t["caption"], *t["columns"], *(c for r in t["rows"] for c in r),
         *t["notes"]]).split())}
    broken, outside = set(), []
    with pdfplumber.open(out) as doc:
        for page in doc.pages:
            body = page.crop((0, TOP, page.width, page.height - BOTTOM_MARGIN))
            broken |= {w["text"] for w in body.extract_words() if w["text"] not in words}
            outside += [c["text"] for c in body.chars
                        if c["x0"] < LEFT - TOLERANCE or c["x1"] > RIGHT + TOLERANCE]
    compounds = {(a, b) for a in broken for b in broken  # broken at their own hyphen
                 if a.endswith("-") and a[-2:-1].isalpha() and a + b in words}
    assert not broken - {w for pair in compounds for w in pair}, sorted(broken)
    assert not outside, outside[:20]


@pytest.mark.parametrize("edition", EDITIONS)
def test_each_hidden_count_in_a_caption_names_its_own_table(pdfs, edition):
    pdf = pdfs[edition]
    annex = attachments(pdf)["disclosure_counts"]
    hidden = annex.assign(n=annex["Cells hidden"].astype(int)).groupby("Table")["n"].sum()
    printed = text(pdf)
    caption = printed[printed.index("Police outcomes, per quarter."):]
    counts = {table: int(n) for n, table in HIDDEN_IN.findall(
        HIDDEN_COUNTS.search(caption)[1])}
    assert set(counts) == {"LE_CASES_OPENED by quarter", "LE_ARRESTS by quarter",
                           "LE_VICTIMS_IDENTIFIED by quarter"}
    assert counts == {table: int(hidden.get(table, 0)) for table in counts}
    for listed in HIDDEN_COUNTS.findall(printed):  # every caption: a count for each table
        assert len(HIDDEN_IN.findall(listed)) == listed.count("'") // 2, listed


def test_a_quarter_the_takedown_chart_cannot_draw_is_marked(pdfs):
    printed = text(pdfs["public"])
    caption = printed[printed.index("Time from notice to removal of confirmed URLs."):]
    caption = caption[:caption.index("Figure", 10)]
    assert "c marks a quarter whose shares are all suppressed, drawn without a bar: " \
        "2024-Q4." in caption, caption


@pytest.mark.parametrize("edition", EDITIONS)
def test_prose_words_a_withheld_figure(pdfs, edition):
    printed = text(pdfs[edition])
    outlook = printed[printed.index("We expect the move from cards"):
                      printed.index("we make no numerical call.")]
    summary = printed[printed.index("Headline figures for"):printed.index("Outlook: ")]
    for prose in (outlook, summary):
        assert not re.search(r"(?<![\w\u2013-])c(?![\w\u2013-])", prose), prose
    if edition == "public":  # the sample's public edition hides figures the outlook names
        assert "withheld for confidentiality" in outlook


def test_both_editions_give_a_forecast_the_same_probability(pdfs):
    said = {}
    for edition in EDITIONS:
        said[edition] = dict((subject, term) for term, subject in re.findall(
            r"It is (an? [\w ]+?|\w+(?: \w+)?) that (.+?) will exceed this quarter's",
            text(pdfs[edition])))
    both = said["coalition"].keys() & said["public"].keys()
    assert "arrests" in both, said
    assert {s: said["coalition"][s] for s in both} == {s: said["public"][s] for s in both}

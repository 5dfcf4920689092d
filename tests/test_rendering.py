"""The rendering package: formatting, charts, HTML and the PDF read back with pypdf."""

from __future__ import annotations

import copy
import functools
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pdfplumber
import pytest
from pypdf import PdfReader

from rendering import charts
from rendering.formatting import (
    NOT_AVAILABLE,
    SUPPRESSED,
    fmt_change_pct,
    fmt_count,
    fmt_days,
    fmt_eur,
    fmt_number,
    fmt_pct,
    fmt_points,
)
from rendering.pdf import (
    TEMPLATES_DIR,
    AssetFetcher,
    RefusedURLError,
    epoch_from_cut_off,
    render_html,
    write_pdf,
)
from tests.fixtures import report_context as fixture

REPO = Path(__file__).resolve().parents[1]
HOSTILE = '<img src="file:///etc/passwd">'
ATTACHMENTS = [("hosting_top10.csv", b"rank,country,urls\n1,Netherlands,28350\n9,Czechia,c\n"),
               ("manifest.json", b'{"cut_off": "2026-10-15T02:00:00Z", "inputs": []}\n')]


@functools.cache
def _cached_context(tlp: str, status: str) -> dict:
    return fixture.report_context(tlp=tlp, status=status)


def report_context(*, tlp: str = "TLP:AMBER", status: str = "DRAFT") -> dict:
    """A fresh copy of the fixture context (its charts are drawn once per session)."""
    return copy.deepcopy(_cached_context(tlp, status))


# ---------------------------------------------------------------------- formatting


@pytest.mark.parametrize(("value", "expected"), [
    (291273, "291,273"), (0, "0"), (12.5, "13"), (-1500, "\u22121,500"),
    (None, SUPPRESSED), (math.nan, SUPPRESSED), (pd.NA, SUPPRESSED), ("c", SUPPRESSED),
])
def test_fmt_count(value, expected):
    assert fmt_count(value) == expected


def test_fmt_count_refuses_a_stray_label():
    with pytest.raises(TypeError):
        fmt_count("twelve")


def test_formatters_follow_the_documented_conventions():
    assert fmt_number(2.675, 2) == "2.68"  # half away from zero, not banker's rounding
    assert fmt_eur(8000) == "€8,000"
    assert fmt_eur(-1234.5) == "\u2212€1,235"
    assert fmt_eur(1234, symbol=False) == "1,234"
    assert fmt_pct(0.583) == "58.3%"
    assert fmt_pct(0.5, 0) == "50%"
    assert fmt_change_pct(0.123) == "+12.3%"
    assert fmt_change_pct(-0.04) == "\u22124.0%"
    assert fmt_change_pct(-0.00001) == "0.0%"  # never "−0.0%"
    assert fmt_change_pct(None) == NOT_AVAILABLE
    assert fmt_change_pct(math.inf) == NOT_AVAILABLE
    assert fmt_change_pct(SUPPRESSED) == SUPPRESSED
    assert fmt_points(0.031) == "+3.1 pp"
    assert fmt_points(None) == NOT_AVAILABLE
    assert fmt_days(2.5) == "2.5 days"
    assert fmt_days(1) == "1.0 day"
    assert fmt_days(None, missing=NOT_AVAILABLE) == NOT_AVAILABLE


# -------------------------------------------------------------------------- charts


QUARTERS = ["2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3"]


def _mix() -> pd.DataFrame:
    shares = {"Virtual currency": [0.31, 0.40, 0.50, 0.58], "Card": [0.40, 0.30, 0.22, 0.12],
              "Money transfer": [0.29, 0.30, math.nan, 0.30]}
    return pd.DataFrame([{"quarter": q, "method": m, "share": v}
                         for m, vs in shares.items() for q, v in zip(QUARTERS, vs, strict=True)])


def test_chart_svg_is_deterministic():
    kwargs = dict(x="quarter", category="method", share="share", caption="Mix.",
                  y_label="Share of visible payment options (%)", fig_id="mix")
    first = charts.stacked_share_chart(_mix(), **kwargs)
    second = charts.stacked_share_chart(_mix(), **kwargs)
    assert first["svg"] == second["svg"]
    assert first["svg"].startswith("<svg") and "<?xml" not in first["svg"]
    assert "<metadata" not in first["svg"]


def test_stacked_share_alt_text_is_written_from_the_data():
    fig = charts.stacked_share_chart(
        _mix(), x="quarter", category="method", share="share", caption="Mix.",
        y_label="Share of visible payment options (%)", fig_id="mix")
    assert "Virtual currency rose from 31.0% to 58.0% between 2024-Q4 and 2025-Q3" in fig["alt"]
    assert "Card fell from 40.0% to 12.0%" in fig["alt"]
    assert "1 suppressed share is left out" in fig["alt"]
    assert "The suppressed parts together: 2025-Q2 28.0%." in fig["alt"]  # 1 - 0.50 - 0.22
    assert charts.SUPPRESSED_SEGMENT_NOTE in fig["caption"]
    assert f"<title id=\"mix--title\">{fig['alt']}</title>" in fig["svg"]


def test_a_quarter_whose_shares_are_all_hidden_is_marked_c_not_left_blank():
    mix = _mix()
    mix.loc[mix["quarter"] == QUARTERS[0], "share"] = math.nan
    fig = charts.stacked_share_chart(
        mix, x="quarter", category="method", share="share", caption="Mix.",
        y_label="Share of visible payment options (%)", fig_id="mix")
    assert len(re.findall(r">\s*c\s*</text>", fig["svg"])) == 1  # at the empty bar
    assert fig["caption"].endswith(f"c marks a quarter whose shares are all suppressed, drawn "
                                   f"without a bar: {QUARTERS[0]}.")
    assert fig["alt"].endswith(fig["caption"].split("100%. ")[-1])


def test_line_chart_marks_gaps_and_breaks():
    frame = pd.DataFrame({"quarter": QUARTERS, "urls": [100, math.nan, 120, 130]})
    fig = charts.line_chart(frame, x="quarter", y="urls", series=None, caption="URLs.",
                            y_label="Confirmed URLs (count)", fig_id="urls",
                            gaps_note="A gap is a suppressed quarter.", breaks=["2025-Q2"])
    assert "rose from 120 to 130 between 2025-Q2 and 2025-Q3" in fig["alt"]  # after break
    assert "1 suppressed or missing value is shown as a gap" in fig["alt"]
    assert "Series break before 2025-Q2" in fig["alt"]
    assert fig["caption"] == "URLs. A gap is a suppressed quarter."
    assert "series break" in fig["svg"]


def test_bar_chart_labels_a_suppressed_bar_c():
    frame = pd.DataFrame({"country": ["Netherlands", "Germany", "France", "Czechia"],
                          "share": [0.29, 0.2, 0.1, math.nan]})
    fig = charts.bar_chart(frame, category="country", value="share", caption="Hosting.",
                           value_label="Share of confirmed URLs (%)", fig_id="hosting",
                           kind="pct")
    assert "France 10.0%; Czechia c (suppressed)." in fig["alt"]
    assert re.search(r">\s*c\s*</text>", fig["svg"])  # the bar's "c" label is text


def test_grouped_bar_chart_and_ids_are_scoped_per_figure():
    frame = pd.DataFrame({"band": ["lt10", "lt10", "10_100", "10_100"],
                          "method": ["card", "e_wallet"] * 2,
                          "n": [120, math.nan, 310, 540]})
    fig = charts.grouped_bar_chart(frame, x="band", series="method", value="n",
                                   value_label="Flagged transactions (count)",
                                   caption="Flagged.", fig_id="flagged")
    assert "lt10: card 120, e_wallet c; 10_100: card 310, e_wallet 540." in fig["alt"]
    ids = re.findall(r'\bid="([^"]+)"', fig["svg"])
    assert ids and all(i.startswith("flagged--") for i in ids)


def test_sparkline_is_small_deterministic_svg_with_gaps():
    svg = charts.sparkline([1, 2, None, 4, 5, 6, 7, 8])
    assert svg == charts.sparkline([1, 2, None, 4, 5, 6, 7, 8])
    assert svg.startswith("<svg") and svg.count("<polyline") == 2
    assert "from 1 to 8" in svg and "1 quarter suppressed or missing" in svg


def axis_labels(svg: str, axis: str) -> list[str]:
    """The tick labels matplotlib wrote for one axis ("xtick" or "ytick") of an SVG chart:
    each tick's text group, its lines joined ("Q4 2023")."""
    labels = []
    for chunk in re.split(rf'<g id="[^"]*--{axis}_\d+">', svg)[1:]:
        group = re.search(r'<g id="[^"]*--text_\d+">(.*?)</g>', chunk, re.S)
        if group:
            texts = re.findall(r"<text[^>]*>(.*?)</text>", group[1], re.S)
            labels.append(" ".join(" ".join(re.sub(r"<[^>]+>", " ", t).split()) for t in texts))
    return labels


@pytest.mark.parametrize("top", [0.025, 0.031, 0.07, 0.58, 3.0, 1234.0])
def test_value_ticks_are_distinct_and_the_axis_ends_on_a_tick_above_the_data(top):
    kind = "pct" if top < 1 else "count"
    frame = pd.DataFrame({"quarter": QUARTERS, "v": [top / 3, top / 2, top * 0.9, top]})
    fig = charts.line_chart(frame, x="quarter", y="v", series=None, caption="V.",
                            y_label="V", fig_id="v", kind=kind)
    labels = axis_labels(fig["svg"], "ytick")
    assert len(labels) >= 3 and len(set(labels)) == len(labels), labels
    last = float(labels[-1].replace(",", "").rstrip("%")) / (100 if kind == "pct" else 1)
    assert last >= top, labels


def test_a_chart_with_almost_nothing_published_is_replaced_by_a_sentence():
    frame = pd.DataFrame({"quarter": QUARTERS * 2, "band": ["a"] * 4 + ["b"] * 4,
                          "n": [5, math.nan, math.nan, math.nan, math.nan, math.nan, math.nan, 9]})
    fig = charts.line_chart(frame, x="quarter", y="n", series="band", caption="Bands. More.",
                            y_label="n (count)", fig_id="bands")
    assert "svg" not in fig
    assert fig["withheld"].startswith("Bands is not charted: only 2 of its 8 values")


def test_a_chart_with_nothing_published_says_none_not_only_0():
    frame = pd.DataFrame({"quarter": QUARTERS * 2, "band": ["a"] * 4 + ["b"] * 4,
                          "n": [math.nan] * 8})
    fig = charts.line_chart(frame, x="quarter", y="n", series="band", caption="Bands. More.",
                            y_label="n (count)", fig_id="bands")
    assert fig["withheld"].startswith("Bands is not charted: none of its 8 values can be "
                                      "published (they are suppressed")


def test_sparkline_is_not_joined_across_a_series_break():
    svg = charts.sparkline([1, 2, 3, 4, 8, 9, 9, 10], breaks=[4])
    assert svg.count("<polyline") == 2 and svg.count("stroke-dasharray") == 1
    assert "1 series break marked" in svg


def test_chart_refuses_an_unsafe_figure_id():
    with pytest.raises(ValueError, match="fig_id"):
        charts.bar_chart(pd.DataFrame({"c": ["a"], "v": [1]}), category="c", value="v",
                         value_label="n (count)", caption="", fig_id='x" onload="y')


# ---------------------------------------------------------------------------- HTML


def test_html_autoescapes_text_and_trusts_only_chart_svg():
    context = report_context()
    context["key_findings"].append(HOSTILE)
    context["chapters"][0]["summary"].append("<script>alert(1)</script>")
    context["chapters"][0]["tables"][0]["caption"] = "<svg onload=x>"
    html = render_html(context)
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    assert "<img" not in html and "<script" not in html and "<svg onload" not in html
    assert html.count('<svg class="chart"') == 5  # the five fixture charts, as markup
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="sparkline"') == 6


def test_html_marks_edition_and_status():
    draft = render_html(report_context(tlp="TLP:AMBER", status="DRAFT"))
    final = render_html(report_context(tlp="TLP:CLEAR", status="FINAL"))
    assert '<html lang="en">' in draft
    assert 'class="watermark"' in draft and 'class="watermark"' not in final
    assert 'tlp-label tlp-amber' in draft and 'tlp-label tlp-clear' in final
    assert '<meta name="dcterms.created" content="2026-10-15T02:00:00Z">' in draft


def test_html_refuses_a_malformed_context():
    context = report_context()
    del context["caveats"]
    with pytest.raises(Exception, match="caveats"):
        render_html(context)
    context = report_context()
    context["chapters"][1]["tables"][0]["rows"][0][1] = 71900  # a number, not formatted
    with pytest.raises(TypeError, match="not text"):
        render_html(context)
    context = report_context()
    context["chapters"][1]["figures"][0]["svg"] = '<img src="x" onerror="y">'
    with pytest.raises(ValueError, match="inline SVG"):
        render_html(context)
    context = report_context(tlp="TLP:WHITE")  # TLP 1.0 label, retired in TLP 2.0
    with pytest.raises(ValueError, match="TLP 2.0"):
        render_html(context)


def test_stylesheet_is_inlined_and_jinja_safe():
    css = (TEMPLATES_DIR / "assessment.css").read_text()
    assert not re.search(r"\{[#%{]", css)
    assert "size: A4 portrait" in render_html(report_context())


# ---------------------------------------------------------------------- URL fetcher


def test_fetcher_allows_only_data_urls_and_template_files():
    fetcher = AssetFetcher()
    css = (TEMPLATES_DIR / "assessment.css").as_uri()
    assert fetcher.allows("data:text/plain,hello")
    assert fetcher.allows(css)
    for url in ("file:///etc/passwd", "http://example.org/x.png", "https://example.org/",
                (TEMPLATES_DIR / ".." / "pyproject.toml").as_uri(),
                "file://remote-host/share/x.css", "ftp://example.org/x"):
        assert not fetcher.allows(url), url
        with pytest.raises(RefusedURLError):
            fetcher.fetch(url)
    assert fetcher.fetch(css).read().startswith(b"/*")
    assert fetcher.refused[0] == "file:///etc/passwd"


def test_write_pdf_stops_on_a_forbidden_resource(tmp_path):
    html = ('<html lang="en"><head><title>x</title><meta name="dcterms.created" '
            'content="2026-10-15T02:00:00Z"></head><body><p>x</p>'
            '<img alt="x" src="file:///etc/passwd"></body></html>')
    with pytest.raises(RefusedURLError):
        write_pdf(html, tmp_path / "x.pdf", title="x")
    assert not (tmp_path / "x.pdf").exists()


def test_epoch_from_cut_off():
    assert epoch_from_cut_off("2026-10-15 02:00 UTC") == 1792029600
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        epoch_from_cut_off("15/10/2026")


# ----------------------------------------------------------------------------- PDF


# The tests that read the rendered PDF are in the slow tier: a whole WeasyPrint render.
@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The fixture context (plus a hostile key finding) rendered once, fetches spied on."""
    context = report_context()
    context["key_findings"].append(HOSTILE)
    fetched: list[str] = []
    original = AssetFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    out = tmp_path_factory.mktemp("pdf") / "assessment.pdf"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(AssetFetcher, "fetch", spy)
        html = render_html(context)
        write_pdf(html, out, title=context["title"], attachments=ATTACHMENTS)
    reader = PdfReader(out)
    texts = [page.extract_text() for page in reader.pages]
    return {"context": context, "html": html, "path": out, "reader": reader,
            "texts": texts, "fetched": fetched}


@pytest.mark.slow
def test_nothing_is_fetched_and_hostile_text_is_visible(rendered):
    assert rendered["fetched"] == []
    key_findings = next(t for t in rendered["texts"] if "Key judgements\n" in t)
    assert HOSTILE in key_findings


@pytest.mark.slow
def test_tlp_and_footer_on_every_page(rendered):
    pages = len(rendered["texts"])
    for number, text in enumerate(rendered["texts"], 1):
        assert "TLP:AMBER" in text, number
        assert "DRAFT" in text, number  # the watermark
        if number > 1:  # the cover has no page number
            assert f"Page {number} of {pages}" in text
            assert "Coalition edition · 2026-Q3" in text


@pytest.mark.slow
def test_toc_page_numbers_match_headings_and_bookmarks(rendered):
    reader, texts = rendered["reader"], rendered["texts"]
    toc = next(t for t in texts if t.startswith("Contents"))
    entries = re.findall(r"^(\S+) (.+?) \.{3,}\s+(\d+)$", toc, flags=re.MULTILINE)
    context = rendered["context"]
    assert len(entries) == 1 + len(context["chapters"]) + len(context["annexes"])
    bookmarks = {}
    for item in reader.outline:
        if not isinstance(item, list):
            bookmarks[item.title] = reader.get_destination_page_number(item) + 1
    for number, title, page in entries:
        heading = f"Annex {number} {title}" if number.isalpha() else f"{number} {title}"
        page_text = " ".join(texts[int(page) - 1].split())
        assert heading in page_text, (heading, page)  # chapters may share a page
        assert bookmarks[heading] == int(page), (heading, bookmarks)


@pytest.mark.slow
def test_pdf_metadata_language_and_tags(rendered):
    reader = rendered["reader"]
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en"
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert reader.metadata.title == rendered["context"]["title"]
    assert reader.metadata["/CreationDate"] == "D:20261015020000Z"


@pytest.mark.slow
def test_figures_carry_alt_text_in_the_structure_tree(rendered):
    alts = []

    def walk(node):
        node = node.get_object()
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict):
            if node.get("/S") == "/Figure":
                alts.append(str(node.get("/Alt", "")))
            if "/K" in node:
                walk(node["/K"])

    walk(rendered["reader"].trailer["/Root"]["/StructTreeRoot"])
    assert any(a.startswith("100% stacked bar chart") and "Virtual currency rose" in a
               for a in alts)
    assert all(alts)


@pytest.mark.slow
def test_attachments_are_embedded_byte_for_byte(rendered):
    embedded = rendered["reader"].attachments
    assert {name: data[0] for name, data in embedded.items()} == dict(ATTACHMENTS)


@pytest.mark.slow
def test_suppressed_cells_print_as_c(rendered):
    with pdfplumber.open(rendered["path"]) as pdf:
        hosting = next(p for p in pdf.pages if "Hosting and infrastructure" in
                       (p.extract_text() or "") and "Table 4.1" in p.extract_text())
        lines = hosting.extract_text().splitlines()
    assert "9 Czechia c c c" in lines


@pytest.mark.slow
def test_identical_input_gives_identical_bytes(rendered, tmp_path):
    again = write_pdf(render_html(rendered["context"]), tmp_path / "again.pdf",
                      title=rendered["context"]["title"], attachments=ATTACHMENTS)
    assert again.read_bytes() == rendered["path"].read_bytes()


@pytest.mark.slow
def test_identical_bytes_across_processes(rendered, tmp_path):
    """A fresh interpreter with another hash seed writes the same bytes."""
    out = tmp_path / "other.pdf"
    script = (
        "import sys\nfrom pathlib import Path\n"
        "from rendering.pdf import render_html, write_pdf\n"
        "from tests.fixtures.report_context import report_context\n"
        "from tests.test_rendering import ATTACHMENTS, HOSTILE\n"
        "c = report_context(); c['key_findings'].append(HOSTILE)\n"
        "write_pdf(render_html(c), Path(sys.argv[1]), title=c['title'],"
        " attachments=ATTACHMENTS)\n")
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(REPO)}
    env.pop("SOURCE_DATE_EPOCH", None)
    subprocess.run([sys.executable, "-c", script, str(out)], check=True, cwd=REPO, env=env)
    assert out.read_bytes() == rendered["path"].read_bytes()


def test_context_is_not_mutated_by_rendering():
    context = report_context()
    before = copy.deepcopy(context)
    render_html(context)
    assert context == before


def test_forecast_fan_draws_history_bands_and_says_each_quarter_ahead():
    history = [(q, v) for q, v in zip(QUARTERS, [100.0, 110.0, 120.0, 125.0], strict=True)]
    ahead = [("2025-Q4", 130.0, 120.0, 140.0, 110.0, 150.0),
             ("2026-Q1", 135.0, 120.0, 150.0, 105.0, 165.0)]
    fig = charts.fan_chart(history, ahead, y_label="URLs (count)", caption="Fan.",
                           fig_id="fan", breaks=["2025-Q2"])
    assert fig == charts.fan_chart(history, ahead, y_label="URLs (count)", caption="Fan.",
                                   fig_id="fan", breaks=["2025-Q2"])  # deterministic
    assert ("2025-Q4: central forecast 130 (80% interval 120 to 140; 95% interval 110 to "
            "150).") in fig["alt"]
    assert "published to 2025-Q3" in fig["alt"]
    assert fig["svg"].count("<path") > 4  # two bands, history and forecast lines

"""An automatic look at every page (issue 15): both editions of the sample are rendered by the
quarterly flow and their layout is read back with pdfplumber, so a reader is never the first
to see a layout fault.

A page fails when its content fills less than a quarter of the text area unless it ends a
chapter (the next page opens one, or it is the last); when a table's only row on it is a
continuation's first or last row (a row stranded from its table); when a table caption ends a
page or a figure caption opens one (a caption alone); when text, a drawing or an image lies
outside the text area (a figure or table overflowing its box). A chart fails when a tick
label repeats on one axis (read from the SVG in the HTML edition).

The checks are plain functions of a PDF or HTML file, so they also measure any edition.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import assessment_run
from tests.test_rendering import axis_labels

MM = 72 / 25.4
# The text area of rendering's A4 page: margins 24 (top), 20 (sides) and 22 mm (bottom).
LEFT, RIGHT, TOP, BOTTOM_MARGIN = 20 * MM, (210 - 20) * MM, 24 * MM, 22 * MM
TOLERANCE = 1.5  # points: anti-aliasing and line caps
MIN_FILL = 0.25
CHAPTER_HEADING_PT = 15.5  # h1 is 16 pt; nothing else in the body is as large
ROW_RULE_MAX_PT = 0.6  # a body row's bottom border (0.4 pt); the header's is 1 pt
CAPTION = re.compile(r"^(Table|Figure) [0-9A-Z]+\.\d+\b")


def _body(page) -> tuple[list[dict], float]:
    """The page's upright characters inside the text area's height (the running header,
    footer and TLP labels live in the margins; the DRAFT watermark is turned), and the
    text area's bottom."""
    bottom = page.height - BOTTOM_MARGIN
    chars = [c for c in page.chars if c["upright"] and c["size"] < 40
             and c["top"] >= TOP - TOLERANCE and c["bottom"] <= bottom + TOLERANCE]
    return chars, bottom


def _lines(chars: list[dict]) -> list[tuple[float, str, float]]:
    """(top, text, largest size) of each line of text, top to bottom."""
    rows: dict[int, list[dict]] = {}
    for c in chars:
        rows.setdefault(round(c["top"]), []).append(c)
    out = []
    for top in sorted(rows):
        line = sorted(rows[top], key=lambda c: c["x0"])
        out.append((float(top), "".join(c["text"] for c in line).strip(),
                    max(c["size"] for c in line)))
    return [line for line in out if line[1]]


def _rules(page, thin: bool) -> list[float]:
    """Tops of full-width horizontal rules: thin ones end table body rows (0.4 pt), thick
    ones underline table headers (1 pt). A table draws a rule per cell, so cells' segments
    at one height are added up."""
    widths: dict[float, float] = {}
    for e in page.horizontal_edges:
        if (e.get("linewidth", 0.4) <= ROW_RULE_MAX_PT) == thin:
            widths[round(e["top"])] = widths.get(round(e["top"]), 0.0) + e["x1"] - e["x0"]
    return sorted(top for top, width in widths.items() if width > 0.6 * (RIGHT - LEFT))


def _continued(page) -> str | None:
    """'Table N.M' when the running header says that table continues on this page."""
    words = " ".join(w["text"] for w in page.extract_words() if w["bottom"] < TOP)
    match = re.search(r"(Table [0-9A-Z]+\.\d+), continued", words)
    return match[1] if match else None


def page_faults(pdf_path: Path) -> list[str]:
    """Every layout fault of a PDF edition, one line each ('p7: ...')."""
    import pdfplumber

    faults = []
    with pdfplumber.open(pdf_path) as pdf:
        pages = list(pdf.pages)
        bodies = [_body(page) for page in pages]
        lines = [_lines(chars) for chars, _ in bodies]
        continued = [_continued(page) for page in pages]
        for i, page in enumerate(pages):
            n = i + 1
            chars, bottom = bodies[i]
            height = bottom - TOP
            shapes = [s for s in (*page.rects, *page.curves, *page.images)
                      if s["top"] >= TOP - TOLERANCE and s["bottom"] <= bottom + TOLERANCE]
            tops = [c["top"] for c in chars] + [s["top"] for s in shapes]
            ends = [c["bottom"] for c in chars] + [s["bottom"] for s in shapes]
            fill = (max(ends) - min(tops)) / height if tops else 0.0
            last = i == len(pages) - 1
            opens_next = not last and any(size >= CHAPTER_HEADING_PT
                                          for _, _, size in lines[i + 1][:1])
            if fill < MIN_FILL and not (last or opens_next):
                faults.append(f"p{n}: content fills {fill:.0%} of the page and does not end "
                              "a chapter")
            # Overflow: anything beside the text area (the margins hold only running text).
            for thing in (*chars, *shapes):
                if thing["x0"] < LEFT - TOLERANCE or thing["x1"] > RIGHT + TOLERANCE:
                    what = thing.get("text") or thing.get("object_type", "drawing")
                    faults.append(f"p{n}: {what!r} at x {thing['x0']:.0f}-{thing['x1']:.0f} pt "
                                  "lies outside the text area")
                    break
            if lines[i] and CAPTION.match(lines[i][-1][1]) and \
                    lines[i][-1][1].startswith("Table"):
                faults.append(f"p{n}: caption {lines[i][-1][1][:40]!r} ends the page, its "
                              "table is on the next")
            if lines[i] and lines[i][0][1].startswith("Figure") and CAPTION.match(lines[i][0][1]):
                faults.append(f"p{n}: caption {lines[i][0][1][:40]!r} opens the page, its "
                              "figure is on the one before")
            rules = _rules(page, thin=True)
            goes_on = not last and continued[i + 1] is not None
            if continued[i] and _rows_before_next_header(page, rules) == 1:
                faults.append(f"p{n}: one row of {continued[i]} stands alone at the top")
            if goes_on and _rows_after_last_header(page, rules) == 1:
                faults.append(f"p{n}: one row of {continued[i + 1]} stands alone at the "
                              "bottom, the rest is on the next page")
    return faults


def _rows_before_next_header(page, rules: list[float]) -> int:
    """Body rows of the table continued at the top: rules after its repeated header and before
    the next table's header."""
    headers = _rules(page, thin=False)
    if not headers:
        return 0
    end = headers[1] if len(headers) > 1 else page.height
    return sum(1 for r in rules if headers[0] < r < end)


def _rows_after_last_header(page, rules: list[float]) -> int:
    headers = _rules(page, thin=False)
    return sum(1 for r in rules if r > headers[-1]) if headers else 0


def tick_faults(html_path: Path) -> list[str]:
    """A tick label repeated on one axis of a chart in the HTML edition."""
    html = html_path.read_text(encoding="utf-8")
    faults = []
    for svg in re.findall(r'<svg class="chart".*?</svg>', html, flags=re.S):
        fig_id = re.search(r'aria-labelledby="([^"]+)--title"', svg)[1]
        for axis in ("xtick", "ytick"):
            labels = axis_labels(svg, axis)
            repeated = sorted({x for x in labels if labels.count(x) > 1})
            if repeated:
                faults.append(f"{fig_id}: {axis} labels repeat {repeated} ({labels})")
    return faults


def test_the_look_finds_a_sparse_page_an_overflow_and_a_stranded_caption(tmp_path):
    """The checks on a small hand-made PDF with the report's margins: they can fail."""
    from weasyprint import HTML

    html = ("<style>@page { size: A4; margin: 24mm 20mm 22mm 20mm } p { margin: 0 }</style>"
            "<p>One short line.</p><p style='break-before: page'>A second page.</p>"
            "<p style='width: 230mm'>" + "wide " * 60 + "</p>"
            "<p style='break-before: page; font-size: 16pt'>3 A chapter</p>"
            + "<p>filler</p>" * 46 + "<p>Table 3.1 Caption left alone</p>"
            "<p style='break-before: page'>Figure 3.1 Caption that lost its figure.</p>")
    pdf = tmp_path / "look.pdf"
    HTML(string=html).write_pdf(pdf)
    faults = page_faults(pdf)
    assert any(f.startswith("p1: content fills") for f in faults), faults
    assert any(f.startswith("p2: ") and "outside the text area" in f for f in faults), faults
    assert not any(f.startswith("p2: content fills") for f in faults), faults  # ends chapter
    assert any(f.startswith("p3: caption 'Table 3.1") for f in faults), faults
    assert any(f.startswith("p4: caption 'Figure 3.1") for f in faults), faults


@pytest.fixture(scope="module")
def editions(assessed_home) -> list[Path]:
    """Both editions of the sample's 2026-Q3, built by the quarterly flow."""
    pdfs, _ = assessment_run(assessed_home)
    return pdfs


@pytest.mark.slow
def test_every_page_of_both_editions_is_laid_out_cleanly(editions):
    assert len(editions) == 2, editions
    faults = {pdf.name: page_faults(pdf) for pdf in editions}
    assert not any(faults.values()), faults


@pytest.mark.slow
def test_no_chart_repeats_a_tick_label(editions):
    faults = {}
    for pdf in editions:
        html = pdf.with_name(re.sub(r"(-v\d+)?(-draft)?\.pdf$", ".html", pdf.name))
        assert html.exists(), html
        faults[html.name] = tick_faults(html)
    assert not any(faults.values()), faults

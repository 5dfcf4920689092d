"""What a reviewer who read every page of both editions of the sample found, read back from
what the quarterly flow wrote: no table breaks a word across lines."""

from __future__ import annotations

import json

import pdfplumber
import pytest

from rendering import pdf as rendering_pdf
from tests.test_layout import BOTTOM_MARGIN, LEFT, RIGHT, TOLERANCE, TOP

pytestmark = pytest.mark.slow  # reads the shared assessment of the sample (a flow run)

EDITIONS = ("coalition", "public")


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

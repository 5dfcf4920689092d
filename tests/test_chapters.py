"""The report's chapters as modules: the outline, one section shape with its "nothing to
show" sentence, fixed texts read from data files, and templates without logic."""

from __future__ import annotations

import pkgutil
import re
from datetime import UTC, datetime

import pandas as pd
import pytest

from checks.disclosure import load_rules
from efc.settings import REPO_ROOT
from rendering import chapters, texts
from rendering.chapters import ANNEXES, CHAPTERS, key_judgements, modules
from rendering.context import build_context
from rendering.pdf import TEMPLATES_DIR
from transforms.assessment import AssessmentData
from transforms.periods import shift_quarter

QUARTER = "2026-Q3"
QUARTERS = [shift_quarter(QUARTER, -i) for i in range(11, -1, -1)]
SHAPE = {"id", "title", "summary", "tables", "figures", "notes", "missing"}
TWO_HOTLINES = ("hl-north", "hl-west")  # fewer than any edition's threshold


def reference(name: str) -> pd.DataFrame:
    return pd.read_csv(REPO_ROOT / "reference" / name, dtype=str, keep_default_na=False)


def two_hotlines() -> AssessmentData:
    """Two hotlines report confirmed URLs (also by hosting country) and new hidden services
    for twelve quarters: every cell has too few members for any edition to print it."""
    rows = []
    for t, quarter in enumerate(QUARTERS):
        for size, member in zip((5000, 800), TWO_HOTLINES, strict=True):
            for indicator, dimension, category, value in (
                    ("HL_URLS_CONFIRMED", "", "", size + 10 * t),
                    ("HL_URLS_CONFIRMED", "hosting_country", "NL", size * 0.6),
                    ("HL_URLS_CONFIRMED", "hosting_country", "US", size * 0.4 + 10 * t),
                    ("HL_HIDDEN_SERVICES_NEW", "", "", 3 + t)):
                rows.append({"member_id": member, "sector": "hotline", "quarter": quarter,
                             "indicator": indicator, "dimension": dimension,
                             "category": category, "is_additive": True, "value": float(value),
                             "months_reported": 3, "is_quarterly_report": False,
                             "has_series_break": False, "has_estimate": False,
                             "values_not_available": 0, "is_complete": True})
    coverage = pd.DataFrame([
        {"quarter": q, "member_id": m, "sector": "hotline", "indicator": i,
         "frequency": "month", "is_submitted": True, "is_complete": True}
        for q in QUARTERS for m in TWO_HOTLINES
        for i in ("HL_URLS_CONFIRMED", "HL_HIDDEN_SERVICES_NEW")])
    indicators = reference("indicators.csv")
    indicators = pd.DataFrame({
        "indicator": indicators["indicator"], "name": indicators["name"],
        "sectors": indicators["sectors"].str.split("|"), "unit": indicators["unit"],
        "is_additive": indicators["additive"] == "true",
        "description": indicators["description"]}).sort_values("indicator")
    return AssessmentData(
        quarter=QUARTER, as_of=datetime(2026, 10, 20, tzinfo=UTC),
        member_values=pd.DataFrame(rows), totals=pd.DataFrame(), coverage=coverage,
        members=reference("members.csv"), indicators=indicators,
        series_breaks=pd.DataFrame(columns=["indicator", "member_id", "period", "note"]),
        submissions_used=pd.DataFrame(columns=["submission_id", "sha256", "member_id"]))


@pytest.fixture(scope="module", params=["coalition", "public"])
def hidden_report(request) -> dict:
    context, _, _ = build_context(two_hotlines(), load_rules(request.param),
                                  cut_off="2026-10-20 00:00 UTC", code_version="test",
                                  catalogue_version="test")
    return context


# -- the outline ---------------------------------------------------------------------------


def test_the_outline_lists_every_chapter_module_once_and_each_can_build():
    found = {m.name for m in pkgutil.iter_modules(chapters.__path__)} - {
        "core", "key_judgements", "summary"}
    outline = CHAPTERS + ANNEXES
    assert len(outline) == len(set(outline)), "a chapter is listed twice"
    assert found == set(outline), ("chapter modules and the outline differ: "
                                   f"{sorted(found ^ set(outline))}")
    assert all(callable(module.build) for module in modules(outline))
    assert ANNEXES[-1] == "disclosure"  # it counts every other table's cells


def test_the_report_follows_the_outline(hidden_report):
    assert [c["id"] for c in hidden_report["chapters"]] == list(CHAPTERS)
    member_detail = hidden_report["edition"] == load_rules("coalition").label
    assert [a["id"] for a in hidden_report["annexes"]] == [
        a for a in ANNEXES if member_detail or a != "member_coverage"]


# -- nothing to show -----------------------------------------------------------------------


def test_every_section_has_one_shape_and_says_why_when_it_shows_nothing(hidden_report):
    for section in hidden_report["chapters"] + hidden_report["annexes"]:
        assert set(section) == SHAPE, section["id"]
        if not section["tables"] and not section["figures"]:
            assert section["missing"], f"{section['id']} shows nothing and says not why"


def test_a_chapter_disclosure_control_empties_says_so_for_each_of_its_parts(hidden_report):
    darknet = next(c for c in hidden_report["chapters"] if c["id"] == "darknet")
    assert not darknet["tables"] and not darknet["figures"]
    assert "Every figure on new hidden services is suppressed" in darknet["missing"]
    assert "No hotline member reported onion services" in darknet["missing"]
    assert "No payment provider member reported crypto-asset alert hits" in darknet["missing"]
    hosting = next(c for c in hidden_report["chapters"] if c["id"] == "hosting")
    assert [t["id"] for t in hosting["tables"]] == ["hosting_concentration"]
    assert any(note.startswith("Every figure on hosting countries is suppressed")
               for note in hosting["notes"])
    assert hidden_report["key_findings"] == [key_judgements.NOTHING_STATED]
    assert not any(tile["published"] for tile in hidden_report["kpis"])
    # the one reported headline total is hidden, and shown as the range its table shows
    tiles = {tile["label"]: tile["value"] for tile in hidden_report["kpis"]}
    confirmed = tiles.pop("URLs confirmed (hotlines)")
    hotlines = next(c for c in hidden_report["chapters"] if c["id"] == "hotlines")
    volumes = next(t for t in hotlines["tables"] if t["id"] == "hotline_volumes")
    assert "\u2013" in confirmed and [confirmed] == [
        row[1] for row in volumes["rows"] if row[0].startswith("URLs confirmed")]
    assert set(tiles.values()) == {"c"}


# -- fixed texts ---------------------------------------------------------------------------


def test_fixed_texts_come_from_the_data_files_beside_the_templates(hidden_report):
    annexes = {a["id"]: a for a in hidden_report["annexes"]}
    assert annexes["glossary"]["tables"][0]["rows"] == [list(r) for r in texts.glossary()]
    assert annexes["tlp"]["tables"][0]["rows"] == [list(r) for r in texts.tlp_key()]
    assert hidden_report["caveats"] == list(texts.caveats())
    yardstick = annexes["yardstick"]["tables"][0]["rows"]
    assert yardstick[0] == ["remote chance", "0% to 5%"]
    assert [row[0] for row in yardstick] == [term for term, _, _ in texts.yardstick()]
    assert all(path.suffix == ".toml" for path in texts.TEXTS_DIR.iterdir())


def test_the_yardstick_says_how_a_probability_between_its_ranges_reads(hidden_report):
    """A forecast at 52% reads 'a realistic possibility' (40% to 50% in the table): the note
    says why, in the terms probability_term gives."""
    note = {a["id"]: a for a in hidden_report["annexes"]}["yardstick"]["tables"][0]["notes"]
    assert "52% is a realistic possibility, 78% likely" in note[0]


def test_a_malformed_texts_file_names_the_file_and_entry(tmp_path, monkeypatch):
    (tmp_path / "glossary.toml").write_text('[[term]]\nterm = "HHI"\n', encoding="utf-8")
    (tmp_path / "tlp.toml").write_text('[[label]\nlabel = "TLP:RED"\n', encoding="utf-8")
    monkeypatch.setattr(texts, "TEXTS_DIR", tmp_path)
    texts._load.cache_clear()
    try:
        with pytest.raises(texts.TextsError, match=r"glossary\.toml: \[\[term\]\] number 1 "
                                                   r"needs term \(str\), meaning \(str\)"):
            texts.glossary()
        with pytest.raises(texts.TextsError, match=r"tlp\.toml: not valid TOML"):
            texts.tlp_key()
        with pytest.raises(texts.TextsError, match=r"caveats\.toml: cannot be read"):
            texts.caveats()
    finally:
        texts._load.cache_clear()


# -- templates -----------------------------------------------------------------------------


def test_templates_only_loop_branch_and_include():
    """No logic in the templates: loops, ifs and includes; any other tag (set, macro, call,
    filter blocks) means a decision was made where no test reads it."""
    allowed = {"for", "endfor", "if", "elif", "else", "endif", "include", "with", "endwith"}
    templates = sorted(TEMPLATES_DIR.glob("*.j2"))
    assert templates
    for template in templates:
        source = template.read_text(encoding="utf-8")
        tags = set(re.findall(r"{%-?\s*(\w+)", source))
        assert tags <= allowed, f"{template.name} uses {sorted(tags - allowed)}"
        filters = re.findall(r"{{[^}]*\|\s*(\w+)", source)
        assert not filters, f"{template.name} filters values in the template: {filters}"


def test_a_change_of_hidden_totals_prints_c_not_n_a():
    """n/a is for nothing to compare; a change the gate hides is suppressed, and says so."""
    from rendering.chapters.core import Edition

    edition = Edition(two_hotlines(), load_rules("coalition"))
    hidden = edition.change("HL_URLS_CONFIRMED", shift_quarter(edition.quarter, -4), "t")
    assert hidden["text"] == "c"
    unreported = edition.change("LE_ARRESTS", shift_quarter(edition.quarter, -4), "t")
    assert unreported["text"] == "n/a"

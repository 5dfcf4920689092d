"""A cell with a single contributor, planted in the sample's latest quarter, reaches neither
edition: not the PDF text, not any attachment."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from tests.conftest import SAMPLE, efc_home
from transforms.observations import canonical_observations
from transforms.parsing import parse_file

PLANTED = 173  # searched for as a whole number, not as part of another
PLANTED_COUNTRY = "TV"  # hosted nowhere else in the sample
WHOLE = re.compile(rf"(?<![\w,.]){PLANTED}(?![\w,.]|\s?%)")  # not inside hashes or ids


def planted_correction(path: Path) -> str:
    """hl-central's August file again, PLANTED URLs moved from its largest hosting country to a
    country no other member reports."""
    parsed = parse_file(path.name, path.read_bytes(), max_rows=100_000)
    frame, _ = canonical_observations(parsed.rows)
    frame = frame[frame["indicator"] == "HL_URLS_CONFIRMED"]
    hosting = frame[frame["dimension"] == "hosting_country"]
    largest = hosting["value"].idxmax()
    assert frame.at[largest, "value"] > PLANTED
    frame.loc[largest, "value"] -= PLANTED
    planted = frame.loc[[largest]].assign(category=PLANTED_COUNTRY, value=float(PLANTED))
    out = pd.concat([frame, planted])[["member_id", "period", "indicator", "dimension",
                                       "category", "value", "status"]]
    out["value"] = out["value"].astype("int64")
    return out.to_csv(index=False)


pytestmark = pytest.mark.slow  # a nightly and a quarterly flow run


@pytest.fixture(scope="module")
def planted_run(sample_copy, prefect_harness):
    from flows.nightly_aggregation import nightly_aggregation
    from flows.quarterly_assessment import quarterly_assessment

    home = sample_copy("planted")
    inbox = home.parent / "inbox"
    original = next((SAMPLE / "hl-central").glob("*2026-08*"))  # hosts more than PLANTED
    (inbox / "hl-central").mkdir(parents=True)
    (inbox / "hl-central" / "correction-2026-08.csv").write_text(planted_correction(original))
    with efc_home(home):
        summary = nightly_aggregation(inbox=str(inbox), run_label="planted")
        pdfs = quarterly_assessment(quarter="2026-Q3")
    assert summary["files_by_state"] == {"accepted": 1}, summary
    return home, [Path(p) for p in pdfs]


def test_both_editions_are_built_and_only_the_coalition_one_names_members(planted_run):
    _, pdfs = planted_run
    assert [p.name for p in pdfs] == ["assessment-2026-Q3-coalition.pdf",
                                      "assessment-2026-Q3-public.pdf"]
    members = pd.read_csv(SAMPLE.parent.parent / "reference" / "members.csv")["member_id"]
    coalition, public = ("\n".join(page.extract_text() for page in PdfReader(p).pages)
                         for p in pdfs)
    assert "Member coverage detail" in coalition and "hl-north" in coalition
    assert not [m for m in members if m in public]


def test_single_contributor_cell_appears_in_no_edition_and_no_attachment(planted_run):
    home, pdfs = planted_run
    import duckdb

    with duckdb.connect(str(home / "warehouse.snapshot.duckdb"), read_only=True) as con:
        stored = con.execute("""select sum(value) from observations where valid_to is null
            and category = ? and quarter = '2026-Q3'""", [PLANTED_COUNTRY]).fetchone()[0]
    assert stored == PLANTED  # planted, and only one member has it
    for pdf in pdfs:
        reader = PdfReader(pdf)
        text = "\n".join(page.extract_text() for page in reader.pages)
        assert not WHOLE.search(text), (pdf.name, WHOLE.search(text))
        assert f"\n{PLANTED_COUNTRY} " not in text, pdf.name  # not ranked in the hosting table
        for name, bodies in reader.attachments.items():
            if name == "manifest.json":  # ids, hashes and cell counts; no figure
                continue
            for body in bodies:
                assert not WHOLE.search(body.decode("utf-8", "replace")), (pdf.name, name)


def test_public_edition_hides_everything_the_coalition_edition_hid(planted_run):
    import json

    _, pdfs = planted_run
    manifests = [json.loads(PdfReader(p).attachments["manifest.json"][0]) for p in pdfs]
    coalition, public = (m["disclosure"]["pattern"] for m in manifests)
    for table, cells in coalition.items():
        assert {tuple(c) for c in cells} <= {tuple(c) for c in public.get(table, [])}, table


def test_a_reissue_hides_at_least_what_the_earlier_issue_hid(planted_run, monkeypatch):
    """Record, in the earlier issue's manifest, that 2026-Q3's confirmed URLs were hidden; the
    re-issue must hide them too, or the two issues could be differenced."""
    import json

    from flows.quarterly_assessment import quarterly_assessment

    home, pdfs = planted_run
    manifest_path = pdfs[0].with_name("assessment-2026-Q3-coalition.manifest.json")
    manifest = json.loads(manifest_path.read_text())
    def text(pdf: Path) -> str:  # the KPI tiles' page moves as the summary grows
        return "\n".join(page.extract_text() for page in PdfReader(pdf).pages)

    before = text(pdfs[0])
    assert re.search(r"URLs confirmed \(hotlines\)\s*[\d,]+ URLs", before)
    manifest["disclosure"]["pattern"].setdefault("HL_URLS_CONFIRMED by quarter", []).append(
        ["2026-Q3"])
    manifest_path.write_text(json.dumps(manifest))
    monkeypatch.setenv("EFC_HOME", str(home))
    reissued = [Path(p) for p in quarterly_assessment(quarter="2026-Q3")]
    after = text(reissued[0])
    assert re.search(r"URLs confirmed \(hotlines\)\s*c URLs", after)
    assert not re.search(r"URLs confirmed \(hotlines\)\s*[\d,]+ URLs", after)
    audit = home / "private" / "2026-Q3" / "assessment-2026-Q3-coalition.disclosure-audit.csv"
    assert audit.stat().st_mode & 0o077 == 0 and audit.parent.stat().st_mode & 0o077 == 0
    published = [p.name for p in (home / "reports").rglob("*")]
    assert not [name for name in published if "audit" in name], published

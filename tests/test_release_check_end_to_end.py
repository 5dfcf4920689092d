"""The release check on real editions of the sample: both pass as built, and a suppressed
value typed by hand into the outlook (a path that bypasses the disclosure gate) blocks the
edition that hides it, while the other edition is still written."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from checks.release_check import EditionsBlocked, significant_digits
from rendering.formatting import fmt_count
from tests.conftest import assessment_run, efc_home

pytestmark = pytest.mark.slow  # quarterly flow runs on a copy of the assessed sample
QUARTER = "2026-Q3"


@pytest.fixture(scope="module")
def assessed(assessed_copy) -> tuple[Path, list[Path]]:
    """A copy of the shared assessed sample (the last test assesses again) and its PDFs."""
    home = assessed_copy("release")
    pdfs, _ = assessment_run(home)
    return home, pdfs


def audit(home: Path, edition: str) -> pd.DataFrame:
    path = home / "private" / QUARTER / f"assessment-{QUARTER}-{edition}.disclosure-audit.csv"
    return pd.read_csv(path, dtype={"quarter": str})


def test_both_editions_pass_and_the_check_is_recorded_privately(assessed):
    home, pdfs = assessed
    assert [p.name for p in pdfs] == [f"assessment-{QUARTER}-coalition.pdf",
                                      f"assessment-{QUARTER}-public.pdf"]
    for edition in ("coalition", "public"):
        report = json.loads(next((home / "private" / QUARTER / "versions").glob(
            f"{edition}-v1/*.release-check.json")).read_text())
        assert report["blocked"] is False and len(report["artefacts"]) >= 4
    assert not list((home / "reports").rglob("*release-check*"))


def test_the_public_manifest_names_no_member_and_no_file(assessed):
    home, pdfs = assessed
    members = pd.read_csv(Path(__file__).parents[1] / "reference" / "members.csv")["member_id"]
    manifest = PdfReader(pdfs[1]).attachments["manifest.json"][0].decode()
    assert not [m for m in members if m in manifest]
    assert "sha256" not in json.loads(manifest).get("inputs", {})
    public = json.loads(manifest)
    coalition = json.loads(PdfReader(pdfs[0]).attachments["manifest.json"][0])
    for kept in (public["information_kept"], coalition["information_kept"]):
        assert 0 < kept["share_of_cells_published"] <= 1 and kept["headline"] == 6
    assert (coalition["information_kept"]["share_of_cells_published"]
            >= public["information_kept"]["share_of_cells_published"])
    files = coalition["inputs"]["submissions"]
    assert files and all(set(f) == {"submission_id", "member_id", "file_hmac"} for f in files)


def test_a_suppressed_value_typed_into_the_outlook_blocks_that_edition_only(assessed,
                                                                           prefect_harness):
    from flows.quarterly_assessment import quarterly_assessment

    home, _ = assessed
    hidden = audit(home, "public")
    shown = set(audit(home, "coalition")["value"])  # hidden in public, published in coalition?
    candidates = hidden[(hidden["value"].map(significant_digits) >= 3)
                        & ~hidden["value"].isin(shown)]
    assert not candidates.empty, "the public edition hides no value of 3+ digits"
    cell = candidates.iloc[0]
    narrative = home / "narratives" / f"{QUARTER}.md"
    narrative.parent.mkdir(exist_ok=True)
    narrative.write_text(f'+++\nquarter = "{QUARTER}"\n+++\n\n## Outlook\nWe expect about '
                         f"{fmt_count(cell['value'])} again next quarter.\n", encoding="utf-8")
    with efc_home(home), pytest.raises(EditionsBlocked) as stopped:
        quarterly_assessment(quarter=QUARTER)
    assert [b.report.edition for b in stopped.value.blocked] == ["public"]
    assert stopped.value.written == [str(home / "reports" / QUARTER /
                                         f"assessment-{QUARTER}-coalition.pdf")]
    message = str(stopped.value)
    assert cell["table"] in message and fmt_count(cell["value"]) not in message
    # the public edition was not written: its latest version is still the first
    versions = sorted(p.name for p in (home / "reports" / QUARTER / "versions").iterdir())
    assert "public-v2" not in versions

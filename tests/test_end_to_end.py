"""Both flows on the bundled sample, in a fresh workspace; the PDF read back and checked against
figures computed straight from the raw sample files with plain pandas (not our parser)."""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pdfplumber
import pytest
from pypdf import PdfReader

from tests.conftest import SAMPLE, assessment_run

QUARTER = "2026-Q3"
MONTHS = ["2026-07", "2026-08", "2026-09"]
LABELS = {"hotline": "Hotlines", "payment": "Payment providers",  # coverage matrix sectors
          "law_enforcement": "Law enforcement", "industry": "Industry", "ngo": "NGOs"}
HOTLINE_TABLE = {  # row label in the PDF's hotline volumes table -> indicator
    "Reports received": "HL_REPORTS_RECEIVED",
    "Reports assessed": "HL_REPORTS_ASSESSED",
    "URLs confirmed as child sexual abuse material": "HL_URLS_CONFIRMED",
    "Commercial URLs": "HL_URLS_COMMERCIAL",
}


def read_raw(path: Path) -> pd.DataFrame:
    """A sample file as text columns, read by plain means (independent of transforms.parsing)."""
    data = path.read_bytes()
    if path.suffix == ".json":
        doc = json.loads(data.decode("utf-8-sig"))
        top = {k: doc.get(k) for k in ("member_id", "period")}
        return pd.DataFrame([{**top, **o} for o in doc["observations"]]).astype(str)
    if path.suffix == ".xlsx":
        sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, header=None, dtype=str)
        sheet = sheets.get("data", next(iter(sheets.values())))
        header_at = sheet.index[sheet.iloc[:, 0].astype(str).str.strip() == "member_id"][0]
        frame = sheet.iloc[header_at + 1:].copy()
        frame.columns = [str(c).strip() for c in sheet.iloc[header_at]]
        return frame.dropna(how="all").fillna("").astype(str)
    if data.startswith(b"\xef\xbb\xbf"):
        text = data[3:].decode("utf-8")
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1252")
    first = text.splitlines()[0]
    sep = ";" if ";" in first else "\t" if "\t" in first else ","
    frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                        quoting=csv.QUOTE_MINIMAL)
    frame.columns = [c.strip() for c in frame.columns]
    if sep == ";":  # the sample's semicolon files write decimal commas
        frame["value"] = frame["value"].str.replace(".", "", regex=False).str.replace(
            ",", ".", regex=False)
    return frame


def raw_quarter_totals(indicators: set[str]) -> dict[str, float]:
    """Hotline totals for the quarter from the raw files the pipeline should have accepted."""
    outcomes = pd.read_csv(SAMPLE / "expected_outcomes.csv", dtype=str, keep_default_na=False)
    not_counted = set(outcomes.loc[outcomes["expected_state"] != "accepted", "file"])
    frames = []
    for path in sorted(SAMPLE.glob("hl-*/*")):
        if path.name in not_counted:
            continue
        frames.append(read_raw(path).assign(file=path.name))
    rows = pd.concat(frames, ignore_index=True)
    rows = rows[rows["indicator"].isin(indicators) & rows["period"].isin(MONTHS)
                & (rows["dimension"].fillna("") == "")].copy()
    rows["value"] = pd.to_numeric(rows["value"].str.replace(",", "", regex=False))
    # a later file for the same member, period and indicator replaces the earlier one
    rows = rows.sort_values("file").drop_duplicates(["member_id", "period", "indicator"],
                                                    keep="last")
    complete = rows.groupby(["member_id", "indicator"])["period"].transform("nunique") == 3
    return rows[complete].groupby("indicator")["value"].sum().to_dict()


pytestmark = pytest.mark.slow  # every test here reads the flows' run on the sample


@pytest.fixture(scope="module")
def sample_run(assessed_copy):
    """A copy of the shared assessed sample (the nightly, then the quarterly flow on the
    bundled sample): one test here holds its warehouse and assesses again."""
    home = assessed_copy("end-to-end")
    summary = json.loads((home / "nightly_summary.json").read_text())
    pdfs, _ = assessment_run(home)
    return home, summary, pdfs


def test_every_faulty_sample_file_is_rejected_for_its_rule(sample_run):
    home, summary, _ = sample_run
    outcomes = pd.read_csv(SAMPLE / "expected_outcomes.csv", dtype=str, keep_default_na=False)
    receipts = {}
    for path in (home / "receipts").glob("*/*.json"):
        receipt = json.loads(path.read_text())
        receipts[(receipt["member_id"], receipt["file"])] = receipt
    for row in outcomes.itertuples():
        receipt = receipts[(row.member_id, row.file)]
        assert receipt["state"] == row.expected_state, row
        if row.expected_rule:
            assert row.expected_rule in {p["rule"] for p in receipt["problems"]}, receipt
    assert summary["files_by_state"]["rejected"] == (outcomes["expected_state"] == "rejected").sum()


def test_pdf_hotline_table_equals_raw_files(sample_run):
    _, _, pdfs = sample_run
    expected = raw_quarter_totals(set(HOTLINE_TABLE.values()))
    with pdfplumber.open(pdfs[0]) as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
    assert f"Hotline volumes, {QUARTER}" in text
    for label, indicator in HOTLINE_TABLE.items():
        match = re.search(rf"^{re.escape(label)} ([\d,]+) (\d+) ", text, re.MULTILINE)
        assert match, f"no row {label!r} in the PDF"
        assert float(match[1].replace(",", "")) == expected[indicator], label


def test_pdf_has_tlp_on_every_page_and_attachments(sample_run):
    _, _, pdfs = sample_run
    reader = PdfReader(pdfs[0])
    assert len(reader.pages) >= 8
    for page in reader.pages:
        assert "TLP:AMBER" in page.extract_text()
    attachments = reader.attachments
    assert "manifest.json" in attachments
    manifest = json.loads(attachments["manifest.json"][0])
    outcomes = pd.read_csv(SAMPLE / "expected_outcomes.csv", dtype=str, keep_default_na=False)
    files = len([p for p in SAMPLE.glob("*/*") if p.is_file()])
    used = files - (outcomes["expected_state"] != "accepted").sum()  # not rejected or superseded
    assert manifest["quarter"] == QUARTER and len(manifest["inputs"]["submissions"]) == used
    assert (sample_run[0] / "data_docs" / "index.html").exists()
    assert "hotline_volumes.csv" in attachments


def test_assessment_reads_the_snapshot_while_an_ingest_holds_the_warehouse(sample_run,
                                                                          monkeypatch):
    """DuckDB refuses even read-only opens of a file being written; assess uses the snapshot."""
    import os
    import subprocess
    import sys

    from efc.settings import Settings
    from transforms.warehouse import writer

    home, _, pdfs = sample_run
    monkeypatch.setenv("EFC_HOME", str(home))
    monkeypatch.setenv("EFC_LOCK_TIMEOUT_S", "1")
    env = dict(os.environ)
    with writer(Settings.from_env()):  # as an ingest would
        result = subprocess.run([sys.executable, "-m", "efc.cli", "assess", "--quarter", QUARTER],
                                env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert [Path(line) for line in result.stdout.split()] == pdfs


def test_data_quality_annex_equals_the_warehouse(sample_run):
    import duckdb

    home, _, pdfs = sample_run
    with duckdb.connect(str(home / "warehouse.snapshot.duckdb"), read_only=True) as con:
        states = dict(con.execute("select state, count(*) from submissions group by state"
                                  ).fetchall())
    # pypdf keeps the DRAFT watermark's letters out of the table rows
    text = "\n".join(page.extract_text() for page in PdfReader(pdfs[0]).pages)
    annex = text[text.index("Files received up to the cut-off"):]
    for state, files in states.items():
        assert re.search(rf"^{state.replace('_', ' ')} {files:,}$", annex, re.MULTILINE), state
    outcomes = pd.read_csv(SAMPLE / "expected_outcomes.csv", dtype=str, keep_default_na=False)
    for rule in outcomes["expected_rule"][outcomes["expected_rule"] != ""]:
        assert re.search(rf"^error {rule} 1$", annex, re.MULTILINE), rule


OUTLINE = ["Summary for the steering group", "1 Key judgements",
           "2 Scope, sources and methodology",
           "3 Scale of reported material (hotlines)", "4 Commercial distribution",
           "5 Hosting and infrastructure", "6 Payment methods and financial flows",
           "7 Darknet", "8 Live-streaming and emerging threats", "9 Response and disruption",
           "10 Outlook and intelligence gaps", "11 What changed since the last assessment",
           "12 Recommendations", "Annex A Indicator catalogue",
           "Annex B Every indicator this quarter", "Annex C Data quality",
           "Annex D Probability yardstick and confidence",
           "Annex E Forecast method and backtests", "Annex F Traffic Light Protocol",
           "Annex G Glossary"]


def test_both_editions_follow_the_outline_and_say_why_a_chapter_is_empty(sample_run):
    _, _, pdfs = sample_run
    coalition, public = (PdfReader(p) for p in pdfs)
    for reader, tail in ((coalition, ["Annex H Member coverage detail",
                                      "Annex I Disclosure control"]),
                         (public, ["Annex H Disclosure control"])):
        titles = [item.title for item in reader.outline if not isinstance(item, list)]
        assert titles == ["Contents", *OUTLINE, *tail]
    # the public edition waives no dominance: hl-north's hidden services dominate every cell of
    # them, and the chapter says why they are missing
    # (a short chapter shares its page with the next, so the chapter is read from its heading
    # to the next chapter's)
    text = " ".join(p for p in (" ".join(page.extract_text().split()) for page in public.pages)
                    if "Contents" not in p)
    darknet = text[text.index("7 Darknet"):text.index("8 Live-streaming")]
    assert "Every figure on new hidden services is suppressed" in darknet


def test_coverage_matrix_equals_the_warehouse(sample_run):
    """Members expected per sector and month, and members with a corrected period, counted
    with SQL of their own over the snapshot; the attachment must agree."""
    import duckdb

    home, _, pdfs = sample_run
    matrix = pd.read_csv(io.BytesIO(PdfReader(pdfs[0]).attachments["coverage_matrix.csv"][0]))
    with duckdb.connect(str(home / "warehouse.snapshot.duckdb"), read_only=True) as con:
        expected = con.execute("""
            select m.sector, months.month, count(distinct p.member_id) as members
            from reporting_plan p join members m using (member_id)
            cross join (values ('2026-07'), ('2026-08'), ('2026-09')) months(month)
            where months.month >= case when p.from_period like '%Q%'  -- YYYY-Qn: its 1st month
                then substr(p.from_period, 1, 5) || lpad(cast(
                    cast(substr(p.from_period, 7, 1) as integer) * 3 - 2 as varchar), 2, '0')
                else p.from_period end
            group by all""").df()
        revised = con.execute("""
            select m.sector, months.month, count(distinct o.member_id) as members
            from (select member_id, period from observations where quarter = '2026-Q3'
                  group by all having count(distinct submission_id) > 1) o
            join members m using (member_id)
            join (values ('2026-07'), ('2026-08'), ('2026-09')) months(month)
              on o.period in (months.month, '2026-Q3')
            group by all""").df()
    labels = LABELS
    got = matrix.set_index(["Sector", "Month"])
    for row in expected.itertuples():
        assert got.at[(labels[row.sector], row.month), "Expected"] == row.members, row
    assert len(got) == len(expected)
    assert not revised.empty  # the sample carries a late correction
    revised_got = got.loc[got["Revised"] > 0, "Revised"].to_dict()
    assert revised_got == {(labels[r.sector], r.month): r.members for r in revised.itertuples()}


def test_coverage_matrix_lateness_follows_the_recorded_arrivals(sample_run):
    """Late members per sector and month, recomputed with plain pandas from arrivals.csv, the
    periods in the raw files and the reporting plan: a member is late in a month when a file
    covering it first arrived after its period's due date, or none had arrived by the cut-off
    (the last arrival). Most are on time; the attachment must agree."""
    reference = SAMPLE.parent.parent / "reference"
    plan = pd.read_csv(reference / "reporting_plan.csv", dtype=str)
    sectors = pd.read_csv(reference / "members.csv", dtype=str).set_index("member_id")["sector"]
    due_days = pd.Timedelta(days=int(pd.read_csv(reference / "reporting_deadline.csv")
                                     ["due_days"].iloc[0]))
    outcomes = pd.read_csv(SAMPLE / "expected_outcomes.csv", dtype=str, keep_default_na=False)
    rejected = {f"{r.member_id}/{r.file}" for r in outcomes.itertuples()
                if r.expected_state == "rejected"}
    arrivals = pd.read_csv(SAMPLE / "arrivals.csv")
    arrivals["received_at"] = pd.to_datetime(arrivals["received_at"], utc=True)
    first: dict[tuple[str, str], pd.Timestamp] = {}  # (member, month) -> first arrival
    recent = arrivals[(arrivals["received_at"] >= pd.Timestamp("2026-07-01", tz="UTC"))
                      & ~arrivals["path"].isin(rejected)]
    for row in recent.itertuples():
        member = row.path.split("/")[0]
        for period in set(read_raw(SAMPLE / row.path)["period"]):
            for month in (MONTHS if period == QUARTER else [period]):
                if month in MONTHS:
                    first[(member, month)] = min(first.get((member, month), row.received_at),
                                                 row.received_at)
    frequency = plan.groupby("member_id")["frequency"].first()
    starts = plan.groupby("member_id")["from_period"].min()
    late = {}
    for member, since in starts.items():
        for month in MONTHS:
            if month < (since if "Q" not in since else f"{since[:4]}-{int(since[-1]) * 3 - 2:02d}"):
                continue
            period_end = (pd.Period(QUARTER, freq="Q") if frequency[member] == "quarter"
                          else pd.Period(month, freq="M")).end_time.normalize()
            arrived = first.get((member, month))
            key = (LABELS[sectors[member]], month)
            late.setdefault(key, 0)
            if arrived is None or arrived.normalize().tz_localize(None) > period_end + due_days:
                late[key] += 1
    matrix = pd.read_csv(io.BytesIO(PdfReader(sample_run[2][0]).attachments[
        "coverage_matrix.csv"][0])).set_index(["Sector", "Month"])
    assert matrix["Late"].to_dict() == late
    assert 0 < sum(late.values()) < matrix["Expected"].sum() / 4  # some late, most on time


class _Tables(HTMLParser):
    """The cells of every <table> inside a `tbl-<name>` block of the HTML edition."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._name = self._row = self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div" and (attrs.get("id") or "").startswith("tbl-"):
            self._name = attrs["id"][4:]
            self.tables[self._name] = []
        elif tag == "tr" and self._name:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._name].append(self._row)
            self._row = None
        elif tag == "table":
            self._name = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def test_attached_tables_equal_the_printed_tables(sample_run):
    _, _, pdfs = sample_run
    for pdf in pdfs:
        parser = _Tables()
        parser.feed(pdf.with_suffix(".html").read_text(encoding="utf-8"))
        attachments = {name[:-4]: body[0] for name, body in PdfReader(pdf).attachments.items()
                       if name.endswith(".csv")}
        assert set(attachments) == set(parser.tables) | {"key_indicators"}, pdf.name
        for name, printed in parser.tables.items():
            rows = list(csv.reader(io.StringIO(attachments[name].decode("utf-8"))))
            assert rows == printed, (pdf.name, name)  # header and cells, "c" where hidden

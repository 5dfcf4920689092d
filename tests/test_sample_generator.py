"""The sample generator: byte-stable, readable with plain tools, consistent, faults planted."""

from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from sample_generator import generate_sample
from sample_generator.generator import REFERENCE_DIR, iban, main
from transforms.parsing import COLUMNS
from transforms.periods import last_complete_quarter, month_period, parse_period

pytestmark = pytest.mark.slow  # each test generates the whole sample, or reads one
OBSERVATION_COLUMNS = list(COLUMNS)


def reference(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE_DIR / name, dtype=str, keep_default_na=False)


def to_number(text: str, decimal_comma: bool) -> float:
    """Plain reading of the two conventions the sample uses; the loader's own parser is stricter."""
    text = text.strip()
    if decimal_comma:
        return float(text.replace(".", "").replace(",", "."))
    return float(text.replace(",", ""))


def read_csv_file(path: Path, numeric: bool = True) -> pd.DataFrame:
    raw = path.read_bytes()
    if raw.startswith(b"\xff\xfe"):
        text = raw.decode("utf-16")
    elif raw.startswith(b"\xef\xbb\xbf"):
        text = raw.decode("utf-8-sig")
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1252")
    header = text.splitlines()[0]
    sep = "\t" if "\t" in header else ";" if ";" in header else ","
    frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    if numeric:
        frame["value"] = [None if v == "" else to_number(v, sep == ";") for v in frame["value"]]
    return frame


def read_xlsx_file(path: Path, numeric: bool = True) -> pd.DataFrame:
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    sheet = workbook["data"] if "data" in workbook.sheetnames else workbook.worksheets[0]
    rows = [r for r in sheet.iter_rows(values_only=True) if any(v is not None for v in r)]
    start = next(i for i, r in enumerate(rows) if "member_id" in r)
    header = list(rows[start])
    # Excel leaves trailing empty cells out, so short rows are padded to the header.
    body = [list(r) + [None] * (len(header) - len(r)) for r in rows[start + 1 :]]
    frame = pd.DataFrame(body, columns=header)
    workbook.close()
    return frame


def read_json_file(path: Path, numeric: bool = True) -> pd.DataFrame:
    document = json.loads(path.read_text(encoding="utf-8"))
    frame = pd.DataFrame(document["observations"])
    frame["member_id"] = document["member_id"]
    if "period" in document:
        frame["period"] = document["period"]
    return frame


def read_any(path: Path, numeric: bool = True) -> pd.DataFrame:
    """One file as observation rows with every contract column present (missing ones empty)."""
    reader = {".csv": read_csv_file, ".xlsx": read_xlsx_file, ".json": read_json_file}[path.suffix]
    frame = reader(path, numeric)
    for column in OBSERVATION_COLUMNS:
        if column not in frame.columns:
            frame[column] = ""
    frame = frame[OBSERVATION_COLUMNS].copy()
    for column in ["dimension", "category", "unit", "status", "note"]:
        frame[column] = frame[column].fillna("").astype(str)
    if numeric:
        frame["value"] = pd.to_numeric(frame["value"])
    frame["file"] = path.name
    return frame


def member_files(inbox: Path) -> list[Path]:
    return sorted(p for p in inbox.rglob("*") if p.is_file() and p.parent != inbox)


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("inbox")
    generate_sample(out)
    return out


@pytest.fixture(scope="module")
def outcomes(inbox: Path) -> pd.DataFrame:
    return pd.read_csv(inbox / "expected_outcomes.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def observations(inbox: Path, outcomes: pd.DataFrame) -> pd.DataFrame:
    """Every row of every file that should load, the superseded original left out."""
    skip = set(outcomes.loc[outcomes["expected_state"] != "accepted", "file"])
    return pd.concat(
        [read_any(p) for p in member_files(inbox) if p.name not in skip], ignore_index=True
    )


def test_same_seed_gives_identical_bytes(tmp_path: Path, inbox: Path) -> None:
    generate_sample(tmp_path / "again")
    assert digest(tmp_path / "again") == digest(inbox)


def test_another_seed_gives_other_values(tmp_path: Path, inbox: Path) -> None:
    generate_sample(tmp_path / "other", seed=1)
    name = "hl-north/hotline-stats-2026-09.csv"
    assert (tmp_path / "other" / name).read_bytes() != (inbox / name).read_bytes()


def test_committed_sample_is_current(inbox: Path) -> None:
    committed = Path(__file__).resolve().parent.parent / "data" / "sample"
    if not (committed / "expected_outcomes.csv").exists():
        pytest.skip("data/sample not generated")
    assert digest(committed) == digest(inbox), (
        "re-run: python -m sample_generator --out data/sample"
    )


def test_every_file_parses_with_plain_tools(inbox: Path) -> None:
    formats = set()
    for path in member_files(inbox):
        frame = read_any(path, numeric=False)
        assert len(frame) > 0, path
        assert (frame["member_id"] == path.parent.name).all(), path
        formats.add(path.suffix)
    assert formats == {".csv", ".xlsx", ".json"}


def test_dialects_are_varied(inbox: Path) -> None:
    starts = {p.read_bytes()[:3] for p in inbox.rglob("*.csv")}
    assert b"\xef\xbb\xbf" in starts and any(s.startswith(b"\xff\xfe") for s in starts)
    assert b";" in (inbox / "pay-wallet" / "EFC_202609.csv").read_bytes().splitlines()[0]
    assert b"\t" in (inbox / "pay-remit" / "remit_2026-09.csv").read_bytes().splitlines()[0]
    assert b"\r\n" in (inbox / "hl-west" / "2026-09_stats.csv").read_bytes()
    assert re.search(
        rb";\d{1,3}(\.\d{3})*,\d\d;", (inbox / "pay-wallet" / "EFC_202609.csv").read_bytes()
    )


def test_codes_come_from_the_reference(observations: pd.DataFrame) -> None:
    import pycountry

    indicators = reference("indicators.csv")
    allowed = reference("indicator_dimensions.csv")
    dimensions = reference("dimensions.csv").set_index("dimension")["code_list"]
    code_lists = reference("code_lists.csv")
    countries = {c.alpha_2 for c in pycountry.countries} | {"ZZ", "XO"}
    plan = reference("reporting_plan.csv")
    assert set(observations["indicator"]) <= set(indicators["indicator"])
    planned = set(zip(plan["member_id"], plan["indicator"], strict=True))
    assert set(zip(observations["member_id"], observations["indicator"], strict=True)) <= planned
    breakdowns = observations.loc[observations["dimension"] != ""]
    pairs = set(zip(breakdowns["indicator"], breakdowns["dimension"], strict=True))
    assert pairs <= set(zip(allowed["indicator"], allowed["dimension"], strict=True))
    for dimension, rows in breakdowns.groupby("dimension"):
        code_list = dimensions[dimension]
        codes = (
            countries
            if code_list == "country"
            else set(code_lists.loc[code_lists["code_list"] == code_list, "code"])
        )
        assert set(rows["category"]) <= codes, dimension
    units = indicators.set_index("indicator")["unit"]
    written = observations.loc[observations["unit"] != ""]
    assert (written["unit"] == written["indicator"].map(units)).all()


def test_one_row_per_key_and_one_frequency(observations: pd.DataFrame) -> None:
    key = ["member_id", "period", "indicator", "dimension", "category"]
    assert not observations.duplicated(key).any()
    plan = reference("reporting_plan.csv").set_index(["member_id", "indicator"])["frequency"]
    quarterly = observations["period"].str.contains("Q")
    expected = pd.Series(
        list(zip(observations["member_id"], observations["indicator"], strict=True))
    ).map(plan)
    assert ((expected == "quarter").to_numpy() == quarterly.to_numpy()).all()


def test_exhaustive_breakdowns_sum_to_totals(observations: pd.DataFrame) -> None:
    exhaustive = reference("indicator_dimensions.csv")
    exhaustive = set(
        exhaustive.loc[exhaustive["exhaustive"] == "true", ["indicator", "dimension"]].itertuples(
            index=False, name=None
        )
    )
    key = ["member_id", "period", "indicator"]
    totals = observations.loc[observations["dimension"] == ""].set_index(key)["value"]
    parts = observations.loc[observations["dimension"] != ""]
    sums = parts.groupby([*key, "dimension"])["value"].agg(["sum", "max"]).reset_index()
    sums["total"] = sums.set_index(key).index.map(totals)
    additive = set(reference("indicators.csv").query("additive == 'true'")["indicator"])
    checked = 0
    for row in sums.itertuples(index=False):
        if (row.indicator, row.dimension) in exhaustive:
            assert row.sum == pytest.approx(row.total, abs=0.005), row
            checked += 1
        elif row.indicator in additive:
            assert row.max <= row.total, row
    assert checked > 1000
    counts = observations.loc[
        observations["unit"].isin(["count", ""]) & observations["value"].notna()
    ]
    assert (counts["value"] >= 0).all()


def test_faulty_files_hold_their_fault(inbox: Path, outcomes: pd.DataFrame) -> None:
    rejected = outcomes.loc[outcomes["expected_state"] == "rejected"].set_index("expected_rule")
    assert set(rejected.index) == {
        "identifying_email",
        "identifying_iban",
        "value_non_negative",
        "indicator_in_catalogue",
        "value_is_number",
    }

    def path(rule: str) -> Path:
        return inbox / rejected.loc[rule, "member_id"] / rejected.loc[rule, "file"]

    assert re.search(r"[\w.]+@[\w.]+\.\w+", read_any(path("identifying_email"))["note"].str.cat())
    categories = read_any(path("identifying_iban"))["category"]
    ibans = [c for c in categories if re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", c)]
    assert len(ibans) == 1 and iban(ibans[0][:2], ibans[0][4:]) == ibans[0]
    assert (read_any(path("value_non_negative"))["value"] < 0).any()
    catalogue = set(reference("indicators.csv")["indicator"])
    assert not set(read_any(path("indicator_in_catalogue"))["indicator"]) <= catalogue
    with pytest.raises(ValueError):
        read_any(path("value_is_number"))


def test_correction_sorts_after_its_original_and_changes_confirmed(
    inbox: Path, outcomes: pd.DataFrame
) -> None:
    original = outcomes.loc[outcomes["expected_state"] == "superseded"].iloc[0]
    corrected = outcomes.loc[outcomes["expected_state"] == "accepted"].iloc[0]
    assert original["member_id"] == corrected["member_id"]
    assert original["file"].encode() < corrected["file"].encode()
    before = read_any(inbox / original["member_id"] / original["file"])
    after = read_any(inbox / corrected["member_id"] / corrected["file"])
    changed = set(
        before.merge(after, on=["indicator", "dimension", "category"]).query("value_x != value_y")[
            "indicator"
        ]
    )
    assert changed == {"HL_URLS_CONFIRMED"}
    assert set(after["status"]) <= {"", "A"}


def quarterly(observations: pd.DataFrame, query: str, by: str = "category") -> pd.DataFrame:
    """Sums per quarter (columns) of the rows `query` selects, by `by` (rows)."""
    rows = observations.query(query)
    quarter = [parse_period(p).quarter for p in rows["period"]]
    return rows.assign(quarter=quarter).pivot_table(
        index=by, columns="quarter", values="value", aggfunc="sum", fill_value=0
    )


LAST, PREVIOUS, YEAR_BEFORE = "2026-Q3", "2026-Q2", "2025-Q3"


def test_series_breaks_are_planted_in_counts_and_flagged(observations: pd.DataFrame) -> None:
    totals = (
        observations.loc[observations["dimension"] == ""]
        .set_index(["member_id", "indicator", "period"])
        .sort_index()
    )
    catalogued = reference("series_breaks.csv")
    assert len(catalogued) >= 2
    for row in catalogued.itertuples():
        series = totals.loc[(row.member_id, row.indicator)]
        start = list(series.index).index(row.period)
        before = series["value"].iloc[start - 3 : start].mean()
        assert series["value"].iloc[start] > 1.25 * before, row
        assert series.loc[row.period, "status"] == "B", row
    flagged = set(
        totals.loc[totals["status"] == "B"].index.droplevel("period").map(tuple).tolist()
    )
    # one break is flagged by its member only (status B), not yet in the catalogue
    assert flagged - set(zip(catalogued["member_id"], catalogued["indicator"], strict=True))
    assert {"E", "P", "B", "L"} <= set(observations["status"])


def test_a_hosting_country_enters_the_top_ten_several_fold(observations: pd.DataFrame) -> None:
    hosting = quarterly(
        observations, "indicator == 'HL_URLS_CONFIRMED' and dimension == 'hosting_country'"
    )
    top_now = hosting[LAST].nlargest(10).index
    top_before = hosting[PREVIOUS].nlargest(10).index
    entrants = [c for c in top_now if c not in top_before]
    assert entrants
    assert any(hosting.at[c, LAST] > 5 * hosting.at[c, PREVIOUS] for c in entrants)


def test_cards_give_way_to_virtual_assets_in_counts(observations: pd.DataFrame) -> None:
    seen = quarterly(
        observations, "indicator == 'HL_PAYMENT_OPTIONS_SEEN' and dimension == 'payment_method'"
    )
    vc, card = seen.loc["virtual_currency"], seen.loc["card"]
    assert vc[LAST] > vc[PREVIOUS] and vc[LAST] > 1.3 * vc[YEAR_BEFORE]
    assert card[LAST] < card[YEAR_BEFORE] / 1.5
    alerts = quarterly(
        observations, "indicator == 'PAY_CRYPTO_ALERT_HITS' and dimension == ''", by="member_id"
    )
    assert (alerts[LAST] > 0).sum() >= 3
    total = alerts.sum()
    assert total[LAST] > total[PREVIOUS] and total[LAST] > 1.5 * total[YEAR_BEFORE]
    assert alerts.at["pay-vasp", LAST] > 1.3 * alerts.at["pay-vasp", YEAR_BEFORE]
    flagged = quarterly(
        observations, "indicator == 'PAY_FLAGGED_TXN_COUNT' and dimension == 'payment_method'"
    )
    assert flagged.at["virtual_currency", LAST] > 1.5 * flagged.at["virtual_currency", YEAR_BEFORE]
    assert flagged.at["card", LAST] < flagged.at["card", YEAR_BEFORE]


def test_live_streaming_shows_in_police_and_payment_data(observations: pd.DataFrame) -> None:
    cases = quarterly(
        observations,
        "indicator == 'LE_CASES_OPENED' and category == 'livestream_purchase'",
        by="member_id",
    )
    assert (cases[LAST] > 0).sum() >= 3
    assert cases[LAST].sum() > 1.5 * cases[YEAR_BEFORE].sum()
    remit = "member_id == 'pay-remit' and indicator == 'PAY_FLAGGED_TXN_COUNT'"
    small = quarterly(observations, f"{remit} and dimension == 'amount_band'").loc["lt10"]
    to_ph = quarterly(observations, f"{remit} and dimension == 'beneficiary_country'").loc["PH"]
    assert small[LAST] > 1.3 * small[YEAR_BEFORE] and to_ph[LAST] > 1.3 * to_ph[YEAR_BEFORE]


def test_members_join_and_one_stops(observations: pd.DataFrame) -> None:
    members = reference("members.csv")
    assert members["sector"].value_counts().to_dict() == {
        "hotline": 6, "payment": 6, "law_enforcement": 5, "industry": 4, "ngo": 2
    }
    first = observations.groupby("member_id")["period"].min()
    last = observations.groupby("member_id")["period"].max()
    assert first["hl-north"] == "2021-10" and first["hl-isles"] == "2025-01"
    stopped = [m for m, p in last.items() if p not in (LAST, "2026-09")]
    assert stopped == ["ind-search"]  # the plan still expects it: a gap the assessment shows
    assert "ind-search" in set(reference("reporting_plan.csv")["member_id"])


def test_every_catalogue_indicator_has_data(observations: pd.DataFrame) -> None:
    catalogue = set(reference("indicators.csv")["indicator"])
    assert catalogue == set(observations.loc[observations["value"] > 0, "indicator"])
    assert 40_000 < len(observations) < 100_000


@pytest.fixture(scope="module")
def arrivals(inbox: Path, observations: pd.DataFrame) -> pd.DataFrame:
    """arrivals.csv beside each loaded file's due date (the last period it holds, plus the
    reporting plan's due days)."""
    frame = pd.read_csv(inbox / "arrivals.csv", dtype=str, keep_default_na=False)
    frame["received_at"] = pd.to_datetime(frame["received_at"], utc=True)
    due_days = pd.Timedelta(days=int(reference("reporting_deadline.csv")["due_days"].iloc[0]))
    last_month = observations.groupby(["member_id", "file"])["period"].agg(
        lambda periods: max(parse_period(p).last_month for p in periods)
    )
    ends = {
        f"{member}/{file}": pd.Timestamp(month_period(month + 1).start, tz="UTC")
        for (member, file), month in last_month.items()
    }
    frame["due"] = frame["path"].map(ends) + due_days
    return frame


def test_every_file_arrives_once_after_its_period(inbox: Path, arrivals: pd.DataFrame) -> None:
    files = [p.relative_to(inbox).as_posix() for p in member_files(inbox)]
    assert sorted(arrivals["path"]) == sorted(files)
    loaded = arrivals.dropna(subset=["due"])
    assert (loaded["received_at"] < loaded["due"]).mean() > 0.85  # most on time
    late = loaded["received_at"] - loaded["due"]
    assert (late > pd.Timedelta(0)).sum() >= 10  # some late
    very_late = late[late > pd.Timedelta(days=45)]
    assert len(very_late) == 1  # one very late, the last file to arrive
    assert arrivals["received_at"].idxmax() == very_late.index[0]
    assert (late > -pd.Timedelta(days=30)).all()  # nothing before its period ended


def test_the_correction_arrives_after_the_quarter(
    arrivals: pd.DataFrame, outcomes: pd.DataFrame
) -> None:
    at = arrivals.set_index("path")
    for row in outcomes.query("expected_state != 'rejected'").itertuples():
        assert f"{row.member_id}/{row.file}" in at.index
    corrected = outcomes.query("expected_state == 'accepted'").iloc[0]
    late = at.loc[f"{corrected.member_id}/{corrected.file}"]
    assert late["received_at"] > late["due"]  # its period's due date (the original's too)
    assert late["received_at"] > pd.Timestamp("2026-10-31", tz="UTC")  # the quarter's due date
    # the demo's "today" is the last arrival: its latest complete quarter is the sample's last
    assert last_complete_quarter(arrivals["received_at"].max().date()) == "2026-Q3"


def test_scaled_run_clones_members(tmp_path: Path) -> None:
    out = tmp_path / "scaled"
    assert main(["--out", str(out), "--member-scale", "2", "--years", "4", "--no-faults"]) == 0
    members = pd.read_csv(out / "_reference_members.csv", dtype=str)
    plan = pd.read_csv(out / "_reference_reporting_plan.csv", dtype=str)
    assert len(members) == 2 * len(reference("members.csv"))
    assert "hl-north-2" in set(members["member_id"])
    assert set(plan["member_id"]) == set(members["member_id"])
    assert (out / "hl-north-2").is_dir() and not list((out / "pay-cardnet-2").glob("*.xlsx"))
    first = min(p.name for p in (out / "hl-north").iterdir())
    assert first == "hotline-stats-2022-10.csv"
    outcomes = pd.read_csv(out / "expected_outcomes.csv", dtype=str)
    assert set(outcomes["expected_state"]) == {"accepted", "superseded"}


def test_default_run_writes_no_scaled_reference(inbox: Path) -> None:
    assert not (inbox / "_reference_members.csv").exists()


def test_cross_indicator_rules_hold(observations: pd.DataFrame) -> None:
    totals = observations.loc[observations["dimension"] == ""].pivot_table(
        index=["member_id", "period"], columns="indicator", values="value"
    )
    pairs = [
        ("HL_REPORTS_ASSESSED", "HL_REPORTS_RECEIVED"),
        ("HL_URLS_CONFIRMED", "HL_REPORTS_ASSESSED"),
        ("HL_URLS_COMMERCIAL", "HL_URLS_CONFIRMED"),
        ("PAY_MERCHANTS_TERMINATED", "PAY_MERCHANT_REVIEWS"),
    ]
    for part, whole in pairs:
        both = totals[[part, whole]].dropna()
        assert len(both) > 0 and (both[part] <= both[whole]).all(), (part, whole)

"""`efc template`: the file a member fills in must pass the project's own parser and validation."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from datetime import date, datetime

import openpyxl
import pandas as pd
import pytest

from checks.screening import screen_cells, screen_frame
from checks.validation import validate_batch
from efc.settings import REPO_ROOT
from transforms.catalogue import load_catalogue, read_reference
from transforms.observations import canonical_observations, uppercase_country_codes
from transforms.parsing import COLUMNS, parse_file
from transforms.submission_template import (
    TemplateError,
    build_template,
    template_content,
    template_file_name,
)

REFERENCE = REPO_ROOT / "reference"
TODAY = date(2026, 11, 28)
HL_NORTH_PLAN = [
    "HL_REPORTS_RECEIVED", "HL_REPORTS_ASSESSED", "HL_URLS_CONFIRMED", "HL_URLS_COMMERCIAL",
    "HL_PAYMENT_OPTIONS_SEEN", "HL_URLS_PAYMENT_HIDDEN", "HL_DISGUISED_SITES",
    "HL_HIDDEN_SERVICES_NEW", "HL_UNIQUE_DOMAINS", "HL_NTD_NOTICES_SENT",
    "HL_TAKEDOWN_BY_BUCKET", "HL_MEDIAN_TAKEDOWN_DAYS", "HL_REFERRALS_TO_LE",
    "NGO_PARTICIPANTS_TRAINED",
]


@pytest.fixture(scope="module")
def hl_north_xlsx() -> bytes:
    return build_template(REFERENCE, "hl-north", "2026-07")


def workbook_of(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def judged(name: str, data: bytes, member: str) -> tuple[list, list]:
    """(file-level problems, validation problems) as `efc check` would find them."""
    catalogue = load_catalogue(REFERENCE)
    parsed = parse_file(name, data, max_rows=100_000)
    assert parsed.readable, parsed.problems
    screened = screen_frame(parsed.rows.drop(columns="source_row"),
                            parsed.rows["source_row"].tolist(), header_row=parsed.header_row)
    frame, value_problems = canonical_observations(parsed.rows)
    frame = uppercase_country_codes(frame, catalogue.code_list_of_dimension)
    problems = validate_batch(frame.assign(submission_key=0, folder_member=member), catalogue,
                              TODAY).problems
    return screened + value_problems, problems[0]


def list_values(workbook: openpyxl.Workbook, formula: str) -> list[str]:
    """The values of a list validation: inline `"a,b"` or a range on another sheet."""
    if formula.startswith('"'):
        return formula.strip('"').split(",")
    sheet_name, cells = formula.split("!")
    return [cell.value for (cell,) in workbook[sheet_name][cells.replace("$", "")]]


def validation_of(workbook: openpyxl.Workbook, column_letter: str):
    found = [v for v in workbook["data"].data_validations.dataValidation
             if str(v.sqref) == f"{column_letter}2:{column_letter}1000"]
    assert len(found) == 1, [str(v.sqref) for v in workbook["data"].data_validations.dataValidation]
    return found[0]


def test_workbook_layout(hl_north_xlsx):
    workbook = workbook_of(hl_north_xlsx)
    assert workbook.sheetnames[0] == "data"
    assert workbook["instructions"].sheet_state == "visible"
    assert workbook["codes"].sheet_state == "hidden"
    data = workbook["data"]
    assert [c.value for c in data[1]] == list(COLUMNS)
    assert data.freeze_panes == "A2"
    rows = list(data.iter_rows(min_row=2, values_only=True))
    assert [r[2] for r in rows] == HL_NORTH_PLAN
    assert {(r[0], r[1]) for r in rows} == {("hl-north", "2026-07")}
    assert all(r[3] is None and r[4] is None and r[5] is None and r[7] is None for r in rows)
    assert dict(zip((r[2] for r in rows), (r[6] for r in rows), strict=True))[
        "HL_MEDIAN_TAKEDOWN_DAYS"] == "days"


def test_dropdowns_hold_the_members_lists(hl_north_xlsx):
    workbook = workbook_of(hl_north_xlsx)
    indicator = validation_of(workbook, "C")
    assert indicator.type == "list"
    assert list_values(workbook, indicator.formula1) == HL_NORTH_PLAN
    status = validation_of(workbook, "H")
    assert list_values(workbook, status.formula1) == ["A", "E", "P", "B", "U", "M", "L"]
    assert list_values(workbook, validation_of(workbook, "G").formula1) == [
        "count", "EUR", "days", "hours", "percent"]
    dimensions = list_values(workbook, validation_of(workbook, "D").formula1)
    assert {"hosting_country", "takedown_bucket", "audience"} <= set(dimensions)
    assert "payment_method" in dimensions and "merchant_country" not in dimensions
    categories = list_values(workbook, validation_of(workbook, "E").formula1)
    assert {"NL", "ZZ", "XO", "same_day", "parents"} <= set(categories)
    assert len(categories) == len(set(categories))
    value = validation_of(workbook, "F")
    assert (value.type, value.operator, value.formula1) == ("decimal", "greaterThanOrEqual", "0")
    note = validation_of(workbook, "I")
    assert (note.type, note.operator, note.formula1) == ("textLength", "lessThanOrEqual", "280")


def test_instructions_name_the_check_and_the_indicators(hl_north_xlsx):
    sheet = workbook_of(hl_north_xlsx)["instructions"]
    text = "\n".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c)
    assert "efc check FILE --member hl-north" in text
    assert "IBAN" in text and "wallet" in text
    assert "Median days to removal" in text
    assert "hosting_country" in text and "takedown_bucket" in text


def test_filled_template_passes_validation(hl_north_xlsx, tmp_path):
    workbook = workbook_of(hl_north_xlsx)
    data = workbook["data"]
    for row in data.iter_rows(min_row=2):
        row[5].value = 2.5 if row[2].value == "HL_MEDIAN_TAKEDOWN_DAYS" else 120
        if row[2].value == "HL_UNIQUE_DOMAINS":
            row[5].value, row[7].value = None, "L"
    # A breakdown added by hand under the totals, as the instructions describe.
    data.append(["hl-north", "2026-07", "HL_URLS_CONFIRMED", "hosting_country", "NL", 100,
                 None, None, None])
    data.append(["hl-north", "2026-07", "HL_URLS_CONFIRMED", "hosting_country", "ZZ", 20,
                 None, None, "Hosting country unknown for 20 URLs."])
    path = tmp_path / template_file_name("hl-north", "2026-07", "xlsx")
    workbook.save(path)
    file_problems, problems = judged(path.name, path.read_bytes(), "hl-north")
    assert file_problems == []
    assert problems == []


def test_unfilled_template_is_rejected_for_every_row(hl_north_xlsx):
    file_problems, problems = judged("hl-north_2026-07.xlsx", hl_north_xlsx, "hl-north")
    assert file_problems == []
    assert {p.rule for p in problems} == {"value_present"}
    assert sorted(p.row for p in problems) == list(range(2, 2 + len(HL_NORTH_PLAN)))


def test_csv_template_parses_and_filled_passes():
    data = build_template(REFERENCE, "le-alpha", "2026-Q3", "csv")
    assert b"\r" not in data
    lines = data.decode("utf-8").split("\n")
    assert lines[0] == ",".join(COLUMNS)
    assert lines[1] == "le-alpha,2026-Q3,LE_REFERRALS_RECEIVED,,,,count,,"
    _, problems = judged("le-alpha_2026-Q3.csv", data, "le-alpha")
    assert {p.rule for p in problems} == {"value_present"}
    filled = "\n".join(line.replace(",,,,", ",,,7,", 1) for line in lines[1:] if line)
    _, problems = judged("filled.csv", (lines[0] + "\n" + filled + "\n").encode(), "le-alpha")
    assert problems == []


def test_quarter_of_a_monthly_reporter_lists_its_three_months():
    content = template_content(read_reference(REFERENCE), "pay-remit", "2026-Q3")
    periods = [period for _, period, _, _ in content.rows]
    assert sorted(set(periods)) == ["2026-07", "2026-08", "2026-09"]
    assert len(content.rows) == 3 * 5
    assert periods == sorted(periods)


def test_indicators_not_yet_in_the_plan_are_left_out():
    tables = read_reference(REFERENCE)
    before = template_content(tables, "pay-wallet", "2023-12").indicator_codes
    after = template_content(tables, "pay-wallet", "2024-01").indicator_codes
    assert set(after) - set(before) == {"PAY_CRYPTO_ALERT_HITS"}
    with pytest.raises(TemplateError, match="starts in 2024-07"):
        template_content(tables, "hl-east", "2024-01")


def test_a_member_without_a_plan_gets_every_indicator_of_its_sector():
    tables = read_reference(REFERENCE)
    tables["reporting_plan"] = tables["reporting_plan"].loc[
        tables["reporting_plan"]["member_id"] != "ind-isp"]
    codes = template_content(tables, "ind-isp", "2026-07").indicator_codes
    sector = tables["indicators"].loc[
        tables["indicators"]["sectors"].map(lambda s: "industry" in s), "indicator"]
    assert codes == sector.tolist()


@pytest.mark.parametrize(("member", "period", "file_format", "says"), [
    ("hl-nort", "2026-07", "xlsx", "did you mean hl-north"),
    ("le-alpha", "2026-07", "xlsx", "2026-Q3"),
    ("hl-north", "2026-7", "xlsx", "2026-07"),
    ("hl-north", "2026-07", "pdf", "xlsx or csv"),
])
def test_what_cannot_be_made_says_why(member, period, file_format, says):
    with pytest.raises(TemplateError, match=says):
        build_template(REFERENCE, member, period, file_format)


@pytest.mark.slow
def test_same_inputs_give_identical_bytes(hl_north_xlsx):
    assert build_template(REFERENCE, "hl-north", "2026-07") == hl_north_xlsx
    # No clock leaks in: every part and the document properties carry the period's start.
    parts = zipfile.ZipFile(io.BytesIO(hl_north_xlsx)).infolist()
    assert {part.date_time for part in parts} == {(2026, 7, 1, 0, 0, 0)}
    properties = workbook_of(hl_north_xlsx).properties
    assert properties.created == properties.modified == datetime(2026, 7, 1)
    # Another process, another hash seed: nothing may depend on set order or the clock.
    code = ("import sys; from pathlib import Path; from transforms.submission_template import "
            "build_template; sys.stdout.buffer.write(build_template(Path(sys.argv[1]), "
            "'hl-north', '2026-07'))")
    other = subprocess.run([sys.executable, "-c", code, str(REFERENCE)], check=True,
                           capture_output=True, cwd=REPO_ROOT,
                           env={**os.environ, "PYTHONHASHSEED": "12345"}).stdout
    assert other == hl_north_xlsx


def test_file_name_is_plain_and_never_looks_identifying():
    name = template_file_name("pay-cardnet", "2026-Q3", "csv")
    assert name == "pay-cardnet_2026-Q3.csv"
    assert screen_cells([(0, "file name", name)]) == []
    assert screen_cells([(0, "file name", template_file_name("hl-north", "2026-07",
                                                              "xlsx"))]) == []


def test_every_member_gets_a_template_for_a_period_it_reports():
    tables = read_reference(REFERENCE)
    plan = tables["reporting_plan"]
    for member_id in tables["members"]["member_id"]:
        frequencies = set(plan.loc[plan["member_id"] == member_id, "frequency"])
        period = "2026-Q2" if frequencies == {"quarter"} else "2026-05"
        content = template_content(tables, member_id, period)
        assert content.rows, member_id
        assert isinstance(content.indicators, pd.DataFrame)

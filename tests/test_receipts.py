"""Receipts: a thousand identical problems become the first few plus a count."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from checks.problems import Problem
from transforms.receipts import build_receipt, condense, render_text


def test_condense_keeps_the_first_few_of_each_rule_and_counts_the_rest():
    problems = [Problem("error", "value_non_negative", "negative", "fix it", row=i + 2,
                        column="value", value="-1") for i in range(1000)]
    problems.append(Problem("warning", "value_estimated", "estimated", "send final", row=3))
    condensed = condense(problems)
    negative = [p for p in condensed if p["rule"] == "value_non_negative"]
    assert [p["row"] for p in negative[:5]] == [2, 3, 4, 5, 6]
    assert negative[5]["repeated"] == 995 and "995 more rows" in negative[5]["message"]
    assert condensed[-1]["rule"] == "value_estimated"  # errors first, then warnings


def test_receipt_has_the_contract_fields_and_reads_as_text():
    receipt = build_receipt(file="x.csv", sha256="ab" * 32, member_id="hl-north",
                            received_at=datetime(2026, 8, 3, 2, 0, 12, tzinfo=UTC),
                            state="rejected", problems=condense([Problem(
                                "error", "value_non_negative", "The value -3 is negative.",
                                "Correct the figure.", row=14, column="value", value="-3")]))
    assert {"file", "sha256", "member_id", "received_at", "state", "problems"} <= set(receipt)
    assert receipt["received_at"] == "2026-08-03T02:00:12Z"
    text = render_text(receipt)
    assert "REJECTED" in text and "row 14, column value" in text and "How to fix" in text


def test_receipt_text_counts_every_problem_not_the_condensed_lines():
    problems = condense([Problem("error", "value_non_negative", "negative", "fix", row=i + 2)
                         for i in range(40)])
    receipt = build_receipt(file="x.csv", sha256="ab" * 32, member_id="hl-north",
                            received_at=datetime(2026, 8, 3, tzinfo=UTC), state="rejected",
                            problems=problems)
    assert "Problems (40 errors, 0 warnings)" in render_text(receipt)


def _checked(path, member: str, capsys) -> dict:
    from efc.cli import main

    assert main(["check", str(path), "--member", member, "--json"]) == 1
    return json.loads(capsys.readouterr().out)


def test_a_receipt_says_what_its_row_numbers_count(workspace, tmp_path, capsys):
    """Members asked whether the header is row 1: each format's receipt says what it counts."""
    csv_file = tmp_path / "stats.csv"
    csv_file.write_text("member_id,period,indicator,value\n"
                        "hl-north,2026-07,HL_REPORTS_RECEIVED,10\n"
                        "hl-north,2026-07,HL_URLS_CONFIRMED,-3\n", encoding="utf-8")
    receipt = _checked(csv_file, "hl-north", capsys)
    negative = [p for p in receipt["problems"] if p["rule"] == "value_non_negative"]
    assert [p["row"] for p in negative] == [3]  # the header is line 1
    assert "header row is row 1" in receipt["row_numbers"]
    assert f"(Rows are {receipt['row_numbers']}.)" in render_text(receipt)

    json_file = tmp_path / "stats.json"
    json_file.write_text(json.dumps({"member_id": "hl-north", "period": "2026-07",
                                     "observations": [
                                         {"indicator": "HL_REPORTS_RECEIVED", "value": 10},
                                         {"indicator": "HL_URLS_CONFIRMED", "value": -3}]}))
    receipt = _checked(json_file, "hl-north", capsys)
    assert [p["row"] for p in receipt["problems"] if p["rule"] == "value_non_negative"] == [2]
    assert "observations" in receipt["row_numbers"]

    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "data"
    sheet.append(["Hotline statistics, July 2026"])  # a title row, then a blank one
    sheet.append([])
    sheet.append(["member_id", "period", "indicator", "value"])
    sheet.append(["hl-north", "2026-07", "HL_URLS_CONFIRMED", -3])
    workbook.save(xlsx_file := tmp_path / "stats.xlsx")
    receipt = _checked(xlsx_file, "hl-north", capsys)
    assert [p["row"] for p in receipt["problems"] if p["rule"] == "value_non_negative"] == [4]
    assert "title rows above it count" in receipt["row_numbers"]


def test_a_receipt_without_row_problems_names_no_row_numbering():
    receipt = build_receipt(file="x.csv", sha256="ab" * 32, member_id="hl-north",
                            received_at=datetime(2026, 8, 3, tzinfo=UTC), state="accepted",
                            problems=[], file_format="csv")
    assert "row_numbers" not in receipt and "Rows are" not in render_text(receipt)

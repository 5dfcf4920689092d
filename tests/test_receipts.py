"""Receipts: a thousand identical problems become the first few plus a count."""

from __future__ import annotations

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

"""Every rule in each suite file has a case whose bad row it fails. The tests are parametrised
over the rules in checks/suites/*.json, so a rule added without a case fails here."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from checks.validation import SUITES_DIR, validate_batch
from tests.test_validation import CASES, GOOD, TODAY, frame_of, replace
from tests.test_warehouse_checks import (  # noqa: F401 (fixtures: the warehouse of the cases)
    CROSS_CASES,
    IMPLAUSIBLE,
    validation,
    warehouse,
)


def suite_rules(name: str) -> list[str]:
    definition = json.loads((SUITES_DIR / f"{name}.json").read_text())
    return [expectation["meta"]["rule"] for expectation in definition["expectations"]]


# rule -> (rows of one submission, the file's row number the rule must fail on). The one-row
# changes are test_validation's cases; duplicates and mixed frequencies need an added row.
QUARTERLY = ("hl-north", "2026-Q3", "HL_UNIQUE_DOMAINS", "", "", "5", "", "", "")
SUBMISSION_CASES = {rule: (replace(row, **changes), row + 2) for row, changes, rule in CASES}
SUBMISSION_CASES["observation_unique"] = (GOOD + [GOOD[3]], 2 + len(GOOD))
SUBMISSION_CASES["one_frequency_per_indicator"] = (GOOD + [QUARTERLY], 2 + len(GOOD))
SUBMISSION_CASES.setdefault("value_plausible", (replace(3, value="4000"), 5))  # 3,650 days most

# rule -> the (member, period, indicator) keys the warehouse suite must flag.
WAREHOUSE_CASES = {rule: {(member, f"{year}-01", indicator)}
                   for year, (rule, member, indicator, _, _) in enumerate(CROSS_CASES, start=2015)}
WAREHOUSE_CASES["value_plausible_against_history"] = IMPLAUSIBLE


@pytest.fixture(scope="module")
def submission_problems(catalogue):
    """Every case as its own submission of one batch, judged by Great Expectations."""
    cases = sorted(SUBMISSION_CASES)
    frames = [frame_of(SUBMISSION_CASES[rule][0], key=key) for key, rule in enumerate(cases)]
    problems = validate_batch(pd.concat(frames, ignore_index=True), catalogue, TODAY).problems
    return {rule: [(p.rule, p.row) for p in problems[key]] for key, rule in enumerate(cases)}


@pytest.mark.parametrize("rule", suite_rules("submission"))
def test_each_submission_rule_fails_its_bad_row(rule, submission_problems):
    assert rule in SUBMISSION_CASES, f"add a failing-row case for {rule} to this file"
    _, row = SUBMISSION_CASES[rule]
    assert (rule, row) in submission_problems[rule], submission_problems[rule]


@pytest.mark.parametrize("rule", suite_rules("warehouse"))
def test_each_warehouse_rule_flags_its_bad_figure(rule, validation):  # noqa: F811
    """On test_warehouse_checks' warehouse of cases, run by Great Expectations."""
    assert rule in WAREHOUSE_CASES, f"add a failing case for {rule} to this file"
    rows = validation.flagged.loc[validation.flagged["rule"] == rule]
    flagged = set(zip(rows["member_id"], rows["period"], rows["indicator"], strict=True))
    assert WAREHOUSE_CASES[rule] <= flagged, flagged


def test_every_case_is_for_a_rule_the_suites_have():
    assert set(SUBMISSION_CASES) <= set(suite_rules("submission"))
    assert set(WAREHOUSE_CASES) <= set(suite_rules("warehouse"))

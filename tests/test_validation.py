"""The submission suite under Great Expectations: a failing and a passing row for each rule."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from checks.validation import SUITES_DIR, group_ids, validate_batch
from efc.settings import REPO_ROOT
from transforms.catalogue import load_catalogue
from transforms.observations import canonical_observations, uppercase_country_codes

TODAY = date(2026, 11, 28)
GOOD = [
    ("hl-north", "2026-07", "HL_URLS_CONFIRMED", "", "", "100", "count", "", ""),
    ("hl-north", "2026-07", "HL_URLS_CONFIRMED", "hosting_country", "NL", "60", "", "", ""),
    ("hl-north", "2026-07", "HL_URLS_CONFIRMED", "hosting_country", "ZZ", "40", "", "", ""),
    ("hl-north", "2026-07", "HL_MEDIAN_TAKEDOWN_DAYS", "", "", "2.5", "days", "", ""),
    ("hl-north", "2026-07", "HL_UNIQUE_DOMAINS", "", "", "", "", "L", ""),
]
COLUMNS = ["member_id", "period", "indicator", "dimension", "category", "value", "unit",
           "status", "note"]


def frame_of(rows, folder="hl-north", key=0) -> pd.DataFrame:
    raw = pd.DataFrame(rows, columns=COLUMNS, dtype="str").assign(
        source_row=range(2, len(rows) + 2))
    frame, problems = canonical_observations(raw)
    assert not problems
    frame = uppercase_country_codes(frame, catalogue_codes())
    return frame.assign(submission_key=key, folder_member=folder)


def catalogue_codes() -> dict[str, str]:
    return load_catalogue(REPO_ROOT / "reference").code_list_of_dimension


def rules_failing(rows, catalogue, folder="hl-north", **kwargs) -> list[tuple[str, int | None]]:
    problems = validate_batch(frame_of(rows, folder), catalogue, TODAY, **kwargs).problems
    return [(p.rule, p.row) for p in problems[0]]


def test_good_rows_pass(catalogue):
    assert rules_failing(GOOD, catalogue) == []


def replace(row_index: int, **changes) -> list[tuple]:
    rows = [list(r) for r in GOOD]
    for column, value in changes.items():
        rows[row_index][COLUMNS.index(column)] = value
    return [tuple(r) for r in rows]


CASES = [
    (0, {"member_id": "hl-nowhere"}, "member_registered"),
    (0, {"member_id": "hl-west"}, "member_matches_inbox"),
    (3, {"period": "2026-13"}, "period_format"),
    (3, {"period": "2027-01"}, "period_not_future"),
    (3, {"indicator": "HL_NOT_A_THING"}, "indicator_in_catalogue"),
    (3, {"indicator": "PAY_MEDIAN_TXN_EUR", "unit": ""}, "indicator_allowed_for_sector"),
    (3, {"dimension": "payment_method", "category": "card"}, "dimension_allowed"),
    (1, {"category": "NOWHERE"}, "category_in_code_list"),
    (3, {"unit": "hours"}, "unit_matches_catalogue"),
    (3, {"status": "X"}, "status_code"),
    (3, {"value": ""}, "value_present"),
    (3, {"value": "-1"}, "value_non_negative"),
    (0, {"value": "100.5"}, "count_whole_number"),
    (1, {"value": "160"}, "category_within_total"),
    (1, {"value": "50"}, "categories_sum_to_total"),
    (4, {"note": "x" * 281}, "note_length"),
    (3, {"status": "E"}, "value_estimated"),
]


@pytest.fixture(scope="module")
def batch_outcome(catalogue):
    """All cases as one batch (one GX run), each case its own submission."""
    frames = [frame_of(replace(row, **changes), key=key)
              for key, (row, changes, _) in enumerate(CASES)]
    return validate_batch(pd.concat(frames, ignore_index=True), catalogue, TODAY).problems


@pytest.mark.parametrize("case", range(len(CASES)), ids=[rule for *_, rule in CASES])
def test_each_rule_fails_on_its_bad_row(batch_outcome, case):
    row, _, rule = CASES[case]
    failing = [(p.rule, p.row) for p in batch_outcome[case]]
    assert (rule, row + 2) in failing, failing


def test_problems_quote_the_members_cell_and_the_figure_judged(batch_outcome):
    """A problem shows the member's own cell; its message may add the derived figure judged."""
    shown = {(p.rule, p.value): p.message for found in batch_outcome.values() for p in found}
    assert shown["value_non_negative", "-1"] == "The value -1 is negative."
    assert shown["count_whole_number", "100.5"] == "A count must be a whole number; found 100.5."
    assert shown["dimension_allowed", "payment_method"].endswith(
        "(HL_MEDIAN_TAKEDOWN_DAYS|payment_method).")
    assert shown["category_within_total", "160"].endswith("(1.6 times the total).")
    assert shown["categories_sum_to_total", "50"].endswith("differ from it by -10).")


def test_duplicate_keys_and_mixed_frequency(catalogue):
    rows = GOOD + [GOOD[3]] + [("hl-north", "2026-Q3", "HL_UNIQUE_DOMAINS", "", "", "5", "",
                                "", "")]
    failing = {rule for rule, _ in rules_failing(rows, catalogue)}
    assert {"observation_unique", "one_frequency_per_indicator"} <= failing


def test_warning_severity_comes_from_the_suite(catalogue):
    validation = validate_batch(frame_of(replace(3, status="P")), catalogue, TODAY)
    problems, counts = validation.problems, validation.rule_counts
    assert {p.severity for p in problems[0]} == {"warning"}
    estimated = counts[counts["rule"] == "value_estimated"]
    assert estimated[["submission_key", "severity", "success", "unexpected_count"]].values.tolist(
        ) == [[0, "warning", False, 1]]


def test_the_suite_on_disk_is_the_one_that_runs(catalogue, tmp_path: Path):
    """Change a threshold in a copy of the suite file: the outcome changes with it."""
    suites = tmp_path / "suites"
    shutil.copytree(SUITES_DIR, suites)
    definition = json.loads((suites / "submission.json").read_text())
    for expectation in definition["expectations"]:
        if expectation["meta"]["rule"] == "note_length":
            expectation["kwargs"]["max_value"] = 5
    (suites / "submission.json").write_text(json.dumps(definition))
    rows = replace(4, note="a longer note")
    assert rules_failing(rows, catalogue) == []
    assert ("note_length", 6) in rules_failing(rows, catalogue, suites_dir=suites)


def test_failures_map_back_to_each_submission_of_a_batch(catalogue):
    batch = pd.concat([frame_of(GOOD, key=0), frame_of(replace(3, value="-1"), key=1)],
                      ignore_index=True)
    problems = validate_batch(batch, catalogue, TODAY).problems
    assert problems[0] == []
    assert [(p.rule, p.row) for p in problems[1]] == [("value_non_negative", 5)]


def test_offline_engine_gives_the_same_verdicts_as_great_expectations(catalogue):
    """`efc check` reads the suite without GX; both engines must agree on every case."""
    frames = [frame_of(replace(row, **changes), key=key)
              for key, (row, changes, _) in enumerate(CASES)]
    frames.append(frame_of(GOOD + [GOOD[3]] + [
        ("hl-north", "2026-Q3", "HL_UNIQUE_DOMAINS", "", "", "5", "", "", "")], key=len(CASES)))
    batch = pd.concat(frames, ignore_index=True)
    gx = validate_batch(batch, catalogue, TODAY)
    by_gx, counts_gx = gx.problems, gx.rule_counts
    offline = validate_batch(batch, catalogue, TODAY, engine="pandas")
    by_pandas, counts_pandas = offline.problems, offline.rule_counts
    assert by_pandas == by_gx
    pd.testing.assert_frame_equal(counts_pandas, counts_gx)
    assert counts_gx["submission_key"].nunique() == len(CASES) + 1
    assert not counts_gx["success"].all()


def test_group_ids_number_groups_as_pandas_groupby_does():
    """In order of first appearance, nulls a group of their own, whatever the columns' types;
    keys of many wide columns are renumbered before their product could overflow."""
    rng = np.random.default_rng(16)
    n = 5_000
    frame = pd.DataFrame({
        "code": pd.Categorical(rng.choice(["b", "a", None], n), categories=["a", "b", "c"]),
        "key": rng.integers(0, 40, n),
        "text": pd.Series(rng.choice(["x", "y", None], n), dtype="str"),
        "value": np.where(rng.random(n) < 0.1, np.nan, rng.integers(0, 3, n).astype(float)),
        **{f"wide{i}": rng.integers(0, 2_000_000, n) for i in range(6)},  # 5,000^6 > 2^62
    })
    for keys in (["code"], ["code", "key", "text", "value"],
                 ["key", *(f"wide{i}" for i in range(6)), "code"]):
        expected = frame.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
        assert np.array_equal(group_ids(frame, keys), expected), keys

"""Issue against re-issue after a late correction: a reader holding both issues of an edition
cannot pin a suppressed cell closer than its protection level.

hl-north re-sends its August file changing one cell the first issue hid (its payment options
of one method in 2026-Q3). The re-issue hides what the first issue hid (`forced`), and is
audited together with it (`earlier`): where the published total's move would pin the
corrected cell, the re-issue hides the total as well. The attacker here knows both issues'
published cells at their true values (rounding ignored: it only widens), both
issues' margins, that cells are non-negative, and which cells did not change: a hidden cell
the correction left alone is one variable across the issues, the corrected cell is two, its
old and new value, linked by nothing but the published totals. Written apart from
checks/disclosure.py: the table is rebuilt from the warehouse, the pattern read from each
issue's manifest, and the LPs are SciPy's (`attacker_across_issues`, in tests/test_disclosure.py).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from checks.disclosure import TOTAL
from checks.release_check import EditionsBlocked
from tests.conftest import SAMPLE, assessment_run, efc_home
from tests.test_disclosure import attacker_across_issues
from transforms.assessment import read_assessment_data

pytestmark = pytest.mark.slow  # 2 quarterly, 2 nightly flow runs on an assessed sample copy
QUARTER = "2026-Q3"
INDICATOR, DIMENSION = "HL_PAYMENT_OPTIONS_SEEN", "payment_method"
TABLE = f"{INDICATOR} by {DIMENSION}"
AUGUST = SAMPLE / "hl-north" / "hotline-stats-2026-08.csv"


def sent_values() -> dict[str, int]:
    """hl-north's August payment options by method, as first sent."""
    rows = pd.read_csv(AUGUST, dtype=str, keep_default_na=False)
    rows = rows[(rows["indicator"] == INDICATOR) & (rows["dimension"] == DIMENSION)]
    return {r.category: int(r.value) for r in rows.itertuples()}


def correction(category: str, value: int) -> str:
    """hl-north's August file again, whole (a re-sent file replaces the one before it), with
    one value corrected: its payment options of `category`, now `value`."""
    lines = AUGUST.read_text().splitlines()
    sent = f"hl-north,2026-08,{INDICATOR},{DIMENSION},{category},{sent_values()[category]},"
    [line] = [line for line in lines if line.startswith(sent)]
    corrected = line.replace(sent, f"{sent.rsplit(',', 2)[0]},{value},", 1)
    return "\n".join(corrected if x == line else x for x in lines) + "\n"


def assess() -> dict[str, str]:
    """Issue both editions; for each edition the release check blocked, why."""
    from flows.quarterly_assessment import quarterly_assessment

    try:
        quarterly_assessment(quarter=QUARTER)
    except EditionsBlocked as blocked:
        return {b.report.edition: str(b) for b in blocked.blocked}
    return {}


@pytest.fixture(scope="module")
def issues(assessed_copy, prefect_harness) -> tuple[Path, list[dict[str, str]], tuple, dict]:
    """Three issues of each edition: as sent (the shared assessed sample's, copied); after
    hl-north corrects one cell the first coalition issue hid in 2026-Q3 (the first such method
    it reports) by 1; after it corrects the same cell again, by three times the cell's total
    plus 8. Returns the workspace, what the release check blocked in each run, the cell's key
    and each re-issue's correction."""
    from flows.nightly_aggregation import nightly_aggregation

    home = assessed_copy("reissue")
    inbox = home.parent / "inbox" / "hl-north"
    inbox.mkdir(parents=True)
    blocked, raised = [assessment_run(home)[1]], {}

    def resend(name: str, category: str, value: int) -> None:
        for earlier in inbox.iterdir():
            earlier.unlink()
        (inbox / name).write_text(correction(category, value))
        summary = nightly_aggregation(inbox=str(inbox.parent), run_label=name[:-4])
        assert summary["files_by_state"] == {"accepted": 1}, summary
        blocked.append(assess())

    with efc_home(home):
        hidden = {tuple(k) for k in manifest(home, "coalition", 1)["disclosure"]["pattern"]
                  .get(TABLE, [])}
        category = min(c for c in sent_values() if (c, QUARTER) in hidden)
        small = sent_values()[category] + 1
        resend("correction-2026-08.csv", category, small)
        total = true_cells(home, manifest(home, "coalition", 2)["as_of"])[(category, QUARTER)]
        raised = {2: 1, 3: int(3 * total + 8)}
        resend("second-correction-2026-08.csv", category, small + raised[3])
    return home, blocked, (category, QUARTER), raised


def manifest(home: Path, edition: str, version: int) -> dict:
    folder = home / "reports" / QUARTER / "versions" / f"{edition}-v{version}"
    return json.loads((folder / f"assessment-{QUARTER}-{edition}-v{version}-draft.manifest.json")
                      .read_text())


def protection(home: Path, edition: str, version: int) -> dict[tuple, tuple[float, float]]:
    """(below, above) each hidden cell of the table must keep, from the issue's own audit."""
    path = (home / "private" / QUARTER / "versions" / f"{edition}-v{version}"
            / f"assessment-{QUARTER}-{edition}-v{version}.disclosure-audit.csv")
    audit = pd.read_csv(path, dtype={"quarter": str, "category": str})
    audit = audit[audit["table"] == TABLE]
    return {(r.category, r.quarter): (r.protection_lower, r.protection_upper)
            for r in audit.itertuples()}


def true_cells(home: Path, cut_off: str) -> dict[tuple, float]:
    """The table's cells as the issue cut off at `cut_off` saw them, margins included."""
    as_of = datetime.fromisoformat(cut_off)
    with duckdb.connect(str(home / "warehouse.snapshot.duckdb"), read_only=True) as con:
        data = read_assessment_data(con, QUARTER, as_of=as_of)
    values = data.member_values
    rows = values[(values["indicator"] == INDICATOR) & (values["dimension"] == DIMENSION)
                  & values["quarter"].isin(data.window(12)) & values["is_additive"]
                  & values["is_complete"] & values["value"].notna()]
    cells = rows.groupby(["category", "quarter"])["value"].sum()
    margins = rows.groupby("quarter")["value"].sum()
    return {**{(c, q): float(v) for (c, q), v in cells.items()},
            **{(TOTAL, q): float(v) for q, v in margins.items()}}


@pytest.mark.parametrize(("edition", "later"), [
    ("coalition", 2), ("public", 2),
    ("coalition", 3), ("public", 3)])
def test_issue_and_reissue_together_pin_no_hidden_cell(issues, edition, later):
    """`later` 2: the issue corrected by 1 against the first; 3: the issue corrected by three
    times the cell plus 8 against the one before it."""
    home, blocked, corrected, raised = issues
    for run in blocked:  # an edition the release check stops has no issue to difference
        assert edition not in run, run[edition]
    first, second = manifest(home, edition, later - 1), manifest(home, edition, later)
    assert second["issue"]["supersedes"]["version"] == later - 1
    hidden = [{tuple(key) for key in m["disclosure"]["pattern"][TABLE]} for m in (first, second)]
    cells = [true_cells(home, m["as_of"]) for m in (first, second)]

    # the correction changed one cell, hidden in both issues; a published total shows it moved
    changed = {key for key in cells[0] if TOTAL not in key and cells[0][key] != cells[1][key]}
    assert changed == {corrected}
    raised_by = raised[later]
    assert cells[1][corrected] - cells[0][corrected] == raised_by
    assert corrected in hidden[0] and hidden[0] <= hidden[1]
    margin = (TOTAL, QUARTER)
    if margin not in hidden[0] | hidden[1]:
        assert cells[1][margin] - cells[0][margin] == raised_by

    levels = [protection(home, edition, later - 1), protection(home, edition, later)]
    found = attacker_across_issues(list(zip(cells, hidden, strict=True)))
    assert {key for key, _ in found} == hidden[0] | hidden[1]
    for (key, k), (lower, upper) in found.items():
        below, above = levels[k][key]
        value = cells[k][key]
        assert upper >= value + above - 1e-6, (edition, k + 1, key, value, lower, upper)
        assert lower <= value - below + 1e-6, (edition, k + 1, key, value, lower, upper)
    if margin not in hidden[0] | hidden[1]:  # two unknowns, the total's move between them
        assert found[(corrected, 1)][0] >= raised_by - 1e-6

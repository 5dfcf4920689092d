"""Derived figures in the disclosure audit: shares, changes and sums computed from a protected
table are published only if, with the table, they narrow no hidden cell below its protection.

The oracle is SciPy's linprog over the published cells, the table's margins and the published
figures' inequalities, written apart from checks/disclosure.py (which solves on HiGHS directly).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pandas as pd
import pytest
from hypothesis import given

from checks.disclosure import (
    TOTAL,
    DisclosureLog,
    LinearFigure,
    audit_derived,
    change_figure,
    protect_panel_ratio,
    protect_table,
    share_figure,
)
from rendering.chapters.core import Edition
from rendering.chapters.disclosure import derived_sentence
from tests.test_chapters import QUARTER, QUARTERS, reference
from tests.test_disclosure import (
    COALITION,
    PROPERTY_SETTINGS,
    PUBLIC,
    attacker_intervals,
    frame,
    member_cells,
    relations_of,
    required_upper,
    tables,
)
from transforms.assessment import AssessmentData
from transforms.periods import shift_quarter


def published_cells(result, keys: tuple[str, ...]) -> dict[tuple, float | None]:
    return {tuple(r[k] for k in keys): (None if pd.isna(r["value"]) else r["value"])
            for r in result.cells.to_dict("records")}


def assert_protected(contributions: pd.DataFrame, keys: tuple[str, ...],
                     totals: tuple[str, ...], rules, published: dict, figures: list) -> None:
    """Every hidden cell's interval, figures included, reaches its protection level."""
    truth = member_cells(contributions, keys, totals)
    scale = max([1.0] + [sum(c["members"].values()) for c in truth.values()])
    found = attacker_intervals(published, relations_of(set(truth), keys, totals), figures)
    for key, (lower, upper) in found.items():
        true = sum(truth[key]["members"].values())
        need = required_upper(truth[key], rules, 1e-7 * scale)
        assert upper >= true + need - 1e-6 * scale, (key, lower, upper, need)
        assert lower <= true - min(need, true) + 1e-6 * scale, (key, lower, upper, need)


def kept(judged, figures: list[LinearFigure]) -> list[LinearFigure]:
    names = set(judged.derived.loc[judged.derived["published"], "name"])
    return [f for f in figures if f.name in names]


# -- a share of a suppressed row --------------------------------------------------------------

# Payment options by method: voucher is one member's (threshold), crypto is hidden with it.
METHODS = frame([("card", "a", 40), ("card", "b", 35), ("card", "c", 30),
                 ("bank", "a", 50), ("bank", "b", 45), ("bank", "c", 42),
                 ("voucher", "a", 6),
                 ("crypto", "a", 20), ("crypto", "b", 18), ("crypto", "c", 15)],
                ("method", "member_id", "value"))
METHOD_TOTALS = {"bank": 137, "card": 105, "crypto": 53, "voucher": 6}
GRAND = sum(METHOD_TOTALS.values())  # 301


def method_shares() -> list[LinearFigure]:
    return [share_figure(f"share of {m}", m, TOTAL, v / GRAND)
            for m, v in METHOD_TOTALS.items()]


def test_a_share_of_a_suppressed_row_would_give_it_back_and_is_withheld():
    log = DisclosureLog()
    table = protect_table(METHODS, rules=COALITION, log=log, table="options", row="method")
    published = published_cells(table, ("method",))
    assert published[("voucher",)] is None and published[("crypto",)] is None
    assert published[(TOTAL,)] == GRAND
    relations = relations_of(set(published), ("method",), ("method",))
    voucher = next(f for f in method_shares() if f.name == "share of voucher")

    # printed as 2.0 %, the share puts voucher within [5.87, 6.17]: protection needs +-1.8
    lower, upper = attacker_intervals(published, relations, [voucher])[("voucher",)]
    assert upper - 6 < 1.8 and 6 - lower < 1.8
    crypto = next(f for f in method_shares() if f.name == "share of crypto")
    lower, upper = attacker_intervals(published, relations, [crypto])[("voucher",)]
    assert upper - 6 < 1.8  # crypto's share and the total leave voucher as the rest

    judged = audit_derived(table, method_shares(), log)
    verdicts = judged.derived.set_index("name")
    assert verdicts["published"].to_dict() == {"share of bank": True, "share of card": True,
                                               "share of crypto": False,
                                               "share of voucher": False}
    assert verdicts.loc["share of voucher", "narrows"] == "voucher"
    assert log.derived_withheld == [("options", "share of crypto"),
                                    ("options", "share of voucher")]
    assert log.derived_published["options"] == 2
    assert judged.ok and log.audits["options"] is judged.audit
    assert_protected(METHODS, ("method",), ("method",), COALITION, published,
                     kept(judged, method_shares()))


def test_the_audit_of_the_published_figures_is_the_oracles_interval():
    """A sum of the two hidden rows says what the total already says: published, and every
    hidden cell's interval in the audit is the oracle's with it."""
    table = protect_table(METHODS, rules=COALITION, log=DisclosureLog(), table="options",
                          row="method")
    other = LinearFigure("other methods", ((("crypto",), 1.0), (("voucher",), 1.0)),
                         58.5, 59.5)
    judged = audit_derived(table, [other], DisclosureLog())
    assert judged.derived["published"].all()
    published = published_cells(table, ("method",))
    found = attacker_intervals(published, relations_of(set(published), ("method",), ("method",)),
                      [other])
    audit = judged.audit.set_index("method")
    for (method,), (lower, upper) in found.items():
        assert audit.loc[method, "lower"] == pytest.approx(lower, abs=1e-6)
        assert audit.loc[method, "upper"] == pytest.approx(upper, abs=1e-6)
    assert judged.ok


def test_a_change_on_a_hidden_quarter_is_withheld_and_one_between_published_ones_is_not():
    quarters = frame([("2026-Q1", "a", 100), ("2026-Q1", "b", 90), ("2026-Q1", "c", 80),
                      ("2026-Q2", "a", 40),
                      ("2026-Q3", "a", 110), ("2026-Q3", "b", 95), ("2026-Q3", "c", 85)],
                     ("quarter", "member_id", "value"))
    table = protect_table(quarters, rules=COALITION, log=DisclosureLog(), table="by quarter",
                          row="quarter", totals=())
    assert table.hidden == {("2026-Q2",)}
    figures = [change_figure("Q2 on Q1", "2026-Q2", "2026-Q1", 40 / 270 - 1),
               change_figure("Q3 on Q1", "2026-Q3", "2026-Q1", 290 / 270 - 1)]
    judged = audit_derived(table, figures, DisclosureLog())
    assert judged.derived.set_index("name")["published"].to_dict() == {
        "Q2 on Q1": False, "Q3 on Q1": True}
    audit = judged.audit.set_index("quarter")
    assert audit.loc["2026-Q2", "upper"] == math.inf and audit.loc["2026-Q2", "lower"] == 0


def test_figures_are_judged_in_name_order_whatever_order_they_come_in():
    table = protect_table(METHODS, rules=COALITION, log=DisclosureLog(), table="options",
                          row="method")
    forward = audit_derived(table, method_shares(), DisclosureLog())
    backward = audit_derived(table, method_shares()[::-1], DisclosureLog())
    pd.testing.assert_frame_equal(forward.derived, backward.derived)
    pd.testing.assert_frame_equal(forward.audit, backward.audit)


def test_a_figure_withheld_by_the_coalition_edition_stays_withheld():
    table = protect_table(METHODS, rules=COALITION, log=DisclosureLog(), table="options",
                          row="method")
    judged = audit_derived(table, method_shares(), DisclosureLog(), withheld=["share of bank"])
    verdicts = judged.derived.set_index("name")
    assert not verdicts.loc["share of bank", "published"]
    assert verdicts.loc["share of bank", "narrows"] == "consistency"


def test_a_figure_the_true_table_does_not_satisfy_is_refused():
    table = protect_table(METHODS, rules=COALITION, log=DisclosureLog(), table="options",
                          row="method")
    with pytest.raises(ValueError, match="true values"):
        audit_derived(table, [share_figure("wrong", "voucher", TOTAL, 0.5)], DisclosureLog())
    with pytest.raises(ValueError, match="no cell"):
        audit_derived(table, [share_figure("absent", "cheque", TOTAL, 0.1)], DisclosureLog())


# -- a like-for-like change over a panel of members ---------------------------------------------


def test_a_change_over_a_panel_gives_back_a_member_outside_it_and_is_withheld():
    """hl-d reported this quarter only: the published totals and the change over a, b, c give
    its 70 back to within a unit."""
    now = pd.Series({"a": 400.0, "b": 350.0, "c": 300.0, "d": 70.0})
    then = pd.Series({"a": 380.0, "b": 340.0, "c": 310.0})
    change = now[["a", "b", "c"]].sum() / then.sum() - 1  # +1.9 %
    printed = round(100 * change, 1)
    recovered = [now.sum() - (1 + (printed + s * 0.05) / 100) * then.sum() for s in (1, -1)]
    assert recovered[0] <= 70 <= recovered[1] and recovered[1] - recovered[0] < 70 * 0.3

    log = DisclosureLog()
    assert not protect_panel_ratio(now, then, 1 + change, offset=1.0, rules=COALITION, log=log,
                                   table="key indicators", name="URLs on 2025-Q3")
    assert log.derived_withheld == [("key indicators", "URLs on 2025-Q3")]

    same = now[["a", "b", "c"]]
    assert protect_panel_ratio(same, then, same.sum() / then.sum(), offset=1.0,
                               rules=COALITION, log=log, table="key indicators", name="same")
    joined = pd.concat([same, pd.Series({"d": 70.0, "e": 65.0, "f": 60.0})])
    assert protect_panel_ratio(joined, then, same.sum() / then.sum(), offset=1.0,
                               rules=COALITION, log=log, table="key indicators",
                               name="three joined")  # three newcomers: their part is safe
    assert log.derived_published["key indicators"] == 2


# -- random tables ---------------------------------------------------------------------------


def shares_and_changes(contributions: pd.DataFrame, keys: tuple[str, ...],
                       totals: tuple[str, ...]) -> list[LinearFigure]:
    """Every inner cell's share of its margin along the first summed key, and every inner
    cell's change on the one before it: printed to 0.1 %, from the true values."""
    truth = {k: sum(c["members"].values())
             for k, c in member_cells(contributions, keys, totals).items()}
    inner = sorted(k for k in truth if TOTAL not in k)
    figures = []
    if totals:
        i = keys.index(totals[0])
        for key in inner:
            margin = key[:i] + (TOTAL,) + key[i + 1:]
            if truth[margin] > 0:
                figures.append(share_figure(f"share {key}", key, margin,
                                            truth[key] / truth[margin]))
    for before, key in zip(inner, inner[1:], strict=False):
        if truth[before] > 0:
            figures.append(change_figure(f"change {key}", key, before,
                                         truth[key] / truth[before] - 1))
    return figures


@PROPERTY_SETTINGS
@given(tables())
def test_with_every_published_figure_every_hidden_cell_keeps_its_protection(table):
    contributions, keys, totals, rules = table
    kwargs = {"row": keys[0], "col": keys[1] if len(keys) > 1 else None, "totals": totals}
    protected = protect_table(contributions, rules=rules, log=DisclosureLog(), table="t",
                              **kwargs)
    figures = shares_and_changes(contributions, keys, totals)
    judged = audit_derived(protected, figures, DisclosureLog())
    assert judged.ok
    assert_protected(contributions, keys, totals, rules, published_cells(protected, keys),
                     kept(judged, figures))


@PROPERTY_SETTINGS
@given(tables())
def test_holding_both_editions_with_their_figures_tells_no_more_than_the_coalition_one(table):
    """Differencing public against coalition with derived figures: a reader holding both
    knows the coalition edition's cells and every figure either edition published; every cell
    hidden in both keeps the coalition edition's protection."""
    contributions, keys, totals, _ = table
    kwargs = {"row": keys[0], "col": keys[1] if len(keys) > 1 else None, "totals": totals}
    figures = shares_and_changes(contributions, keys, totals)
    coalition = protect_table(contributions, rules=COALITION, log=DisclosureLog(), table="t",
                              **kwargs)
    coalition = audit_derived(coalition, figures, DisclosureLog())
    public = protect_table(contributions, rules=PUBLIC, log=DisclosureLog(), table="t",
                          forced=coalition.hidden, rounded=True, **kwargs)
    withheld = coalition.derived.loc[~coalition.derived["published"], "name"]
    public = audit_derived(public, figures, DisclosureLog(), withheld=withheld)
    both = {f.name for f in kept(coalition, figures) + kept(public, figures)}
    assert_protected(contributions, keys, totals, COALITION, published_cells(coalition, keys),
                     [f for f in figures if f.name in both])


# -- in an edition ---------------------------------------------------------------------------


def urls_confirmed(newcomer_reports_base_quarter: bool) -> AssessmentData:
    """Three hotlines report confirmed URLs for twelve quarters; hl-isles reports 70 in 2026-Q3,
    and in 2025-Q3 only if `newcomer_reports_base_quarter`."""
    sizes = {"hl-north": 400.0, "hl-west": 350.0, "hl-south": 300.0}
    rows = [(member, quarter, size + t) for t, quarter in enumerate(QUARTERS)
            for member, size in sizes.items()]
    rows.append(("hl-isles", QUARTER, 70.0))
    if newcomer_reports_base_quarter:
        rows.append(("hl-isles", shift_quarter(QUARTER, -4), 65.0))
    member_values = pd.DataFrame(
        [{"member_id": m, "sector": "hotline", "quarter": q, "indicator": "HL_URLS_CONFIRMED",
          "dimension": "", "category": "", "is_additive": True, "value": v,
          "is_complete": True} for m, q, v in rows])
    indicators = reference("indicators.csv")
    indicators = pd.DataFrame({"indicator": indicators["indicator"],
                               "name": indicators["name"], "unit": indicators["unit"]})
    return AssessmentData(
        quarter=QUARTER, as_of=datetime(2026, 10, 20, tzinfo=UTC), member_values=member_values,
        totals=pd.DataFrame(), coverage=pd.DataFrame(), members=reference("members.csv"),
        indicators=indicators,
        series_breaks=pd.DataFrame(columns=["indicator", "member_id", "period", "note"]),
        submissions_used=pd.DataFrame(columns=["submission_id", "sha256", "member_id"]))


@pytest.mark.parametrize("rules", [COALITION, PUBLIC], ids=["coalition", "public"])
def test_an_edition_prints_c_for_a_change_that_gives_back_a_newcomer(rules):
    base = shift_quarter(QUARTER, -4)
    edition = Edition(urls_confirmed(newcomer_reports_base_quarter=False), rules)
    change = edition.change("HL_URLS_CONFIRMED", base, "hotline volumes")
    assert edition.series("HL_URLS_CONFIRMED", [base, QUARTER])["value"].notna().all()
    assert change["text"] == "c" and pd.isna(change["change"])
    assert len(edition.log.derived_withheld) == 1
    assert "reporting both printed, 1 printed as c" in derived_sentence(edition)

    edition = Edition(urls_confirmed(newcomer_reports_base_quarter=True), rules)
    change = edition.change("HL_URLS_CONFIRMED", base, "hotline volumes")
    assert change["text"] not in ("c", "n/a")
    assert ": 1 like-for-like changes and ratios of members reporting both printed, 0 printed " \
        "as c" in derived_sentence(edition)

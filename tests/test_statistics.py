"""Statistics of the assessment: known answers from SciPy/statsmodels, planted effects."""

from __future__ import annotations

import gc
import math
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats import proportion

from transforms import statistics as st
from transforms.assessment import AssessmentData, like_for_like_change, series_breaks_in
from transforms.periods import shift_quarter

QUARTER = "2026-Q3"
QUARTERS = [shift_quarter(QUARTER, -i) for i in range(10, -1, -1)]  # 2024-Q1 .. 2026-Q3
HOTLINES = {"hl-a": 20_000.0, "hl-b": 3_000.0, "hl-c": 1_200.0, "hl-d": 400.0}
INDICATORS = pd.DataFrame({
    "indicator": ["HL_URLS_CONFIRMED", "HL_REPORTS_RECEIVED", "HL_UNIQUE_DOMAINS",
                  "HL_PAYMENT_OPTIONS_SEEN", "PAY_FLAGGED_TXN_COUNT"],
    "name": ["URLs confirmed as child sexual abuse material", "Reports received",
             "Distinct domains with confirmed URLs", "URLs with visible payment options",
             "Flagged transactions"],
    "sectors": ["hotline", "hotline", "hotline", "hotline", "payment"],
    "unit": ["count"] * 5,
    "is_additive": [True, True, False, True, True],
    "description": [""] * 5,
})
SCALE = {"HL_URLS_CONFIRMED": 1.0, "HL_REPORTS_RECEIVED": 1.6}


def build(rows: list[dict], quarter: str = QUARTER, breaks: list[tuple] = (),
          expected: dict[str, set[str]] | None = None) -> AssessmentData:
    """AssessmentData from hand-written rows (member_id, quarter, indicator, value, ...).

    Coverage expects, per indicator, every member that ever reported it from its first
    quarter on, unless `expected` (indicator -> members) says otherwise.
    """
    frame = pd.DataFrame(rows)
    defaults = {"dimension": "", "category": "", "has_series_break": False,
                "has_estimate": False, "is_complete": True, "months_reported": 3,
                "is_quarterly_report": False, "values_not_available": 0}
    for column, default in defaults.items():
        if column not in frame:
            frame[column] = default
        frame[column] = frame[column].fillna(default) if column in frame else default
    frame["sector"] = np.where(frame["member_id"].str.startswith("pay"), "payment", "hotline")
    additive = INDICATORS.set_index("indicator")["is_additive"]
    frame["is_additive"] = frame["indicator"].map(additive).fillna(True).astype(bool)
    frame["value"] = frame["value"].astype(float)
    for column in ("has_series_break", "has_estimate", "is_complete", "is_quarterly_report"):
        frame[column] = frame[column].astype(bool)
    totals = frame[frame["dimension"] == ""]
    coverage = []
    quarters = sorted(frame["quarter"].unique())
    for indicator, rows_ in totals.groupby("indicator"):
        first = rows_.groupby("member_id")["quarter"].min()
        members = expected.get(indicator, set(first.index)) if expected else set(first.index)
        done = set(zip(rows_.loc[rows_["is_complete"], "member_id"],
                       rows_.loc[rows_["is_complete"], "quarter"], strict=True))
        sent = set(zip(rows_["member_id"], rows_["quarter"], strict=True))
        for member in sorted(members):
            start = first.get(member, quarters[0])
            for q in quarters:
                if q >= start:
                    coverage.append({
                        "quarter": q, "member_id": member,
                        "sector": "payment" if member.startswith("pay") else "hotline",
                        "indicator": indicator, "frequency": "month",
                        "is_submitted": (member, q) in sent,
                        "is_complete": (member, q) in done})
    series_breaks = pd.DataFrame(list(breaks), columns=["indicator", "member_id", "period",
                                                        "note"])
    return AssessmentData(
        quarter=quarter, as_of=datetime(2026, 11, 1, tzinfo=UTC), member_values=frame,
        totals=pd.DataFrame(), coverage=pd.DataFrame(coverage),
        members=pd.DataFrame({"member_id": sorted(frame["member_id"].unique())}),
        indicators=INDICATORS, series_breaks=series_breaks, submissions_used=pd.DataFrame())


def simulate(seed: int = 7, *, rise: dict[str, float] | None = None, noise: float = 0.05,
             members: dict[str, float] = HOTLINES, joins: dict[str, tuple[float, str]] = None,
             step: tuple[str, str, float] | None = None, growth: float = 0.0,
             indicators=("HL_URLS_CONFIRMED", "HL_REPORTS_RECEIVED")) -> list[dict]:
    """Member-quarter totals: Poisson around a member level with log-normal member noise.

    rise: indicator -> relative change planted in the last quarter for every member.
    joins: member -> (size, first quarter). step: (member, quarter, factor) from then on.
    growth: log growth per quarter for everyone.
    """
    rng = np.random.default_rng(seed)
    rise = rise or {}
    sizes = dict(members) | {m: size for m, (size, _) in (joins or {}).items()}
    start = {m: q for m, (_, q) in (joins or {}).items()}
    rows = []
    for indicator in indicators:
        for member, size in sizes.items():
            for t, quarter in enumerate(QUARTERS):
                if quarter < start.get(member, QUARTERS[0]):
                    continue
                mean = size * SCALE.get(indicator, 1.0) * math.exp(growth * t)
                mean *= rng.lognormal(0.0, noise)
                if quarter == QUARTER:
                    mean *= 1 + rise.get(indicator, 0.0)
                if step and member == step[0] and quarter >= step[1]:
                    mean *= step[2]
                rows.append({"member_id": member, "quarter": quarter, "indicator": indicator,
                             "value": float(rng.poisson(mean))})
    return rows


# -- counts --------------------------------------------------------------------------------


def panel_rows(levels: dict[str, float], growth: dict[str, float],
               indicator: str = "HL_URLS_CONFIRMED") -> list[dict]:
    """Values exactly member level x quarter factor: no member moves on its own."""
    return [{"member_id": m, "quarter": q, "indicator": indicator,
             "value": float(round(level * growth.get(q, 1.0)))}
            for m, level in levels.items() for q in QUARTERS]


def test_count_change_is_the_like_for_like_ratio_with_the_panel_dispersion():
    data = build(simulate(seed=4, noise=0.08))
    est = st.count_change(data, "HL_URLS_CONFIRMED", QUARTER, "2025-Q3")
    lfl = like_for_like_change(data, "HL_URLS_CONFIRMED", QUARTER, "2025-Q3")
    assert est.change == pytest.approx(lfl["change"])
    assert est.low < est.change < est.high
    # alpha is where the negative binomial GLM of members' own trends over the 8 quarters
    # before has a Pearson chi-square at the 20% quantile of chi-square on its residual df
    # (the moment estimator's one-sided 80% upper bound).
    history = QUARTERS[-9:-1]
    cells = st.member_cells(data, "HL_URLS_CONFIRMED", history)
    cells["t"] = cells["quarter"].map({q: i for i, q in enumerate(history)}).astype(float)
    fit = sm.GLM.from_formula("value ~ 0 + C(member_id) + C(member_id):t", cells,
                              family=sm.families.NegativeBinomial(alpha=est.dispersion)).fit()
    assert est.df == fit.df_resid == 24
    assert est.dispersion > 0
    assert fit.pearson_chi2 == pytest.approx(stats.chi2.ppf(0.2, 24), rel=1e-2)
    again = st.count_change(build(simulate(seed=4, noise=0.08)), "HL_URLS_CONFIRMED",
                            QUARTER, "2025-Q3")
    assert (again.low, again.high, again.p_value) == (est.low, est.high, est.p_value)


def test_without_extra_variation_the_test_is_scipys_poisson_test():
    # Every member moves with the coalition: alpha is 0 and only Poisson noise is left.
    data = build(panel_rows({"hl-a": 60.0, "hl-b": 40.0, "hl-c": 20.0}, {QUARTER: 1.25}))
    est = st.count_change(data, "HL_URLS_CONFIRMED", QUARTER, "2025-Q3")
    assert est.dispersion == 0 and est.value == 150 and est.base_value == 120
    reference = stats.poisson_means_test(150, 1.0, 120, 1.0)
    assert est.p_value == pytest.approx(reference.pvalue, abs=0.03)
    # The probability beyond a margin comes from the model of members' changes: the three
    # agree (tau^2 = 0), so it is the fixed-effect mean of their log changes (a half added)
    # with Poisson variances, on Student t with 2 df, by hand:
    now, base = np.array([75.0, 50.0, 25.0]), np.array([60.0, 40.0, 20.0])
    changes = np.log((now + 0.5) / (base + 0.5))
    weights = 1 / (1 / (now + 0.5) + 1 / (base + 0.5))
    mean, sd = (weights * changes).sum() / weights.sum(), weights.sum() ** -0.5
    assert est.evidence.spread == pytest.approx(0.0, abs=1e-12)
    assert est.probability_beyond(0.10) == pytest.approx(
        stats.t.sf((math.log(1.1) - mean) / sd, 2), abs=0.01)
    assert est.probability_beyond(-0.10) == pytest.approx(
        stats.t.cdf((math.log(0.9) - mean) / sd, 2), abs=0.01)
    # Three members' t tails make it less sure than a Poisson test on the pooled counts.
    assert est.probability_beyond(0.10) < 1 - stats.poisson_means_test(
        150, 1.0, 120, 1 / 1.1, alternative="greater").pvalue


def test_planted_rise_is_found_and_interval_covers_it():
    data = build(simulate(rise={"HL_URLS_CONFIRMED": 0.4}, noise=0.08))
    est = st.count_change(data, "HL_URLS_CONFIRMED", QUARTER, "2025-Q3")
    assert est.low < 0.4 < est.high
    assert est.p_value < 0.01 and est.low > 0
    assert est.coverage_now == 1.0 and len(est.members) == 4


def test_a_member_joining_is_not_a_rise():
    rows = simulate(seed=3, joins={"hl-e": (10_000.0, QUARTER)})
    data = build(rows)
    est = st.count_change(data, "HL_URLS_CONFIRMED", QUARTER, "2025-Q3")
    assert est.newcomers == ("hl-e",)
    assert est.total_now > 1.3 * est.total_base      # the raw total jumps...
    assert abs(est.change) < 0.1 and est.low < 0 < est.high  # ...the like-for-like does not
    assert "1 reporting only in 2026-Q3" in est.composition()


def test_a_single_member_gets_no_interval():
    rows = [{"member_id": "hl-a", "quarter": q, "indicator": "HL_URLS_CONFIRMED", "value": v}
            for q, v in ((QUARTER, 150.0), ("2025-Q3", 100.0))]
    est = st.count_change(build(rows), "HL_URLS_CONFIRMED", QUARTER, "2025-Q3")
    assert est.change == pytest.approx(0.5)
    assert math.isnan(est.low) and math.isnan(est.p_value)
    assert math.isnan(est.probability_beyond(0.1))


def test_non_additive_indicators_are_never_summed():
    rows = [{"member_id": m, "quarter": q, "indicator": "HL_UNIQUE_DOMAINS", "value": 50.0}
            for m in HOTLINES for q in (QUARTER, "2025-Q3")]
    data = build(rows)
    with pytest.raises(ValueError, match="not additive"):
        st.count_change(data, "HL_UNIQUE_DOMAINS", QUARTER, "2025-Q3")
    with pytest.raises(ValueError, match="not additive"):
        st.trend(data, "HL_UNIQUE_DOMAINS", QUARTERS)


def test_a_member_whose_series_breaks_between_the_quarters_is_left_out():
    rows = simulate(seed=5, step=("hl-a", "2025-Q3", 1.4))
    breaks = [("HL_URLS_CONFIRMED", "hl-a", "2025-07", "proactive search begins")]
    data = build(rows, breaks=breaks)
    across = st.count_change(data, "HL_URLS_CONFIRMED", QUARTER, "2025-Q2")
    assert across.excluded_for_break == ("hl-a",)
    assert "hl-a" not in across.members and abs(across.change) < 0.1
    after = st.count_change(data, "HL_URLS_CONFIRMED", QUARTER, "2025-Q3")
    assert after.excluded_for_break == () and "hl-a" in after.members


def test_one_member_driving_a_rise_is_less_probable_than_all_members_rising():
    """The issue's case: a small hotline's jump makes the coalition total rise as much as a
    rise shared by every member, but the model of members' changes is far less sure of it."""
    levels = {"hl-a": 9_000.0, "hl-b": 400.0, "hl-c": 300.0, "hl-d": 200.0}
    shared = build(panel_rows(levels, {QUARTER: 1.3}))
    alone = build(panel_rows(levels, {}) + [
        {"member_id": "hl-b", "quarter": QUARTER, "indicator": "HL_URLS_CONFIRMED",
         "value": 400.0 + 0.3 * 9_900}])
    alone = replace(alone, member_values=alone.member_values.drop_duplicates(
        ["member_id", "quarter", "indicator"], keep="last"))
    together = st.count_change(shared, "HL_URLS_CONFIRMED", QUARTER, "2025-Q3")
    single = st.count_change(alone, "HL_URLS_CONFIRMED", QUARTER, "2025-Q3")
    assert together.change == pytest.approx(single.change, abs=0.01)
    assert together.evidence.agreeing == 4 and single.evidence.agreeing == 1
    assert single.evidence.largest_change_share == pytest.approx(1.0)
    assert together.evidence.largest_share == pytest.approx(2 * 9_000 * 1.15 / (9_900 * 2.3),
                                                            rel=0.01)
    assert single.evidence.heterogeneity > 0.9 and together.evidence.spread < 1e-6
    assert together.probability_beyond(0.10) > 0.99
    assert single.probability_beyond(0.10) < 0.80  # at most "likely", against "almost certain"


# -- trends --------------------------------------------------------------------------------


def test_trend_matches_glm_and_recovers_planted_growth():
    data = build(simulate(seed=11, growth=math.log(1.03), noise=0.02))
    result = st.trend(data, "HL_URLS_CONFIRMED", QUARTERS[-8:])
    assert result.low < 0.03 < result.high and result.p_value < 0.01
    cells = st.member_cells(data, "HL_URLS_CONFIRMED", QUARTERS[-8:])
    cells["t"] = cells["quarter"].map({q: i for i, q in enumerate(QUARTERS[-8:])})
    family = sm.families.NegativeBinomial(alpha=result.dispersion) if result.dispersion \
        else sm.families.Poisson()
    model = sm.GLM.from_formula("value ~ 0 + C(member_id) + t", cells, family=family)
    scale = max(model.fit().pearson_chi2 / model.fit().df_resid, 1.0)
    ref = model.fit(scale=scale, use_t=True)
    assert result.slope_per_quarter == pytest.approx(math.expm1(ref.params["t"]), rel=1e-6)
    assert result.low == pytest.approx(math.expm1(ref.conf_int().loc["t", 0]), rel=1e-5)
    assert result.n_points == 32 and result.segment_start == QUARTERS[-8]


def test_a_series_break_splits_the_trend_instead_of_bending_it():
    rows = simulate(seed=5, step=("hl-a", "2025-Q3", 1.4), noise=0.02)
    unmarked = build(rows)
    marked = build(rows, breaks=[("HL_URLS_CONFIRMED", "hl-a", "2025-07", "new method")])
    bent = st.trend(unmarked, "HL_URLS_CONFIRMED", QUARTERS[-8:])
    split = st.trend(marked, "HL_URLS_CONFIRMED", QUARTERS[-8:])
    assert bent.low > 0 and bent.slope_per_quarter > 0.01  # the step reads as growth...
    assert split.low < 0 < split.high                      # ...until it is a level shift
    assert abs(split.slope_per_quarter) < 0.01
    assert split.level_shifts == ("hl-a from 2025-Q3",)
    # Status B in a submission marks the same break without the catalogue.
    flagged = [r | {"has_series_break": r["member_id"] == "hl-a" and r["quarter"] == "2025-Q3"}
               for r in rows]
    assert st.trend(build(flagged), "HL_URLS_CONFIRMED", QUARTERS[-8:]).level_shifts == \
        ("hl-a from 2025-Q3",)


def test_a_status_b_break_is_one_break_for_the_models_and_the_chart_markers():
    """Issue 17: the chart markers read only the catalogue while the models also counted
    status `B`; both now come from `assessment.series_breaks`."""
    rows = simulate(seed=5, step=("hl-b", "2025-Q3", 1.4), noise=0.02)
    flagged = [r | {"has_series_break": r["member_id"] == "hl-b" and r["quarter"] == "2025-Q3"
                    and r["indicator"] == "HL_URLS_CONFIRMED"} for r in rows]
    data = build(flagged, breaks=[("HL_URLS_CONFIRMED", "", "2024-Q2", "new code list")])
    window = QUARTERS[-8:]
    assert st.break_quarters(data, "HL_URLS_CONFIRMED") == {"hl-b": {"2025-Q3"},
                                                             None: {"2024-Q2"}}
    assert series_breaks_in(data, "HL_URLS_CONFIRMED", window) == ["2025-Q3"]
    assert series_breaks_in(data, "HL_URLS_CONFIRMED", QUARTERS) == ["2024-Q2", "2025-Q3"]
    assert series_breaks_in(data, "HL_REPORTS_RECEIVED", QUARTERS) == []
    shifts = st.trend(data, "HL_URLS_CONFIRMED", window).level_shifts
    markers = series_breaks_in(data, "HL_URLS_CONFIRMED", window)
    assert [s.rsplit(" from ", 1)[1] for s in shifts] == markers


def test_trend_probability_comes_from_members_own_slopes():
    """Known answer: three members growing 5% a quarter alike (tau^2 = 0, Poisson) give the
    inverse-variance mean of their own GLM slopes on Student t with 2 df."""
    window = QUARTERS[-8:]
    growth = {q: 1.05 ** i for i, q in enumerate(window)}
    levels = {"hl-a": 4_000.0, "hl-b": 900.0, "hl-c": 300.0}
    rows = [r for r in panel_rows(levels, growth) if r["quarter"] in window]
    result = st.trend(build(rows), "HL_URLS_CONFIRMED", window)
    assert result.dispersion == 0 and result.evidence.members == 3
    slopes, variances = [], []
    for member in levels:
        own = [r["value"] for r in rows if r["member_id"] == member]
        fit = sm.GLM(own, sm.add_constant(np.arange(8.0)), family=sm.families.Poisson()).fit()
        slopes.append(fit.params[1])
        variances.append(fit.bse[1] ** 2)
    weights = 1 / np.array(variances)
    mean, sd = (weights * slopes).sum() / weights.sum(), weights.sum() ** -0.5
    assert result.evidence.spread == pytest.approx(0.0, abs=1e-9)
    bound = math.log(1.15) / 4
    assert result.probability_beyond(0.15) == pytest.approx(
        stats.t.sf((bound - mean) / sd, 2), abs=0.01)


def test_one_members_growth_is_a_less_probable_trend_than_everyones():
    window = QUARTERS[-8:]
    levels = {"hl-a": 3_000.0, "hl-b": 2_000.0, "hl-c": 1_500.0, "hl-d": 1_000.0}
    everyone = panel_rows(levels, {q: 1.06 ** i for i, q in enumerate(window)})
    alone = [r | {"value": round(r["value"] * 1.25 ** window.index(r["quarter"]))}
             if r["member_id"] == "hl-a" and r["quarter"] in window else r
             for r in panel_rows(levels, {})]
    shared = st.trend(build(everyone), "HL_URLS_CONFIRMED", window)
    single = st.trend(build(alone), "HL_URLS_CONFIRMED", window)
    assert single.slope_per_quarter > shared.slope_per_quarter > 0.05
    assert shared.probability_beyond(0.10) > 0.99
    assert single.probability_beyond(0.10) < 0.9 and single.evidence.agreeing == 1


# -- shares --------------------------------------------------------------------------------


def payment_rows(counts: dict[str, dict[str, dict[str, float]]]) -> list[dict]:
    """member -> quarter -> method -> options seen, plus each member's total."""
    rows = []
    for member, quarters in counts.items():
        for quarter, methods in quarters.items():
            rows.append({"member_id": member, "quarter": quarter,
                         "indicator": "HL_PAYMENT_OPTIONS_SEEN",
                         "value": sum(methods.values())})
            rows += [{"member_id": member, "quarter": quarter,
                      "indicator": "HL_PAYMENT_OPTIONS_SEEN", "dimension": "payment_method",
                      "category": method, "value": value} for method, value in methods.items()]
    return rows


def test_share_interval_is_wilson_as_scipy_computes_it():
    data = build(payment_rows({"hl-a": {
        QUARTER: {"virtual_currency": 64, "card": 6, "money_transfer": 30, "hidden": 12},
        "2025-Q3": {"virtual_currency": 48, "card": 22, "money_transfer": 30, "hidden": 9}}}))
    visible = ("card", "money_transfer", "virtual_currency")
    est = st.share_change(data, "HL_PAYMENT_OPTIONS_SEEN", "payment_method",
                          "virtual_currency", QUARTER, "2025-Q3", among=visible)
    assert est.share == pytest.approx(0.64) and est.total == 100  # `hidden` left out
    ci = stats.binomtest(64, 100).proportion_ci(confidence_level=0.95, method="wilson")
    assert (est.low, est.high) == pytest.approx((ci.low, ci.high))
    ci = stats.binomtest(48, 100).proportion_ci(confidence_level=0.95, method="wilson")
    assert (est.base_low, est.base_high) == pytest.approx((ci.low, ci.high))
    ref = proportion.test_proportions_2indep(64, 100, 48, 100, method="score")
    assert est.p_value == pytest.approx(ref.pvalue)
    assert est.dispersion == 1.0 and "binomial only" in est.method
    assert est.change_low < est.change < est.change_high


def test_share_shift_is_deflated_by_how_much_members_shares_move():
    # Members' shares swing by several points from quarter to quarter (beta-binomial); the
    # counts alone would call a 12-point shift certain, the history says it is ordinary.
    rng = np.random.default_rng(8)
    counts: dict[str, dict] = {}
    for member, size, mean in (("hl-a", 2000, 0.55), ("hl-b", 800, 0.45), ("hl-c", 500, 0.6)):
        shares = rng.beta(mean * 30, (1 - mean) * 30, size=len(QUARTERS))
        seen = rng.binomial(size, shares)
        counts[member] = {q: {"virtual_currency": float(k), "card": float(size - k)}
                          for q, k in zip(QUARTERS, seen, strict=True)}
    base = counts["hl-a"]["2025-Q3"]["virtual_currency"] / 2000
    counts["hl-a"][QUARTER] = {"virtual_currency": round(2000 * (base + 0.18)),
                               "card": 2000 - round(2000 * (base + 0.18))}
    data = build(payment_rows(counts))
    est = st.share_change(data, "HL_PAYMENT_OPTIONS_SEEN", "payment_method",
                          "virtual_currency", QUARTER, "2025-Q3")
    naive = proportion.test_proportions_2indep(est.count, est.total, est.base_count,
                                               est.base_total, method="score")
    assert est.dispersion > 10
    assert naive.pvalue < 1e-4 and est.p_value > 0.05
    ref = proportion.test_proportions_2indep(
        est.count / est.dispersion, est.total / est.dispersion,
        est.base_count / est.dispersion, est.base_total / est.dispersion, method="score")
    assert est.p_value == pytest.approx(ref.pvalue)
    assert est.low < est.share < est.high


# -- concentration -------------------------------------------------------------------------


def hosting_rows(shares_now: dict[str, float], shares_then: dict[str, float],
                 total: float = 1_000.0) -> list[dict]:
    rows = []
    for quarter, shares in ((QUARTER, shares_now), ("2026-Q2", shares_then)):
        rows.append({"member_id": "hl-a", "quarter": quarter, "indicator": "HL_URLS_CONFIRMED",
                     "value": total})
        rows += [{"member_id": "hl-a", "quarter": quarter, "indicator": "HL_URLS_CONFIRMED",
                  "dimension": "hosting_country", "category": c, "value": s * total}
                 for c, s in shares.items()]
    return rows


def test_hhi_top_ten_entries_and_exits():
    now = {"NL": 0.5, "US": 0.3, "BG": 0.2}
    then = {"NL": 0.6, "US": 0.3, "CZ": 0.1}
    conc = st.concentration(build(hosting_rows(now, then)), "HL_URLS_CONFIRMED",
                            "hosting_country", QUARTER, n=2)
    assert conc.hhi == pytest.approx(0.5**2 * 1e4 + 0.3**2 * 1e4 + 0.2**2 * 1e4)  # 3,800
    assert conc.hhi_change == pytest.approx(3_800 - 4_600)
    assert list(conc.top["category"]) == ["NL", "US"]
    assert conc.top["change_points"].tolist() == pytest.approx([-10.0, 0.0])
    assert conc.entered == () and conc.exited == ()
    wide = st.concentration(build(hosting_rows(now, then)), "HL_URLS_CONFIRMED",
                            "hosting_country", QUARTER, n=10)
    assert wide.entered == ("BG",) and wide.exited == ("CZ",)


def test_hhi_leaves_out_unknown_and_onion_hosting():
    conc = st.concentration(build(hosting_rows({"NL": 0.4, "US": 0.4, "ZZ": 0.2},
                                               {"NL": 0.5, "US": 0.5})),
                            "HL_URLS_CONFIRMED", "hosting_country", QUARTER)
    assert conc.hhi == pytest.approx(5_000)
    assert conc.top1_share == pytest.approx(0.4)


# -- signals -------------------------------------------------------------------------------


def test_signals_new_country_share_shift_and_a_sector_gone_quiet():
    rows = hosting_rows({"NL": 0.30, "US": 0.30, "SC": 0.40}, {"NL": 0.60, "US": 0.40},
                        total=5_000)
    rows += [r | {"member_id": "hl-b"} for r in hosting_rows(
        {"NL": 0.35, "US": 0.30, "SC": 0.35}, {"NL": 0.55, "US": 0.45}, total=3_000)]
    rows += [{"member_id": "pay-x", "quarter": "2026-Q2", "indicator": "PAY_FLAGGED_TXN_COUNT",
              "value": 40.0}]
    data = build(rows, expected={"PAY_FLAGGED_TXN_COUNT": {"pay-x"}})
    found = st.signals(data, QUARTER)
    kinds = {(s.kind, s.category or s.indicator) for s in found}
    assert ("new_category", "SC") in kinds
    assert ("share_shift", "NL") in kinds and ("share_shift", "SC") in kinds
    assert ("entered_top10", "SC") in kinds
    assert ("sector_stopped_reporting", "PAY_FLAGGED_TXN_COUNT") in kinds
    assert not any(s.kind == "rising_fast" and s.category == "US" for s in found)


def test_the_cache_follows_a_new_frame():
    data = build(simulate(seed=2))
    first = st.count_change(data, "HL_URLS_CONFIRMED", QUARTER, "2025-Q3")
    doubled = data.member_values.assign(value=data.member_values["value"] * 2)
    second = st.count_change(replace(data, member_values=doubled), "HL_URLS_CONFIRMED",
                             QUARTER, "2025-Q3")
    assert second.value == pytest.approx(2 * first.value)


def test_dispersion_that_cannot_be_fitted_gives_no_interval_rather_than_a_crash():
    """Lumpy euro amounts beside zeros (seized assets over a year) made the NB fit return a
    NaN chi-square and the root finder raise, stopping the whole assessment."""
    y = np.array([483336.98, 19612.73, 692748.61, 0.0, 0.0, 281119.9])
    exog = np.array([[1, 0, 5, 0], [0, 1, 0, 5], [1, 0, 6, 0], [0, 1, 0, 6], [0, 1, 0, 7],
                     [1, 0, 7, 0]], dtype=float)
    alpha, df = st._nb_alpha(y, exog)
    assert df == 2 and (math.isnan(alpha) or alpha >= 0)


# -- robustness (issue 14 section 2) -------------------------------------------------------


def test_a_small_hotlines_outlier_does_not_stop_the_trend():
    """hl-east sent 98,765 confirmed URLs for one month (about 170 a quarter before): the
    negative binomial search, started from the Poisson fit, met NaN IRLS weights and the
    whole assessment stopped. Now the fit is retried, or the figure has no interval."""
    window = QUARTERS[-8:]
    levels = {
        "hl-east": [177, 158, 178, 171, 163, 166, 185, 98_863],
        "hl-north": [62_102, 68_838, 68_740, 91_316, 96_764, 95_361, 94_196, 86_226],
        "hl-south": [2_587, 2_756, 2_944, 2_750, 2_419, 2_751, 2_962, 2_858],
        "hl-west": [5_716, 6_596, 6_068, 5_584, 5_923, 6_443, 6_140, 5_776]}
    rows = [{"member_id": m, "quarter": q, "indicator": "HL_URLS_CONFIRMED", "value": v}
            for m, values in levels.items() for q, v in zip(window, values, strict=True)]
    data = build(rows, breaks=[("HL_URLS_CONFIRMED", "hl-north", "2025-07", "proactive")])
    result = st.trend(data, "HL_URLS_CONFIRMED", window)
    assert result.level_shifts == ("hl-north from 2025-Q3",)
    assert math.isnan(result.low) or result.low <= result.slope_per_quarter <= result.high
    change = st.count_change(data, "HL_URLS_CONFIRMED", QUARTER, "2026-Q2")
    assert change.change == pytest.approx((98_863 + 86_226 + 2_858 + 5_776)
                                          / (185 + 94_196 + 2_962 + 6_140) - 1)


@pytest.mark.parametrize("huge", [math.inf, 1e23, -5.0])
def test_a_value_no_model_can_take_gives_no_interval_and_says_why(huge):
    rows = simulate(seed=6)
    spoilt = ("hl-b", QUARTER, "HL_URLS_CONFIRMED")
    rows = [r | {"value": huge} if (r["member_id"], r["quarter"], r["indicator"]) == spoilt
            else r for r in rows]
    data = build(rows)
    est = st.count_change(data, "HL_URLS_CONFIRMED", QUARTER, "2025-Q3")
    assert math.isnan(est.low) and math.isnan(est.p_value) and not len(est.errors)
    assert "no interval: a member's value" in est.method
    assert math.isnan(est.probability_beyond(0.1))
    assert "no trend: a member's value" in st.trend(data, "HL_URLS_CONFIRMED", QUARTERS).method
    other = st.count_change(data, "HL_REPORTS_RECEIVED", QUARTER, "2025-Q3")
    assert other.low < other.change < other.high  # one bad figure spoils no other


# -- confidence and composition (issue 14 section 3) -----------------------------------------


def evidence(members: int, agreeing: int | None = None, largest: float = 0.3,
             largest_change: float = 0.3, heterogeneity: float = 0.1) -> st.MemberEvidence:
    return st.MemberEvidence(members=members, agreeing=members if agreeing is None else agreeing,
                             largest_share=largest, largest_change_share=largest_change,
                             spread=0.0, heterogeneity=heterogeneity, draws=np.zeros(3))


@pytest.mark.parametrize(("facts", "level", "limitation"), [
    ({}, "high", "no other sector's data corroborate it"),
    ({"corroboration": "payment data agree"}, "high",
     "none found beyond those of members' own aggregated counts"),
    ({"model_fitted": False}, "low", "no model of members' variation could be fitted"),
    ({"members": 2, "evidence": evidence(2)}, "low", "only 2 members compared"),
    ({"evidence": evidence(4, largest=0.86)}, "moderate", "one member supplies most of the counts"),
    ({"evidence": evidence(4, largest=0.91)}, "low",
     "one member supplies nearly all of the counts"),
    ({"evidence": evidence(4, largest=0.91), "corroboration": "payment data agree"},
     "moderate", "one member supplies nearly all of the counts"),
    ({"evidence": evidence(4, largest=0.5, largest_change=0.99)}, "low",
     "one member supplies nearly all of the change"),
    ({"members_expected": 6}, "moderate", "4 of 6 members expected compared"),
    ({"members_expected": 8}, "low", "4 of 8 members expected compared"),
    ({"breaks": 1}, "moderate", "a series break sets 1 member apart"),
    ({"has_estimate": True}, "moderate", "estimated or provisional figures among those compared"),
    ({"revised": 2}, "moderate", "2 members' figures revised since first sent"),
    ({"evidence": evidence(4, agreeing=2, heterogeneity=0.9)}, "moderate",
     "members disagree: 2 of 4 moved this way"),
    ({"moved_by_others": True}, "moderate",
     "the share moved because the other categories did, not its own count"),
])
def test_confidence_rules(facts, level, limitation):
    given = {"members": 4, "members_expected": 4, "evidence": evidence(4),
             "model_fitted": True} | facts
    judged = st.judge_confidence(**given)
    assert (judged.level, judged.limitation) == (level, limitation)
    assert judged.statement().startswith(f"{level.capitalize()} confidence: ")


def test_confidence_names_the_main_strength():
    assert st.judge_confidence(members=4, members_expected=4, evidence=evidence(4),
                               model_fitted=True).strength == \
        "all 4 members compared moved the same way"
    assert st.judge_confidence(members=4, members_expected=4, evidence=evidence(4, agreeing=3),
                               model_fitted=True).strength == "4 of 4 members expected compared"
    assert st.judge_confidence(members=4, members_expected=4, evidence=evidence(4),
                               model_fitted=True,
                               corroboration="payment data agree").strength == \
        "payment data agree"


def test_a_share_that_rose_because_the_others_fell_says_so():
    """Virtual-currency sightings flat (247 -> 246) while card and money transfer fell."""
    counts = {
        "hl-a": {"2025-Q3": {"virtual_currency": 212, "card": 150, "money_transfer": 90},
                 QUARTER: {"virtual_currency": 211, "card": 60, "money_transfer": 40}},
        "hl-b": {"2025-Q3": {"virtual_currency": 20, "card": 30, "money_transfer": 12},
                 QUARTER: {"virtual_currency": 21, "card": 12, "money_transfer": 5}},
        "hl-c": {"2025-Q3": {"virtual_currency": 15, "card": 25, "money_transfer": 10},
                 QUARTER: {"virtual_currency": 14, "card": 10, "money_transfer": 4}},
    }
    data = build(payment_rows(counts))
    visible = ("card", "money_transfer", "virtual_currency")
    share = st.share_change(data, "HL_PAYMENT_OPTIONS_SEEN", "payment_method",
                            "virtual_currency", QUARTER, "2025-Q3", among=visible)
    assert share.change > 0.2  # 247/514 -> 246/367
    parts = st.share_composition(data, "HL_PAYMENT_OPTIONS_SEEN", "payment_method",
                                 ["virtual_currency"], QUARTER, "2025-Q3", among=visible)
    assert (parts.part.base_value, parts.part.value) == (247, 246)
    assert (parts.rest.base_value, parts.rest.value) == (317, 131)
    assert parts.rest.categories == ("card", "money_transfer")
    assert parts.moved == "rest"
    assert share.evidence.largest_share == pytest.approx((212 + 211) / (247 + 246))
    rising = build(payment_rows({m: {q: c | {"virtual_currency": c["virtual_currency"] * (
        2 if q == QUARTER else 1)} for q, c in quarters.items()} for m, quarters in
        {m: {"2025-Q3": q["2025-Q3"], QUARTER: q["2025-Q3"]} for m, q in counts.items()}
        .items()}))
    assert st.share_composition(rising, "HL_PAYMENT_OPTIONS_SEEN", "payment_method",
                                ["virtual_currency"], QUARTER, "2025-Q3",
                                among=visible).moved == "part"


def test_a_fit_leaves_nothing_for_the_cycle_collector():
    """statsmodels' models and results refer to each other: what a fit threw away (its IRLS
    steps) is freed as the fit ends, not whenever the collector next counts enough objects,
    so a dispersion's search over a large design does not pile up copies of it."""
    rng = np.random.default_rng(1)
    design = np.hstack([np.repeat(np.eye(20), 6, axis=0), np.tile(np.arange(6.0), 20)[:, None]])
    counts = rng.poisson(np.exp(1 + 0.1 * design[:, -1])
                         * np.repeat(rng.uniform(1, 5, 20), 6)).astype(float)
    gc.collect()
    gc.disable()
    try:
        results = st._fit(st._glm(counts, design, sm.families.NegativeBinomial(alpha=0.3)))
        left = gc.collect()
    finally:
        gc.enable()
    assert results is not None and results.converged
    assert left == 0

"""Changes, shares, trends and concentration of the assessment, each with its uncertainty.

Plain functions over `AssessmentData` frames; the statistics come from statsmodels and SciPy.

Methods, and why:
- Counts (and euro sums) are compared like-for-like: only members complete in both quarters,
  less any member whose series breaks between them. The interval comes from a quasi-Poisson
  GLM on member-level values with member fixed effects and a period term. Its estimate is
  exactly the like-for-like ratio of sums, and its dispersion (Pearson chi-square over the
  residual degrees of freedom, never below 1) measures how far members' own changes
  disagree. Intervals use Student's t on those degrees of freedom (members - 1), so a
  change seen by two members gets the wide interval it deserves. A bootstrap over three or
  four members would have too few distinct resamples to mean anything.
- Shares (virtual currency among visible payment options, URLs removed within three days)
  pool like-for-like members' counts. A quasi-binomial GLM with member fixed effects
  estimates the over-dispersion between members; the counts are divided by it (an
  effective sample size) before Wilson intervals for each share and the score
  (Miettinen-Nurminen) interval and test for the difference, from statsmodels.
- Trends: the same quasi-Poisson GLM over the window's member quarters, with a log-linear
  time term. A series break adds a level-shift term for the member (or for all members)
  from the break's quarter: the series is split, not bent.
- Concentration: shares over like-for-like members; HHI over attributable categories only
  (`ZZ` unknown and `XO` onion are not countries).
Non-additive indicators (medians, distinct counts) are refused: they are never summed.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    test_proportions_2indep,
)
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

from transforms.assessment import AssessmentData, like_for_like_change
from transforms.periods import parse_period, shift_quarter

ALPHA = 0.05  # two-sided: intervals are 95%
UNATTRIBUTABLE = ("ZZ", "XO")  # hosting "countries" that are not countries
TOP_N = 10
SIGNAL_BREAKDOWNS = (  # where a new or fast-rising category is worth a signal
    ("HL_URLS_CONFIRMED", "hosting_country"),
    ("HL_PAYMENT_OPTIONS_SEEN", "payment_method"),
    ("HL_PAYMENT_OPTIONS_SEEN", "virtual_asset"),
    ("PAY_FLAGGED_TXN_COUNT", "payment_method"),
    ("PAY_CRYPTO_ALERT_HITS", "virtual_asset"),
)
RISING_FAST = 0.5         # a category that grows by half or more on the base quarter...
SIGNAL_MIN_SHARE = 0.01   # ...and holds at least 1% of its breakdown now
SHARE_SHIFT = 0.05        # a share moving 5 percentage points or more is a signal


# -- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeEstimate:
    """Like-for-like change of an additive indicator (or of some of its categories)."""

    indicator: str
    dimension: str
    categories: tuple[str, ...]
    quarter: str
    base_quarter: str
    value: float          # like-for-like sum in `quarter`
    base_value: float     # like-for-like sum in `base_quarter`
    ratio: float          # value / base_value
    change: float         # ratio - 1, a fraction
    low: float            # 95% interval of `change`
    high: float
    p_value: float        # H0: no change
    log_ratio: float
    se: float             # standard error of log_ratio
    df: float             # residual degrees of freedom (members - 1)
    dispersion: float
    members: tuple[str, ...]       # compared: complete in both, no break between
    newcomers: tuple[str, ...]     # complete now only
    absentees: tuple[str, ...]     # complete in the base quarter only
    excluded_for_break: tuple[str, ...]
    total_now: float      # every complete member, newcomers included: label it so
    total_base: float
    members_expected: int
    members_expected_base: int
    coverage_now: float   # members complete / members expected
    coverage_base: float
    has_estimate: bool    # an estimated or provisional value is among those compared
    method: str

    @property
    def comparable_coverage(self) -> float:
        """Members compared / members expected now: what the change speaks for."""
        return len(self.members) / self.members_expected if self.members_expected else math.nan

    def composition(self) -> str:
        """Who the change covers, in counts only (member codes stay out of print)."""
        parts = [f"{len(self.members)} members reporting in both quarters"]
        if self.newcomers:
            parts.append(f"{len(self.newcomers)} reporting only in {self.quarter}")
        if self.absentees:
            parts.append(f"{len(self.absentees)} only in {self.base_quarter}")
        if self.excluded_for_break:
            parts.append(f"{len(self.excluded_for_break)} left out for a series break")
        return "; ".join(parts)

    def probability_beyond(self, margin: float) -> float:
        """Probability that the true change exceeds `margin` (>0) or falls below it (<0).

        Read off the t distribution of the log ratio (a confidence distribution): it is
        one minus the one-sided p-value of the test against the margin.
        """
        if not (self.se > 0 and self.df >= 1) or not math.isfinite(self.log_ratio):
            return math.nan
        bound = math.log1p(margin)
        t_stat = (self.log_ratio - bound) / self.se if margin > 0 \
            else (bound - self.log_ratio) / self.se
        return float(stats.t.cdf(t_stat, self.df))


@dataclass(frozen=True)
class ShareEstimate:
    """Like-for-like share of some categories among others, in two quarters, and its shift."""

    indicator: str
    dimension: str
    categories: tuple[str, ...]
    among: tuple[str, ...] | None     # None: every category of the dimension
    quarter: str
    base_quarter: str
    share: float
    low: float            # Wilson 95% interval
    high: float
    base_share: float
    base_low: float
    base_high: float
    change: float         # share - base_share, a fraction (fmt_points prints it)
    change_low: float     # score 95% interval of the difference
    change_high: float
    p_value: float        # score test, H0: no shift
    count: float
    total: float
    base_count: float
    base_total: float
    dispersion: float     # counts are divided by it before any interval or test
    members: tuple[str, ...]
    excluded_for_break: tuple[str, ...]
    members_expected: int
    coverage_now: float
    coverage_base: float
    has_estimate: bool
    method: str

    @property
    def comparable_coverage(self) -> float:
        return len(self.members) / self.members_expected if self.members_expected else math.nan

    def probability_beyond(self, margin: float) -> float:
        """Probability that the true shift exceeds `margin` points (>0) or is below it (<0).

        One minus the one-sided p-value of the score test against the margin.
        """
        if not (self.total > 0 and self.base_total > 0):
            return math.nan
        d = self.dispersion
        result = test_proportions_2indep(
            self.count / d, self.total / d, self.base_count / d, self.base_total / d,
            value=margin, method="score", compare="diff",
            alternative="larger" if margin > 0 else "smaller")
        return float(1 - result.pvalue)


@dataclass(frozen=True)
class Trend:
    """Log-linear trend of an additive indicator over a window of quarters."""

    indicator: str
    quarters: tuple[str, ...]
    slope_per_quarter: float   # growth per quarter, a fraction
    low: float
    high: float
    p_value: float
    segment_start: str         # first quarter holding data
    n_points: int              # member quarters fitted
    members: int
    level_shifts: tuple[str, ...]  # "member from quarter" (or "all members from ...")
    dispersion: float
    method: str

    @property
    def annual_change(self) -> float:
        return (1 + self.slope_per_quarter) ** 4 - 1


@dataclass(frozen=True)
class Concentration:
    """Top categories of a breakdown with shares, movement and the HHI, like-for-like."""

    indicator: str
    dimension: str
    quarter: str
    base_quarter: str
    top: pd.DataFrame   # category, value, share, previous_share, change_points, rank,
    #                     previous_rank, entered
    entered: tuple[str, ...]
    exited: tuple[str, ...]
    hhi: float          # 0-10,000, attributable categories only
    hhi_base: float
    hhi_change: float
    top1_share: float
    topn_share: float
    topn_share_base: float
    members: tuple[str, ...]
    coverage_now: float


@dataclass(frozen=True)
class Signal:
    """Something an analyst should look at: new, fast-rising, shifting, or gone quiet."""

    kind: str   # new_category, rising_fast, share_shift, entered_top10, exited_top10,
    #             sector_stopped_reporting, member_stopped_reporting
    indicator: str
    dimension: str
    category: str
    quarter: str
    base_quarter: str
    text: str
    evidence: dict = field(default_factory=dict)


# -- member-level inputs -----------------------------------------------------------------


def _quarter_of(period: str) -> str | None:
    parsed = parse_period(str(period))
    return parsed.quarter if parsed else None


def break_quarters(data: AssessmentData, indicator: str) -> dict[str | None, set[str]]:
    """Quarters from which each member's series starts afresh (key None: every member).

    Breaks come from the catalogue (`series_breaks`) and from status `B` in submissions.
    """
    found: dict[str | None, set[str]] = {}
    catalogue = data.series_breaks[data.series_breaks["indicator"] == indicator]
    for row in catalogue.itertuples():
        member = None if pd.isna(row.member_id) or row.member_id == "" else row.member_id
        if (quarter := _quarter_of(row.period)) is not None:
            found.setdefault(member, set()).add(quarter)
    values = data.member_values
    flagged = values[(values["indicator"] == indicator) & values["has_series_break"]]
    for member, quarter in flagged[["member_id", "quarter"]].drop_duplicates().itertuples(
            index=False):
        found.setdefault(member, set()).add(quarter)
    return found


def _breaks_between(breaks: dict[str | None, set[str]], member: str, after: str,
                    until: str) -> bool:
    """A break in (after, until]: the member's two quarters are not comparable."""
    own = breaks.get(member, set()) | breaks.get(None, set())
    return any(after < q <= until for q in own)


def _check_additive(data: AssessmentData, indicator: str) -> None:
    rows = data.member_values[data.member_values["indicator"] == indicator]
    if len(rows) and not rows["is_additive"].all():
        raise ValueError(f"{indicator} is not additive (a median or distinct count): it is "
                         "never summed across members, so it has no coalition change or trend")


def member_cells(data: AssessmentData, indicator: str, quarters: Sequence[str],
                 dimension: str = "", categories: Sequence[str] | None = None) -> pd.DataFrame:
    """member_id, quarter, value, has_estimate: members complete for the indicator each quarter.

    Completeness is the member's total (all months, or the quarterly figure). For a
    breakdown, a member counts when it reported that breakdown in the quarter; a category
    it did not list is zero (country cells are only sent when non-zero, so a cell's own
    month count says nothing about completeness).
    """
    _check_additive(data, indicator)
    values = data.member_values
    rows = values[(values["indicator"] == indicator) & values["quarter"].isin(list(quarters))]
    totals = rows[rows["dimension"] == ""]
    complete = totals[totals["is_complete"] & totals["value"].notna()]
    keys = complete[["member_id", "quarter", "has_estimate"]].rename(
        columns={"has_estimate": "total_estimate"})
    if dimension == "":
        cells = complete
    else:
        cells = rows[rows["dimension"] == dimension]
        keys = keys.merge(cells[["member_id", "quarter"]].drop_duplicates(),
                          on=["member_id", "quarter"])
        if categories is not None:
            cells = cells[cells["category"].isin(list(categories))]
    summed = cells.groupby(["member_id", "quarter"], as_index=False).agg(
        value=("value", "sum"), has_estimate=("has_estimate", "any"))
    out = keys.merge(summed, on=["member_id", "quarter"], how="left")
    out["value"] = out["value"].fillna(0.0).astype(float)
    out["has_estimate"] = out["has_estimate"].fillna(False).astype(bool) | out["total_estimate"]
    return out[["member_id", "quarter", "value", "has_estimate"]].reset_index(drop=True)


def coverage_of(data: AssessmentData, indicator: str, quarter: str) -> tuple[int, float]:
    """(members expected, members complete / expected) under the reporting plan."""
    cov = data.coverage[(data.coverage["indicator"] == indicator)
                        & (data.coverage["quarter"] == quarter)]
    expected = int(cov["member_id"].nunique())
    if expected == 0:
        return 0, math.nan
    return expected, float(cov.loc[cov["is_complete"], "member_id"].nunique()) / expected


# -- models ------------------------------------------------------------------------------


def _quasi_glm(endog: np.ndarray, exog: pd.DataFrame, family):
    """Fit, then refit with the Pearson dispersion (never below 1) and t inference.

    Returns (results, dispersion, residual df); with no residual df the dispersion cannot
    be estimated and comes back NaN (the caller must not print an interval).
    """
    model = sm.GLM(endog, exog.astype(float), family=family)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (ConvergenceWarning, PerfectSeparationWarning))
        first = model.fit()
        df = int(round(first.df_resid))
        if df < 1:
            return first, math.nan, 0
        dispersion = max(float(first.pearson_chi2) / df, 1.0)
        return model.fit(scale=dispersion, use_t=True), dispersion, df


def _member_dummies(members: pd.Series) -> pd.DataFrame:
    return pd.get_dummies(members.astype(str), prefix="m", dtype=float)


def _ratio_model(now: pd.Series, base: pd.Series) -> dict:
    """Quasi-Poisson GLM, member fixed effects + period: log ratio, its se, df, p."""
    frame = pd.DataFrame({"now": now, "base": base})
    frame = frame[(frame["now"] > 0) | (frame["base"] > 0)]  # all-zero members carry nothing
    nan = {"log_ratio": math.nan, "se": math.nan, "df": math.nan, "p_value": math.nan,
           "dispersion": math.nan, "low": math.nan, "high": math.nan}
    if frame.empty or frame["now"].sum() == 0 or frame["base"].sum() == 0:
        return nan
    long = pd.concat([
        pd.DataFrame({"member": frame.index, "period": 0.0, "y": frame["base"].to_numpy()}),
        pd.DataFrame({"member": frame.index, "period": 1.0, "y": frame["now"].to_numpy()}),
    ], ignore_index=True)
    exog = pd.concat([_member_dummies(long["member"]), long[["period"]]], axis=1)
    results, dispersion, df = _quasi_glm(long["y"].to_numpy(float), exog, sm.families.Poisson())
    log_ratio = float(results.params["period"])
    if df < 1:
        return {**nan, "log_ratio": log_ratio, "df": 0.0}
    low, high = results.conf_int(alpha=ALPHA).loc["period"]
    return {"log_ratio": log_ratio, "se": float(results.bse["period"]), "df": float(df),
            "p_value": float(results.pvalues["period"]), "dispersion": dispersion,
            "low": math.expm1(low), "high": math.expm1(high)}


def count_change(data: AssessmentData, indicator: str, quarter: str, base_quarter: str, *,
                 dimension: str = "", category: str | Sequence[str] | None = None
                 ) -> ChangeEstimate:
    """Like-for-like change between two quarters with a quasi-Poisson 95% interval."""
    categories = (category,) if isinstance(category, str) else \
        tuple(category) if category is not None else ()
    cells = member_cells(data, indicator, [quarter, base_quarter], dimension,
                         categories or None)
    now = cells[cells["quarter"] == quarter].set_index("member_id")
    base = cells[cells["quarter"] == base_quarter].set_index("member_id")
    both = sorted(now.index.intersection(base.index))
    breaks = break_quarters(data, indicator)
    earlier, later = sorted([base_quarter, quarter])
    excluded = tuple(m for m in both if _breaks_between(breaks, m, earlier, later))
    members = tuple(m for m in both if m not in excluded)
    if dimension == "" and not categories:
        # The published like-for-like figure, over the members a break leaves comparable.
        kept = data.member_values[~data.member_values["member_id"].isin(list(excluded))]
        lfl = like_for_like_change(_with_values(data, kept), indicator, quarter, base_quarter)
        value, base_value = lfl["value"], lfl["base_value"]
    else:
        value = float(now.loc[list(members), "value"].sum())
        base_value = float(base.loc[list(members), "value"].sum())
    fit = _ratio_model(now.loc[list(members), "value"], base.loc[list(members), "value"])
    ratio = value / base_value if base_value > 0 else math.nan
    expected, coverage_now = coverage_of(data, indicator, quarter)
    expected_base, coverage_base = coverage_of(data, indicator, base_quarter)
    method = ("quasi-Poisson GLM on member values, member fixed effects, t on "
              f"{int(fit['df'])} df" if fit["df"] and fit["df"] >= 1 else
              "ratio of like-for-like sums; no interval (fewer than two members or a zero base)")
    return ChangeEstimate(
        indicator=indicator, dimension=dimension, categories=categories, quarter=quarter,
        base_quarter=base_quarter, value=value, base_value=base_value, ratio=ratio,
        change=ratio - 1, low=fit["low"], high=fit["high"], p_value=fit["p_value"],
        log_ratio=fit["log_ratio"], se=fit["se"], df=fit["df"], dispersion=fit["dispersion"],
        members=members,
        newcomers=tuple(sorted(now.index.difference(base.index))),
        absentees=tuple(sorted(base.index.difference(now.index))),
        excluded_for_break=excluded,
        total_now=float(now["value"].sum()), total_base=float(base["value"].sum()),
        members_expected=expected, members_expected_base=expected_base,
        coverage_now=coverage_now, coverage_base=coverage_base,
        has_estimate=bool(now.loc[list(members), "has_estimate"].any()
                          or base.loc[list(members), "has_estimate"].any()),
        method=method)


def _with_values(data: AssessmentData, member_values: pd.DataFrame) -> AssessmentData:
    from dataclasses import replace
    return replace(data, member_values=member_values)


def _share_dispersion(num_now, den_now, num_base, den_base) -> tuple[float, int]:
    """Quasi-binomial dispersion between members (member fixed effects + period)."""
    frame = pd.DataFrame({"x0": num_base, "n0": den_base, "x1": num_now, "n1": den_now})
    informative = ~(((frame["x0"] == 0) & (frame["x1"] == 0))
                    | ((frame["x0"] == frame["n0"]) & (frame["x1"] == frame["n1"])))
    frame = frame[informative]
    if len(frame) < 2:
        return math.nan, 0
    long = pd.concat([
        pd.DataFrame({"member": frame.index, "period": 0.0, "x": frame["x0"].to_numpy(),
                      "n": frame["n0"].to_numpy()}),
        pd.DataFrame({"member": frame.index, "period": 1.0, "x": frame["x1"].to_numpy(),
                      "n": frame["n1"].to_numpy()}),
    ], ignore_index=True)
    exog = pd.concat([_member_dummies(long["member"]), long[["period"]]], axis=1)
    endog = np.column_stack([long["x"].to_numpy(float), (long["n"] - long["x"]).to_numpy(float)])
    _, dispersion, df = _quasi_glm(endog, exog, sm.families.Binomial())
    return dispersion, df


def share_change(data: AssessmentData, indicator: str, dimension: str,
                 category: str | Sequence[str], quarter: str, base_quarter: str, *,
                 among: Sequence[str] | None = None) -> ShareEstimate:
    """Share of `category` among `among` (default: all categories) now and in the base quarter."""
    categories = (category,) if isinstance(category, str) else tuple(category)
    quarters = [quarter, base_quarter]
    num = member_cells(data, indicator, quarters, dimension, categories)
    den = member_cells(data, indicator, quarters, dimension, among)
    cells = den.merge(num[["member_id", "quarter", "value"]], on=["member_id", "quarter"],
                      suffixes=("_den", "_num"))
    cells = cells[cells["value_den"] > 0]
    now = cells[cells["quarter"] == quarter].set_index("member_id")
    base = cells[cells["quarter"] == base_quarter].set_index("member_id")
    both = sorted(now.index.intersection(base.index))
    breaks = break_quarters(data, indicator)
    earlier, later = sorted(quarters)
    excluded = tuple(m for m in both if _breaks_between(breaks, m, earlier, later))
    members = [m for m in both if m not in excluded]
    now, base = now.loc[members], base.loc[members]
    x1, n1 = float(now["value_num"].sum()), float(now["value_den"].sum())
    x0, n0 = float(base["value_num"].sum()), float(base["value_den"].sum())
    dispersion, df = _share_dispersion(now["value_num"], now["value_den"],
                                       base["value_num"], base["value_den"])
    estimated = math.isfinite(dispersion)
    d = dispersion if estimated else 1.0
    nan = math.nan
    low = high = base_low = base_high = change_low = change_high = p_value = nan
    if n1 > 0:
        low, high = proportion_confint(x1 / d, n1 / d, alpha=ALPHA, method="wilson")
    if n0 > 0:
        base_low, base_high = proportion_confint(x0 / d, n0 / d, alpha=ALPHA, method="wilson")
    if n1 > 0 and n0 > 0:
        degenerate = (x0 + x1 == 0) or (x0 + x1 == n0 + n1)
        if degenerate:  # no variation at all: the score statistic is undefined
            p_value = 1.0
            change_low, change_high = confint_proportions_2indep(
                x1 / d, n1 / d, x0 / d, n0 / d, method="newcomb", compare="diff", alpha=ALPHA)
        else:
            p_value = float(test_proportions_2indep(
                x1 / d, n1 / d, x0 / d, n0 / d, method="score", compare="diff").pvalue)
            change_low, change_high = confint_proportions_2indep(
                x1 / d, n1 / d, x0 / d, n0 / d, method="score", compare="diff", alpha=ALPHA)
    expected, coverage_now = coverage_of(data, indicator, quarter)
    _, coverage_base = coverage_of(data, indicator, base_quarter)
    method = ("Wilson intervals and score test on counts divided by the quasi-binomial "
              f"dispersion {d:.2f} ({df} df, member fixed effects)" if estimated else
              "Wilson intervals and score test, binomial only (over-dispersion not "
              "estimable from fewer than two informative members)")
    return ShareEstimate(
        indicator=indicator, dimension=dimension, categories=categories,
        among=tuple(among) if among is not None else None, quarter=quarter,
        base_quarter=base_quarter,
        share=x1 / n1 if n1 > 0 else nan, low=float(low), high=float(high),
        base_share=x0 / n0 if n0 > 0 else nan, base_low=float(base_low),
        base_high=float(base_high),
        change=(x1 / n1 - x0 / n0) if n1 > 0 and n0 > 0 else nan,
        change_low=float(change_low), change_high=float(change_high), p_value=p_value,
        count=x1, total=n1, base_count=x0, base_total=n0, dispersion=d,
        members=tuple(members), excluded_for_break=excluded, members_expected=expected,
        coverage_now=coverage_now, coverage_base=coverage_base,
        has_estimate=bool(now["has_estimate"].any() or base["has_estimate"].any()),
        method=method)


def trend(data: AssessmentData, indicator: str, quarters: Sequence[str], *,
          dimension: str = "", category: str | Sequence[str] | None = None) -> Trend:
    """Growth per quarter over `quarters` (oldest first), breaks as level shifts."""
    categories = (category,) if isinstance(category, str) else \
        tuple(category) if category is not None else None
    quarters = list(quarters)
    cells = member_cells(data, indicator, quarters, dimension, categories)
    cells = cells[cells.groupby("member_id")["value"].transform("sum") > 0].copy()
    cells["t"] = cells["quarter"].map({q: i for i, q in enumerate(quarters)}).astype(float)
    nan_trend = Trend(indicator, tuple(quarters), math.nan, math.nan, math.nan, math.nan,
                      min(cells["quarter"], default=""), len(cells),
                      cells["member_id"].nunique(), (), math.nan,
                      "not enough member quarters for a trend")
    if cells["quarter"].nunique() < 3:
        return nan_trend
    exog = pd.concat([_member_dummies(cells["member_id"]).set_axis(cells.index),
                      cells[["t"]]], axis=1)
    shifts = []
    breaks = break_quarters(data, indicator)
    for member in sorted(cells["member_id"].unique()):
        own = cells["member_id"] == member
        for q in sorted(breaks.get(member, set()) | breaks.get(None, set())):
            after = own & (cells["quarter"] >= q)
            if after.any() and (own & ~after).any():  # a shift needs points on both sides
                column = f"shift_{member}_{q}"
                exog[column] = after.astype(float)
                shifts.append(f"{member} from {q}")
    results, dispersion, df = _quasi_glm(cells["value"].to_numpy(float), exog,
                                         sm.families.Poisson())
    if df < 1:
        return nan_trend
    low, high = results.conf_int(alpha=ALPHA).loc["t"]
    return Trend(
        indicator=indicator, quarters=tuple(quarters),
        slope_per_quarter=math.expm1(float(results.params["t"])),
        low=math.expm1(low), high=math.expm1(high), p_value=float(results.pvalues["t"]),
        segment_start=min(cells["quarter"]), n_points=len(cells),
        members=cells["member_id"].nunique(), level_shifts=tuple(shifts),
        dispersion=dispersion,
        method=f"quasi-Poisson GLM, member fixed effects, log-linear time, {len(shifts)} "
               f"level shift(s) for series breaks, t on {df} df")


def _hhi(shares: pd.Series) -> float:
    attributable = shares[~shares.index.isin(UNATTRIBUTABLE)]
    if attributable.sum() <= 0:
        return math.nan
    attributable = attributable / attributable.sum()
    return float((attributable ** 2).sum() * 10_000)


def concentration(data: AssessmentData, indicator: str, dimension: str, quarter: str,
                  base_quarter: str | None = None, n: int = TOP_N) -> Concentration:
    """Top-n categories with share and change in points, entries, exits and the HHI."""
    base_quarter = base_quarter or shift_quarter(quarter, -1)
    totals = member_cells(data, indicator, [quarter, base_quarter], dimension)
    per_quarter = totals.pivot_table(index="member_id", columns="quarter", values="value")
    members = sorted(per_quarter.dropna().index) if {quarter, base_quarter} <= set(
        per_quarter.columns) else []
    breaks = break_quarters(data, indicator)
    earlier, later = sorted([quarter, base_quarter])
    members = [m for m in members if not _breaks_between(breaks, m, earlier, later)]
    values = data.member_values
    cells = values[(values["indicator"] == indicator) & (values["dimension"] == dimension)
                   & values["member_id"].isin(members)
                   & values["quarter"].isin([quarter, base_quarter])]
    sums = cells.groupby(["quarter", "category"])["value"].sum().unstack("quarter")
    sums = sums.reindex(columns=[base_quarter, quarter]).fillna(0.0)
    shares = sums / sums.sum().replace(0, np.nan)
    now, then = shares[quarter].fillna(0.0), shares[base_quarter].fillna(0.0)
    order = pd.DataFrame({"value": sums[quarter], "share": now})
    order = order[order["value"] > 0].sort_values(["value"], ascending=False,
                                                  kind="stable").head(n)
    previous_rank = sums[base_quarter][sums[base_quarter] > 0].rank(
        ascending=False, method="first")
    top = order.reset_index().rename(columns={"index": "category"})
    top["previous_share"] = then.reindex(top["category"]).to_numpy()
    top["change_points"] = (top["share"] - top["previous_share"]) * 100
    top["rank"] = range(1, len(top) + 1)
    top["previous_rank"] = previous_rank.reindex(top["category"]).to_numpy()
    top["entered"] = top["previous_rank"].isna() | (top["previous_rank"] > n)
    top_before = set(previous_rank[previous_rank <= n].index)
    hhi, hhi_base = _hhi(now), _hhi(then)
    expected, coverage_now = coverage_of(data, indicator, quarter)
    return Concentration(
        indicator=indicator, dimension=dimension, quarter=quarter, base_quarter=base_quarter,
        top=top, entered=tuple(top.loc[top["entered"], "category"]),
        exited=tuple(sorted(top_before - set(top["category"]))),
        hhi=hhi, hhi_base=hhi_base, hhi_change=hhi - hhi_base,
        top1_share=float(top["share"].iloc[0]) if len(top) else math.nan,
        topn_share=float(top["share"].sum()) if len(top) else math.nan,
        topn_share_base=float(then.sort_values(ascending=False).head(n).sum()),
        members=tuple(members), coverage_now=coverage_now)


# -- signals -----------------------------------------------------------------------------


def _category_signals(data: AssessmentData, indicator: str, dimension: str, quarter: str,
                      base_quarter: str) -> list[Signal]:
    values = data.member_values
    present = values[(values["indicator"] == indicator) & (values["dimension"] == dimension)
                     & values["quarter"].isin([quarter, base_quarter])]
    if present.empty:
        return []
    found = []
    total_now = count_change(data, indicator, quarter, base_quarter, dimension=dimension)
    if total_now.value <= 0:
        return []
    for category in sorted(present["category"].unique()):
        change = count_change(data, indicator, quarter, base_quarter, dimension=dimension,
                              category=category)
        share_now = change.value / total_now.value
        evidence = {"value": change.value, "base_value": change.base_value,
                    "change": change.change, "low": change.low, "high": change.high,
                    "p_value": change.p_value, "share": share_now,
                    "members": len(change.members)}
        where = f"{indicator} by {dimension}"
        if change.base_value == 0 and share_now >= SIGNAL_MIN_SHARE:
            found.append(Signal(
                "new_category", indicator, dimension, category, quarter, base_quarter,
                f"New in {where}: {category} holds {share_now:.1%} in {quarter}, none in "
                f"{base_quarter} (same members).", evidence))
        elif (change.change >= RISING_FAST and change.p_value < ALPHA
              and share_now >= SIGNAL_MIN_SHARE):
            found.append(Signal(
                "rising_fast", indicator, dimension, category, quarter, base_quarter,
                f"Rising fast in {where}: {category} {change.change:+.0%} on {base_quarter} "
                f"(95% interval {change.low:+.0%} to {change.high:+.0%}), {share_now:.1%} of "
                f"the breakdown.", evidence))
        shift = share_change(data, indicator, dimension, category, quarter, base_quarter)
        if abs(shift.change) >= SHARE_SHIFT and shift.p_value < ALPHA:
            found.append(Signal(
                "share_shift", indicator, dimension, category, quarter, base_quarter,
                f"Share shift in {where}: {category} {shift.base_share:.1%} -> "
                f"{shift.share:.1%} ({shift.change * 100:+.1f} points, 95% interval "
                f"{shift.change_low * 100:+.1f} to {shift.change_high * 100:+.1f}).",
                {"share": shift.share, "base_share": shift.base_share,
                 "change": shift.change, "low": shift.change_low, "high": shift.change_high,
                 "p_value": shift.p_value, "members": len(shift.members)}))
    return found


def _reporting_signals(data: AssessmentData, quarter: str, base_quarter: str) -> list[Signal]:
    cov = data.coverage[data.coverage["quarter"].isin([quarter, base_quarter])]
    submitted = cov[cov["is_submitted"]]
    found = []
    for (sector, indicator), rows in submitted.groupby(["sector", "indicator"]):
        before = set(rows.loc[rows["quarter"] == base_quarter, "member_id"])
        now = set(rows.loc[rows["quarter"] == quarter, "member_id"])
        expected_now = set(cov.loc[(cov["quarter"] == quarter) & (cov["sector"] == sector)
                                   & (cov["indicator"] == indicator), "member_id"])
        stopped = sorted((before - now) & expected_now)
        if not stopped:
            continue
        evidence = {"sector": sector, "stopped": stopped, "still_reporting": sorted(now)}
        if not now:
            found.append(Signal(
                "sector_stopped_reporting", indicator, "", "", quarter, base_quarter,
                f"No {sector} member reported {indicator} for {quarter}; {len(before)} did "
                f"for {base_quarter}.", evidence))
        else:
            found.append(Signal(
                "member_stopped_reporting", indicator, "", "", quarter, base_quarter,
                f"{len(stopped)} {sector} member(s) that reported {indicator} for "
                f"{base_quarter} did not for {quarter}; {len(now)} still do.", evidence))
    return found


def signals(data: AssessmentData, quarter: str, base_quarter: str | None = None) -> list[Signal]:
    """New or fast-rising categories, share shifts, top-10 movement and reporting gaps."""
    base_quarter = base_quarter or shift_quarter(quarter, -1)
    found: list[Signal] = []
    for indicator, dimension in SIGNAL_BREAKDOWNS:
        found += _category_signals(data, indicator, dimension, quarter, base_quarter)
    hosting = concentration(data, "HL_URLS_CONFIRMED", "hosting_country", quarter,
                            base_quarter)
    for kind, categories in (("entered_top10", hosting.entered),
                             ("exited_top10", hosting.exited)):
        for category in categories:
            verb = "entered" if kind == "entered_top10" else "left"
            found.append(Signal(
                kind, "HL_URLS_CONFIRMED", "hosting_country", category, quarter, base_quarter,
                f"{category} {verb} the top {TOP_N} hosting countries of confirmed URLs in "
                f"{quarter}.", {"hhi": hosting.hhi, "hhi_change": hosting.hhi_change}))
    found += _reporting_signals(data, quarter, base_quarter)
    return found

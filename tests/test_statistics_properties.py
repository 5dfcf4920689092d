"""Nothing a member can send stops the statistics (issue 14 section 2, issue 18 item 1).

Generated member panels (one to five members, a year or more of quarters, a breakdown by
hosting country) mix ordinary counts with zeros, outliers, values beyond any plausible
count, negative values, infinities and NaN. Every public statistic must return, write no
warning, and either give a consistent interval or none with its method saying why.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as hs

from tests.test_statistics import QUARTER, QUARTERS, build
from transforms import statistics as st

BOUNDED = settings(max_examples=25, deadline=None, database=None, derandomize=True,
                   phases=(Phase.explicit, Phase.generate),  # a failure shows unshrunk
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
COUNTRIES = ("NL", "US", "LI", "ZZ")
WINDOW = QUARTERS[-8:]

ordinary = hs.integers(0, 50_000).map(float)
extreme = hs.sampled_from([0.0, 1.0, 98_765.0, 5e8, 1e12, 1e15, 99999999999999999999999.0,
                           1e300, math.inf, -math.inf, math.nan, -1.0])
value = hs.one_of(ordinary, ordinary, ordinary, extreme)


@hs.composite
def panels(draw) -> list[dict]:
    """Member quarters of HL_URLS_CONFIRMED with a hosting-country breakdown."""
    members = draw(hs.integers(1, 5))
    quarters = QUARTERS[-draw(hs.integers(2, len(QUARTERS))):]
    rows = []
    for m in range(members):
        member = f"hl-{m}"
        level = draw(hs.sampled_from([0.0, 3.0, 170.0, 6_000.0, 90_000.0]))
        for quarter in quarters:
            if quarter != QUARTER and draw(hs.integers(0, 9)) == 0:
                continue  # a quarter not sent
            cells = {c: draw(hs.one_of(hs.just(round(level / len(COUNTRIES))), value))
                     for c in COUNTRIES if draw(hs.booleans())}
            total = draw(hs.one_of(hs.just(float(sum(cells.values()))), value))
            rows.append({"member_id": member, "quarter": quarter,
                         "indicator": "HL_URLS_CONFIRMED", "value": total})
            rows += [{"member_id": member, "quarter": quarter,
                      "indicator": "HL_URLS_CONFIRMED", "dimension": "hosting_country",
                      "category": c, "value": float(v)} for c, v in cells.items()]
    return rows


def _calm(function, *args, **kwargs):
    """Call a statistic and fail on any warning it lets out (it would reach stderr)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = function(*args, **kwargs)
    assert not caught, [f"{w.category.__name__}: {w.message}" for w in caught]
    return result


def _probability(p: float) -> None:
    assert math.isnan(p) or 0.0 <= p <= 1.0


def _interval(low: float, estimate: float, high: float) -> None:
    """An interval is whole (both ends finite, in order) or absent (both NaN)."""
    assert math.isnan(low) == math.isnan(high)
    if not math.isnan(low):
        assert low <= high
        if math.isfinite(estimate):
            assert low - 1e-9 <= estimate <= high + 1e-9


@BOUNDED
@given(panels())
@example([{"member_id": "hl-east", "quarter": q, "indicator": "HL_URLS_CONFIRMED",
           "value": v} for q, v in zip(WINDOW, [177, 158, 178, 171, 163, 166, 185, 98_863],
                                       strict=True)]
         + [{"member_id": "hl-north", "quarter": q, "indicator": "HL_URLS_CONFIRMED",
             "value": v} for q, v in zip(WINDOW, [62_102, 68_838, 68_740, 91_316, 96_764,
                                                  95_361, 94_196, 86_226], strict=True)])
def test_count_change_and_trend_never_stop(rows):
    data = build(rows)
    for base in ("2025-Q3", "2026-Q2"):
        est = _calm(st.count_change, data, "HL_URLS_CONFIRMED", QUARTER, base)
        assert math.isnan(est.low) == (len(est.errors) == 0)
        if math.isnan(est.low):
            assert "no interval" in est.method
            assert math.isnan(est.probability_beyond(0.1))
        else:
            assert est.low <= est.high and 0 <= est.p_value <= 1
            assert np.isfinite(est.errors).all()
        _probability(est.probability_beyond(0.1))
        _probability(est.probability_beyond(-0.1))
        changed = _calm(st.count_change, data, "HL_URLS_CONFIRMED", QUARTER, base,
                        dimension="hosting_country", category="LI")
        _probability(changed.probability_beyond(0.1))
    result = _calm(st.trend, data, "HL_URLS_CONFIRMED", WINDOW)
    _interval(result.low, result.slope_per_quarter, result.high)
    if not math.isnan(result.low):
        assert 0 <= result.p_value <= 1 and result.se > 0
    _probability(result.probability_beyond(0.1))


@BOUNDED
@given(panels())
def test_shares_concentration_and_signals_never_stop(rows):
    data = build(rows)
    for base in ("2025-Q3", "2026-Q2"):
        share = _calm(st.share_change, data, "HL_URLS_CONFIRMED", "hosting_country", "LI",
                      QUARTER, base)
        _interval(share.low, share.share, share.high)
        _interval(share.change_low, share.change, share.change_high)
        assert math.isnan(share.p_value) or 0 <= share.p_value <= 1
        _probability(share.probability_beyond(0.05))
        _probability(share.probability_beyond(-0.05))
        conc = _calm(st.concentration, data, "HL_URLS_CONFIRMED", "hosting_country",
                     QUARTER, base)
        assert math.isnan(conc.hhi) or 0 <= conc.hhi <= 10_000 + 1e-6
        parts = _calm(st.share_composition, data, "HL_URLS_CONFIRMED", "hosting_country",
                      ["LI"], QUARTER, base, among=COUNTRIES)
        assert parts.moved in ("part", "rest", "both", "neither")
        assert parts.rest.categories == ("NL", "US", "ZZ")
        judged = st.judge_confidence(members=len(share.members), members_expected=5,
                                     evidence=share.evidence,
                                     model_fitted=len(share.evidence.draws) > 0)
        assert judged.level in st.CONFIDENCE_LEVELS and judged.strength and judged.limitation
    trend = _calm(st.share_trend, data, "HL_URLS_CONFIRMED", "hosting_country", "NL", WINDOW)
    _interval(trend.low, trend.points_per_year, trend.high)
    _probability(trend.probability_beyond(0.05))
    found = _calm(st.signals, data, QUARTER)
    assert all(isinstance(s, st.Signal) for s in found)


@pytest.mark.parametrize("bad", [math.inf, 99999999999999999999999.0, 1e300, -1.0])
def test_a_value_no_model_takes_is_checked_before_fitting(bad):
    """The dispersion searches refuse such values themselves: they do not rely on intake."""
    y = np.array([10.0, 12.0, 9.0, 11.0, bad, 10.0, 13.0, 12.0])
    exog = np.column_stack([np.ones(8), np.arange(8.0)])
    assert _calm(st._nb_alpha, y, exog) == (pytest.approx(math.nan, nan_ok=True), 0)
    n = np.full(8, 100.0)
    assert math.isnan(_calm(st._bb_rho, y, n, exog)[0])
    assert st._unmodellable(y)
    assert not st._unmodellable(np.array([0.0, 1.0, st.MAX_MODELLED]))

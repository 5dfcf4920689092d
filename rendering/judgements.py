"""Key judgements drafted from the figures, worded with the probability yardstick.

A judgement states that something changed materially (a count by more than 10%, a share by
more than 5 percentage points; on a year earlier like-for-like, or a year's worth along the
last 8 quarters' trend) and says how likely that is. The probability comes from the
statistics (`transforms.statistics`): the model's probability that the change exceeds the
materiality margin, from draws of a model of members' changes or trends (count noise and
members differing from one another).
It is mapped to the yardstick rounding towards 50%, so a figure in a gap of the yardstick
takes the weaker term. Nothing is drafted unless the change is also significant at 5%
after Benjamini-Hochberg adjustment over all the quarter's tests, rests on at least
`min_members` members, and reaches "realistic possibility"; of an indicator's change and
trend only the stronger is drafted. Confidence (high / moderate / low) is judged
separately, on the evidence (`statistics.judge_confidence`: concentration in one member,
coverage, breaks, revisions, model fit, another sector's corroboration), and stated with
its main strength and limitation; a share's judgement also says which count moved it.

Every figure in a drafted sentence is a named value (`{urls_confirmed.change_yoy}`), filled
from `Draft.values`, so an analyst's rewording and the draft print the same current figure.
The drafting lives beside the report it is written for: it words figures with
`rendering.formatting`, and only the report reads it.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import pycountry
from statsmodels.stats.multitest import multipletests

from rendering import texts
from rendering.formatting import (
    SUPPRESSED,
    fmt_change_pct,
    fmt_count,
    fmt_eur,
    fmt_number,
    fmt_pct,
    fmt_points,
)
from transforms import statistics as st
from transforms.assessment import AssessmentData
from transforms.periods import shift_quarter

# The probability yardstick (UK PHIA, 2025): term, lowest and highest probability it covers,
# as the yardstick annex prints it (report_templates/texts/yardstick.toml).
YARDSTICK: tuple[tuple[str, float, float], ...] = texts.yardstick()
TERMS = tuple(term for term, _, _ in YARDSTICK)
WITH_ARTICLE = {"remote chance": "a remote chance",
                "realistic possibility": "a realistic possibility"}
CONFIDENCE_LEVELS = st.CONFIDENCE_LEVELS

MATERIAL_CHANGE = 0.10   # a count moving by more than 10% on a year earlier
MATERIAL_SHIFT = 0.05    # a share moving by more than 5 percentage points
SIGNIFICANCE = st.ALPHA  # and the 95% interval excludes no change
DRAFT_FLOOR = 0.40       # weaker than "realistic possibility": not drafted
MIN_MEMBERS = 3          # as the disclosure threshold: pass rules.min_contributors
TREND_QUARTERS = 8

VISIBLE_PAYMENT_METHODS = ("card", "bank_transfer", "money_transfer", "e_wallet",
                           "virtual_currency", "voucher", "mobile_money")  # not `hidden`
NOT_COUNTRIES = {"ZZ": "unknown locations", "XO": "onion services"}
COUNTRIES_WITH_THE = {"NL", "US", "GB", "PH", "AE", "BS", "GM", "DO", "CF", "KM", "MV"}


@dataclass(frozen=True)
class ShareSpec:
    """A share the assessment judges: some categories of a breakdown among others."""

    key: str
    indicator: str
    dimension: str
    categories: tuple[str, ...]
    among: tuple[str, ...] | None
    phrase: str   # what the share is, to follow "It is likely that"
    part_noun: str = "the count it is a share of"    # the categories' own count...
    rest_noun: str = "the other categories"          # ...and the rest, in a sentence


SHARES = (
    ShareSpec("vc_share", "HL_PAYMENT_OPTIONS_SEEN", "payment_method", ("virtual_currency",),
              VISIBLE_PAYMENT_METHODS,
              "virtual currency's share of the payment options seen on commercial sites",
              "sightings of virtual currency", "sightings of the other payment options"),
    ShareSpec("removed_3d_share", "HL_TAKEDOWN_BY_BUCKET", "takedown_bucket",
              ("same_day", "d1_3"), None, "the share of URLs removed within three days",
              "URLs removed within three days", "URLs removed later"),
)
HOSTING = ("HL_URLS_CONFIRMED", "hosting_country")
CATEGORY_COUNTS = {  # categories whose own counts carry a story: indicator, dimension,
    # categories, what they are in a sentence, who reports them
    "livestream_cases": ("LE_CASES_OPENED", "offence_type", ("livestream_purchase",),
                         "police cases opened for live-streamed abuse bought online",
                         "police units"),
    "small_payments": ("PAY_FLAGGED_TXN_COUNT", "amount_band", ("lt10", "10_100"),
                       "flagged transactions under €100, the remittances live-streaming is "
                       "paid with,", "payment providers"),
}


@dataclass(frozen=True)
class Judgement:
    """One key judgement: its text, yardstick term, confidence and the evidence behind it."""

    key: str
    text: str
    probability_term: str
    confidence: str
    evidence: dict = field(default_factory=dict)
    strength: float = math.nan   # probability behind the term (NaN: an analyst's own)
    size: float = math.nan       # |log ratio| or |points|: ranks equal strengths
    template: str = ""           # the text with its named values, before filling
    source: str = "drafted"      # drafted | reworded | analyst
    confidence_note: str = ""    # the evidence's main strength and main limitation


@dataclass(frozen=True)
class Draft:
    """The drafted judgements, ranked, and every named value their text may use."""

    judgements: list[Judgement]
    values: dict[str, str]


class UnknownValueError(KeyError):
    """A text names a value that the figures do not provide."""


# -- the yardstick -------------------------------------------------------------------------


def probability_term(probability: float) -> str:
    """The yardstick term for a probability, never stronger than it (gaps round to 50%)."""
    if not 0 <= probability <= 1:
        raise ValueError(f"probability {probability!r} is not between 0 and 1")
    if probability >= 0.5:
        return [term for term, low, _ in YARDSTICK if low <= probability][-1]
    return [term for term, _, high in YARDSTICK if high >= probability][0]


def in_sentence(term: str) -> str:
    """The term as it reads after "It is": "a realistic possibility", "likely"."""
    return WITH_ARTICLE.get(term, term)


def judgement_values(judgement: Judgement) -> dict[str, str]:
    """The named values of a judgement itself: `<key>.probability` reads in a sentence
    ("It is {key.probability} that ..."), `<key>.term` is the bare yardstick term."""
    return {f"{judgement.key}.probability": in_sentence(judgement.probability_term),
            f"{judgement.key}.term": judgement.probability_term,
            f"{judgement.key}.confidence": judgement.confidence}


def term_rank(term: str) -> int:
    """Position on the yardstick (0 remote chance ... 6 almost certain)."""
    if term not in TERMS:
        raise ValueError(f"{term!r} is not a yardstick term; use one of: " + ", ".join(TERMS))
    return TERMS.index(term)


# -- named values --------------------------------------------------------------------------

NAME = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
VALID_NAME = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$")


def fill_values(template: str, values: Mapping[str, str]) -> str:
    """`{name}` replaced by its value; `{{` and `}}` are literal braces.

    Plain substitution, never `str.format`: a name is looked up whole, nothing is evaluated.
    """
    def substitute(match: re.Match) -> str:
        if match.group(0) == "{{":
            return "{"
        if match.group(0) == "}}":
            return "}"
        name = match.group(1).strip()
        if not VALID_NAME.match(name):
            raise UnknownValueError(f"{{{match.group(1)}}} is not a value name (letters, digits, "
                                    "_ and dots); write {{ and }} for literal braces")
        if name not in values:
            raise UnknownValueError(_unknown(name, values))
        return str(values[name])

    return NAME.sub(substitute, template)


def _unknown(name: str, values: Mapping[str, str]) -> str:
    close = difflib.get_close_matches(name, list(values), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join('{' + c + '}' for c in close)}?" if close else \
        f"; names start with one of: {', '.join(sorted({v.split('.')[0] for v in values})[:12])}"
    return f"unknown value {{{name}}}{hint}"


def short_name(indicator: str) -> str:
    """`HL_URLS_CONFIRMED` -> `urls_confirmed`: the indicator's name in value names."""
    head, _, rest = indicator.partition("_")
    return (rest if head in {"HL", "PAY", "LE", "IND", "NGO"} and rest else indicator).lower()


def _indicator_info(data: AssessmentData) -> dict[str, tuple[str, str]]:
    """indicator -> (name, unit), falling back to the code where the catalogue is silent."""
    info = {}
    for row in data.indicators.itertuples():
        info[str(row.indicator)] = (str(row.name), str(row.unit))
    return info


def _noun(name: str, unit: str) -> str:
    lowered = name if name[:2].isupper() else name[0].lower() + name[1:]
    if unit == "EUR":
        return "the " + lowered if lowered.startswith("value") else "the value of " + lowered
    return "the number of " + lowered


def _place(code: str) -> str:
    if code in NOT_COUNTRIES:
        return NOT_COUNTRIES[code]
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return f"the {country.name}" if code in COUNTRIES_WITH_THE else country.name


def _additive_indicators(data: AssessmentData, quarter: str) -> list[str]:
    values = data.member_values
    present = values[(values["quarter"] == quarter) & values["is_additive"]
                     & (values["dimension"] == "")]
    return sorted(present["indicator"].unique())


def _change_values(prefix: str, suffix: str, est: st.ChangeEstimate,
                   min_members: int, part: str = "") -> dict[str, str]:
    hidden = len(est.members) < min_members
    def show(x: float) -> str:
        return SUPPRESSED if hidden else fmt_change_pct(x)
    return {
        f"{prefix}.{part}change_{suffix}": show(est.change),
        f"{prefix}.{part}change_{suffix}_low": show(est.low),
        f"{prefix}.{part}change_{suffix}_high": show(est.high),
        f"{prefix}.{part}members_{suffix}": str(len(est.members)),
        f"{prefix}.{part}base_quarter_{suffix}": est.base_quarter,
    }


def _share_values(prefix: str, suffix: str, est: st.ShareEstimate,
                  min_members: int) -> dict[str, str]:
    hidden = len(est.members) < min_members
    def pct(x: float) -> str:
        return SUPPRESSED if hidden else fmt_pct(x)
    def pts(x: float) -> str:
        return SUPPRESSED if hidden else fmt_points(x)
    return {
        f"{prefix}.base_value_{suffix}": pct(est.base_share),
        f"{prefix}.change_{suffix}": pts(est.change),
        f"{prefix}.change_{suffix}_low": pts(est.change_low),
        f"{prefix}.change_{suffix}_high": pts(est.change_high),
        f"{prefix}.members_{suffix}": str(len(est.members)),
    }


# -- drafting ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    """A judgement the figures might support, before the family of tests is adjusted."""

    judgement: Judgement
    p_value: float
    group: str   # one judgement per group: an indicator's change and trend say one thing


def _count_candidate(indicator: str, name: str, unit: str, est: st.ChangeEstimate,
                     trend: st.Trend, qoq: st.ChangeEstimate, facts: dict) -> Judgement:
    rising = est.change > 0
    margin = MATERIAL_CHANGE if rising else -MATERIAL_CHANGE
    probability = est.probability_beyond(margin)
    n = short_name(indicator)
    key = f"{n}.yoy"
    template = (
        f"It is {{{key}.probability}} that {_noun(name, unit)} {'rose' if rising else 'fell'} "
        f"by more than {MATERIAL_CHANGE:.0%} on a year earlier: {{{n}.change_yoy}} "
        f"like-for-like in {{quarter}} against {{{n}.base_quarter_yoy}} (95% interval "
        f"{{{n}.change_yoy_low}} to {{{n}.change_yoy_high}}; {{{n}.members_yoy}} members "
        f"reporting in both quarters, coverage {{{n}.coverage}}).")
    evidence = {
        "kind": "count_change", "indicator": indicator, "quarter": est.quarter,
        "base_quarter": est.base_quarter, "value": est.value, "base_value": est.base_value,
        "change": est.change, "low": est.low, "high": est.high, "p_value": est.p_value,
        "margin": margin, "probability": probability, "members": len(est.members),
        "members_expected": est.members_expected, "newcomers": len(est.newcomers),
        "absentees": len(est.absentees), "excluded_for_break": len(est.excluded_for_break),
        "coverage_now": est.coverage_now, "coverage_base": est.coverage_base,
        "has_estimate": est.has_estimate, "dispersion": est.dispersion, "df": est.df,
        "method": est.method, "total_now": est.total_now, "total_base": est.total_base,
        "change_qoq": qoq.change, "p_value_qoq": qoq.p_value,
        "trend_per_quarter": trend.slope_per_quarter, "trend_low": trend.low,
        "trend_high": trend.high, "trend_p_value": trend.p_value,
    }
    return _with_confidence(Judgement(
        key=key, text="", probability_term=_term(probability), confidence="",
        evidence=evidence | _evidence_facts(est.evidence), strength=probability,
        size=abs(est.log_ratio), template=template), facts)


def _trend_candidate(indicator: str, name: str, unit: str, trend: st.Trend,
                     yoy: st.ChangeEstimate, facts: dict) -> Judgement:
    rising = trend.slope_per_quarter > 0
    margin = MATERIAL_CHANGE if rising else -MATERIAL_CHANGE
    probability = trend.probability_beyond(margin)
    n = short_name(indicator)
    key = f"{n}.trend"
    template = (
        f"It is {{{key}.probability}} that {_noun(name, unit)} has been "
        f"{'rising' if rising else 'falling'} by more than {MATERIAL_CHANGE:.0%} a year: "
        f"{{{n}.trend}} a quarter from {{{n}.trend_start}} to {{quarter}}, "
        f"{{{n}.trend_annual}} a year (95% interval {{{n}.trend_annual_low}} to "
        f"{{{n}.trend_annual_high}}; {{{n}.members_trend}} members"
        + ("; series breaks taken as level shifts" if trend.level_shifts else "") + ").")
    evidence = {
        "kind": "trend", "indicator": indicator, "quarters": list(trend.quarters),
        "slope_per_quarter": trend.slope_per_quarter, "low": trend.low, "high": trend.high,
        "annual_change": trend.annual_change, "p_value": trend.p_value, "margin": margin,
        "probability": probability, "members": trend.members, "n_points": trend.n_points,
        "level_shifts": list(trend.level_shifts), "dispersion": trend.dispersion,
        "df": trend.df, "method": trend.method, "has_estimate": trend.has_estimate,
        "change_yoy": yoy.change, "p_value_yoy": yoy.p_value,
        "coverage_now": yoy.coverage_now,
    }
    return _with_confidence(Judgement(
        key=key, text="", probability_term=_term(probability), confidence="",
        evidence=evidence, strength=probability, size=abs(trend.log_slope) * 4,
        template=template), facts)


def _share_candidate(spec: ShareSpec, est: st.ShareEstimate, facts: dict) -> Judgement:
    rising = est.change > 0
    margin = MATERIAL_SHIFT if rising else -MATERIAL_SHIFT
    probability = est.probability_beyond(margin)
    k = spec.key
    key = f"{k}.yoy"
    template = (
        f"It is {{{key}.probability}} that {spec.phrase} {'rose' if rising else 'fell'} by "
        f"more than {MATERIAL_SHIFT * 100:.0f} percentage points on a year earlier: "
        f"{{{k}.base_value_yoy}} in {{{k}.base_quarter}}, {{{k}.value}} in {{quarter}} "
        f"({{{k}.change_yoy}}, 95% interval {{{k}.change_yoy_low}} to {{{k}.change_yoy_high}}; "
        f"{{{k}.members_yoy}} members reporting in both quarters).")
    evidence = {
        "kind": "share_change", "indicator": spec.indicator, "dimension": spec.dimension,
        "categories": list(spec.categories), "quarter": est.quarter,
        "base_quarter": est.base_quarter, "share": est.share, "low": est.low,
        "high": est.high, "base_share": est.base_share, "change": est.change,
        "change_low": est.change_low, "change_high": est.change_high,
        "p_value": est.p_value, "margin": margin, "probability": probability,
        "count": est.count, "total": est.total, "base_count": est.base_count,
        "base_total": est.base_total, "design_effect": est.dispersion,
        "members": len(est.members), "members_expected": est.members_expected,
        "coverage_now": est.coverage_now, "coverage_base": est.coverage_base,
        "has_estimate": est.has_estimate, "method": est.method,
    }
    return _with_confidence(Judgement(
        key=key, text="", probability_term=_term(probability), confidence="",
        evidence=evidence | _evidence_facts(est.evidence), strength=probability,
        size=abs(est.change), template=template), facts)


def _share_trend_candidate(spec: ShareSpec, trend: st.ShareTrend,
                           yoy: st.ShareEstimate, facts: dict) -> Judgement:
    rising = trend.points_per_year > 0
    margin = MATERIAL_SHIFT if rising else -MATERIAL_SHIFT
    probability = trend.probability_beyond(margin)
    k = spec.key
    key = f"{k}.trend"
    template = (
        f"It is {{{key}.probability}} that {spec.phrase} has been "
        f"{'rising' if rising else 'falling'} by more than {MATERIAL_SHIFT * 100:.0f} "
        f"percentage points a year: {{{k}.trend_points}} a year from {{{k}.trend_start}} to "
        f"{{quarter}} (95% interval {{{k}.trend_points_low}} to {{{k}.trend_points_high}}; "
        f"{{{k}.value}} in {{quarter}}; {{{k}.members_trend}} members"
        + ("; series breaks taken as level shifts" if trend.level_shifts else "") + ").")
    evidence = {
        "kind": "share_trend", "indicator": spec.indicator, "dimension": spec.dimension,
        "categories": list(spec.categories), "quarters": list(trend.quarters),
        "share": trend.share, "points_per_year": trend.points_per_year, "low": trend.low,
        "high": trend.high, "p_value": trend.p_value, "margin": margin,
        "probability": probability, "members": trend.members, "rho": trend.dispersion,
        "df": trend.df, "level_shifts": list(trend.level_shifts), "method": trend.method,
        "change_yoy": yoy.change, "p_value_yoy": yoy.p_value,
        "coverage_now": yoy.coverage_now, "has_estimate": trend.has_estimate,
    }
    return _with_confidence(Judgement(
        key=key, text="", probability_term=_term(probability), confidence="",
        evidence=evidence, strength=probability, size=abs(trend.points_per_year),
        template=template), facts)


def _evidence_facts(evidence: st.MemberEvidence) -> dict:
    """What the model of members' changes found, for the judgement's evidence record."""
    return {"members_agreeing": evidence.agreeing, "largest_member_share":
            evidence.largest_share, "largest_member_change_share":
            evidence.largest_change_share, "member_spread": evidence.spread,
            "heterogeneity": evidence.heterogeneity}


def _with_confidence(judgement: Judgement, facts: dict) -> Judgement:
    """The judgement with its confidence level and statement judged on `facts`."""
    confidence = st.judge_confidence(**facts)
    return replace(judgement, confidence=confidence.level,
                   confidence_note=f"{confidence.strength}; main limitation: "
                                   f"{confidence.limitation}",
                   evidence=judgement.evidence | {"confidence_reasons":
                                                  list(confidence.reasons)})


def _count_facts(est: st.ChangeEstimate, revised: int) -> dict:
    return {"members": len(est.members), "members_expected": est.members_expected,
            "evidence": est.evidence, "breaks": len(est.excluded_for_break),
            "model_fitted": len(est.errors) > 0 and len(est.evidence.draws) > 0,
            "has_estimate": est.has_estimate, "revised": revised}


def _share_facts(est: st.ShareEstimate, revised: int) -> dict:
    return {"members": len(est.members), "members_expected": est.members_expected,
            "evidence": est.evidence, "breaks": len(est.excluded_for_break),
            "model_fitted": len(est.evidence.draws) > 0, "has_estimate": est.has_estimate,
            "revised": revised}


def _trend_facts(trend: st.Trend | st.ShareTrend, yoy: st.ChangeEstimate | st.ShareEstimate,
                 revised: int) -> dict:
    """A trend's evidence: its fit, breaks and members' slopes; concentration from the
    year's change."""
    return {"members": trend.members, "members_expected": yoy.members_expected,
            "evidence": replace(trend.evidence, largest_share=yoy.evidence.largest_share,
                                largest_change_share=yoy.evidence.largest_change_share),
            "model_fitted": trend.df >= 1 and len(trend.evidence.draws) > 0,
            "breaks": len(trend.level_shifts),
            "has_estimate": trend.has_estimate, "revised": revised}


def _revised_members(data: AssessmentData, indicator: str) -> int:
    """Members whose figures for the indicator in the quarter were revised after first sent."""
    periods = data.reporting_periods
    if periods.empty:
        return 0
    revised = periods[(periods["indicator"] == indicator) & periods["is_revised"].astype(bool)]
    return int(revised["member_id"].nunique())


# Another sector's indicators that see the same thing as a judgement's subject (an indicator,
# or a share's key): their like-for-like change moving the same way corroborates it.
CORROBORATION: dict[str, tuple[str, ...]] = {
    "HL_URLS_CONFIRMED": ("IND_NOTICES_RECEIVED", "IND_HASH_MATCH_BLOCKS",
                          "LE_REFERRALS_RECEIVED"),
    "HL_REPORTS_RECEIVED": ("IND_NOTICES_RECEIVED", "LE_REFERRALS_RECEIVED"),
    "HL_URLS_COMMERCIAL": ("PAY_TEST_PURCHASES", "PAY_FLAGGED_TXN_COUNT"),
    "HL_PAYMENT_OPTIONS_SEEN": ("PAY_TEST_PURCHASES", "PAY_FLAGGED_TXN_COUNT"),
    "vc_share": ("PAY_CRYPTO_ALERT_HITS",),
    "PAY_TEST_PURCHASES": ("HL_URLS_COMMERCIAL", "HL_PAYMENT_OPTIONS_SEEN"),
    "PAY_FLAGGED_TXN_COUNT": ("HL_URLS_COMMERCIAL", "HL_PAYMENT_OPTIONS_SEEN"),
    "HL_REFERRALS_TO_LE": ("LE_REFERRALS_RECEIVED",),
    "LE_REFERRALS_RECEIVED": ("HL_REFERRALS_TO_LE",),
    "livestream_cases": ("small_payments",),  # what police investigate, and how it is paid
    "small_payments": ("livestream_cases",),
    "HL_NTD_NOTICES_SENT": ("IND_NOTICES_RECEIVED",),
    "IND_NOTICES_RECEIVED": ("HL_NTD_NOTICES_SENT",),
}
SECTOR_WORDS = {"hotline": "hotline", "payment": "payment providers'",
                "law_enforcement": "police", "industry": "industry", "ngo": "NGO"}
DIRECTION = {"count_change": "change", "trend": "slope_per_quarter", "share_change": "change",
             "share_trend": "points_per_year"}


def indicator_sector(data: AssessmentData, indicator: str) -> str:
    """The indicator's first sector: the warehouse holds a list, the catalogue "a|b"."""
    rows = data.indicators.loc[data.indicators["indicator"] == indicator, "sectors"]
    if not len(rows):
        return ""
    sectors = rows.iloc[0]
    return str(sectors).split("|")[0] if isinstance(sectors, str) else str(list(sectors)[0])


def _corroboration(data: AssessmentData, judgement: Judgement,
                   changes: Mapping[str, st.ChangeEstimate]) -> str:
    """Another sector's data moving the same way as the judgement, in words ("" if none):
    a like-for-like change on a year earlier beyond the margin and significant at 5%."""
    evidence = judgement.evidence
    subject = evidence["indicator"] if evidence["kind"] in ("count_change", "trend") \
        and not evidence.get("dimension") else judgement.key.split(".")[0]
    direction = evidence[DIRECTION[evidence["kind"]]]
    own = indicator_sector(data, evidence["indicator"])
    for other in CORROBORATION.get(subject, ()):
        est = changes.get(other)
        counted = CATEGORY_COUNTS.get(other)  # some categories' counts: their own noun
        sector = indicator_sector(data, counted[0] if counted else other)
        if est is None or sector == own or not math.isfinite(est.change):
            continue
        if est.change * direction > 0 and abs(est.change) > MATERIAL_CHANGE \
                and est.p_value < SIGNIFICANCE:
            name = counted[3].split(",")[0] if counted else \
                _indicator_info(data).get(other, (other, ""))[0]
            return (f"{SECTOR_WORDS.get(sector, sector)} data agree ("
                    f"{name[0].lower() + name[1:]} also {'rose' if est.change > 0 else 'fell'})")
    return ""


def _composition(spec: ShareSpec, parts: st.ShareComposition, rising: bool) -> str:
    """Which count moved a share, as a sentence with named values."""
    k = spec.key
    part = "none a year earlier" if parts.part.base_value == 0 else \
        f"{{{k}.part_change_yoy}} like-for-like"
    rest = f"{{{k}.rest_change_yoy}}"
    def verb(change: float) -> str:
        return "rose" if change > 0 or math.isnan(change) else "fell"  # NaN: from nothing
    if parts.moved == "rest":
        return (f"It {'rose' if rising else 'fell'} because {spec.rest_noun} "
                f"{verb(parts.rest.change)} ({rest} like-for-like), while {spec.part_noun} "
                f"changed by {part.removesuffix(' like-for-like')}.")
    if parts.moved == "part":
        return (f"{_capital(spec.part_noun)} {verb(parts.part.change)} ({part}); "
                f"{spec.rest_noun} changed by {rest}.")
    if parts.moved == "both":
        return (f"{_capital(spec.part_noun)} {verb(parts.part.change)} ({part}) and "
                f"{spec.rest_noun} {verb(parts.rest.change)} ({rest}).")
    return (f"Neither count moved it by more than {MATERIAL_CHANGE:.0%} on its own: "
            f"{spec.part_noun} changed by {part}, {spec.rest_noun} by {rest}.")


def _category_candidate(prefix: str, noun: str, est: st.ChangeEstimate, facts: dict,
                        members_word: str, aside: str = "") -> Judgement:
    """A change in some categories of a breakdown on a year earlier, judged on their own
    counts (a several-fold rise can still be a small share): a hosting country entering the
    top ten, live-streamed abuse in police cases, small flagged payments."""
    rising = est.change > 0
    margin = MATERIAL_CHANGE if rising else -MATERIAL_CHANGE
    probability = est.probability_beyond(margin)
    key = f"{prefix}.{'entered' if prefix.startswith('hosting_') else 'yoy'}"
    template = (
        f"It is {{{key}.probability}} that {noun} {'rose' if rising else 'fell'} by more "
        f"than {MATERIAL_CHANGE:.0%} on a year earlier{aside}: {{{prefix}.urls_change_yoy}} "
        f"like-for-like in {{quarter}} against {{{prefix}.urls_base_quarter_yoy}} (95% "
        f"interval {{{prefix}.urls_change_yoy_low}} to {{{prefix}.urls_change_yoy_high}}; "
        f"{{{prefix}.urls_members_yoy}} {members_word} reporting in both quarters).")
    evidence = {
        "kind": "count_change", "indicator": est.indicator, "dimension": est.dimension,
        "category": est.categories[0] if len(est.categories) == 1 else None,
        "categories": list(est.categories), "quarter": est.quarter,
        "base_quarter": est.base_quarter, "value": est.value, "base_value": est.base_value,
        "change": est.change, "low": est.low, "high": est.high, "p_value": est.p_value,
        "margin": margin, "probability": probability, "members": len(est.members),
        "members_expected": est.members_expected, "method": est.method,
    }
    return _with_confidence(Judgement(
        key=key, text="", probability_term=_term(probability), confidence="",
        evidence=evidence | _evidence_facts(est.evidence), strength=probability,
        size=abs(est.log_ratio), template=template), facts)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _term(probability: float) -> str:
    return probability_term(probability) if math.isfinite(probability) else ""


def _retained(candidates: list[_Candidate]) -> list[Judgement]:
    """Judgements that survive the family's false discovery rate, then the yardstick floor.

    Every test drafted from one quarter's figures is one family: Benjamini-Hochberg
    (statsmodels) keeps the expected share of false "real changes" among those called
    real under 5%. One judgement per group: the strongest.
    """
    tested = [c for c in candidates if math.isfinite(c.p_value)]
    if not tested:
        return []
    reject, adjusted, _, _ = multipletests([c.p_value for c in tested], alpha=SIGNIFICANCE,
                                           method="fdr_bh")
    best: dict[str, Judgement] = {}
    for candidate, real, p_adjusted in zip(tested, reject, adjusted, strict=True):
        judgement = candidate.judgement
        if not real or not judgement.strength >= DRAFT_FLOOR:
            continue
        judgement = replace(judgement, evidence=judgement.evidence
                            | {"p_adjusted": float(p_adjusted), "tests_in_family": len(tested)})
        held = best.get(candidate.group)
        if held is None or (judgement.strength, judgement.size) > (held.strength, held.size):
            best[candidate.group] = judgement
    return sorted(best.values(), key=lambda j: (-j.strength, -j.size, j.key))


def draft(data: AssessmentData, quarter: str | None = None, *,
          min_members: int = MIN_MEMBERS) -> Draft:
    """Candidate key judgements, strongest first, and the named values they are worded with."""
    quarter = quarter or data.quarter
    year_ago, previous = shift_quarter(quarter, -4), shift_quarter(quarter, -1)
    window = [shift_quarter(quarter, -i) for i in range(TREND_QUARTERS - 1, -1, -1)]
    info = _indicator_info(data)
    values: dict[str, str] = {"quarter": quarter, "quarter_yoy": year_ago,
                              "quarter_qoq": previous}
    candidates: list[_Candidate] = []
    facts: dict[str, dict] = {}          # judgement key -> what its confidence is judged on
    changes: dict[str, st.ChangeEstimate] = {}   # indicator (or category key) -> change on a year
    shares: dict[str, ShareSpec] = {}

    for indicator in _additive_indicators(data, quarter):
        name, unit = info.get(indicator, (indicator, "count"))
        n = short_name(indicator)
        yoy = changes[indicator] = st.count_change(data, indicator, quarter, year_ago)
        qoq = st.count_change(data, indicator, quarter, previous)
        trend = st.trend(data, indicator, window)
        revised = _revised_members(data, indicator)
        contributors = len(st.member_cells(data, indicator, [quarter]))
        expected, coverage = st.coverage_of(data, indicator, quarter)
        level = yoy.total_now if contributors >= min_members else SUPPRESSED
        hidden_trend = trend.members < min_members
        def trend_pct(x: float, hidden: bool = hidden_trend) -> str:
            return SUPPRESSED if hidden else fmt_change_pct(x)
        values |= {
            f"{n}.name": name,
            f"{n}.value": fmt_eur(level) if unit == "EUR" else fmt_count(level),
            f"{n}.members": str(contributors),
            f"{n}.members_expected": str(expected),
            f"{n}.coverage": fmt_pct(coverage, missing="n/a"),
            f"{n}.trend": trend_pct(trend.slope_per_quarter),
            f"{n}.trend_low": trend_pct(trend.low),
            f"{n}.trend_high": trend_pct(trend.high),
            f"{n}.trend_annual": trend_pct(trend.annual_change),
            f"{n}.trend_annual_low": trend_pct(trend.annual_low),
            f"{n}.trend_annual_high": trend_pct(trend.annual_high),
            f"{n}.trend_start": trend.segment_start or "n/a",
            f"{n}.members_trend": str(trend.members),
        }
        values |= _change_values(n, "yoy", yoy, min_members)
        values |= _change_values(n, "qoq", qoq, min_members)
        if len(yoy.members) >= min_members:
            facts[f"{n}.yoy"] = _count_facts(yoy, revised)
            candidates.append(_Candidate(_count_candidate(
                indicator, name, unit, yoy, trend, qoq, facts[f"{n}.yoy"]), yoy.p_value,
                indicator))
        if trend.members >= min_members:
            facts[f"{n}.trend"] = _trend_facts(trend, yoy, revised)
            candidates.append(_Candidate(_trend_candidate(
                indicator, name, unit, trend, yoy, facts[f"{n}.trend"]), trend.p_value,
                indicator))

    present = set(data.member_values["indicator"].unique())
    specs = [s for s in SHARES if s.indicator in present]
    if HOSTING[0] in present:
        hosting = st.concentration(data, *HOSTING, quarter, year_ago)
        values |= _hosting_values(hosting, min_members)
        for code in hosting.top["category"]:
            specs.append(ShareSpec(
                f"hosting_{code.lower()}", *HOSTING, (code,), None,
                f"the share of confirmed URLs hosted in {_place(code)}",
                f"confirmed URLs hosted in {_place(code)}", "those hosted elsewhere"))
        for code in hosting.entered:  # the quarter's strongest hosting signal, on its counts
            key = f"hosting_{code.lower()}"
            entrant = st.count_change(data, HOSTING[0], quarter, year_ago,
                                      dimension=HOSTING[1], category=code)
            values |= _change_values(key, "yoy", entrant, min_members, "urls_")
            if len(entrant.members) >= min_members and entrant.change > 0:
                facts[f"{key}.entered"] = _count_facts(
                    entrant, _revised_members(data, HOSTING[0]))
                candidates.append(_Candidate(_category_candidate(
                    key, f"confirmed URLs hosted in {_place(code)}", entrant,
                    facts[f"{key}.entered"], "hotlines",
                    ", taking it into the top ten hosting countries"), entrant.p_value, key))
    for key, (indicator, dimension, categories, noun, members_word) in CATEGORY_COUNTS.items():
        if indicator not in present:
            continue
        est = changes[key] = st.count_change(data, indicator, quarter, year_ago,
                                             dimension=dimension, category=categories)
        values |= _change_values(key, "yoy", est, min_members, "urls_")
        if len(est.members) >= min_members and math.isfinite(est.change):
            facts[f"{key}.yoy"] = _count_facts(est, _revised_members(data, indicator))
            candidates.append(_Candidate(_category_candidate(
                key, noun, est, facts[f"{key}.yoy"], members_word), est.p_value, key))
    for spec in specs:
        yoy = st.share_change(data, spec.indicator, spec.dimension, spec.categories, quarter,
                              year_ago, among=spec.among)
        qoq = st.share_change(data, spec.indicator, spec.dimension, spec.categories, quarter,
                              previous, among=spec.among)
        hidden = len(yoy.members) < min_members and len(qoq.members) < min_members
        values |= {
            f"{spec.key}.value": SUPPRESSED if hidden else fmt_pct(yoy.share),
            f"{spec.key}.low": SUPPRESSED if hidden else fmt_pct(yoy.low),
            f"{spec.key}.high": SUPPRESSED if hidden else fmt_pct(yoy.high),
            f"{spec.key}.base_quarter": year_ago,
        }
        values |= _share_values(spec.key, "yoy", yoy, min_members)
        values |= _share_values(spec.key, "qoq", qoq, min_members)
        trend = st.share_trend(data, spec.indicator, spec.dimension, spec.categories, window,
                               among=spec.among)
        def points(x: float, hidden: bool = trend.members < min_members) -> str:
            return SUPPRESSED if hidden else fmt_points(x)
        values |= {
            f"{spec.key}.trend_points": points(trend.points_per_year),
            f"{spec.key}.trend_points_low": points(trend.low),
            f"{spec.key}.trend_points_high": points(trend.high),
            f"{spec.key}.trend_start": trend.segment_start or "n/a",
            f"{spec.key}.members_trend": str(trend.members),
        }
        revised = _revised_members(data, spec.indicator)
        shares[spec.key] = spec
        if len(yoy.members) >= min_members:
            facts[f"{spec.key}.yoy"] = _share_facts(yoy, revised)
            candidates.append(_Candidate(_share_candidate(spec, yoy, facts[f"{spec.key}.yoy"]),
                                         yoy.p_value, spec.key))
        if trend.members >= min_members and trend.is_near_linear:
            facts[f"{spec.key}.trend"] = _trend_facts(trend, yoy, revised)
            candidates.append(_Candidate(_share_trend_candidate(
                spec, trend, yoy, facts[f"{spec.key}.trend"]), trend.p_value, spec.key))

    drafted = []
    for judgement in _retained(candidates):
        extra = {"corroboration": _corroboration(data, judgement, changes)}
        if judgement.evidence["kind"] == "share_change":
            spec = shares[judgement.key.split(".")[0]]
            parts = st.share_composition(data, spec.indicator, spec.dimension,
                                         spec.categories, quarter, year_ago, among=spec.among,
                                         margin=MATERIAL_CHANGE)
            values |= _change_values(spec.key, "yoy", parts.part, min_members, "part_") \
                | _change_values(spec.key, "yoy", parts.rest, min_members, "rest_")
            extra["moved_by_others"] = parts.moved == "rest"
            judgement = replace(judgement, template=judgement.template + " " + _composition(
                spec, parts, judgement.evidence["change"] > 0), evidence=judgement.evidence | {
                    "part_change": parts.part.change, "rest_change": parts.rest.change,
                    "moved": parts.moved})
        drafted.append(_with_confidence(judgement, facts[judgement.key] | extra))
    for j in drafted:
        values |= judgement_values(j)
    return Draft(judgements=[_filled(j, values) for j in drafted], values=values)


def _hosting_values(hosting: st.Concentration, min_members: int) -> dict[str, str]:
    hidden = len(hosting.members) < min_members
    def guard(text: str) -> str:
        return SUPPRESSED if hidden else text
    top1 = hosting.top["category"].iloc[0] if len(hosting.top) else ""
    return {
        "hosting.top1": guard(_place(top1) if top1 else "n/a"),
        "hosting.top1_share": guard(fmt_pct(hosting.top1_share)),
        "hosting.top10_share": guard(fmt_pct(hosting.topn_share)),
        "hosting.top10_share_base": guard(fmt_pct(hosting.topn_share_base)),
        "hosting.hhi": guard(fmt_number(hosting.hhi, 0)),
        "hosting.hhi_base": guard(fmt_number(hosting.hhi_base, 0)),
        "hosting.hhi_change": guard(fmt_number(hosting.hhi_change, 0)
                                    if hosting.hhi_change < 0 else
                                    "+" + fmt_number(hosting.hhi_change, 0)),
        "hosting.entered": guard(", ".join(_place(c) for c in hosting.entered) or "none"),
        "hosting.exited": guard(", ".join(_place(c) for c in hosting.exited) or "none"),
        "hosting.base_quarter": hosting.base_quarter,
        "hosting.members": str(len(hosting.members)),
    }


def _filled(judgement: Judgement, values: Mapping[str, str]) -> Judgement:
    """The judgement's text: its template with the named values filled in."""
    return replace(judgement, text=fill_values(judgement.template, values))


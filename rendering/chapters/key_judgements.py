"""Chapter 1, key judgements: the drafted judgements after the analysts' narrative, the
changes they rest on with their intervals, the KPI tiles, and the caveats. It opens every
edition, so it is not in the outline."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from rendering import charts
from rendering.chapters.core import SPARK_QUARTERS, Edition, section
from rendering.chapters.hosting import country_name
from rendering.chapters.payments import payment_mix
from rendering.formatting import MINUS, SUPPRESSED, fmt_pct, in_prose
from rendering.judgements import Draft, Judgement, draft
from rendering.named_values import NAMED, gate_named_values
from rendering.narrative import Narrative, apply_narrative
from transforms import assessment
from transforms.periods import shift_quarter

TILES = "key indicators"  # the KPI tiles as the disclosure annex names them
KPIS = (  # indicator, tile label, the noun printed after the value (none after euros: €5,000)
    ("HL_URLS_CONFIRMED", "URLs confirmed (hotlines)", "URLs"),
    ("HL_URLS_COMMERCIAL", "Commercial URLs", "URLs"),
    ("PAY_FLAGGED_TXN_VALUE", "Flagged transactions, value", ""),
    ("PAY_MERCHANTS_TERMINATED", "Merchant accounts terminated", "accounts"),
    ("LE_ARRESTS", "Arrests", "arrests"),
    ("IND_ITEMS_REMOVED", "Items removed by industry", "items"),
)
NOTHING_STATED = ("No key judgement can be stated in this edition: the figures behind the "
                  "drafted judgements are suppressed by disclosure control.")
INTERVALS = {  # a judgement's kind: the named value of its change (and its _low, _high), the
    # chart's scale for it, and what the change compares
    "count_change": ("change_yoy", "change", "on a year earlier"),
    "trend": ("trend_annual", "change", "a year along its trend"),
    "share_change": ("change_yoy", "points", "on a year earlier"),
    "share_trend": ("trend_points", "points", "a year along its trend"),
}
CATEGORY_FIELD = "urls_change_yoy"  # a change in some categories of a breakdown
SUBJECTS = {  # judgements on parts of a breakdown, in the few words of a chart row
    "vc_share": "Virtual currency's share of payment options seen",
    "removed_3d_share": "Share of URLs removed within three days",
    "livestream_cases": "Police cases on live-streamed abuse bought online",
    "small_payments": "Flagged transactions under €100",
}
PRINTED_CHANGE = re.compile(rf"([+{MINUS}]?)(\d[\d,]*(?:\.\d+)?)(?:%| pp)")


def final_narrative(edition: Edition, narrative: Path | None) -> Narrative:
    """The drafted judgements (drafted once per run, shared by the editions) after the
    analysts' narrative file, when there is one, with every named value the narrative or a
    drafted judgement prints through this edition's gate (`c` where it hides the figure);
    the names it withheld go to the edition's disclosure log."""
    data, drafted = edition.data, drafted_judgements(edition)
    text = narrative.read_bytes().decode("utf-8", "replace") if narrative and \
        narrative.exists() else ""
    used = set(NAMED.findall(text)).union(*(NAMED.findall(j.template or "")
                                            for j in drafted.judgements))
    values, withheld = gate_named_values(edition, drafted.values, used)
    edition.log.withheld_named.extend(n for n in withheld if n in NAMED.findall(text))
    return apply_narrative(drafted.judgements, narrative if text else None,
                           {name: in_prose(value) for name, value in values.items()},
                           quarter=data.quarter)


def drafted_judgements(edition: Edition) -> Draft:
    """The judgements drafted from the quarter's figures, once per run and threshold."""
    data, rules = edition.data, edition.rules
    return data.figures.once(
        ("draft", data.quarter, rules.min_contributors),
        lambda: draft(data, data.quarter, min_members=rules.min_contributors))


def stated(edition: Edition) -> list[Judgement]:
    """The judgements this edition states: those whose every figure it publishes."""
    return [j for j in edition.narrative.judgements if edition.publishable(j.evidence)]


def build(edition: Edition) -> tuple[list[str], list[dict]]:
    """The key judgements this edition can state, and its KPI tiles.

    Only judgements whose figures the edition publishes are kept (a judgement on a
    dominated figure would describe one member); with none left, plain statements of the
    published tiles take their place.
    """
    tiles, changes = _tiles(edition)
    findings = [f"{j.text} ({j.confidence.capitalize()} confidence"
                + (f": {j.confidence_note}.)" if j.confidence_note else ".)")
                for j in stated(edition)]
    return findings or _statements(edition, tiles, changes) or [NOTHING_STATED], tiles


def intervals(edition: Edition) -> dict:
    """The key judgements' part of the report as a section: the chart of the changes the
    stated judgements rest on with their intervals, or the sentence saying why there is
    none (no figure, no sentence where no judgement is stated)."""
    judgements = stated(edition)
    names = [name for j in judgements for name in interval_names(j)]
    values, _ = gate_named_values(edition, drafted_judgements(edition).values, names)
    figure, why = interval_figure(edition, judgements, values)
    return section("key_judgements", "Key judgements", figures=[figure], notes=[why] if why
                   else [])


def interval_names(judgement: Judgement) -> tuple[str, ...]:
    """The named values of the change a judgement rests on and its interval's ends; none
    for an analyst's own judgement, which rests on no modelled change."""
    kind = judgement.evidence.get("kind")
    if kind not in INTERVALS:
        return ()
    prefix = judgement.key.partition(".")[0]
    field = CATEGORY_FIELD if judgement.evidence.get("categories") and kind == "count_change" \
        else INTERVALS[kind][0]
    return tuple(f"{prefix}.{field}{end}" for end in ("", "_low", "_high"))


def interval_rows(edition: Edition, judgements: list[Judgement], values: dict[str, str]
                  ) -> tuple[list[dict], list[str]]:
    """A chart row for each judgement whose change and interval the edition prints
    (`values`, through its gate), at the printed figures; and the subjects of those whose
    interval it hides. An analyst's own judgement rests on no modelled change: neither."""
    rows, hidden = [], []
    for judgement in (j for j in judgements if interval_names(j)):
        printed = [printed_change(values.get(name, "")) for name in interval_names(judgement)]
        if None in printed:
            hidden.append(subject(edition, judgement))
            continue
        estimate, low, high = printed
        rows.append({"label": subject(edition, judgement),
                     "scale": INTERVALS[judgement.evidence["kind"]][1], "estimate": estimate,
                     "low": low, "high": high, "margin": judgement.evidence["margin"]})
    return rows, hidden


def interval_figure(edition: Edition, judgements: list[Judgement],
                    values: dict[str, str]) -> tuple[dict | None, str | None]:
    """The chart of `interval_rows`, its caption naming the judgements left out; (None, why)
    when no row is left, (None, None) when no judgement rests on a modelled change."""
    rows, hidden = interval_rows(edition, judgements, values)
    if not rows and not hidden:
        return None, None
    if not rows:
        return None, ("The key judgements' changes are not charted with their intervals: "
                      "this edition suppresses the interval of every one of them.")
    left_out = (f" Not drawn, as this edition suppresses {'its' if len(hidden) == 1 else 'their'}"
                f" interval: {'; '.join(hidden)}." if hidden else "")
    own = (" The analysts' own judgements rest on no modelled change and have no row."
           if any(not interval_names(j) for j in judgements) else "")
    scales = {row["scale"] for row in rows}
    margins = "; ".join(m for scale, m in (("change", "10% for a count"),
                                           ("points", "5 percentage points for a share"))
                        if scale in scales)
    caption = (f"The changes the key judgements rest on, each with its 95% interval from the "
               f"model of members' changes, as the judgements above print them. "
               f"{edition.quarter} against a year earlier, or a year along the trend to "
               f"{edition.quarter}; a dot is the estimated change, the bar its interval, the "
               f"solid line no change and the dashed mark the margin the judgement says the "
               f"change exceeds ({margins})"
               + ("; relative changes on a ratio scale" if "change" in scales else "") + "."
               + left_out + own)
    return charts.interval_chart(rows, caption=caption, fig_id="key_judgement_intervals",
                                 omitted=hidden), None


def subject(edition: Edition, judgement: Judgement) -> str:
    """A judgement's subject in a chart row's few words, and what its change compares."""
    evidence, prefix = judgement.evidence, judgement.key.partition(".")[0]
    if prefix in SUBJECTS:
        what = SUBJECTS[prefix]
    elif prefix.startswith("hosting_"):
        place = country_name(prefix.removeprefix("hosting_").upper())
        what = ("Share of URLs" if evidence["kind"].startswith("share") else "URLs") \
            + f" hosted in {place}"
    else:
        what = edition.name_of(evidence["indicator"])
    return f"{what}, {INTERVALS[evidence['kind']][2]}"


def printed_change(text: str) -> float | None:
    """A change as printed, back as the fraction it prints ("+12.3%" is 0.123, "−4.0 pp" is
    −0.04), so the chart places each figure where the text puts it; None for `c` or `n/a`."""
    match = PRINTED_CHANGE.fullmatch(text)
    if match is None:
        return None
    value = float(match[2].replace(",", "")) / 100
    return -value if match[1] == MINUS else value


def _tiles(edition: Edition) -> tuple[list[dict], list[tuple[dict, dict]]]:
    """The KPI tiles and, for each, its (on quarter, on year) change.

    A tile prints what the chapter tables print: a hidden total as its range and a hidden
    change as the direction of the total, where the edition may say them (`level_text`,
    `tile_change`); `published` says whether the quarter's exact value is printed (a
    headline figure kept, for the information-loss measure)."""
    tiles, changes = [], []
    spark_quarters = edition.data.window(SPARK_QUARTERS)
    for indicator, tile_label, noun in KPIS:
        unit = edition.unit_of(indicator)
        series = edition.series(indicator, spark_quarters)
        moves = []
        for base in (shift_quarter(edition.quarter, -1), shift_quarter(edition.quarter, -4)):
            change = edition.change(indicator, base, TILES)
            moves.append((change, tile_change(edition, change, indicator, base)))
        (qoq, qoq_text), (yoy, yoy_text) = moves
        current = series.loc[series["quarter"] == edition.quarter, "value"]
        tiles.append({
            "label": tile_label,
            "value": edition.level_text(indicator, table=TILES),
            "unit": noun,
            "qoq": qoq_text,
            "yoy": yoy_text,
            "published": bool(len(current)) and bool(current.notna().all()),
            "sparkline_svg": charts.sparkline(
                [None if pd.isna(v) else float(v) for v in series["value"]],
                kind="eur" if unit == "EUR" else "count",
                breaks=[spark_quarters.index(q) for q in assessment.series_breaks_in(
                    edition.data, indicator, spark_quarters)]),
        })
        changes.append((qoq, yoy))
    return tiles, changes


def tile_change(edition: Edition, change: dict, indicator: str, base_quarter: str) -> str:
    """A tile's change as printed: the like-for-like change (or c) with the members it
    compares, or where the gate hides it and the edition may, the direction of the total
    alone (it compares printed totals, not members)."""
    if change["text"] == SUPPRESSED and \
            (moved := edition.direction_text(indicator, base_quarter, TILES)) != SUPPRESSED:
        return moved
    return f"{change['text']} ({change['contributors']} members like-for-like)"


def _statements(edition: Edition, tiles: list[dict],
                changes: list[tuple[dict, dict]]) -> list[str]:
    """Factual statements drawn only from published (unsuppressed) figures."""
    findings = []
    for tile, (qoq, yoy) in zip(tiles, changes, strict=True):
        if not tile["published"] or (pd.isna(qoq["change"]) and pd.isna(yoy["change"])):
            continue
        parts = []
        if not pd.isna(yoy["change"]):
            parts.append(f"{yoy['text']} on the same quarter a year "
                         f"earlier ({yoy['contributors']} members reporting in both)")
        if not pd.isna(qoq["change"]):
            parts.append(f"{qoq['text']} on the previous quarter "
                         f"({qoq['contributors']} members)")
        findings.append(f"{tile['label']}: {tile['value']} in {edition.quarter}, "
                        + "; ".join(parts) + ".")
    mix = payment_mix(edition)
    quarter, first = edition.quarter, edition.trend[0]
    latest = mix[(mix["quarter"] == quarter) & (mix["category"] == "virtual_currency")]
    earliest = mix[(mix["quarter"] == first) & (mix["category"] == "virtual_currency")]
    if len(latest) and len(earliest) and latest["share"].notna().all() \
            and earliest["share"].notna().all():
        findings.append(
            "Virtual currency accounted for "
            f"{fmt_pct(latest['share'].iloc[0])} of the payment options hotlines saw on "
            f"commercial sites in {quarter}, against {fmt_pct(earliest['share'].iloc[0])} "
            f"in {first}.")
    return findings

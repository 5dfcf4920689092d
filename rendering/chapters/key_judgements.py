"""Chapter 1, key judgements: the drafted judgements after the analysts' narrative, the KPI
tiles, and the caveats. It opens every edition, so it is not in the outline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from rendering import charts
from rendering.chapters.core import SPARK_QUARTERS, Edition, fmt_for
from rendering.chapters.payments import payment_mix
from rendering.formatting import SUPPRESSED, fmt_pct
from rendering.judgements import draft
from rendering.named_values import NAMED, gate_named_values
from rendering.narrative import Narrative, apply_narrative
from transforms import assessment
from transforms.periods import shift_quarter

KPIS = (  # indicator, tile label, the noun printed after the value
    ("HL_URLS_CONFIRMED", "URLs confirmed (hotlines)", "URLs"),
    ("HL_URLS_COMMERCIAL", "Commercial URLs", "URLs"),
    ("PAY_FLAGGED_TXN_VALUE", "Flagged transactions, value", "EUR"),
    ("PAY_MERCHANTS_TERMINATED", "Merchant accounts terminated", "accounts"),
    ("LE_ARRESTS", "Arrests", "arrests"),
    ("IND_ITEMS_REMOVED", "Items removed by industry", "items"),
)
NOTHING_STATED = ("No key judgement can be stated in this edition: the figures behind the "
                  "drafted judgements are suppressed by disclosure control.")


def final_narrative(edition: Edition, narrative: Path | None) -> Narrative:
    """The drafted judgements (drafted once per run, shared by the editions) after the
    analysts' narrative file, when there is one, with every named value the narrative or a
    drafted judgement prints through this edition's gate (`c` where it hides the figure);
    the names it withheld go to the edition's disclosure log."""
    data, rules = edition.data, edition.rules
    drafted = data.figures.once(
        ("draft", data.quarter, rules.min_contributors),
        lambda: draft(data, data.quarter, min_members=rules.min_contributors))
    text = narrative.read_bytes().decode("utf-8", "replace") if narrative and \
        narrative.exists() else ""
    used = set(NAMED.findall(text)).union(*(NAMED.findall(j.template or "")
                                            for j in drafted.judgements))
    values, withheld = gate_named_values(edition, drafted.values, used)
    edition.log.withheld_named.extend(n for n in withheld if n in NAMED.findall(text))
    return apply_narrative(drafted.judgements, narrative if text else None, values,
                           quarter=data.quarter)


def build(edition: Edition) -> tuple[list[str], list[dict]]:
    """The key judgements this edition can state, and its KPI tiles.

    Only judgements whose figures the edition publishes are kept (a judgement on a
    dominated figure would describe one member); with none left, plain statements of the
    published tiles take their place.
    """
    tiles, changes = _tiles(edition)
    findings = [f"{j.text} ({j.confidence.capitalize()} confidence"
                + (f": {j.confidence_note}.)" if j.confidence_note else ".)")
                for j in edition.narrative.judgements if edition.publishable(j.evidence)]
    return findings or _statements(edition, tiles, changes) or [NOTHING_STATED], tiles


def _tiles(edition: Edition) -> tuple[list[dict], list[tuple[dict, dict]]]:
    """The KPI tiles and, for each, its (on quarter, on year) change."""
    tiles, changes = [], []
    spark_quarters = edition.data.window(SPARK_QUARTERS)
    for indicator, tile_label, noun in KPIS:
        unit = edition.unit_of(indicator)
        series = edition.series(indicator, spark_quarters)
        qoq = edition.change(indicator, shift_quarter(edition.quarter, -1), "key indicators")
        yoy = edition.change(indicator, shift_quarter(edition.quarter, -4), "key indicators")
        current = series.loc[series["quarter"] == edition.quarter, "value"]
        tiles.append({
            "label": tile_label,
            "value": fmt_for(unit)(current.iloc[0] if len(current) else np.nan),
            "unit": noun,
            "qoq": f"{qoq['text']} "
                   f"({qoq['contributors']} members like-for-like)",
            "yoy": f"{yoy['text']} "
                   f"({yoy['contributors']} members like-for-like)",
            "sparkline_svg": charts.sparkline(
                [None if pd.isna(v) else float(v) for v in series["value"]],
                kind="eur" if unit == "EUR" else "count",
                breaks=[spark_quarters.index(q) for q in assessment.series_breaks_in(
                    edition.data, indicator, spark_quarters)]),
        })
        changes.append((qoq, yoy))
    return tiles, changes


def _statements(edition: Edition, tiles: list[dict],
                changes: list[tuple[dict, dict]]) -> list[str]:
    """Factual statements drawn only from published (unsuppressed) figures."""
    findings = []
    for tile, (qoq, yoy) in zip(tiles, changes, strict=True):
        if tile["value"] == SUPPRESSED or (pd.isna(qoq["change"]) and pd.isna(yoy["change"])):
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

"""Darknet: hidden services hotlines find, URLs reached as onion services, and the virtual
assets seen or flagged.

Three breakdowns of the same confirmed URLs touch the darknet and measure different things:
what kind of site a URL is on (site type `hidden_service`), whether its host can be placed in a
country (hosting country `XO`), and how the analyst reached it (access technique
`onion_service`). The chapter shows each beside its own base rather than one number for all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rendering import charts
from rendering.chapters.core import Edition, section, share_header, shares, table
from rendering.formatting import NOTHING, fmt_count, fmt_pct
from transforms import assessment

# (measure, dimension, category, what it counts)
MEASURES = (
    ("Hidden services (type of site)", "site_type", "hidden_service",
     "confirmed URLs on a site that exists only on an anonymising network"),
    ("Onion-hosted (hosting country XO)", "hosting_country", "XO",
     "confirmed URLs whose host cannot be placed in a country because it is an onion address"),
    ("Reached as onion services (access technique)", "access_technique", "onion_service",
     "confirmed URLs the analyst reached through an onion service, whatever the type of site "
     "(an onion gateway can lead to an image host or a forum on the open web)"),
)
DIFFERENCE = (
    "The three darknet measures are different breakdowns of confirmed URLs, not three "
    "estimates of one figure: the type of site says what the site is, the hosting country XO "
    "says the host could not be placed in a country, and the access technique says how the "
    "analyst reached the material. A URL reached through an onion gateway but hosted on an "
    "image host counts in the third only. Each breakdown also has its own total, since not "
    "every hotline sends all three.")
ASSETS_VERSUS_METHODS = (
    "Virtual assets count each asset a URL offers (a URL taking Bitcoin and Monero counts "
    "twice); the payment-method breakdown of chapter 'Payment methods and financial flows' "
    "counts a URL offering any virtual currency once. Their totals differ for that reason.")


def measures(edition: Edition) -> pd.DataFrame:
    """Each darknet measure of the quarter with its base (the breakdown's published total) and
    share, from the same `shares` as the chapters' charts and tables."""
    rows = []
    for measure, dimension, category, counts in MEASURES:
        cells = shares(edition.series("HL_URLS_CONFIRMED", [edition.quarter], dimension))
        cell = cells[cells["category"] == category]
        reported = not cells.empty
        rows.append({
            "measure": measure, "dimension": dimension, "counts": counts,
            "value": cell["value"].iloc[0] if len(cell) else np.nan,
            "total": cells["total"].iloc[0] if reported else np.nan,
            "share": cell["share"].iloc[0] if len(cell) else np.nan,
            "suppressed_by": cell["suppressed_by"].iloc[0] if len(cell) else "",
            "reported": reported, "category_reported": not cell.empty})
    return pd.DataFrame(rows)


def measures_table(edition: Edition) -> tuple[dict | None, str | None]:
    """The three measures side by side; (None, why) when none of them can be shown."""
    frame = measures(edition)
    if frame["value"].isna().all():
        if not frame["category_reported"].any():
            return None, "No hotline reported URLs on the darknet for the quarter."
        return None, f"Every darknet measure is suppressed by {edition.hidden_by(frame)}."
    rows = []
    for row in frame.itertuples():
        if not row.category_reported:  # nobody reported it: nothing to show, not hidden
            value = share = NOTHING
        else:
            value, share = fmt_count(row.value), fmt_pct(row.share)
        total = fmt_count(row.total) if row.reported else NOTHING
        rows.append([row.measure, row.counts, value,
                     f"all confirmed URLs by {row.dimension.replace('_', ' ')}", total, share])
    notes = ["How the three differ: see the chapter's opening.",
             f"c: suppressed; {NOTHING}: no hotline reported it."]
    if edition.rules.rounding_base > 1:
        notes.append(edition.rounded_table_note())
    return table("darknet_measures", f"Darknet measures of confirmed URLs, {edition.quarter}",
                 ["Measure", "What it counts", "URLs", "Base (denominator)", "Base (URLs)",
                  share_header("the base")], rows,
                 [False, False, True, False, True, True], notes), None


def build(edition: Edition) -> dict:
    quarter, trend = edition.quarter, edition.trend
    hidden, line = edition.trend_line(
        "HL_HIDDEN_SERVICES_NEW", "hidden_services", "Hidden services newly found by "
        "hotlines, per quarter (a count of services, not of URLs)", "hotlines",
        "Hidden services (count)")
    access = shares(edition.series("HL_URLS_CONFIRMED", trend, "access_technique"))
    onion = access[access["category"] == "onion_service"]
    onion_base = edition.share_base("HL_URLS_CONFIRMED", "access_technique")
    onion_line = None if onion["share"].isna().all() else charts.line_chart(
        onion, x="quarter", y="share", series=None, kind="pct", fig_id="onion_share",
        y_label=share_header("confirmed URLs"),
        caption=edition.caption("Confirmed URLs reached as onion services (access "
                                "technique)", f"{trend[0]} to {quarter}",
                                f"share of {onion_base}", "hotlines", onion),
        gaps_note="Gaps are suppressed cells.",
        breaks=assessment.series_breaks_in(edition.data, "HL_URLS_CONFIRMED", trend))
    assets, assets_withheld = edition.breakdown(
        "HL_PAYMENT_OPTIONS_SEEN", "virtual_asset", "virtual_assets_seen",
        f"Virtual assets among payment options seen, {quarter}", "Virtual asset", "hotline",
        base="every virtual asset offered on URLs with visible payment options (a URL "
             "offering two assets counts twice; the quarter's published total)",
        notes=[ASSETS_VERSUS_METHODS])
    alerts, alerts_withheld = edition.breakdown(
        "PAY_CRYPTO_ALERT_HITS", "virtual_asset", "crypto_alerts",
        f"Crypto-asset alert hits reported by payment providers, {quarter}", "Virtual asset",
        "payment provider")
    darknet, darknet_withheld = measures_table(edition)
    return section(
        "darknet", "Darknet",
        summary=["Hidden services are sites reachable only through an anonymising network; "
                 "hotlines count the new ones they find, and how each confirmed URL was "
                 "reached. Onion hosting cannot be attributed to a country (XO).", DIFFERENCE],
        tables=[darknet, assets, alerts], figures=[line, onion_line],
        withheld=[None if line else edition.withheld(hidden, "new hidden services", "hotline"),
                  None if onion_line else edition.withheld(onion, "onion services", "hotline"),
                  darknet_withheld, assets_withheld, alerts_withheld])

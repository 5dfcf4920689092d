"""Commercial distribution: confirmed URLs that sell access or content, and how they sell."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rendering import charts
from rendering.chapters.core import Edition, section
from transforms import assessment


def build(edition: Edition) -> dict:
    quarter, trend = edition.quarter, edition.trend
    commercial, line = edition.trend_line(
        "HL_URLS_COMMERCIAL", "commercial_urls", "Commercial URLs confirmed by hotlines, "
        "per quarter", "hotlines", "Commercial URLs (count)")
    confirmed = edition.series("HL_URLS_CONFIRMED", trend)
    ratio = assessment.ratio_by_quarter(edition.data, "HL_URLS_COMMERCIAL", "HL_URLS_CONFIRMED",
                                     trend)
    # Published only where both totals are: a ratio must not reveal a hidden cell.
    both = (commercial.set_index("quarter")["value"].notna()
            & confirmed.set_index("quarter")["value"].notna()).reindex(ratio["quarter"])
    ratio["share"] = ratio["ratio"].where(both.to_numpy() & (
        ratio["members"] >= edition.rules.min_contributors))
    ratio["share"] = [share if pd.isna(share) or edition.panel_ratio_safe(  # nobody outside
        ("HL_URLS_COMMERCIAL", q), ("HL_URLS_CONFIRMED", q), share, "commercial share")
        else np.nan for q, share in zip(ratio["quarter"], ratio["share"], strict=True)]
    share_line = None if ratio["share"].isna().all() else charts.line_chart(
        ratio.assign(contributors=ratio["members"]), x="quarter", y="share", series=None,
        y_label="Commercial share of confirmed URLs (%)", kind="pct",
        fig_id="commercial_share",
        caption=edition.caption("Commercial URLs as a share of confirmed URLs, members "
                                "reporting both", f"{trend[0]} to {quarter}",
                                "commercial URLs divided by confirmed URLs, both summed over "
                                "the hotlines that reported both indicators in the quarter",
                                "hotlines", ratio.assign(contributors=ratio["members"]),
                                tables=[edition.table_name("HL_URLS_COMMERCIAL"),
                                        edition.table_name("HL_URLS_CONFIRMED")]),
        gaps_note="Gaps are quarters where either total is suppressed.",
        breaks=edition.breaks_in(("HL_URLS_COMMERCIAL", "HL_URLS_CONFIRMED"), trend))
    kinds, kinds_withheld = edition.breakdown(
        "HL_URLS_COMMERCIAL", "commerciality", "commercial_by_kind",
        f"Commercial URLs by kind of commerciality, {quarter}", "Commerciality", "hotline")
    return section(
        "commercial", "Commercial distribution",
        summary=["Hotlines count the confirmed URLs that sell access or content, directly or "
                 "through a page that leads to a seller, the disguised websites that show "
                 "abuse material only to visitors arriving by a set path, and the commercial "
                 "URLs whose payment method was hidden."],
        tables=[edition.indicator_table(
                    "commercial_indicators", f"Commercial indicators, {quarter}",
                    ("HL_URLS_COMMERCIAL", "HL_DISGUISED_SITES", "HL_URLS_PAYMENT_HIDDEN"),
                    "Change on year compares members that reported in both quarters."),
                kinds],
        figures=[line, share_line],
        withheld=[kinds_withheld, None if line else edition.withheld(
            commercial, "commercial URLs", "hotline")])

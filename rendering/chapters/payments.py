"""Payment methods and financial flows: what payment providers flag, test and terminate, and
the payment options hotlines see on commercial sites."""

from __future__ import annotations

import pandas as pd

from rendering import charts
from rendering.chapters.core import Edition, section, share_header, shares
from transforms import assessment

AMOUNT_BANDS = {"lt10": "under €10", "10_100": "€10-100", "100_500": "€100-500",
                "gt500": "over €500"}
INDICATORS = ("PAY_TEST_PURCHASES", "PAY_MERCHANT_REVIEWS", "PAY_MERCHANTS_TERMINATED",
              "PAY_FLAGGED_TXN_COUNT", "PAY_FLAGGED_TXN_VALUE", "PAY_SAR_FILED",
              "PAY_CRYPTO_ALERT_HITS")
OPTIONS_BASE = ("every payment option seen on URLs with visible payment options (a URL showing "
                "several methods counts once per method; the quarter's published total)")
METHODS_VERSUS_ASSETS = (
    "Virtual currency here counts each URL offering any virtual asset once; the darknet "
    "chapter's virtual assets count each asset a URL offers (two assets, twice), so their "
    "total is larger. The chart of payment options by method divides by the same published "
    "total as this table; suppressed methods together are its grey segment.")


def payment_mix(edition: Edition) -> pd.DataFrame:
    """Payment options seen on commercial sites, by method, with each method's share."""
    return shares(edition.series("HL_PAYMENT_OPTIONS_SEEN", edition.trend, "payment_method"))


def build(edition: Edition) -> dict:
    quarter, trend = edition.quarter, edition.trend
    mix = payment_mix(edition)
    mix_chart = None if mix["share"].isna().all() else charts.stacked_share_chart(
        mix.assign(method=mix["category"].str.replace("_", " ")), x="quarter",
        category="method", share="share", y_label=share_header("payment options seen"),
        fig_id="payment_mix",
        caption=edition.caption("Payment options seen on commercial sites, by method",
                                f"{trend[0]} to {quarter}", f"share of {OPTIONS_BASE}",
                                "hotlines", mix),
        breaks=assessment.series_breaks_in(edition.data, "HL_PAYMENT_OPTIONS_SEEN", trend))
    flagged = edition.series("PAY_FLAGGED_TXN_COUNT", trend, "amount_band")
    flagged = flagged.assign(order=flagged["category"].map(list(AMOUNT_BANDS).index)
                             ).sort_values(["order", "quarter"])
    flagged_chart = None if flagged.empty else charts.line_chart(  # hidden cells are gaps
        flagged.assign(band=flagged["category"].map(AMOUNT_BANDS).fillna(flagged["category"])),
        x="quarter", y="value", series="band", y_label="Flagged transactions (count)",
        fig_id="flagged_by_amount",
        caption=edition.caption("Flagged transactions by amount band",
                                f"{trend[0]} to {quarter}", "count of transactions",
                                "payment providers", flagged),
        gaps_note="Gaps are suppressed cells.",
        breaks=assessment.series_breaks_in(edition.data, "PAY_FLAGGED_TXN_COUNT", trend))
    by_method, by_method_withheld = edition.breakdown(
        "PAY_FLAGGED_TXN_COUNT", "payment_method", "flagged_by_method",
        f"Flagged transactions by payment method, {quarter}", "Payment method",
        "payment provider")
    options, options_withheld = edition.breakdown(
        "HL_PAYMENT_OPTIONS_SEEN", "payment_method", "payment_options_by_method",
        f"Payment options seen on commercial sites, by method, {quarter}", "Payment method",
        "hotline", base=OPTIONS_BASE, notes=[METHODS_VERSUS_ASSETS])
    return section(
        "payments", "Payment methods and financial flows",
        summary=["Payment providers report flagged transactions, test purchases and merchant "
                 "terminations; hotlines report the payment options visible on commercial "
                 "sites."],
        tables=[edition.indicator_table(
                    "payment_indicators", f"Payment indicators, {quarter}", INDICATORS,
                    "Change on year compares members that reported in both quarters."),
                options, by_method],
        figures=[mix_chart, flagged_chart],
        withheld=[
            None if mix_chart else edition.withheld(
                mix, "payment options seen on commercial sites", "hotline"),
            None if flagged_chart else edition.withheld(
                flagged, "flagged transactions by amount band", "payment provider"),
            options_withheld, by_method_withheld],
        notes=["Shares of payment options count each option seen once per site; a site can "
               "show several."])

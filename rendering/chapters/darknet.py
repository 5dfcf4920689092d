"""Darknet: hidden services hotlines find, URLs reached as onion services, and the virtual
assets seen or flagged."""

from __future__ import annotations

from rendering import charts
from rendering.chapters.core import Edition, section, shares


def build(edition: Edition) -> dict:
    quarter, trend = edition.quarter, edition.trend
    hidden, line = edition.trend_line(
        "HL_HIDDEN_SERVICES_NEW", "hidden_services", "Hidden services newly found by "
        "hotlines, per quarter", "hotlines", "Hidden services (count)")
    access = shares(edition.series("HL_URLS_CONFIRMED", trend, "access_technique"))
    onion = access[access["category"] == "onion_service"]
    onion_line = None if onion["share"].isna().all() else charts.line_chart(
        onion, x="quarter", y="share", series=None, kind="pct", fig_id="onion_share",
        y_label="Share reached as onion services (%)",
        caption=edition.caption("Confirmed URLs reached as onion services, share of all "
                                "confirmed URLs", f"{trend[0]} to {quarter}", "share of URLs",
                                "hotlines", onion),
        gaps_note="Gaps are suppressed cells.")
    assets, assets_withheld = edition.breakdown(
        "HL_PAYMENT_OPTIONS_SEEN", "virtual_asset", "virtual_assets_seen",
        f"Virtual assets among payment options seen, {quarter}", "Virtual asset", "hotline")
    alerts, alerts_withheld = edition.breakdown(
        "PAY_CRYPTO_ALERT_HITS", "virtual_asset", "crypto_alerts",
        f"Crypto-asset alert hits reported by payment providers, {quarter}", "Virtual asset",
        "payment provider")
    return section(
        "darknet", "Darknet",
        summary=["Hidden services are sites reachable only through an anonymising network; "
                 "hotlines count the new ones they find, and how each confirmed URL was "
                 "reached. Onion hosting cannot be attributed to a country (XO)."],
        tables=[assets, alerts], figures=[line, onion_line],
        withheld=[None if line else edition.withheld(hidden, "new hidden services", "hotline"),
                  None if onion_line else edition.withheld(onion, "onion services", "hotline"),
                  assets_withheld, alerts_withheld])

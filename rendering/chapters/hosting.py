"""Hosting and infrastructure: where confirmed material was hosted, on what kind of
service, and how concentrated hosting is."""

from __future__ import annotations

import numpy as np

from rendering import charts
from rendering.chapters.core import Edition, label, section, shares, table
from rendering.formatting import SUPPRESSED, fmt_count, fmt_pct, fmt_points
from transforms import statistics
from transforms.periods import shift_quarter


def build(edition: Edition) -> dict:
    quarter = edition.quarter
    site_types = shares(edition.series("HL_URLS_CONFIRMED", [quarter], "site_type"))
    site_types = site_types.sort_values(["value", "category"], ascending=[False, True],
                                        na_position="last")
    site_bar = None if site_types["value"].isna().all() else charts.bar_chart(
        site_types.assign(label=site_types["category"].map(label)),
        category="label", value="share", value_label="Share of confirmed URLs (%)",
        kind="pct", fig_id="site_types",
        caption=edition.caption(f"Confirmed URLs by type of site, {quarter}", quarter,
                                "share of confirmed URLs", "hotlines", site_types))
    top, top_withheld = top10(edition)
    return section(
        "hosting", "Hosting and infrastructure",
        summary=["Where confirmed material was hosted and on what kind of service. Hosting "
                 "moves fast when a few image hosts relocate, so a country's rank can change "
                 "within a quarter."],
        tables=[top, concentration_table(edition)], figures=[site_bar],
        withheld=[top_withheld, edition.withheld(site_types, "types of site", "hotline")])


def top10(edition: Edition) -> tuple[dict | None, str | None]:
    """The ten largest published hosting countries; hidden cells are not ranked.
    (None, why) when no country can be shown."""
    quarter = edition.quarter
    previous = shift_quarter(quarter, -1)
    cells = shares(edition.series("HL_URLS_CONFIRMED", [previous, quarter], "hosting_country"))
    now = cells[(cells["quarter"] == quarter) & cells["value"].notna()]
    then = cells[(cells["quarter"] == previous) & cells["value"].notna()].set_index("category")
    top = now.sort_values(["value", "category"], ascending=[False, True]).head(10)
    previous_top = set(then.sort_values("value", ascending=False).head(10).index)
    hidden = int(cells.loc[cells["quarter"] == quarter, "value"].isna().sum())
    if top.empty:
        return None, edition.withheld(cells[cells["quarter"] == quarter], "hosting countries",
                                      "hotline")
    rows = []
    for rank, row in enumerate(top.itertuples(), start=1):
        change = row.share - then["share"].get(row.category, np.nan)
        rows.append([str(rank), row.category, fmt_count(row.value), fmt_pct(row.share),
                     fmt_points(change), "" if row.category in previous_top else "new"])
    notes = ["Share of all confirmed URLs with a hosting country; change in percentage "
             "points on the previous quarter. ZZ: unknown; XO: onion service."]
    if hidden:
        notes.append(f"{hidden} countries are suppressed and not ranked.")
    left = sorted(previous_top - set(top["category"]))
    if left:
        notes.append(f"No longer among the published top 10 since {previous}: "
                     + ", ".join(left) + ".")
    return table("hosting_top10", f"Top 10 hosting countries of confirmed URLs, {quarter}",
                 ["Rank", "Country", "URLs", "Share", "Change", "Entry"], rows,
                 [True, False, True, True, True, False], notes), None


def concentration_table(edition: Edition) -> dict:
    """HHI and top shares, like-for-like, only where both quarters' totals are published."""
    quarter = edition.quarter
    previous = shift_quarter(quarter, -1)
    totals = edition.series("HL_URLS_CONFIRMED", [previous, quarter])
    hosting = edition.data.figures.once(  # the same for every edition of the run
        ("concentration", "HL_URLS_CONFIRMED", "hosting_country", quarter, previous),
        lambda: statistics.concentration(edition.data, "HL_URLS_CONFIRMED", "hosting_country",
                                         quarter, previous))
    shown = (totals["value"].notna().all()
             and len(hosting.members) >= edition.rules.min_contributors)
    count = fmt_count if shown else (lambda x: SUPPRESSED)
    pct = fmt_pct if shown else (lambda x: SUPPRESSED)
    rows = [["Herfindahl-Hirschman index (0-10,000)", count(hosting.hhi_base),
             count(hosting.hhi), count(hosting.hhi_change)],
            ["Share of the largest country", "", pct(hosting.top1_share), ""],
            ["Share of the top 10", pct(hosting.topn_share_base), pct(hosting.topn_share),
             fmt_points(hosting.topn_share - hosting.topn_share_base) if shown
             else SUPPRESSED]]
    return table("hosting_concentration", f"Concentration of hosting, {previous} and "
                 f"{quarter}", ["Measure", previous, quarter, "Change"], rows,
                 [False, True, True, True],
                 [f"Like-for-like: the {len(hosting.members)} members that reported hosting "
                  "countries in both quarters. The index leaves out ZZ (unknown) and XO "
                  "(onion services); above 2,500 counts as highly concentrated."])

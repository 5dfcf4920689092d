"""Hosting and infrastructure: where confirmed material was hosted, on what kind of
service, and how concentrated hosting is.

Every country share of the chapter has one base: confirmed URLs with a known hosting country,
the quarter's published total less unknown (ZZ) and onion services (XO), both published. The
top 10, the regional view and the concentration table read it from `country_shares`.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd
import pycountry

from checks.coarsening import region_rows
from efc.settings import Settings
from rendering import charts
from rendering.chapters.core import Edition, label, section, share_header, shares, table
from rendering.formatting import NOTHING, SUPPRESSED, fmt_count, fmt_pct, fmt_points
from transforms import statistics
from transforms.periods import shift_quarter
from transforms.statistics import UNATTRIBUTABLE

NOT_A_COUNTRY = {"ZZ": "unknown", "XO": "onion service"}
COUNTRY_BASE = "confirmed URLs with a known hosting country (all, less ZZ unknown and XO onion)"
# Countries whose English name takes "the" in running text ("hosted in the Netherlands").
WITH_THE = frozenset({"AE", "BS", "CD", "CF", "CG", "DO", "GB", "GM", "KM", "KY", "MH", "MV",
                      "NL", "PH", "SB", "SC", "TC", "US", "VA", "VG", "VI"})
REGION_NAMES = {"africa": "Africa", "americas": "Americas", "asia": "Asia",
                "europe": "Europe", "oceania": "Oceania"}


def country_name(code: str) -> str:
    """A hosting country in words (ISO 3166 short name), or what a code that is not one means."""
    if code in NOT_A_COUNTRY:
        return NOT_A_COUNTRY[code].capitalize()
    country = pycountry.countries.get(alpha_2=code)
    return getattr(country, "common_name", None) or country.name if country else code


def category_name(dimension: str, code: str) -> str:
    """A breakdown's category as printed: a hosting country by name, any other code in words."""
    return country_name(code) if dimension == "hosting_country" else label(code)


@functools.cache
def _regions() -> dict[str, str]:
    path = Settings.from_env().reference_dir / "m49_regions.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return dict(zip(frame["country"], frame["region"], strict=True))


def region_of(code: str) -> str:
    """A country's UN M49 region (the `hosting_region` code list's words)."""
    return REGION_NAMES.get(_regions().get(code, ""), "Unknown or not attributable")


def country_shares(edition: Edition, quarters: list[str]) -> pd.DataFrame:
    """Published hosting countries with their share of `COUNTRY_BASE`, per quarter.

    `base` is the total less ZZ and XO; it is hidden (and so every share) when the total, ZZ
    or XO is: the difference would then give a hidden cell back. ZZ and XO rows are kept with
    no share, for the notes.
    """
    cells = edition.series("HL_URLS_CONFIRMED", quarters, "hosting_country")
    aside = cells[cells["category"].isin(UNATTRIBUTABLE)]
    hidden_aside = aside["value"].isna().groupby(aside["quarter"]).any()
    aside_sum = aside.groupby("quarter")["value"].sum()
    base = cells["total"] - cells["quarter"].map(aside_sum).fillna(0.0)
    base = base.where(~cells["quarter"].map(hidden_aside).fillna(False).astype(bool))
    attributable = ~cells["category"].isin(UNATTRIBUTABLE)
    return cells.assign(base=base, share=(cells["value"] / base).where(attributable))


def other_regions(edition: Edition, countries: pd.DataFrame) -> pd.DataFrame:
    """The quarter's suppressed countries of each region together ('Other <region>'), each
    row through the gate (`checks.coarsening.region_rows`): `region`, `value` (NaN: c),
    `countries`, `share` (of `COUNTRY_BASE`). Empty where the edition does not coarsen by
    region or hides no country."""
    quarter = edition.quarter
    now = countries[countries["quarter"] == quarter]
    hidden = now.loc[now["value"].isna() & ~now["category"].isin(UNATTRIBUTABLE), "category"]
    if not edition.coarsening.regions or hidden.empty:
        return pd.DataFrame({"region": pd.Series(dtype=str), "value": pd.Series(dtype=float),
                             "countries": pd.Series(dtype="int64"),
                             "share": pd.Series(dtype=float)})
    rows = edition.member_rows("HL_URLS_CONFIRMED", "hosting_country")
    hidden_all = now.loc[now["value"].isna(), "category"]  # ZZ or XO too: in the same sum
    rows = rows[(rows["quarter"] == quarter) & rows["category"].isin(hidden_all)]
    name = edition.table_name("HL_URLS_CONFIRMED", "hosting_country") + \
        ", suppressed countries by region"
    regions = {code: region_of(code) for code in hidden}
    out = region_rows(rows.rename(columns={"category": "country"}),
                      {c: r for c, r in regions.items() if r in REGION_NAMES.values()},
                      total_published=bool(now["total"].notna().all()),
                      rules=edition.rules.waived_for("HL_URLS_CONFIRMED", edition.trend),
                      log=edition.log, table=name, forced=edition.forced.forced(name))
    base = now["base"].iloc[0]
    return out.assign(share=out["value"] / base).sort_values(
        ["value", "region"], ascending=[False, True], na_position="last")


def build(edition: Edition) -> dict:
    quarter = edition.quarter
    site_types = shares(edition.series("HL_URLS_CONFIRMED", [quarter], "site_type"))
    site_types = site_types.sort_values(["value", "category"], ascending=[False, True],
                                        na_position="last")
    site_base = edition.share_base("HL_URLS_CONFIRMED", "site_type")
    site_bar = None if site_types["value"].isna().all() else charts.bar_chart(
        site_types.assign(label=site_types["category"].map(label)),
        category="label", value="share", value_label=share_header("confirmed URLs"),
        kind="pct", fig_id="site_types",
        caption=edition.caption(f"Confirmed URLs by type of site, {quarter}", quarter,
                                f"share of {site_base}", "hotlines", site_types))
    previous = shift_quarter(quarter, -1)
    countries = country_shares(edition, [previous, quarter])
    others = other_regions(edition, countries)
    top, top_withheld = top10(edition, countries, others)
    return section(
        "hosting", "Hosting and infrastructure",
        summary=["Where confirmed material was hosted and on what kind of service. Hosting "
                 "moves fast when a few image hosts relocate, so a country's rank can change "
                 "within a quarter.", *largest_country_sentence(countries, quarter),
                 *regions_sentence(others, quarter)],
        tables=[top, regions_table(edition, countries, others),
                concentration_table(edition, countries)],
        figures=[site_bar],
        withheld=[top_withheld, edition.withheld(site_types, "types of site", "hotline")],
        notes=[f"Country shares in this chapter are of {COUNTRY_BASE}; the types of site are "
               f"shares of {site_base}, unknown and onion hosting included."])


def _published(countries: pd.DataFrame, quarter: str) -> pd.DataFrame:
    now = countries[(countries["quarter"] == quarter) & countries["share"].notna()]
    return now.sort_values(["value", "category"], ascending=[False, True])


def largest_country_sentence(countries: pd.DataFrame, quarter: str) -> list[str]:
    """The quarter's largest published hosting country, in words."""
    now = _published(countries, quarter)
    if now.empty:
        return []
    first = now.iloc[0]
    code = first["category"]
    name = ("the " if code in WITH_THE else "") + country_name(code)
    return [f"The largest published hosting country in {quarter} was "
            f"{name} ({code}, "
            f"{region_of(code)}) with {fmt_count(first['value'])} confirmed URLs, "
            f"{fmt_pct(first['share'])} of {COUNTRY_BASE}."]


def regions_sentence(others: pd.DataFrame, quarter: str) -> list[str]:
    """The suppressed countries' published region rows, in words."""
    shown = others[others["value"].notna()]
    if shown.empty:
        return []
    parts = [f"{fmt_count(r.value)} in {r.region} ({r.countries} "
             f"{'country' if r.countries == 1 else 'countries'})" for r in shown.itertuples()]
    return [f"Countries suppressed one by one can be shown together by region: in {quarter} "
            "they hosted " + "; ".join(parts) + " confirmed URLs."]


def _base_note(countries: pd.DataFrame, quarter: str) -> str:
    now = countries[countries["quarter"] == quarter]
    aside = {code: now.loc[now["category"] == code, "value"] for code in UNATTRIBUTABLE}
    parts = ", ".join(f"{code} ({NOT_A_COUNTRY[code]}) "
                      f"{fmt_count(v.iloc[0]) if len(v) else NOTHING}"
                      for code, v in aside.items())
    base = now["base"].iloc[0] if len(now) else np.nan
    return (f"Base of every share: {fmt_count(base)} {COUNTRY_BASE} in {quarter}; left out of "
            f"it: {parts}.")


def top10(edition: Edition, countries: pd.DataFrame, others: pd.DataFrame
          ) -> tuple[dict | None, str | None]:
    """The ten largest published hosting countries; hidden cells are not ranked, but follow
    as 'Other <region>' rows where the edition may show them together (`others`).
    (None, why) when no country can be shown."""
    quarter = edition.quarter
    previous = shift_quarter(quarter, -1)
    now = countries[countries["quarter"] == quarter]
    then = countries[countries["quarter"] == previous].set_index("category")
    top = _published(countries, quarter).head(10)
    previous_top = set(_published(countries, previous).head(10)["category"])
    hidden = int(now.loc[~now["category"].isin(UNATTRIBUTABLE), "value"].isna().sum())
    if top.empty:
        return None, edition.withheld(now, "hosting countries", "hotline")
    rows = []
    for rank, row in enumerate(top.itertuples(), start=1):
        if row.category not in then.index:
            change = NOTHING  # not reported last quarter: nothing to compare with
        elif pd.isna(then.at[row.category, "share"]):
            change = SUPPRESSED
        else:
            change = fmt_points(row.share - then.at[row.category, "share"])
        rows.append([str(rank), country_name(row.category), row.category,
                     region_of(row.category), fmt_count(row.value), fmt_pct(row.share),
                     change, NOTHING if row.category in previous_top else "new"])
    for row in others.itertuples():
        rows.append([NOTHING, f"Other {row.region} ({row.countries} suppressed "
                     f"{'country' if row.countries == 1 else 'countries'})", NOTHING,
                     row.region, fmt_count(row.value), fmt_pct(row.share), NOTHING, NOTHING])
    notes = [_base_note(countries, quarter),
             f"Change: in percentage points on {previous}, same base; c: that quarter's "
             f"figure is suppressed; {NOTHING}: not reported then. Entry: new to the published "
             f"top 10; {NOTHING}: already in it."]
    if hidden:
        notes.append(f"{hidden} countries are suppressed (c) and not ranked.")
    if len(others):
        notes.append("Other <region>: that region's suppressed countries together, shown "
                     "where the sum passes the disclosure rules and narrows no suppressed "
                     "country below its protection (c where it would; disclosure annex).")
    left = sorted(previous_top - set(top["category"]))
    if left:
        notes.append(f"No longer among the published top 10 since {previous}: "
                     + ", ".join(f"{country_name(c)} ({c})" for c in left) + ".")
    if edition.rules.rounding_base > 1:
        notes.append(edition.rounded_table_note())
    return table("hosting_top10", f"Top 10 hosting countries of confirmed URLs, {quarter}",
                 ["Rank", "Country", "ISO code", "Region (UN M49)", "URLs",
                  share_header(COUNTRY_BASE), "Change (pp)", "Entry"], rows,
                 [True, False, False, False, True, True, True, False], notes), None


def regions_table(edition: Edition, countries: pd.DataFrame, others: pd.DataFrame
                  ) -> dict | None:
    """Published countries summed by UN M49 region, and beside them the region's suppressed
    countries together where the gate lets them be shown (`others`; their sum on its own
    could give one of them back, so it is judged as a cell of its own)."""
    quarter = edition.quarter
    now = countries[(countries["quarter"] == quarter)
                    & ~countries["category"].isin(UNATTRIBUTABLE)]
    if now.empty or (now["base"].isna().all() and others["value"].isna().all()):
        return None
    by_region = now.assign(region=now["category"].map(region_of)).groupby("region").agg(
        value=("value", "sum"), share=("share", "sum"), countries=("value", "count"),
        hidden=("value", lambda v: int(v.isna().sum())))
    by_region = by_region.sort_values(["value"], ascending=False)
    together = others.set_index("region")["value"]
    rows = [[region, fmt_count(r.value), fmt_pct(r.share), str(int(r.countries)),
             str(int(r.hidden)),
             fmt_count(together[region]) if region in together.index else NOTHING]
            for region, r in by_region.iterrows()]
    notes = ["Sums of the published countries, in the top 10 or below it (regions of the "
             "UN M49 standard); a suppressed country counts in no region, so a region's "
             "share is a lower bound. Suppressed countries together: their sum where it "
             "passes the disclosure rules without narrowing any of them (c where it would; "
             f"{NOTHING}: none suppressed).", _base_note(countries, quarter),
             *edition.count_notes()]
    return table("hosting_regions", f"Confirmed URLs by region of the hosting country, "
                 f"{quarter}", ["Region (UN M49)", "URLs in published countries",
                                share_header(COUNTRY_BASE), "Published countries",
                                "Suppressed countries", "URLs in suppressed countries "
                                "(together)"], rows,
                 [False, True, True, True, True, True], notes)


HHI_BANDS = ((1_500, "below 1,500"), (2_500, "1,500 to 2,500"), (math.inf, "above 2,500"))
HHI_STEADY = 100  # points: a smaller change of the index reads "about the same"


def hhi_band(hhi: float) -> str:
    """The concentration band of an index (the competition authorities' thresholds)."""
    return next(label for upper, label in HHI_BANDS if hhi < upper) if math.isfinite(hhi) \
        else NOTHING


def direction(change: float) -> str:
    """A change told by its direction only: where the figure itself would disclose too much."""
    if not math.isfinite(change):
        return NOTHING
    return "about the same" if abs(change) < HHI_STEADY else ("rose" if change > 0 else "fell")


def concentration_table(edition: Edition, countries: pd.DataFrame) -> dict:
    """The HHI like-for-like (where both quarters' totals are published), and the largest and
    top-10 shares on the chapter's base, from the same published shares as the top 10."""
    quarter = edition.quarter
    previous = shift_quarter(quarter, -1)
    totals = edition.series("HL_URLS_CONFIRMED", [previous, quarter])
    hosting = edition.data.figures.once(  # the same for every edition of the run
        ("concentration", "HL_URLS_CONFIRMED", "hosting_country", quarter, previous),
        lambda: statistics.concentration(edition.data, "HL_URLS_CONFIRMED", "hosting_country",
                                         quarter, previous))
    shown = (totals["value"].notna().all()
             and len(hosting.members) >= edition.rules.min_contributors)
    # The index squares every country's share, hidden ones too: a non-linear view of hidden
    # cells that the gate's linear audit cannot vouch for. Exact only where every country is
    # published; otherwise coarsened to its concentration band and the change to its direction.
    exact = shown and countries["value"].notna().all()
    index = (fmt_count if exact else hhi_band) if shown else (lambda x: SUPPRESSED)
    moved = (fmt_count if exact else direction) if shown else (lambda x: SUPPRESSED)
    if exact:  # derived from published cells only: what the release check may see printed
        edition.log.published_values.update(
            round(v) for v in (hosting.hhi_base, hosting.hhi, hosting.hhi_change)
            if math.isfinite(v))

    def top_share(q: str, n: int) -> float | str:
        published = _published(countries, q)
        base_hidden = countries.loc[countries["quarter"] == q, "base"].isna().all()
        if base_hidden and len(countries[countries["quarter"] == q]):
            return SUPPRESSED
        return float(published["share"].head(n).sum()) if len(published) else NOTHING

    def change(then: float | str, now: float | str) -> str:
        if NOTHING in (then, now):
            return NOTHING
        return SUPPRESSED if SUPPRESSED in (then, now) else fmt_points(now - then)

    largest = top_share(previous, 1), top_share(quarter, 1)
    ten = top_share(previous, 10), top_share(quarter, 10)
    rows = [["Herfindahl-Hirschman index (0-10,000; known-country URLs of the hotlines "
             "reporting both quarters)", index(hosting.hhi_base),
             index(hosting.hhi), moved(hosting.hhi_change)],
            [f"Share of the largest published country (%, of {COUNTRY_BASE})",
             fmt_pct(largest[0]), fmt_pct(largest[1]), change(*largest)],
            [f"Share of the ten largest published countries (%, of {COUNTRY_BASE})",
             fmt_pct(ten[0]), fmt_pct(ten[1]), change(*ten)]]
    return table("hosting_concentration", f"Concentration of hosting, {previous} and "
                 f"{quarter}", ["Measure", previous, quarter, "Change"], rows,
                 [False, True, True, True],
                 [f"Shares: the same published shares as the top 10 ({COUNTRY_BASE}); change "
                  "in percentage points. The index is like-for-like on the same base (ZZ and "
                  f"XO left out) over the {len(hosting.members)} hotlines that reported hosting "
                  "countries in both quarters; above 2,500 counts as highly concentrated"
                  + ("" if exact or not shown else "; shown as its band (below 1,500, 1,500 "
                     "to 2,500, above 2,500) and the direction of its change, because some "
                     "countries are suppressed and the exact index would narrow them")
                  + ". "
                  f"c: suppressed; {NOTHING}: no published country.",
                  *edition.count_notes()])

"""Annex: the indicator catalogue members report against."""

from __future__ import annotations

from rendering.chapters.core import SECTOR_LABELS, Edition, section, table


def build(edition: Edition) -> dict:
    rows = [[r.indicator, r.name, ", ".join(SECTOR_LABELS.get(s, s) for s in r.sectors),
             r.unit, "yes" if r.is_additive else "no"]
            for r in edition.data.indicators.sort_values("indicator").itertuples()]
    return section(
        "catalogue", "Indicator catalogue",
        summary=["What each indicator counts is defined in the catalogue members report "
                 "against; additive indicators may be added across members and months, the "
                 "others (medians, distinct counts) never are."],
        tables=[table("indicator_catalogue", "Indicators",
                      ["Code", "Name", "Sectors", "Unit", "Additive"], rows,
                      [False, False, False, False, False])])

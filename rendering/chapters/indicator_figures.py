"""Annex: every additive indicator of the catalogue with its quarter's published total, the
members behind it and its like-for-like change on a year, so that no indicator members send
goes unreported (the chapters show those they analyse; medians and distinct counts, which are
never added across members, are explained in the methodology)."""

from __future__ import annotations

from rendering.chapters.core import SECTOR_LABELS, Edition, section, table


def additive_indicators(edition: Edition) -> list[tuple[str, str]]:
    """(sector, indicator) of each additive indicator, by sector then name."""
    catalogue = edition.data.indicators
    rows = []
    for row in catalogue[catalogue["is_additive"]].itertuples():
        sectors = row.sectors.split("|") if isinstance(row.sectors, str) else list(row.sectors)
        rows.append((sectors[0], row.name, row.indicator))
    order = list(SECTOR_LABELS)
    rows.sort(key=lambda r: (order.index(r[0]) if r[0] in order else len(order), r[1]))
    return [(sector, indicator) for sector, _, indicator in rows]


def build(edition: Edition) -> dict:
    indicators = additive_indicators(edition)
    rows = edition.indicator_rows(tuple(i for _, i in indicators), "indicator figures")
    return section(
        "indicator_figures", "Every indicator this quarter",
        summary=["Each additive indicator of the catalogue with the quarter's published total, "
                 "the members that contributed to it and its like-for-like change on the same "
                 "quarter a year earlier; the chapters analyse most of them."],
        tables=[table("indicator_figures", f"Every additive indicator, {edition.quarter}",
                      ["Sector", "Indicator", "Value", "Members", "Change on year"],
                      [[SECTOR_LABELS.get(sector, sector), *row]
                       for (sector, _), row in zip(indicators, rows, strict=True)],
                      [False, False, True, True, True],
                      ["c: suppressed (fewer than "
                       f"{edition.rules.min_contributors} contributing members, or dominated by "
                       "one or two of them); n/a: no member reported the indicator in both "
                       "quarters" + edition.rounding_note() + ".",
                       *edition.coarse_notes(rows)])])

"""Annex, coalition edition only: which member sent its expected indicators, per quarter."""

from __future__ import annotations

from rendering.chapters.core import Edition, section, table
from rendering.formatting import NOTHING


def build(edition: Edition) -> dict | None:
    """None in an edition that does not name members (`member_detail` off)."""
    if not edition.rules.member_detail:
        return None
    data = edition.data
    quarters = data.window(4)
    cov = data.coverage[data.coverage["quarter"].isin(quarters)]
    per = cov.groupby(["member_id", "quarter"]).agg(
        expected=("indicator", "count"), complete=("is_complete", "sum")).reset_index()
    marks = per.assign(mark=[f"{c}/{e}" for c, e in zip(per["complete"], per["expected"],
                                                         strict=True)])
    grid = marks.pivot(index="member_id", columns="quarter", values="mark").reindex(
        columns=quarters).fillna(NOTHING)
    rows = [[member, *grid.loc[member].tolist()] for member in grid.index]
    return section(
        "member_coverage", "Member coverage detail",
        summary=["Indicators received complete out of those expected under each member's "
                 "reporting plan, per quarter."],
        tables=[table("member_coverage_detail", "Member coverage, last four quarters",
                      ["Member", *quarters], rows, [False] + [True] * len(quarters),
                      [f"{NOTHING}: nothing expected in that quarter."])])

"""Outlook and intelligence gaps: the analysts' outlook, and what the data do not cover."""

from __future__ import annotations

from rendering.chapters.core import SECTOR_LABELS, Edition, section, table
from transforms import assessment


def build(edition: Edition) -> dict:
    quarter = edition.quarter
    gaps = intelligence_gaps(edition)
    return section(
        "outlook", "Outlook and intelligence gaps",
        summary=edition.narrative.outlook or [
            "No outlook has been written for this quarter yet (the analysts' narrative file, "
            f"EFC_HOME/narratives/{quarter}.md)."],
        tables=[table("intelligence_gaps", f"Intelligence gaps, {quarter}",
                      ["Area", "What the data do not cover"],
                      gaps or [["-", "None found: every expected member and indicator "
                                     f"arrived for {quarter}."]],
                      [False, False])])


def intelligence_gaps(edition: Edition) -> list[list[str]]:
    """What the data do not cover this quarter: sectors short of members, indicators that
    nobody reports or that did not arrive, figures hidden whole by disclosure control."""
    data, quarter = edition.data, edition.quarter
    gaps = []
    coverage = assessment.coverage_by_sector(data, [quarter])
    for row in coverage.itertuples():
        if row.members_complete < row.members_expected:
            gaps.append([SECTOR_LABELS.get(row.sector, row.sector),
                         f"{int(row.members_complete)} of {row.members_expected} members "
                         "sent every expected indicator."])
    unplanned = sorted(set(data.indicators["indicator"]) - set(data.coverage["indicator"]))
    if unplanned:
        gaps.append(["Catalogue", "No member's reporting plan covers " + ", ".join(
            edition.name_of(i) for i in unplanned) + "."])
    cov = data.coverage[data.coverage["quarter"] == quarter]
    arrived = cov.groupby("indicator")["is_submitted"].any()
    if missing := sorted(arrived[~arrived].index):
        gaps.append(["Arrivals", "Expected but received from no member: " + ", ".join(
            edition.name_of(i) for i in missing) + "."])
    if hidden := edition.indicators_withheld():
        gaps.append(["Disclosure control", "Every figure is suppressed for "
                     + ", ".join(edition.name_of(i) for i in hidden)
                     + ": too few members report them, or one or two dominate."])
    return gaps

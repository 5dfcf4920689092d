"""Scale of reported material: what hotlines received, assessed, confirmed and passed on."""

from __future__ import annotations

import math

from checks.coarsening import BAND_DASH
from rendering import charts
from rendering.chapters.core import BREAKS_NOTE, Edition, section, table
from rendering.formatting import SUPPRESSED, fmt_change_pct, fmt_pct
from transforms import assessment, statistics
from transforms.periods import shift_quarter

VOLUMES_TABLE = "hotline volumes"  # the table hotline_volumes, as the disclosure annex names it
VOLUMES = ("HL_REPORTS_RECEIVED", "HL_REPORTS_ASSESSED", "HL_URLS_CONFIRMED",
           "HL_URLS_COMMERCIAL", "HL_NTD_NOTICES_SENT", "HL_REFERRALS_TO_LE")


def build(edition: Edition) -> dict:
    quarter, trend = edition.quarter, edition.trend
    confirmed = edition.series("HL_URLS_CONFIRMED", trend)
    line = charts.line_chart(
        confirmed.assign(series="URLs confirmed"), x="quarter", y="value", series=None,
        y_label="URLs confirmed (count)", fig_id="hotline_confirmed",
        caption=edition.caption("Child sexual abuse URLs confirmed by hotlines, per quarter",
                                f"{trend[0]} to {quarter}", "count of URLs", "hotlines",
                                confirmed),
        gaps_note=BREAKS_NOTE,
        breaks=assessment.series_breaks_in(edition.data, "HL_URLS_CONFIRMED", trend))
    rows = []
    for indicator in VOLUMES:
        moves = [edition.change_text(edition.change(indicator, base, VOLUMES_TABLE),
                                     indicator, base, VOLUMES_TABLE)
                 for base in (shift_quarter(quarter, -1), shift_quarter(quarter, -4))]
        cell = edition.series(indicator, [quarter]).iloc[0]
        rows.append([edition.name_of(indicator),
                     edition.level_text(indicator, table=VOLUMES_TABLE),
                     str(int(cell["contributors"])), *moves])
    return section(
        "hotlines", "Scale of reported material (hotlines)",
        summary=[
            confirmed_sentence(edition),
            "Changes are like-for-like: only members that reported the indicator in both "
            "quarters are compared.",
        ],
        tables=[table("hotline_volumes", f"Hotline volumes, {quarter}",
                      ["Indicator", "Value", "Members", "Change on quarter", "Change on year"],
                      rows, [False, True, True, True, True],
                      edition.count_notes("Changes compare members that reported in both "
                                          "quarters.", *edition.coarse_notes(rows))),
                uncertainty_table(edition, VOLUMES, "hotline_uncertainty")],
        figures=[line],
        notes=[f"Series break in {q}: {note}"
               for q, note in edition.break_notes("HL_URLS_CONFIRMED")])


def confirmed_sentence(edition: Edition) -> str:
    """The chapter's opening figure as the volume table prints it: the quarter's confirmed
    URLs, their range where the edition hides the figure but may give one, or that it is
    suppressed."""
    level = edition.level_text("HL_URLS_CONFIRMED")
    if level == SUPPRESSED:
        return (f"The number of URLs hotlines confirmed as child sexual abuse material in "
                f"{edition.quarter} is suppressed in this edition (c).")
    coarse = " (a range: the exact figure is suppressed)" if BAND_DASH in level else ""
    return (f"Hotlines confirmed {level} URLs as child sexual abuse material in "
            f"{edition.quarter}{coarse}.")


def uncertainty_table(edition: Edition, indicators: tuple[str, ...], table_id: str) -> dict:
    """Change on a year earlier with its 95% interval and the coverage it speaks for,
    shown only where both quarters' totals are published and enough members compare."""
    quarter = edition.quarter
    base = shift_quarter(quarter, -4)
    rows = []
    for indicator in indicators:
        est = edition.data.figures.once(  # the same for every edition of the run
            ("count_change", indicator, quarter, base),
            lambda indicator=indicator: statistics.count_change(edition.data, indicator,
                                                                quarter, base))
        published = edition.series(indicator, [base, quarter])["value"].notna().all()
        shown = (published and len(est.members) >= edition.rules.min_contributors
                 and (not math.isfinite(est.change) or edition.panel_ratio_safe(
                     (indicator, quarter), (indicator, base), 1.0 + est.change, table_id,
                     offset=1.0, panel=est.members)))
        rows.append([
            edition.name_of(indicator),
            fmt_change_pct(est.change) if shown else SUPPRESSED,
            f"{fmt_change_pct(est.low)} to {fmt_change_pct(est.high)}"
            if shown and math.isfinite(est.low) else "none" if shown else SUPPRESSED,
            str(len(est.members)),
            fmt_pct(est.comparable_coverage, 0)])
    return table(table_id, f"Change on {base} with uncertainty", [
        "Indicator", "Change", "95% interval", "Members compared",
        "Coverage (% of the members expected now)"], rows,
        [False, True, True, True, True],
        ["Like-for-like over members complete in both quarters; a member with a series break "
         "between them is left out, so a change may differ from the table above. Intervals "
         "allow for members varying more than chance would (negative binomial bootstrap); "
         "'none': no model could be fitted (too little history, a zero base, or a value no "
         "model takes), so the change stands without an interval. "
         "Coverage: members compared out of those expected now."])

"""Response and disruption: how fast material comes down, notices against removals, what
police units and industry report, and the NGOs' helpline contacts and training."""

from __future__ import annotations

from checks.coarsening import BAND_DASH
from rendering import charts
from rendering.chapters.core import SPARK_QUARTERS, Edition, section, shares, table
from rendering.formatting import SUPPRESSED, listed
from transforms import assessment

TAKEDOWN_BUCKETS = {"same_day": "same day", "d1_3": "1-3 days", "d4_7": "4-7 days",
                    "d8_28": "8-28 days", "gt28": "over 28 days", "not_removed": "not removed"}
POLICE_OUTCOMES = ("LE_CASES_OPENED", "LE_ARRESTS", "LE_VICTIMS_IDENTIFIED")
POLICE_NOUNS = {"LE_CASES_OPENED": "cases opened", "LE_ARRESTS": "arrests",
                "LE_VICTIMS_IDENTIFIED": "victims identified"}
INDUSTRY_RESPONSE = ("IND_NOTICES_RECEIVED", "IND_ITEMS_REMOVED")
PREVENTION = ("NGO_HELPLINE_CONTACTS", "NGO_PARTICIPANTS_TRAINED")  # NGOs (and hotlines)


def build(edition: Edition) -> dict:
    quarter = edition.quarter
    quarters = edition.data.window(SPARK_QUARTERS)
    buckets = shares(edition.series("HL_TAKEDOWN_BY_BUCKET", quarters, "takedown_bucket"))
    buckets = buckets.assign(order=buckets["category"].map(
        {b: i for i, b in enumerate(TAKEDOWN_BUCKETS)})).sort_values(["order", "quarter"])
    takedown = None if buckets["share"].isna().all() else charts.stacked_share_chart(
        buckets.assign(bucket=buckets["category"].map(TAKEDOWN_BUCKETS)), x="quarter",
        category="bucket", share="share", y_label="Share of URLs (%)",
        fig_id="takedown_times",
        caption=edition.caption("Time from notice to removal of confirmed URLs",
                                f"{quarters[0]} to {quarter}", "share of " + edition.share_base(
                                    "HL_TAKEDOWN_BY_BUCKET", "takedown_bucket"),
                                "hotlines and industry", buckets),
        breaks=assessment.series_breaks_in(edition.data, "HL_TAKEDOWN_BY_BUCKET", quarters))
    police = enforcement(edition)
    prevention = edition.indicator_table(
        "prevention_and_support", f"Prevention and support, {quarter}", PREVENTION,
        "Helpline contacts come from the coalition's NGOs alone; people trained come from "
        f"NGOs and hotlines. c: suppressed (fewer than {edition.rules.min_contributors} "
        "contributing members, or dominated by one or two of them).")
    return section(
        "response", "Response and disruption",
        summary=["How fast material comes down once notified, how many notices hotlines send "
                 "and industry receives against the items it removes, and what police units "
                 "report; NGOs add the helpline contacts they answer and the people they "
                 "train."] + police["summary"],
        tables=[edition.indicator_table(
                    "notices_and_removals", f"Notices and removals, {quarter}",
                    ("HL_NTD_NOTICES_SENT", "IND_NOTICES_RECEIVED", "IND_ITEMS_REMOVED",
                     "IND_HASH_MATCH_BLOCKS"),
                    "Notices and removals are counted by different members and are not "
                    "matched one to one."),
                *police["tables"], prevention],
        figures=[takedown, *police["figures"]], notes=police["notes"],
        withheld=[None if takedown else edition.withheld(buckets, "takedown times",
                                                         "hotline or industry")])


def enforcement(edition: Edition) -> dict:
    """Police outcomes and industry response, a part of this chapter: its summary, tables,
    figures and notes."""
    quarter = edition.quarter
    quarters = edition.data.window(SPARK_QUARTERS)
    police = edition.totals_of(POLICE_OUTCOMES, quarters, "outcome")
    police_chart = None if police["value"].isna().all() else charts.grouped_bar_chart(
        police, x="quarter", series="outcome", value="value", value_label="Count",
        fig_id="police_outcomes",
        caption=edition.caption("Police outcomes, per quarter", f"{quarters[0]} to {quarter}",
                                "count", "law enforcement", police),
        breaks=edition.breaks_in(POLICE_OUTCOMES, quarters))
    industry = edition.totals_of(INDUSTRY_RESPONSE, quarters, "measure")
    industry_chart = None if industry["value"].isna().all() else charts.line_chart(
        industry, x="quarter", y="value", series="measure", y_label="Count",
        fig_id="industry_response",
        caption=edition.caption("Notices received and items removed by industry members",
                                f"{quarters[0]} to {quarter}", "count", "industry", industry),
        gaps_note="Gaps are suppressed cells.",
        breaks=edition.breaks_in(INDUSTRY_RESPONSE, quarters))
    rows = [[row.outcome, row.quarter,
             edition.level_text(row.indicator, row.quarter, table="police outcomes"),
             str(int(row.contributors))]
            for row in police[police["quarter"] == quarter].itertuples()]
    notes = ["Police outcomes are partial and never linked to hotline reports."]
    if industry_chart is None:
        notes.append(edition.withheld(industry, "industry notices and removals", "industry"))
    return {
        "summary": ["Police units report cases, arrests and victims identified (never by any "
                    "demographic); industry members report notices and removals.",
                    *police_sentence(edition)],
        "tables": [table("police_outcomes", f"Police outcomes, {quarter}",
                         ["Outcome", "Quarter", "Count", "Members"], rows,
                         [False, False, True, True],
                         edition.count_notes(*edition.coarse_notes(rows)))],
        "figures": [f for f in (police_chart, industry_chart) if f],
        "notes": notes,
    }


def police_sentence(edition: Edition) -> list[str]:
    """The quarter's police outcomes in words, each as the police table prints it (a range
    where the edition prints a suppressed count as its band); none where all are c."""
    stated = [f"{text} {POLICE_NOUNS[indicator]}" for indicator in POLICE_OUTCOMES
              if (text := edition.level_text(indicator)) != SUPPRESSED]
    if not stated:
        return []
    ranges = any(BAND_DASH in text for text in stated)
    return [f"In {edition.quarter} police units reported {listed(stated)}"
            + (" (a range stands for a suppressed count)." if ranges else ".")]

"""Live-streaming and emerging threats: police cases of live-streamed abuse and extortion,
and the quarter's signals worth an analyst's look."""

from __future__ import annotations

from rendering import charts
from rendering.chapters.core import SECTOR_LABELS, SPARK_QUARTERS, Edition, label, section, table
from rendering.chapters.hosting import category_name
from rendering.formatting import NOTHING, fmt_change_pct, fmt_pct, fmt_points
from transforms import assessment, statistics
from transforms.periods import shift_quarter

SIGNAL_LABELS = {"new_category": "New", "rising_fast": "Rising fast",
                 "share_shift": "Share shift",
                 "sector_stopped_reporting": "Sector stopped reporting",
                 "member_stopped_reporting": "Members stopped reporting"}


def build(edition: Edition) -> dict:
    quarter = edition.quarter
    quarters = edition.data.window(SPARK_QUARTERS)
    cases = edition.series("LE_CASES_OPENED", quarters, "offence_type")
    emerging = cases[cases["category"].isin(["livestream_purchase", "extortion"])]
    emerging_line = None if emerging["value"].isna().all() else charts.line_chart(
        emerging.assign(offence=emerging["category"].map(label)), x="quarter",
        y="value", series="offence", y_label="Cases opened (count)",
        fig_id="emerging_cases",
        caption=edition.caption("Police cases opened for live-streamed abuse bought online "
                                "and for sexual extortion", f"{quarters[0]} to {quarter}",
                                "count of cases", "law enforcement", emerging),
        gaps_note="Gaps are suppressed cells.",
        breaks=assessment.series_breaks_in(edition.data, "LE_CASES_OPENED", quarters))
    rows = signal_rows(edition)
    return section(
        "livestreaming", "Live-streaming and emerging threats",
        summary=["Live-streamed abuse is paid for in small remittances, so it shows in police "
                 "cases and in the smallest amount bands of flagged transactions (chapter 6) "
                 "rather than in hotline counts. The table below lists signals, if any: changes "
                 "on the previous quarter worth an analyst's look, each passing a test at the "
                 "95% level, with figures this edition publishes."],
        tables=[table("signals", f"Signals, {quarter} on {shift_quarter(quarter, -1)}",
                      ["Signal", "Indicator", "Category", "Detail"],
                      rows or [["none", NOTHING, NOTHING, "No signal in this edition."]],
                      [False, False, False, False],
                      ["Changes and shares are like-for-like: members that reported in both "
                       "quarters, so a share here is of those members' total. "
                       f"Reporting gaps count the members expected. {NOTHING}: no "
                       "category (a signal on the indicator's total)."])],
        figures=[emerging_line],
        withheld=[None if emerging_line else edition.withheld(
            emerging, "cases of live-streaming and extortion", "law enforcement")])


def signal_rows(edition: Edition) -> list[list[str]]:
    """Signals whose figures this edition publishes, in words a reader can check."""
    signals = edition.data.figures.once(  # the same for every edition of the run
        ("signals", edition.quarter), lambda: statistics.signals(edition.data, edition.quarter))
    rows = []
    for signal in signals:
        evidence = signal.evidence
        name = edition.name_of(signal.indicator)
        if signal.kind in ("sector_stopped_reporting", "member_stopped_reporting"):
            stopped, still = evidence["stopped"], evidence["still_reporting"]
            sector = SECTOR_LABELS.get(evidence["sector"], evidence["sector"]).lower()
            rows.append([SIGNAL_LABELS[signal.kind], name, NOTHING,
                         f"{len(stopped)} of {len(stopped) + len(still)} {sector} that "
                         f"reported it for {signal.base_quarter} sent nothing for "
                         f"{signal.quarter}."])
            continue
        quarters = [signal.quarter] if signal.kind == "new_category" else [
            signal.base_quarter, signal.quarter]  # a new category had nothing before
        if signal.kind not in SIGNAL_LABELS or not edition.publishable({
                "indicator": signal.indicator, "dimension": signal.dimension,
                "category": signal.category, "quarters": quarters}):
            continue  # top-10 moves are in the hosting table; hidden cells stay hidden
        if signal.kind == "new_category":
            detail = (f"{fmt_pct(evidence['share'])} of all {name} by "
                      f"{signal.dimension.replace('_', ' ')} in {signal.quarter}, "
                      f"none in {signal.base_quarter}.")
        elif signal.kind == "rising_fast":
            detail = (f"{fmt_change_pct(evidence['change'])} on {signal.base_quarter} "
                      f"(95% interval {fmt_change_pct(evidence['low'])} to "
                      f"{fmt_change_pct(evidence['high'])}); "
                      f"{fmt_pct(evidence['share'])} of all {name} by "
                      f"{signal.dimension.replace('_', ' ')}.")
        else:
            detail = (f"{fmt_pct(evidence['base_share'])} to {fmt_pct(evidence['share'])} "
                      f"of all {name} by {signal.dimension.replace('_', ' ')} "
                      f"({fmt_points(evidence['change'])}; 95% interval "
                      f"{fmt_points(evidence['low'])} to {fmt_points(evidence['high'])}).")
        rows.append([SIGNAL_LABELS[signal.kind], f"{name} by "
                     f"{signal.dimension.replace('_', ' ')}",
                     category_name(signal.dimension, signal.category), detail])
    return rows

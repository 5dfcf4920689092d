"""The report context: assessment figures, passed through disclosure control, made printable.

Every number reaches the context through `checks.disclosure.protect` and is formatted by
`rendering.formatting`; templates receive text only. Tables are also returned as frames so
the PDF can carry them as CSV attachments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from checks.disclosure import (
    TOTAL,
    DisclosureLog,
    DisclosureRules,
    SuppressionPattern,
    protect,
    protect_table,
)
from rendering import charts
from rendering.formatting import (
    SUPPRESSED,
    fmt_change_pct,
    fmt_count,
    fmt_eur,
    fmt_pct,
    fmt_points,
)
from transforms import assessment as figures
from transforms.assessment import AssessmentData
from transforms.judgements import (
    CONFIDENCE_RULES,
    EVIDENCE_NOTE,
    EVIDENCE_TO_YARDSTICK,
    YARDSTICK,
    draft,
)
from transforms.narrative import Narrative, apply_narrative
from transforms.periods import shift_quarter

TREND_QUARTERS = 12
SPARK_QUARTERS = 8
SECTOR_LABELS = {"hotline": "Hotlines", "payment": "Payment providers",
                 "law_enforcement": "Law enforcement", "industry": "Industry", "ngo": "NGOs"}
KPIS = (  # indicator, tile label, the noun printed after the value
    ("HL_URLS_CONFIRMED", "URLs confirmed (hotlines)", "URLs"),
    ("HL_URLS_COMMERCIAL", "Commercial URLs", "URLs"),
    ("PAY_FLAGGED_TXN_VALUE", "Flagged transactions, value", ""),
    ("PAY_MERCHANTS_TERMINATED", "Merchant accounts terminated", "accounts"),
    ("LE_ARRESTS", "Arrests", "arrests"),
    ("IND_ITEMS_REMOVED", "Items removed by industry", "items"),
)
CAVEATS = (
    "Units differ between indicators (reports, URLs, transactions, items) and are not "
    "interchangeable.",
    "A URL may be reported to several hotlines; hotline totals can double count.",
    "Series breaks (changes in how a member counts) are marked and not bridged.",
    "National law differs: what a hotline confirms as illegal is not identical everywhere.",
    "Hosting location is volatile: a few image hosts relocating can move a country's share "
    "within weeks.",
    "Volumes reflect members' effort (proactive search, staffing) as well as the threat.",
    "Many payment methods are hidden from view; payment shares describe visible options only.",
    "Small cells are suppressed (shown as c) so that no member's figure can be read out.",
)


@dataclass
class ReportTables:
    """The printed tables as data, for the CSV attachments (same cells, same suppression)."""

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)


def _fmt(unit: str):
    return fmt_eur if unit == "EUR" else fmt_count


def _unit_of(data: AssessmentData, indicator: str) -> str:
    return data.indicators.set_index("indicator").at[indicator, "unit"]


def _name_of(data: AssessmentData, indicator: str) -> str:
    return data.indicators.set_index("indicator").at[indicator, "name"]


def _coverage_note(cells: pd.DataFrame) -> str:
    known = cells["contributors"].dropna()
    if known.empty:
        return "no contributing members"
    lo, hi = int(known.min()), int(known.max())
    return f"{lo} contributing members" if lo == hi else f"{lo}-{hi} contributing members"


def _caption(what: str, period: str, unit: str, sectors: str, cells: pd.DataFrame,
             rules: DisclosureRules) -> str:
    hidden = int((cells.get("suppressed_by", pd.Series(dtype=str)) != "").sum())
    rule = (f"cells with fewer than {rules.min_contributors} contributing members or dominated "
            f"by one or two members are suppressed, with enough others to protect them "
            f"({hidden} here)")
    return f"{what}. {period}; unit: {unit}; {sectors}; {_coverage_note(cells)}; {rule}."


def _shares(cells: pd.DataFrame) -> pd.DataFrame:
    """Each category's share of its published quarter total (hidden total: hidden shares)."""
    return cells.assign(share=cells["value"] / cells["total"])


class ContextBuilder:
    """Builds one edition's context from the assessment data; the log counts suppressions."""

    def __init__(self, data: AssessmentData, rules: DisclosureRules,
                 forced: SuppressionPattern | None = None):
        self.data = data
        self.rules = rules
        self.forced = forced or SuppressionPattern()
        self.log = DisclosureLog()
        self.tables = ReportTables()
        self.quarter = data.quarter
        self.trend = data.window(TREND_QUARTERS)
        self._protected: dict[tuple[str, str], pd.DataFrame] = {}

    # -- guarded figures -----------------------------------------------------------------

    def series(self, indicator: str, quarters: list[str], dimension: str = "",
               table: str | None = None) -> pd.DataFrame:
        """Published cells of an indicator (by category) per quarter; hidden cells are NaN.

        Each indicator and breakdown is protected once, over the whole trend window, so every
        chart, table and sentence shows the same pattern and none can be differenced against
        another. Breakdowns carry `total` (the published margin of their quarter).
        """
        key = (indicator, dimension)
        if key not in self._protected:
            self._protected[key] = self._protect(indicator, dimension)
        cells = self._protected[key]
        return cells[cells["quarter"].isin(quarters)].reset_index(drop=True)

    def _protect(self, indicator: str, dimension: str) -> pd.DataFrame:
        values = self.data.member_values
        rows = values[(values["indicator"] == indicator) & (values["dimension"] == dimension)
                      & values["quarter"].isin(self.trend) & values["is_additive"]
                      & values["is_complete"] & values["value"].notna()]
        rows = rows[["quarter", "category", "member_id", "indicator", "value"]]
        name = f"{indicator} by {dimension or 'quarter'}"
        if dimension:
            protected = protect_table(rows, rules=self.rules, log=self.log, table=name,
                                      row="category", col="quarter", totals=("category",),
                                      forced=self.forced.forced(name)).cells
            margins = protected[protected["category"] == TOTAL].set_index("quarter")["value"]
            cells = protected[protected["category"] != TOTAL].copy()
            cells["total"] = cells["quarter"].map(margins)
            return cells.assign(indicator=indicator).sort_values(
                ["quarter", "category"]).reset_index(drop=True)
        protected = protect_table(rows.drop(columns="category"), rules=self.rules, log=self.log,
                                  table=name, row="quarter", totals=(),
                                  forced=self.forced.forced(name)).cells
        grid = pd.DataFrame({"quarter": self.trend, "category": "", "indicator": indicator})
        cells = grid.merge(protected[["quarter", "value", "contributors", "suppressed_by"]],
                           on="quarter", how="left")
        cells["contributors"] = cells["contributors"].fillna(0).astype("int64")
        cells["suppressed_by"] = cells["suppressed_by"].fillna("")
        return cells

    def change(self, indicator: str, base_quarter: str, table: str) -> dict:
        """A like-for-like change, published only where both quarters' totals are published:
        the change of a cell dominated by one member would be that member's own change."""
        change = figures.like_for_like_change(self.data, indicator, self.quarter, base_quarter)
        levels = self.series(indicator, [base_quarter, self.quarter])
        frame = pd.DataFrame([change])
        guarded = protect(frame, self.rules, self.log, table,
                          value_columns=("value", "base_value", "change"))
        result = guarded.iloc[0].to_dict()
        if len(levels) < 2 or levels["value"].isna().any():
            result.update(value=np.nan, base_value=np.nan, change=np.nan)
        return result

    # -- sections ------------------------------------------------------------------------

    def kpis(self) -> list[dict]:
        tiles = []
        spark_quarters = self.data.window(SPARK_QUARTERS)
        for indicator, label, noun in KPIS:
            unit = _unit_of(self.data, indicator)
            series = self.series(indicator, spark_quarters, table="key indicators")
            qoq = self.change(indicator, shift_quarter(self.quarter, -1), "key indicators")
            yoy = self.change(indicator, shift_quarter(self.quarter, -4), "key indicators")
            current = series.loc[series["quarter"] == self.quarter, "value"]
            tiles.append({
                "label": label,
                "value": _fmt(unit)(current.iloc[0] if len(current) else np.nan),
                "unit": noun,
                "qoq": f"{fmt_change_pct(qoq['change'])} "
                       f"({qoq['contributors']} members like-for-like)",
                "yoy": f"{fmt_change_pct(yoy['change'])} "
                       f"({yoy['contributors']} members like-for-like)",
                "sparkline_svg": charts.sparkline(
                    [None if pd.isna(v) else float(v) for v in series["value"]],
                    kind="eur" if unit == "EUR" else "count"),
                "_qoq": qoq, "_yoy": yoy,
            })
        return tiles

    def judgements(self, narrative: Path | None) -> tuple[list[str], Narrative]:
        """Key judgements in the yardstick's words, after the analysts' narrative, keeping only
        those whose figures this edition publishes (a judgement on a dominated figure would
        describe one member)."""
        key = ("draft", self.quarter, self.rules.min_contributors)
        if key not in self.data.derived:  # the same for every edition of the run: draft once
            self.data.derived[key] = draft(self.data, self.quarter,
                                           min_members=self.rules.min_contributors)
        drafted = self.data.derived[key]
        final = apply_narrative(drafted.judgements, narrative if narrative and narrative.exists()
                                else None, drafted.values, quarter=self.quarter)
        texts = [f"{j.text} (Confidence: {j.confidence}.)" for j in final.judgements
                 if self._publishable(j.evidence)]
        return texts, final

    def _publishable(self, evidence: dict) -> bool:
        indicator = evidence.get("indicator")
        if indicator is None:  # an analyst's own judgement: theirs to word safely
            return True
        quarters = list(evidence.get("quarters") or [evidence.get("base_quarter"),
                                                     evidence.get("quarter", self.quarter)])
        quarters = [q for q in quarters if q] or [self.quarter]
        dimension = evidence.get("dimension") or ""
        try:
            cells = self.series(indicator, quarters, dimension)
        except (KeyError, ValueError):
            return False
        if evidence.get("category"):
            cells = cells[cells["category"] == evidence["category"]]
            return not cells.empty and cells[["value", "total"]].notna().all().all()
        return not cells.empty and cells["value"].notna().all()

    def key_findings(self, tiles: list[dict]) -> list[str]:
        """Factual statements drawn only from published (unsuppressed) figures."""
        findings = []
        for tile in tiles:
            qoq, yoy = tile["_qoq"], tile["_yoy"]
            if tile["value"] == SUPPRESSED or (pd.isna(qoq["change"]) and pd.isna(yoy["change"])):
                continue
            parts = []
            if not pd.isna(yoy["change"]):
                parts.append(f"{fmt_change_pct(yoy['change'])} on the same quarter a year "
                             f"earlier ({yoy['contributors']} members reporting in both)")
            if not pd.isna(qoq["change"]):
                parts.append(f"{fmt_change_pct(qoq['change'])} on the previous quarter "
                             f"({qoq['contributors']} members)")
            findings.append(f"{tile['label']}: {tile['value']} in {self.quarter}, "
                            + "; ".join(parts) + ".")
        mix = self._payment_mix()
        latest = mix[(mix["quarter"] == self.quarter) & (mix["category"] == "virtual_currency")]
        first = mix[(mix["quarter"] == self.trend[0]) & (mix["category"] == "virtual_currency")]
        if len(latest) and len(first) and latest["share"].notna().all() \
                and first["share"].notna().all():
            findings.append(
                "Virtual currency accounted for "
                f"{fmt_pct(latest['share'].iloc[0])} of the payment options hotlines saw on "
                f"commercial sites in {self.quarter}, against {fmt_pct(first['share'].iloc[0])} "
                f"in {self.trend[0]}.")
        return findings

    def _payment_mix(self) -> pd.DataFrame:
        cells = self.series("HL_PAYMENT_OPTIONS_SEEN", self.trend, "payment_method",
                            table="payment options by method")
        return _shares(cells)

    def hotlines_chapter(self) -> dict:
        confirmed = self.series("HL_URLS_CONFIRMED", self.trend, table="confirmed URLs")
        breaks = figures.series_breaks_in(self.data, "HL_URLS_CONFIRMED", self.trend)
        line = charts.line_chart(
            confirmed.assign(series="URLs confirmed"), x="quarter", y="value", series=None,
            y_label="URLs confirmed (count)", fig_id="hotline_confirmed",
            caption=_caption("Child sexual abuse URLs confirmed by hotlines, per quarter",
                             f"{self.trend[0]} to {self.quarter}", "count of URLs",
                             "hotlines", confirmed, self.rules),
            gaps_note="Gaps are suppressed or incomplete quarters; a dashed rule marks a "
                      "series break.", breaks=breaks)
        rows = []
        volume = {}
        for indicator in ("HL_REPORTS_RECEIVED", "HL_REPORTS_ASSESSED", "HL_URLS_CONFIRMED",
                          "HL_URLS_COMMERCIAL", "HL_NTD_NOTICES_SENT", "HL_REFERRALS_TO_LE"):
            qoq = self.change(indicator, shift_quarter(self.quarter, -1), "hotline volumes")
            yoy = self.change(indicator, shift_quarter(self.quarter, -4), "hotline volumes")
            cell = self.series(indicator, [self.quarter], table="hotline volumes").iloc[0]
            volume[indicator] = cell
            rows.append([_name_of(self.data, indicator), fmt_count(cell["value"]),
                         str(int(cell["contributors"])), fmt_change_pct(qoq["change"]),
                         fmt_change_pct(yoy["change"])])
        self._keep("hotline_volumes", ["indicator", "value", "members", "change_on_quarter",
                                       "change_on_year"], rows)
        top = self.hosting_top10()
        site_types = self.series("HL_URLS_CONFIRMED", [self.quarter], "site_type",
                                 table="confirmed URLs by site type")
        site_types = _shares(site_types).sort_values("value", ascending=False)
        site_bar = charts.bar_chart(
            site_types.assign(label=site_types["category"].str.replace("_", " ")),
            category="label", value="share", value_label="Share of confirmed URLs (%)",
            kind="pct", fig_id="site_types",
            caption=_caption(f"Confirmed URLs by type of site, {self.quarter}", self.quarter,
                             "share of confirmed URLs", "hotlines", site_types, self.rules))
        breaks_note = [
            f"Series break in {q}: {note}" for q, note in self._break_notes("HL_URLS_CONFIRMED")]
        return {
            "id": "hotlines", "title": "Scale of reported material and hosting (hotlines)",
            "summary": [
                f"Hotlines confirmed {fmt_count(volume['HL_URLS_CONFIRMED']['value'])} URLs "
                f"as child sexual abuse material in {self.quarter}.",
                "Changes are like-for-like: only members that reported the indicator in both "
                "quarters are compared.",
            ],
            "missing": None,
            "tables": [
                {"id": "hotline_volumes", "caption": f"Hotline volumes, {self.quarter}",
                 "columns": ["Indicator", "Value", "Members", "Change on quarter",
                             "Change on year"],
                 "rows": rows, "numeric": [False, True, True, True, True],
                 "notes": ["Changes compare members that reported in both quarters."]},
                top,
            ],
            "figures": [line, site_bar],
            "notes": breaks_note,
        }

    def _break_notes(self, indicator: str) -> list[tuple[str, str]]:
        breaks = self.data.series_breaks[self.data.series_breaks["indicator"] == indicator]
        return [(row.period, row.note) for row in breaks.itertuples()]

    def hosting_top10(self) -> dict:
        """The ten largest published hosting countries; hidden cells are not ranked."""
        previous = shift_quarter(self.quarter, -1)
        cells = _shares(self.series("HL_URLS_CONFIRMED", [previous, self.quarter],
                                    "hosting_country"))
        now = cells[(cells["quarter"] == self.quarter) & cells["value"].notna()]
        then = cells[(cells["quarter"] == previous) & cells["value"].notna()].set_index(
            "category")
        top = now.sort_values(["value", "category"], ascending=[False, True]).head(10)
        previous_top = set(then.sort_values("value", ascending=False).head(10).index)
        hidden = int(cells.loc[cells["quarter"] == self.quarter, "value"].isna().sum())
        rows = []
        for rank, row in enumerate(top.itertuples(), start=1):
            change = row.share - then["share"].get(row.category, np.nan)
            rows.append([str(rank), row.category, fmt_count(row.value), fmt_pct(row.share),
                         fmt_points(change), "" if row.category in previous_top else "new"])
        self._keep("hosting_top10", ["rank", "country", "urls", "share", "change_points",
                                     "entered_top10"], rows)
        notes = ["Share of all confirmed URLs with a hosting country; change in percentage "
                 "points on the previous quarter. ZZ: unknown; XO: onion service."]
        if hidden:
            notes.append(f"{hidden} countries are suppressed and not ranked.")
        return {"id": "hosting_top10",
                "caption": f"Top 10 hosting countries of confirmed URLs, {self.quarter}",
                "columns": ["Rank", "Country", "URLs", "Share", "Change", "Entry"],
                "rows": rows, "numeric": [True, False, True, True, True, False],
                "notes": notes}

    def payments_chapter(self) -> dict:
        mix = self._payment_mix()
        mix_chart = charts.stacked_share_chart(
            mix.assign(method=mix["category"].str.replace("_", " ")), x="quarter",
            category="method", share="share", y_label="Share of payment options seen (%)",
            fig_id="payment_mix",
            caption=_caption("Payment options seen on commercial sites, by method",
                             f"{self.trend[0]} to {self.quarter}", "share of options seen",
                             "hotlines", mix, self.rules))
        flagged = self.series("PAY_FLAGGED_TXN_COUNT", self.trend, "amount_band",
                              table="flagged transactions by amount band")
        bands = {"lt10": "under €10", "10_100": "€10-100", "100_500": "€100-500",
                 "gt500": "over €500"}
        flagged = flagged.assign(order=flagged["category"].map(list(bands).index)).sort_values(
            ["order", "quarter"])
        flagged_chart = charts.line_chart(
            flagged.assign(band=flagged["category"].map(bands).fillna(flagged["category"])),
            x="quarter", y="value", series="band", y_label="Flagged transactions (count)",
            fig_id="flagged_by_amount",
            caption=_caption("Flagged transactions by amount band",
                             f"{self.trend[0]} to {self.quarter}", "count of transactions",
                             "payment providers", flagged, self.rules),
            gaps_note="Gaps are suppressed cells.")
        rows = []
        for indicator in ("PAY_TEST_PURCHASES", "PAY_MERCHANT_REVIEWS",
                          "PAY_MERCHANTS_TERMINATED", "PAY_FLAGGED_TXN_COUNT",
                          "PAY_FLAGGED_TXN_VALUE", "PAY_SAR_FILED", "PAY_CRYPTO_ALERT_HITS"):
            unit = _unit_of(self.data, indicator)
            cell = self.series(indicator, [self.quarter], table="payment indicators").iloc[0]
            yoy = self.change(indicator, shift_quarter(self.quarter, -4), "payment indicators")
            rows.append([_name_of(self.data, indicator), _fmt(unit)(cell["value"]),
                         str(int(cell["contributors"])), fmt_change_pct(yoy["change"])])
        self._keep("payment_indicators", ["indicator", "value", "members", "change_on_year"],
                   rows)
        return {
            "id": "payments", "title": "Payment methods and financial flows",
            "summary": ["Payment providers report flagged transactions, test purchases and "
                        "merchant terminations; hotlines report the payment options visible "
                        "on commercial sites."],
            "missing": None,
            "tables": [{"id": "payment_indicators",
                        "caption": f"Payment indicators, {self.quarter}",
                        "columns": ["Indicator", "Value", "Members", "Change on year"],
                        "rows": rows, "numeric": [False, True, True, True],
                        "notes": ["Change on year compares members that reported in both "
                                  "quarters."]}],
            "figures": [f for f in (mix_chart, flagged_chart) if f],
            "notes": ["Shares of payment options count each option seen once per site; a "
                      "site can show several."],
        }

    def enforcement_chapter(self) -> dict:
        quarters = self.data.window(SPARK_QUARTERS)
        frames = []
        for indicator in ("LE_CASES_OPENED", "LE_ARRESTS", "LE_VICTIMS_IDENTIFIED"):
            cells = self.series(indicator, quarters, table="police outcomes")
            frames.append(cells.assign(outcome=_name_of(self.data, indicator)))
        police = pd.concat(frames, ignore_index=True)
        police_chart = None if police["value"].isna().all() else charts.grouped_bar_chart(
            police, x="quarter", series="outcome", value="value", value_label="Count",
            fig_id="police_outcomes",
            caption=_caption("Police outcomes, per quarter", f"{quarters[0]} to {self.quarter}",
                             "count", "law enforcement", police, self.rules))
        frames = []
        for indicator in ("IND_NOTICES_RECEIVED", "IND_ITEMS_REMOVED"):
            cells = self.series(indicator, quarters, table="industry response")
            frames.append(cells.assign(measure=_name_of(self.data, indicator)))
        industry = pd.concat(frames, ignore_index=True)
        industry_chart = None if industry["value"].isna().all() else charts.line_chart(
            industry, x="quarter", y="value", series="measure", y_label="Count",
            fig_id="industry_response",
            caption=_caption("Notices received and items removed by industry members",
                             f"{quarters[0]} to {self.quarter}", "count", "industry",
                             industry, self.rules),
            gaps_note="Gaps are suppressed cells.")
        rows = [[row.outcome, row.quarter, fmt_count(row.value), str(int(row.contributors))]
                for row in police[police["quarter"] == self.quarter].itertuples()]
        notes = ["Police outcomes are partial and never linked to hotline reports."]
        if industry_chart is None:
            notes.append(f"Industry figures are withheld: fewer than "
                         f"{self.rules.min_contributors} industry members contribute to "
                         "each figure.")
        return {
            "id": "enforcement", "title": "Law enforcement and industry response",
            "summary": ["Police units report cases, arrests and victims identified (never "
                        "by any demographic); industry members report notices and removals."],
            "missing": None,
            "tables": [{"id": "police_outcomes",
                        "caption": f"Police outcomes, {self.quarter}",
                        "columns": ["Outcome", "Quarter", "Count", "Members"],
                        "rows": rows, "numeric": [False, False, True, True], "notes": []}],
            "figures": [f for f in (police_chart, industry_chart) if f],
            "notes": notes,
        }

    def methodology_annex(self) -> dict:
        coverage = figures.coverage_by_sector(self.data, self.data.window(4))
        rows = [[SECTOR_LABELS.get(r.sector, r.sector), r.quarter, str(r.members_expected),
                 str(int(r.members_complete)), str(int(r.members_partial))]
                for r in coverage.sort_values(["sector", "quarter"]).itertuples()]
        self._keep("member_coverage", ["sector", "quarter", "members_expected",
                                       "members_complete", "members_partial"], rows)
        members = self.data.members.groupby("sector")["member_id"].count()
        return {
            "id": "methodology", "title": "Methodology and member coverage",
            "summary": [
                "Members send aggregated, non-identifying statistics each month or quarter. "
                "A quarter's total adds complete member quarters only (all three months, or "
                "the quarterly figure).",
                "Members by sector: " + ", ".join(
                    f"{SECTOR_LABELS.get(s, s)} {n}" for s, n in members.items()) + ".",
                f"Figures as the data stood at {self.data.as_of:%Y-%m-%d %H:%M} UTC; later "
                "corrections do not change this edition.",
            ],
            "missing": None,
            "tables": [{"id": "member_coverage",
                        "caption": "Member coverage by sector, last four quarters",
                        "columns": ["Sector", "Quarter", "Expected", "Complete", "Partial"],
                        "rows": rows, "numeric": [False, False, True, True, True],
                        "notes": ["Complete: every expected indicator arrived for the "
                                  "quarter. Partial: some did."]}],
            "figures": [], "notes": list(CAVEATS),
        }

    def outlook_chapter(self, narrative: Narrative) -> dict:
        return {
            "id": "outlook", "title": "Outlook and recommendations",
            "summary": narrative.outlook, "tables": [], "figures": [],
            "missing": None if narrative.outlook or narrative.recommendations else
            "No narrative file for this quarter: the analysts have not yet written the outlook "
            f"and recommendations (EFC_HOME/narratives/{self.quarter}.md).",
            "notes": [f"Recommendation {i}: {text}"
                      for i, text in enumerate(narrative.recommendations, start=1)],
        }

    def member_coverage_annex(self) -> dict:
        """Which member sent its expected indicators, per quarter (coalition edition only)."""
        quarters = self.data.window(4)
        cov = self.data.coverage[self.data.coverage["quarter"].isin(quarters)]
        per = cov.groupby(["member_id", "quarter"]).agg(
            expected=("indicator", "count"), complete=("is_complete", "sum")).reset_index()
        marks = per.assign(mark=[f"{c}/{e}" for c, e in zip(per["complete"], per["expected"],
                                                             strict=True)])
        grid = marks.pivot(index="member_id", columns="quarter", values="mark").reindex(
            columns=quarters).fillna("-")
        rows = [[member, *grid.loc[member].tolist()] for member in grid.index]
        self._keep("member_coverage_detail", ["member_id", *quarters], rows)
        return {
            "id": "member_coverage", "title": "Member coverage detail",
            "summary": ["Indicators received complete out of those expected under each "
                        "member's reporting plan, per quarter."],
            "missing": None,
            "tables": [{"id": "member_coverage_detail",
                        "caption": "Member coverage, last four quarters",
                        "columns": ["Member", *quarters], "rows": rows,
                        "numeric": [False] + [True] * len(quarters),
                        "notes": ["- : nothing expected in that quarter."]}],
            "figures": [], "notes": [],
        }

    def data_quality_annex(self) -> dict:
        """What arrived and what was wrong with it, as counts by state and rule only."""
        data = self.data
        files = [[state.replace("_", " "), fmt_count(n)]
                 for state, n in zip(data.files_by_state["state"], data.files_by_state["files"],
                                     strict=True)]
        rules = [[severity, rule, fmt_count(n)] for severity, rule, n in
                 data.problems_by_rule[["severity", "rule", "files"]].itertuples(index=False)]
        flags = [[severity, rule, fmt_count(n)] for severity, rule, n in
                 data.warehouse_flags[["severity", "rule", "rows"]].itertuples(index=False)]
        return {
            "id": "data_quality", "title": "Data quality",
            "summary": ["Every file gets a receipt; rejected files load nothing. Warnings load "
                        "the file and flag the rows. After each load, the warehouse suite "
                        "checks indicators against each other and against each member's own "
                        "history."],
            "missing": None,
            "tables": [
                {"id": "files_by_state", "caption": "Files received up to the cut-off, by "
                 "state", "columns": ["State", "Files"], "rows": files,
                 "numeric": [False, True], "notes": []},
                {"id": "problems_by_rule", "caption": "Files with problems, by rule",
                 "columns": ["Severity", "Rule", "Files"], "rows": rules,
                 "numeric": [False, False, True],
                 "notes": ["Rule ids as members see them in their receipts."]},
                {"id": "warehouse_flags", "caption": f"Warehouse checks flagged in "
                 f"{self.quarter}, by rule", "columns": ["Severity", "Rule", "Rows"],
                 "rows": flags or [["-", "none", "0"]], "numeric": [False, False, True],
                 "notes": ["Cross-indicator rules and plausibility against each member's "
                           "trailing 12-month median (status B and recorded breaks exempt)."]},
            ],
            "figures": [], "notes": [],
        }

    def yardstick_annex(self) -> dict:
        return {
            "id": "yardstick", "title": "Probability yardstick and confidence",
            "summary": [EVIDENCE_NOTE],
            "missing": None,
            "tables": [
                {"id": "yardstick", "caption": "Probability yardstick (UK PHIA)",
                 "columns": ["Term", "Probability"],
                 "rows": [[term, f"{low:.0%} to {high:.0%}"] for term, low, high in YARDSTICK],
                 "numeric": [False, False], "notes": []},
                {"id": "evidence_to_yardstick", "caption": "From statistical evidence to terms",
                 "columns": ["Term", "Probability of a change beyond the margin", "Rule"],
                 "rows": [list(row) for row in EVIDENCE_TO_YARDSTICK],
                 "numeric": [False, False, False], "notes": []},
                {"id": "confidence", "caption": "Analytical confidence",
                 "columns": ["Level", "When"], "rows": [list(r) for r in CONFIDENCE_RULES],
                 "numeric": [False, False], "notes": []},
            ],
            "figures": [], "notes": [],
        }

    def disclosure_annex(self) -> dict:
        rows = [[table, rule, str(hidden), str(published)]
                for table, rule, hidden, published in self.log.rows()]
        return {
            "id": "disclosure", "title": "Disclosure control",
            "summary": [f"{rule.replace('_', ' ').capitalize()} rule: {text}."
                        for rule, text in self.rules.describe()]
            + [f"Parameters version {self.rules.version}, {self.rules.label}."],
            "missing": None,
            "tables": [{"id": "disclosure_counts",
                        "caption": "Cells hidden by each rule, per table (counts only)",
                        "columns": ["Table", "Rule", "Cells hidden", "Cells published"],
                        "rows": rows, "numeric": [False, False, True, True], "notes": []}],
            "figures": [], "notes": [],
        }

    def _keep(self, name: str, columns: list[str], rows: list[list[str]]) -> None:
        self.tables.frames[name] = pd.DataFrame(rows, columns=columns)


def build_context(data: AssessmentData, rules: DisclosureRules, *, cut_off: str,
                  code_version: str, catalogue_version: str, status: str = "DRAFT",
                  version: str = "1", forced: SuppressionPattern | None = None,
                  narrative: Path | None = None) -> tuple[dict, ReportTables, DisclosureLog]:
    """The whole report context for one edition, its tables and its suppression log.

    `forced` carries the cells another edition (or an earlier issue) hid, so that no two
    publications can be differenced.
    """
    builder = ContextBuilder(data, rules, forced)
    tiles = builder.kpis()
    findings, final = builder.judgements(narrative)
    findings = findings or builder.key_findings(tiles) or [
        "No key judgement can be stated in this edition: the figures behind the drafted "
        "judgements are suppressed by disclosure control."]
    chapters = [builder.hotlines_chapter(), builder.payments_chapter(),
                builder.enforcement_chapter(), builder.outlook_chapter(final)]
    annexes = [builder.methodology_annex(), builder.data_quality_annex(),
               builder.yardstick_annex()]
    if rules.member_detail:
        annexes.append(builder.member_coverage_annex())
    annexes.append(builder.disclosure_annex())  # last: it counts every other table's cells
    for tile in tiles:
        tile.pop("_qoq"), tile.pop("_yoy")
    context = {
        "title": "Strategic assessment: commercial sexual exploitation of children online",
        "quarter": data.quarter, "edition": rules.label, "tlp": rules.tlp,
        "version": version, "status": status, "cut_off": cut_off,
        "generated_on": cut_off[:10], "code_version": code_version,
        "catalogue_version": catalogue_version,
        "document_control": [
            ("Edition", rules.label), ("Handling", rules.tlp), ("Version", version),
            ("Status", status), ("Data cut-off", cut_off),
            ("Catalogue version", catalogue_version), ("Code version", code_version),
            ("Disclosure parameters", rules.version),
        ],
        "key_findings": findings,
        "kpis": tiles, "chapters": chapters, "annexes": annexes, "caveats": list(CAVEATS),
    }
    return context, builder.tables, builder.log

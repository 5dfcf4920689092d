"""The report context: assessment figures, passed through disclosure control, made printable.

Every number reaches the context through `checks.disclosure.protect` and is formatted by
`rendering.formatting`; templates receive text only. Tables are also returned as frames so
the PDF can carry them as CSV attachments.
"""

from __future__ import annotations

import math
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
from rendering.judgements import (
    CONFIDENCE_RULES,
    EVIDENCE_NOTE,
    EVIDENCE_TO_YARDSTICK,
    YARDSTICK,
    draft,
)
from rendering.narrative import Narrative, apply_narrative
from transforms import assessment as figures
from transforms import statistics
from transforms.assessment import AssessmentData
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


HOTLINE_VOLUMES = ("HL_REPORTS_RECEIVED", "HL_REPORTS_ASSESSED", "HL_URLS_CONFIRMED",
                   "HL_URLS_COMMERCIAL", "HL_NTD_NOTICES_SENT", "HL_REFERRALS_TO_LE")
TAKEDOWN_BUCKETS = {"same_day": "same day", "d1_3": "1-3 days", "d4_7": "4-7 days",
                    "d8_28": "8-28 days", "gt28": "over 28 days", "not_removed": "not removed"}
SIGNAL_LABELS = {"new_category": "New", "rising_fast": "Rising fast",
                 "share_shift": "Share shift",
                 "sector_stopped_reporting": "Sector stopped reporting",
                 "member_stopped_reporting": "Members stopped reporting"}
TLP_KEY = (  # TLP 2.0, in our words
    ("TLP:RED", "Named recipients only, for their own eyes; not to be passed on."),
    ("TLP:AMBER+STRICT", "The recipient's own organisation only, on a need-to-know basis."),
    ("TLP:AMBER", "The recipient's organisation and the clients it serves, on a need-to-know "
                  "basis."),
    ("TLP:GREEN", "The recipient's community (here: the coalition's members and partners), "
                  "not public channels."),
    ("TLP:CLEAR", "Anyone; publication is allowed, subject to copyright."),
)
GLOSSARY = (
    ("Confirmed URL", "A web address a hotline assessed as child sexual abuse material under "
                      "its national law, counted once when confirmed."),
    ("Commercial URL", "A confirmed URL that sells access or content, directly or by leading "
                       "to a page that does."),
    ("Disguised website", "A site that shows abuse material only to visitors arriving by a "
                          "set path and legal content to everyone else."),
    ("Hidden service", "A site reachable only through an anonymising network such as Tor; "
                       "hosting country XO."),
    ("Like-for-like", "A comparison over the members that reported an indicator in both "
                      "periods, so joining or leaving members cannot move it."),
    ("Coverage", "Members that reported an indicator, out of those whose reporting plan "
                 "expects it."),
    ("Series break", "A change in how a member counts; figures either side are not "
                     "compared."),
    ("Suppressed cell (c)", "A figure withheld because too few members contribute, one or "
                            "two dominate it, or it would reveal another hidden figure."),
    ("HHI", "Herfindahl-Hirschman index: the sum of squared percentage shares, from near 0 "
            "(spread out) to 10,000 (one country)."),
    ("Percentage point", "The difference between two percentages (from 20% to 25% is 5 "
                         "points)."),
    ("Test purchase", "A controlled purchase by a payment provider to identify the merchant "
                      "account behind a commercial site."),
    ("Notice and takedown", "A hotline's or industry member's request to a host to remove "
                            "material, and its removal."),
    ("Yardstick", "The fixed probability terms the judgements use, from remote chance "
                  "to almost certain (see its annex)."),
)


def _label(code: str) -> str:
    return str(code).replace("_", " ")


def _table(table_id: str, caption: str, columns: list[str], rows: list[list[str]],
           numeric: list[bool], notes: list[str] | None = None) -> dict:
    return {"id": table_id, "caption": caption, "columns": columns, "rows": rows,
            "numeric": numeric, "notes": notes or []}


def _section(section_id: str, title: str, *, summary: list[str] | None = None,
             tables: list[dict | None] | None = None,
             figures: list[dict | None] | None = None, notes: list[str] | None = None,
             withheld: list[str | None] | None = None, missing: str | None = None) -> dict:
    """A chapter or annex. Tables and figures that cannot be shown arrive as None, with why
    in `withheld`: a chapter left with nothing to show says so instead of disappearing."""
    tables = [t for t in tables or [] if t]
    figures = [f for f in figures or [] if f]
    reasons = [w for w in withheld or [] if w]
    if not tables and not figures and reasons:
        missing = " ".join([missing, *reasons] if missing else reasons)
        reasons = []
    return {"id": section_id, "title": title, "summary": summary or [], "tables": tables,
            "figures": figures, "notes": reasons + (notes or []), "missing": missing}


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
        drafted = self.data.figures.once(  # the same for every edition of the run
            ("draft", self.quarter, self.rules.min_contributors),
            lambda: draft(self.data, self.quarter, min_members=self.rules.min_contributors))
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
        for indicator in HOTLINE_VOLUMES:
            qoq = self.change(indicator, shift_quarter(self.quarter, -1), "hotline volumes")
            yoy = self.change(indicator, shift_quarter(self.quarter, -4), "hotline volumes")
            cell = self.series(indicator, [self.quarter], table="hotline volumes").iloc[0]
            volume[indicator] = cell
            rows.append([_name_of(self.data, indicator), fmt_count(cell["value"]),
                         str(int(cell["contributors"])), fmt_change_pct(qoq["change"]),
                         fmt_change_pct(yoy["change"])])
        breaks_note = [
            f"Series break in {q}: {note}" for q, note in self._break_notes("HL_URLS_CONFIRMED")]
        return {
            "id": "hotlines", "title": "Scale of reported material (hotlines)",
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
                self.uncertainty_table(HOTLINE_VOLUMES, "hotline_uncertainty"),
            ],
            "figures": [line],
            "notes": breaks_note,
        }

    def uncertainty_table(self, indicators: tuple[str, ...], table_id: str) -> dict:
        """Change on a year earlier with its 95% interval and the coverage it speaks for,
        shown only where both quarters' totals are published and enough members compare."""
        base = shift_quarter(self.quarter, -4)
        rows = []
        for indicator in indicators:
            est = self.data.figures.once(
                ("count_change", indicator, self.quarter, base),
                lambda indicator=indicator: statistics.count_change(
                    self.data, indicator, self.quarter, base))
            published = self.series(indicator, [base, self.quarter])["value"].notna().all()
            shown = published and len(est.members) >= self.rules.min_contributors
            rows.append([
                _name_of(self.data, indicator),
                fmt_change_pct(est.change) if shown else SUPPRESSED,
                f"{fmt_change_pct(est.low)} to {fmt_change_pct(est.high)}"
                if shown and math.isfinite(est.low) else "n/a" if shown else SUPPRESSED,
                str(len(est.members)),
                fmt_pct(est.comparable_coverage, 0)])
        return _table(table_id, f"Change on {base} with uncertainty", [
            "Indicator", "Change", "95% interval", "Members compared", "Coverage"], rows,
            [False, True, True, True, True],
            ["Like-for-like over members complete in both quarters; a member with a series "
             "break between them is left out, so a change may differ from the table above. "
             "Intervals allow for members varying more than chance would (negative binomial "
             "bootstrap). Coverage: members compared out of those expected now."])

    def _break_notes(self, indicator: str) -> list[tuple[str, str]]:
        breaks = self.data.series_breaks[self.data.series_breaks["indicator"] == indicator]
        return [(row.period, row.note) for row in breaks.itertuples()]

    def hosting_top10(self) -> tuple[dict | None, str | None]:
        """The ten largest published hosting countries; hidden cells are not ranked.
        (None, why) when no country can be shown."""
        previous = shift_quarter(self.quarter, -1)
        cells = _shares(self.series("HL_URLS_CONFIRMED", [previous, self.quarter],
                                    "hosting_country"))
        now = cells[(cells["quarter"] == self.quarter) & cells["value"].notna()]
        then = cells[(cells["quarter"] == previous) & cells["value"].notna()].set_index(
            "category")
        top = now.sort_values(["value", "category"], ascending=[False, True]).head(10)
        previous_top = set(then.sort_values("value", ascending=False).head(10).index)
        hidden = int(cells.loc[cells["quarter"] == self.quarter, "value"].isna().sum())
        if top.empty:
            return None, self._withheld(cells[cells["quarter"] == self.quarter],
                                        "hosting countries", "hotline")
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
        return _table("hosting_top10", f"Top 10 hosting countries of confirmed URLs, "
                      f"{self.quarter}", ["Rank", "Country", "URLs", "Share", "Change", "Entry"],
                      rows, [True, False, True, True, True, False], notes), None

    def payments_chapter(self) -> dict:
        mix = self._payment_mix()
        mix_chart = None if mix["share"].isna().all() else charts.stacked_share_chart(
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
        by_method, by_method_withheld = self._breakdown(
            "PAY_FLAGGED_TXN_COUNT", "payment_method", "flagged_by_method",
            f"Flagged transactions by payment method, {self.quarter}", "Payment method",
            "payment provider")
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
                                  "quarters."]}] + ([by_method] if by_method else []),
            "figures": [f for f in (mix_chart, flagged_chart) if f],
            "notes": [w for w in (None if mix_chart else self._withheld(
                mix, "payment options seen on commercial sites", "hotline"),
                by_method_withheld) if w] + [
                "Shares of payment options count each option seen once per site; a site can "
                "show several."],
        }

    def enforcement_section(self) -> dict:
        """Police outcomes and industry response, a part of the response chapter."""
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

    # -- shared pieces of the chapters ---------------------------------------------------

    def _withheld(self, cells: pd.DataFrame, what: str, sector: str) -> str | None:
        """Why a figure or table is not shown: no member reported it, or all of it is hidden."""
        if cells.empty or (cells["contributors"].fillna(0) == 0).all():
            return f"No {sector} member reported {what} for the quarters shown."
        if cells["value"].isna().all():
            return (f"Every figure on {what} is suppressed: fewer than "
                    f"{self.rules.min_contributors} {sector} members contribute to each, or "
                    "one or two of them dominate it.")
        return None

    def _breakdown(self, indicator: str, dimension: str, table_id: str, caption: str,
                   heading: str, sector: str) -> tuple[dict | None, str | None]:
        """The quarter's published categories of a breakdown with their share of the total;
        (None, why) when nothing of it can be shown."""
        cells = _shares(self.series(indicator, [self.quarter], dimension))
        what = caption.rsplit(", ", 1)[0]  # without the quarter
        if withheld := self._withheld(cells, what[0].lower() + what[1:], sector):
            return None, withheld
        cells = cells.sort_values(["value", "category"], ascending=[False, True],
                                  na_position="last")
        fmt = _fmt(_unit_of(self.data, indicator))
        rows = [[_label(row.category), fmt(row.value), fmt_pct(row.share),
                 str(int(row.contributors))] for row in cells.itertuples()]
        return _table(table_id, caption, [heading, "Value", "Share", "Members"], rows,
                      [False, True, True, True],
                      ["Share of the quarter's published total; c: suppressed."]), None

    def _trend(self, indicator: str, fig_id: str, what: str, sector: str, y_label: str,
               quarters: list[str] | None = None) -> tuple[pd.DataFrame, dict | None]:
        """An indicator's published total per quarter as a line, or None if all is hidden."""
        quarters = quarters or self.trend
        cells = self.series(indicator, quarters)
        if cells["value"].isna().all():
            return cells, None
        unit = _unit_of(self.data, indicator)
        return cells, charts.line_chart(
            cells, x="quarter", y="value", series=None, y_label=y_label, fig_id=fig_id,
            kind="eur" if unit == "EUR" else "count",
            caption=_caption(what, f"{quarters[0]} to {self.quarter}", unit, sector, cells,
                             self.rules),
            gaps_note="Gaps are suppressed or incomplete quarters; a dashed rule marks a "
                      "series break.",
            breaks=figures.series_breaks_in(self.data, indicator, quarters))

    def _indicator_rows(self, indicators: tuple[str, ...], table: str) -> list[list[str]]:
        """Value, members and like-for-like change on year of each indicator's total."""
        rows = []
        for indicator in indicators:
            cell = self.series(indicator, [self.quarter], table=table).iloc[0]
            yoy = self.change(indicator, shift_quarter(self.quarter, -4), table)
            rows.append([_name_of(self.data, indicator),
                         _fmt(_unit_of(self.data, indicator))(cell["value"]),
                         str(int(cell["contributors"])), fmt_change_pct(yoy["change"])])
        return rows

    # -- chapters ------------------------------------------------------------------------

    def commercial_chapter(self) -> dict:
        commercial, line = self._trend(
            "HL_URLS_COMMERCIAL", "commercial_urls", "Commercial URLs confirmed by hotlines, "
            "per quarter", "hotlines", "Commercial URLs (count)")
        confirmed = self.series("HL_URLS_CONFIRMED", self.trend)
        ratio = figures.ratio_by_quarter(self.data, "HL_URLS_COMMERCIAL", "HL_URLS_CONFIRMED",
                                         self.trend)
        # Published only where both totals are: a ratio must not reveal a hidden cell.
        both = (commercial.set_index("quarter")["value"].notna()
                & confirmed.set_index("quarter")["value"].notna()).reindex(ratio["quarter"])
        ratio["share"] = ratio["ratio"].where(both.to_numpy() & (
            ratio["members"] >= self.rules.min_contributors))
        share_line = None if ratio["share"].isna().all() else charts.line_chart(
            ratio.assign(contributors=ratio["members"]), x="quarter", y="share", series=None,
            y_label="Commercial share of confirmed URLs (%)", kind="pct",
            fig_id="commercial_share",
            caption=_caption("Commercial URLs as a share of confirmed URLs, members reporting "
                             "both", f"{self.trend[0]} to {self.quarter}", "share of URLs",
                             "hotlines", ratio.assign(contributors=ratio["members"]),
                             self.rules),
            gaps_note="Gaps are quarters where either total is suppressed.")
        kinds, kinds_withheld = self._breakdown(
            "HL_URLS_COMMERCIAL", "commerciality", "commercial_by_kind",
            f"Commercial URLs by kind of commerciality, {self.quarter}", "Commerciality",
            "hotline")
        rows = self._indicator_rows(("HL_URLS_COMMERCIAL", "HL_DISGUISED_SITES",
                                     "HL_URLS_PAYMENT_HIDDEN"), "commercial indicators")
        return _section(
            "commercial", "Commercial distribution",
            summary=["Hotlines count the confirmed URLs that sell access or content, directly "
                     "or through a page that leads to a seller, the disguised websites that "
                     "show abuse material only to visitors arriving by a set path, and the "
                     "commercial URLs whose payment method was hidden."],
            tables=[_table("commercial_indicators", f"Commercial indicators, {self.quarter}",
                           ["Indicator", "Value", "Members", "Change on year"], rows,
                           [False, True, True, True],
                           ["Change on year compares members that reported in both "
                            "quarters."]), kinds],
            figures=[line, share_line],
            withheld=[kinds_withheld, None if line else self._withheld(
                commercial, "commercial URLs", "hotline")])

    def hosting_chapter(self) -> dict:
        site_types = _shares(self.series("HL_URLS_CONFIRMED", [self.quarter], "site_type"))
        site_types = site_types.sort_values(["value", "category"], ascending=[False, True],
                                            na_position="last")
        site_bar = None if site_types["value"].isna().all() else charts.bar_chart(
            site_types.assign(label=site_types["category"].map(_label)),
            category="label", value="share", value_label="Share of confirmed URLs (%)",
            kind="pct", fig_id="site_types",
            caption=_caption(f"Confirmed URLs by type of site, {self.quarter}", self.quarter,
                             "share of confirmed URLs", "hotlines", site_types, self.rules))
        top, top_withheld = self.hosting_top10()
        return _section(
            "hosting", "Hosting and infrastructure",
            summary=["Where confirmed material was hosted and on what kind of service. "
                     "Hosting moves fast when a few image hosts relocate, so a country's rank "
                     "can change within a quarter."],
            tables=[top, self.concentration_table()], figures=[site_bar],
            withheld=[top_withheld, self._withheld(site_types, "types of site", "hotline")])

    def concentration_table(self) -> dict:
        """HHI and top shares, like-for-like, only where both quarters' totals are published."""
        previous = shift_quarter(self.quarter, -1)
        totals = self.series("HL_URLS_CONFIRMED", [previous, self.quarter])
        hosting = self.data.figures.once(
            ("concentration", "HL_URLS_CONFIRMED", "hosting_country", self.quarter, previous),
            lambda: statistics.concentration(self.data, "HL_URLS_CONFIRMED", "hosting_country",
                                             self.quarter, previous))
        shown = (totals["value"].notna().all()
                 and len(hosting.members) >= self.rules.min_contributors)
        count = (lambda x: fmt_count(x)) if shown else (lambda x: SUPPRESSED)
        pct = (lambda x: fmt_pct(x)) if shown else (lambda x: SUPPRESSED)
        rows = [["Herfindahl-Hirschman index (0-10,000)", count(hosting.hhi_base),
                 count(hosting.hhi), count(hosting.hhi_change)],
                ["Share of the largest country", "", pct(hosting.top1_share), ""],
                ["Share of the top 10", pct(hosting.topn_share_base), pct(hosting.topn_share),
                 fmt_points(hosting.topn_share - hosting.topn_share_base) if shown
                 else SUPPRESSED]]
        return _table("hosting_concentration", f"Concentration of hosting, {previous} and "
                      f"{self.quarter}", ["Measure", previous, self.quarter, "Change"], rows,
                      [False, True, True, True],
                      [f"Like-for-like: the {len(hosting.members)} members that reported "
                       "hosting countries in both quarters. The index leaves out ZZ (unknown) "
                       "and XO (onion services); above 2,500 counts as highly concentrated."])

    def darknet_chapter(self) -> dict:
        hidden, line = self._trend(
            "HL_HIDDEN_SERVICES_NEW", "hidden_services", "Hidden services newly found by "
            "hotlines, per quarter", "hotlines", "Hidden services (count)")
        access = _shares(self.series("HL_URLS_CONFIRMED", self.trend, "access_technique"))
        onion = access[access["category"] == "onion_service"]
        onion_line = None if onion["share"].isna().all() else charts.line_chart(
            onion, x="quarter", y="share", series=None, kind="pct", fig_id="onion_share",
            y_label="Share reached as onion services (%)",
            caption=_caption("Confirmed URLs reached as onion services, share of all confirmed "
                             "URLs", f"{self.trend[0]} to {self.quarter}", "share of URLs",
                             "hotlines", onion, self.rules),
            gaps_note="Gaps are suppressed cells.")
        assets, assets_withheld = self._breakdown(
            "HL_PAYMENT_OPTIONS_SEEN", "virtual_asset", "virtual_assets_seen",
            f"Virtual assets among payment options seen, {self.quarter}", "Virtual asset",
            "hotline")
        alerts, alerts_withheld = self._breakdown(
            "PAY_CRYPTO_ALERT_HITS", "virtual_asset", "crypto_alerts",
            f"Crypto-asset alert hits reported by payment providers, {self.quarter}",
            "Virtual asset", "payment provider")
        return _section(
            "darknet", "Darknet",
            summary=["Hidden services are sites reachable only through an anonymising network; "
                     "hotlines count the new ones they find, and how each confirmed URL was "
                     "reached. Onion hosting cannot be attributed to a country (XO)."],
            tables=[assets, alerts], figures=[line, onion_line],
            withheld=[None if line else self._withheld(hidden, "new hidden services",
                                                       "hotline"),
                      None if onion_line else self._withheld(onion, "onion services",
                                                             "hotline"),
                      assets_withheld, alerts_withheld])

    def livestreaming_chapter(self) -> dict:
        quarters = self.data.window(SPARK_QUARTERS)
        cases = self.series("LE_CASES_OPENED", quarters, "offence_type")
        emerging = cases[cases["category"].isin(["livestream_purchase", "extortion"])]
        emerging_line = None if emerging["value"].isna().all() else charts.line_chart(
            emerging.assign(offence=emerging["category"].map(_label)), x="quarter",
            y="value", series="offence", y_label="Cases opened (count)",
            fig_id="emerging_cases",
            caption=_caption("Police cases opened for live-streamed abuse bought online and "
                             "for sexual extortion", f"{quarters[0]} to {self.quarter}",
                             "count of cases", "law enforcement", emerging, self.rules),
            gaps_note="Gaps are suppressed cells.")
        rows = self._signal_rows()
        return _section(
            "livestreaming", "Live-streaming and emerging threats",
            summary=["Live-streamed abuse is paid for in small remittances, so it shows in "
                     "police cases and in the smallest amount bands of flagged transactions "
                     "(chapter 6) rather than in hotline counts. Signals below are changes "
                     "on the previous quarter worth an analyst's look; each passed a test "
                     "at the 95% level and its figures are published in this edition."],
            tables=[_table("signals", f"Signals, {self.quarter} on "
                           f"{shift_quarter(self.quarter, -1)}",
                           ["Signal", "Indicator", "Category", "Detail"],
                           rows or [["none", "-", "-", "No signal in this edition."]],
                           [False, False, False, False],
                           ["Changes are like-for-like: members that reported in both "
                            "quarters. Reporting gaps count the members expected."])],
            figures=[emerging_line],
            withheld=[None if emerging_line else self._withheld(
                emerging, "cases of live-streaming and extortion", "law enforcement")])

    def _signals(self) -> list[statistics.Signal]:
        return self.data.figures.once(("signals", self.quarter),
                                      lambda: statistics.signals(self.data, self.quarter))

    def _signal_rows(self) -> list[list[str]]:
        """Signals whose figures this edition publishes, in words a reader can check."""
        rows = []
        for signal in self._signals():
            evidence = signal.evidence
            name = _name_of(self.data, signal.indicator)
            if signal.kind in ("sector_stopped_reporting", "member_stopped_reporting"):
                stopped, still = evidence["stopped"], evidence["still_reporting"]
                sector = SECTOR_LABELS.get(evidence["sector"], evidence["sector"]).lower()
                rows.append([SIGNAL_LABELS[signal.kind], name, "",
                             f"{len(stopped)} of {len(stopped) + len(still)} {sector} that "
                             f"reported it for {signal.base_quarter} sent nothing for "
                             f"{signal.quarter}."])
                continue
            quarters = [signal.quarter] if signal.kind == "new_category" else [
                signal.base_quarter, signal.quarter]  # a new category had nothing before
            if signal.kind not in SIGNAL_LABELS or not self._publishable({
                    "indicator": signal.indicator, "dimension": signal.dimension,
                    "category": signal.category, "quarters": quarters}):
                continue  # top-10 moves are in the hosting table; hidden cells stay hidden
            if signal.kind == "new_category":
                detail = (f"{fmt_pct(evidence['share'])} of the breakdown in {signal.quarter}, "
                          f"none in {signal.base_quarter}.")
            elif signal.kind == "rising_fast":
                detail = (f"{fmt_change_pct(evidence['change'])} on {signal.base_quarter} "
                          f"(95% interval {fmt_change_pct(evidence['low'])} to "
                          f"{fmt_change_pct(evidence['high'])}); "
                          f"{fmt_pct(evidence['share'])} of the breakdown.")
            else:
                detail = (f"{fmt_pct(evidence['base_share'])} to {fmt_pct(evidence['share'])} "
                          f"({fmt_points(evidence['change'])}; 95% interval "
                          f"{fmt_points(evidence['low'])} to {fmt_points(evidence['high'])}).")
            rows.append([SIGNAL_LABELS[signal.kind], f"{name} by "
                         f"{signal.dimension.replace('_', ' ')}", _label(signal.category),
                         detail])
        return rows

    def response_chapter(self) -> dict:
        quarters = self.data.window(SPARK_QUARTERS)
        buckets = _shares(self.series("HL_TAKEDOWN_BY_BUCKET", quarters, "takedown_bucket"))
        buckets = buckets.assign(order=buckets["category"].map(
            {b: i for i, b in enumerate(TAKEDOWN_BUCKETS)})).sort_values(["order", "quarter"])
        takedown = None if buckets["share"].isna().all() else charts.stacked_share_chart(
            buckets.assign(bucket=buckets["category"].map(TAKEDOWN_BUCKETS)), x="quarter",
            category="bucket", share="share", y_label="Share of URLs (%)",
            fig_id="takedown_times",
            caption=_caption("Time from notice to removal of confirmed URLs",
                             f"{quarters[0]} to {self.quarter}", "share of URLs",
                             "hotlines and industry", buckets, self.rules))
        rows = self._indicator_rows(("HL_NTD_NOTICES_SENT", "IND_NOTICES_RECEIVED",
                                     "IND_ITEMS_REMOVED", "IND_HASH_MATCH_BLOCKS"),
                                    "notices and removals")
        police = self.enforcement_section()
        return _section(
            "response", "Response and disruption",
            summary=["How fast material comes down once notified, how many notices hotlines "
                     "send and industry receives against the items it removes, and what "
                     "police units report."] + police["summary"],
            tables=[_table("notices_and_removals", f"Notices and removals, {self.quarter}",
                           ["Indicator", "Value", "Members", "Change on year"], rows,
                           [False, True, True, True],
                           ["Notices and removals are counted by different members and are "
                            "not matched one to one."]), *police["tables"]],
            figures=[takedown, *police["figures"]], notes=police["notes"],
            withheld=[None if takedown else self._withheld(buckets, "takedown times",
                                                           "hotline or industry")])

    def methodology_chapter(self) -> dict:
        coverage = figures.coverage_by_sector(self.data, self.data.window(4))
        rows = [[SECTOR_LABELS.get(r.sector, r.sector), r.quarter, str(r.members_expected),
                 str(int(r.members_complete)), str(int(r.members_partial))]
                for r in coverage.sort_values(["sector", "quarter"]).itertuples()]
        matrix = figures.coverage_matrix(self.data)
        matrix_rows = [[SECTOR_LABELS.get(r.sector, r.sector), r.month, str(r.expected),
                        str(int(r.submitted)), str(int(r.late)), str(int(r.revised))]
                       for r in matrix.itertuples()]
        breaks = self.data.series_breaks
        break_rows = [[_name_of(self.data, r.indicator), r.period,
                       "all members" if pd.isna(r.member_id) or not r.member_id
                       else ("one member" if not self.rules.member_detail else r.member_id),
                       str(r.note)] for r in breaks.sort_values("period").itertuples()]
        members = self.data.members.groupby("sector")["member_id"].count()
        due_days = self.data.reporting_due_days
        return _section(
            "methodology", "Scope, sources and methodology",
            summary=[
                "Members send aggregated, non-identifying statistics each month or quarter. "
                "A quarter's total adds complete member quarters only (all three months, or "
                "the quarterly figure).",
                "Members by sector: " + ", ".join(
                    f"{SECTOR_LABELS.get(s, s)} {n}" for s, n in members.items()) + ".",
                f"Figures as the data stood at {self.data.as_of:%Y-%m-%d %H:%M} UTC; later "
                "corrections do not change this edition.",
                "Changes between quarters are like-for-like: only members that reported the "
                "indicator in both are compared, and the number of members is shown beside "
                "each change. Medians and distinct counts are never added across members.",
            ],
            tables=[
                _table("coverage_matrix", f"Coverage matrix by sector and month, "
                       f"{self.quarter}", ["Sector", "Month", "Expected", "Submitted", "Late",
                                           "Revised"], matrix_rows,
                       [False, False, True, True, True, True],
                       ["Members whose reporting plan expects figures for the month; "
                        "submitted: every expected indicator arrived; late: one arrived more "
                        f"than {due_days} days after its period ended, or is overdue; revised: "
                        "a later file corrected one."]),
                _table("member_coverage", "Member coverage by sector, last four quarters",
                       ["Sector", "Quarter", "Expected", "Complete", "Partial"], rows,
                       [False, False, True, True, True],
                       ["Complete: every expected indicator arrived for the quarter. Partial: "
                        "some did."]),
                _table("series_breaks", "Series breaks recorded in the indicator catalogue",
                       ["Indicator", "From", "Member", "What changed"],
                       break_rows or [["none", "-", "-", "-"]],
                       [False, False, False, False],
                       ["A series is split at a break, never joined across it; members also "
                        "mark a break's first period with status B."]),
            ],
            notes=list(CAVEATS))

    def outlook_chapter(self, narrative: Narrative) -> dict:
        gaps = self._intelligence_gaps()
        return _section(
            "outlook", "Outlook and intelligence gaps",
            summary=narrative.outlook or [
                "No outlook has been written for this quarter yet (the analysts' narrative "
                f"file, EFC_HOME/narratives/{self.quarter}.md)."],
            tables=[_table("intelligence_gaps", f"Intelligence gaps, {self.quarter}",
                           ["Area", "What the data do not cover"],
                           gaps or [["-", "None found: every expected member and indicator "
                                          f"arrived for {self.quarter}."]],
                           [False, False])])

    def _intelligence_gaps(self) -> list[list[str]]:
        """What the data do not cover this quarter: sectors short of members, indicators that
        nobody reports or that did not arrive, figures hidden whole by disclosure control."""
        gaps = []
        coverage = figures.coverage_by_sector(self.data, [self.quarter])
        for row in coverage.itertuples():
            if row.members_complete < row.members_expected:
                gaps.append([SECTOR_LABELS.get(row.sector, row.sector),
                             f"{int(row.members_complete)} of {row.members_expected} members "
                             "sent every expected indicator."])
        unplanned = sorted(set(self.data.indicators["indicator"])
                           - set(self.data.coverage["indicator"]))
        if unplanned:
            gaps.append(["Catalogue", "No member's reporting plan covers " + ", ".join(
                _name_of(self.data, i) for i in unplanned) + "."])
        cov = self.data.coverage[self.data.coverage["quarter"] == self.quarter]
        arrived = cov.groupby("indicator")["is_submitted"].any()
        if missing := sorted(arrived[~arrived].index):
            gaps.append(["Arrivals", "Expected but received from no member: " + ", ".join(
                _name_of(self.data, i) for i in missing) + "."])
        if hidden := self._indicators_withheld():
            gaps.append(["Disclosure control", "Every figure is suppressed for "
                         + ", ".join(_name_of(self.data, i) for i in hidden)
                         + ": too few members report them, or one or two dominate."])
        return gaps

    def _indicators_withheld(self) -> list[str]:
        """Indicators whose every total in the trend window this edition hides."""
        return sorted(indicator for (indicator, dimension), cells in self._protected.items()
                      if not dimension and cells["value"].isna().all()
                      and (cells["contributors"] > 0).any())

    def recommendations_chapter(self, narrative: Narrative) -> dict:
        return _section(
            "recommendations", "Recommendations",
            summary=[f"{i}. {text}" for i, text in enumerate(narrative.recommendations,
                                                             start=1)],
            missing=None if narrative.recommendations else
            "The analysts have not yet written recommendations for this quarter (the "
            f"narrative file EFC_HOME/narratives/{self.quarter}.md).")

    # -- annexes -------------------------------------------------------------------------

    def catalogue_annex(self) -> dict:
        rows = [[r.indicator, r.name, ", ".join(SECTOR_LABELS.get(s, s) for s in r.sectors),
                 r.unit, "yes" if r.is_additive else "no"]
                for r in self.data.indicators.sort_values("indicator").itertuples()]
        return _section(
            "catalogue", "Indicator catalogue",
            summary=["What each indicator counts is defined in the catalogue members report "
                     "against; additive indicators may be added across members and months, "
                     "the others (medians, distinct counts) never are."],
            tables=[_table("indicator_catalogue", "Indicators", ["Code", "Name", "Sectors",
                                                                 "Unit", "Additive"],
                           rows, [False, False, False, False, False])])

    def tlp_annex(self) -> dict:
        rows = [[label, text] for label, text in TLP_KEY]
        return _section(
            "tlp", "Traffic Light Protocol",
            summary=[f"This edition is marked {self.rules.tlp}. The marking on every page says "
                     "how far its reader may share it (TLP version 2.0)."],
            tables=[_table("tlp_key", "TLP labels", ["Label", "Who may receive it"], rows,
                           [False, False])])

    def glossary_annex(self) -> dict:
        return _section(
            "glossary", "Glossary",
            tables=[_table("glossary", "Terms used in this assessment", ["Term", "Meaning"],
                           [list(item) for item in GLOSSARY], [False, False])])

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

    @staticmethod
    def printed_tables(sections: list[dict], tiles: list[dict]) -> ReportTables:
        """Every table as printed, and the KPI tiles, for the CSV attachments: what a reader
        can take away is exactly what the edition shows, suppressions included."""
        frames = {"key_indicators": pd.DataFrame(
            [[t["label"], t["value"], t["unit"], t["qoq"], t["yoy"]] for t in tiles],
            columns=["Indicator", "Value", "Unit", "Change on quarter", "Change on year"])}
        for section in sections:
            for table in section["tables"]:
                if table["id"] in frames:
                    raise ValueError(f"two tables are called {table['id']!r}")
                frames[table["id"]] = pd.DataFrame(table["rows"], columns=table["columns"])
        return ReportTables(frames)


def build_context(data: AssessmentData, rules: DisclosureRules, *, cut_off: str,
                  code_version: str, catalogue_version: str,
                  forced: SuppressionPattern | None = None,
                  narrative: Path | None = None) -> tuple[dict, ReportTables, DisclosureLog]:
    """The whole report context for one edition, its tables and its suppression log.

    `forced` carries the cells another edition (or an earlier issue) hid, so that no two
    publications can be differenced. The context says what the edition says; which issue it
    is (version, status, approval) is added by `rendering.review.stamp` before rendering.
    """
    builder = ContextBuilder(data, rules, forced)
    tiles = builder.kpis()
    findings, final = builder.judgements(narrative)
    findings = findings or builder.key_findings(tiles) or [
        "No key judgement can be stated in this edition: the figures behind the drafted "
        "judgements are suppressed by disclosure control."]
    chapters = [builder.methodology_chapter(), builder.hotlines_chapter(),
                builder.commercial_chapter(), builder.hosting_chapter(),
                builder.payments_chapter(), builder.darknet_chapter(),
                builder.livestreaming_chapter(), builder.response_chapter(),
                builder.outlook_chapter(final), builder.recommendations_chapter(final)]
    annexes = [builder.catalogue_annex(), builder.data_quality_annex(),
               builder.yardstick_annex(), builder.tlp_annex(), builder.glossary_annex()]
    if rules.member_detail:
        annexes.append(builder.member_coverage_annex())
    annexes.append(builder.disclosure_annex())  # last: it counts every other table's cells
    for tile in tiles:
        tile.pop("_qoq"), tile.pop("_yoy")
    context = {
        "title": "Strategic assessment: commercial sexual exploitation of children online",
        "quarter": data.quarter, "edition": rules.label, "tlp": rules.tlp,
        "cut_off": cut_off,
        "generated_on": cut_off[:10], "code_version": code_version,
        "catalogue_version": catalogue_version,
        "document_control": [  # after the issue's own rows (version, status, approval)
            ("Edition", rules.label), ("Handling", rules.tlp), ("Data cut-off", cut_off),
            ("Catalogue version", catalogue_version), ("Code version", code_version),
            ("Disclosure parameters", rules.version),
        ],
        "key_findings": findings,
        "kpis": tiles, "chapters": chapters, "annexes": annexes, "caveats": list(CAVEATS),
    }
    return context, builder.printed_tables(chapters + annexes, tiles), builder.log

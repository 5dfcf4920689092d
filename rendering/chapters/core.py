"""What every chapter is built from: one edition's disclosure-checked figures, and the shapes
of a section, table and caption.

Every number reaches a chapter through `Edition.series` or `Edition.change`, which pass it
through `checks.disclosure`, and is formatted by `rendering.formatting`; templates receive
text only. Every chapter and annex is made by `section`, which says why there is nothing
to show when disclosure control or missing reports leave it empty.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from checks.coarsening import (
    BAND_DASH,
    band,
    direction,
    fmt_band,
    load_coarsening,
    printed_interval,
)
from checks.disclosure import (
    PRIMARY_RULES,
    TOTAL,
    DisclosureLog,
    DisclosureRules,
    IssuedCells,
    SuppressionPattern,
    protect,
    protect_panel_ratio,
    protect_table,
    remainder_columns,
)
from rendering import charts
from rendering.formatting import (
    NOTHING,
    SUPPRESSED,
    fmt_change_pct,
    fmt_count,
    fmt_eur,
    fmt_pct,
    listed,
)
from rendering.narrative import Narrative
from transforms import assessment
from transforms.assessment import AssessmentData
from transforms.periods import shift_quarter

TREND_QUARTERS = 12
SPARK_QUARTERS = 8
SECTOR_LABELS = {"hotline": "Hotlines", "payment": "Payment providers",
                 "law_enforcement": "Law enforcement", "industry": "Industry", "ngo": "NGOs"}
BREAKS_NOTE = "Gaps are suppressed or incomplete quarters; a dashed rule marks a series break."


# -- shapes the templates read -----------------------------------------------------------


def label(code: str) -> str:
    """A code as printed: `livestream_purchase` -> `livestream purchase`; a disclosure rule as
    the annex and every reason for a hidden figure name it: `dominance_nk` -> `dominance nk`."""
    return str(code).replace("_", " ")


def table(table_id: str, caption: str, columns: list[str], rows: list[list[str]],
          numeric: list[bool], notes: list[str] | None = None) -> dict:
    """A printed table (also a CSV attachment): cells are text, `numeric` aligns columns."""
    return {"id": table_id, "caption": caption, "columns": columns, "rows": rows,
            "numeric": numeric, "notes": notes or []}


def section(section_id: str, title: str, *, summary: list[str] | None = None,
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


def fmt_for(unit: str):
    """The formatter of an indicator's unit: euros or a count."""
    return fmt_eur if unit == "EUR" else fmt_count


def shares(cells: pd.DataFrame) -> pd.DataFrame:
    """Each category's share of its published quarter total (hidden total: hidden shares).

    The one computation of a breakdown's shares: tables, charts, captions and text all read
    `share` from here, so a share printed twice is the same number. Its base in words is
    `Edition.share_base`.
    """
    return cells.assign(share=cells["value"] / cells["total"])


def share_header(base: str) -> str:
    """A share column's heading, which is also its CSV attachment's: the base in words."""
    return f"Share of {base} (%)"


def _coverage_note(cells: pd.DataFrame) -> str:
    known = cells["contributors"].dropna()
    if known.empty:
        return "no contributing members"
    lo, hi = int(known.min()), int(known.max())
    return f"{lo} contributing members" if lo == hi else f"{lo}-{hi} contributing members"


# -- one edition's figures -----------------------------------------------------------------


class Edition:
    """The assessment's data as one edition may print them: its disclosure rules, the cells
    it must hide because another edition or an earlier issue hid them, the cells of the issue
    it replaces (audited together with it), and its log.

    Each indicator and breakdown is protected once per edition (`series`), over the whole
    trend window, so every chart, table and sentence of the edition shows the same pattern
    and none can be differenced against another. Those protected cells are the edition's
    own; figures the same for every edition are kept once per run in `data.figures`.
    """

    def __init__(self, data: AssessmentData, rules: DisclosureRules,
                 forced: SuppressionPattern | None = None,
                 narrative: Narrative | None = None, earlier: IssuedCells | None = None):
        self.data = data
        self.rules = rules
        self.forced = forced or SuppressionPattern()
        self.earlier = earlier or IssuedCells()  # the issue this one replaces, cell by cell
        self.narrative = narrative or Narrative(judgements=[], quarter=data.quarter)
        self.log = DisclosureLog()
        self.quarter = data.quarter
        self.trend = data.window(TREND_QUARTERS)
        self._protected: dict[tuple[str, str], pd.DataFrame] = {}
        self.headline: list[bool] = []  # per KPI tile: is its quarter value published?
        self.coarsening = load_coarsening(rules.edition)
        # printed table -> its hidden totals shown as a range and hidden changes shown as a
        # direction: (indicator table, quarter) and (indicator table, base quarter, direction)
        self.printed_coarse: dict[str, set[tuple[str, ...]]] = {}

    # -- guarded figures -------------------------------------------------------------------

    def totals_of(self, indicators: tuple[str, ...], quarters: list[str],
                  label: str) -> pd.DataFrame:
        """Several indicators' published totals per quarter in one frame, each named in the
        column `label` (for a chart with one series per indicator)."""
        return pd.concat([self.series(indicator, quarters).assign(
            **{label: self.name_of(indicator)}) for indicator in indicators],
            ignore_index=True)

    def breaks_in(self, indicators: tuple[str, ...], quarters: list[str]) -> list[str]:
        """The quarters in which any of the indicators' series breaks (a chart's markers)."""
        return sorted({q for indicator in indicators
                       for q in assessment.series_breaks_in(self.data, indicator, quarters)})

    def series(self, indicator: str, quarters: list[str], dimension: str = "") -> pd.DataFrame:
        """Published cells of an indicator (by category) per quarter; hidden cells are NaN.

        Breakdowns carry `total` (the published margin of their quarter).
        """
        key = (indicator, dimension)
        if key not in self._protected:
            self._protected[key] = self._protect(indicator, dimension)
        cells = self._protected[key]
        return cells[cells["quarter"].isin(quarters)].reset_index(drop=True)

    def member_rows(self, indicator: str, dimension: str = "") -> pd.DataFrame:
        """The members' contributions the gate protects an indicator's table from: additive,
        complete quarters of the trend window, one row per quarter, category and member."""
        values = self.data.member_values
        rows = values[(values["indicator"] == indicator) & (values["dimension"] == dimension)
                      & values["quarter"].isin(self.trend) & values["is_additive"]
                      & values["is_complete"] & values["value"].notna()]
        return rows[["quarter", "category", "member_id", "indicator", "value"]]

    def _protect(self, indicator: str, dimension: str) -> pd.DataFrame:
        rows = self.member_rows(indicator, dimension)
        name = self.table_name(indicator, dimension)
        rounded = self.unit_of(indicator) == "count"  # the edition's rounding_base applies
        rules = self.rules.waived_for(indicator, self.trend)  # consents covering the table
        if rows.empty:  # nobody reported it: nothing to protect, and `withheld` says so
            return self._unreported(indicator, dimension)
        if dimension:
            adds_up = f"{indicator}|{dimension}" not in self.data.breakdowns_not_adding_up
            remainder = remainder_columns(self.member_rows(indicator), rows, "quarter",
                                          rules) if adds_up else []
            protected = protect_table(rows, rules=rules, log=self.log, table=name,
                                      row="category", col="quarter", totals=("category",),
                                      forced=self.forced.forced(name), rounded=rounded,
                                      earlier=self.earlier.table(name),
                                      remainder=remainder).cells
            margins = protected[protected["category"] == TOTAL].set_index("quarter")["value"]
            cells = protected[protected["category"] != TOTAL].copy()
            cells["total"] = cells["quarter"].map(margins)
            return cells.assign(indicator=indicator, table=name).sort_values(
                ["quarter", "category"]).reset_index(drop=True)
        protected = protect_table(rows.drop(columns="category"), rules=rules, log=self.log,
                                  table=name, row="quarter", totals=(),
                                  forced=self.forced.forced(name), rounded=rounded,
                                  earlier=self.earlier.table(name)).cells
        grid = pd.DataFrame({"quarter": self.trend, "category": "", "indicator": indicator})
        cells = grid.merge(protected[["quarter", "value", "contributors", "suppressed_by"]],
                           on="quarter", how="left")
        cells["contributors"] = cells["contributors"].fillna(0).astype("int64")
        cells["suppressed_by"] = cells["suppressed_by"].fillna("")
        return cells.assign(table=name)

    @staticmethod
    def table_name(indicator: str, dimension: str = "") -> str:
        """The name a protected indicator table has in the log and the disclosure annex."""
        return f"{indicator} by {dimension or 'quarter'}"

    def hidden_cells(self, tables: list[str]) -> int:
        """Cells the edition hid in these protected tables, every rule together: the one
        count that captions and the disclosure annex both print (from `DisclosureLog`)."""
        return sum(n for (name, _rule), n in self.log.hidden.items() if name in tables)

    def _unreported(self, indicator: str, dimension: str) -> pd.DataFrame:
        """The cells of an indicator no member reported in the window: none for a breakdown,
        an empty total (no value, no contributor) for each quarter."""
        if dimension:
            return pd.DataFrame({
                "quarter": pd.Series(dtype=str), "category": pd.Series(dtype=str),
                "value": pd.Series(dtype=float), "contributors": pd.Series(dtype="int64"),
                "suppressed_by": pd.Series(dtype=str), "total": pd.Series(dtype=float),
                "indicator": pd.Series(dtype=str), "table": pd.Series(dtype=str)})
        return pd.DataFrame({"quarter": self.trend, "category": "", "indicator": indicator,
                             "value": np.nan, "contributors": 0, "suppressed_by": "",
                             "table": self.table_name(indicator)})

    def change(self, indicator: str, base_quarter: str, table_name: str) -> dict:
        """A like-for-like change, published only where both quarters' totals are published
        (the change of a cell dominated by one member would be that member's own change) and
        its panel gives back no member outside it (`protect_panel_ratio`).
        `text` is the change as printed: `c` where the gate hides it, `n/a` where there is
        nothing to compare. A change of a hidden total is logged hidden by that total's rule,
        so the disclosure annex counts it as the table prints it."""
        change = assessment.like_for_like_change(self.data, indicator, self.quarter, base_quarter)
        levels = self.series(indicator, [base_quarter, self.quarter])
        if level_rule := next((rule for rule in levels["suppressed_by"].fillna("") if rule), ""):
            self.log.hidden[(table_name, level_rule)] += 1
            return {**change, "value": np.nan, "base_value": np.nan, "change": np.nan,
                    "suppressed_by": level_rule, "text": SUPPRESSED}
        guarded = protect(pd.DataFrame([change]), self.rules, self.log, table_name,
                          value_columns=("value", "base_value", "change"))
        result = guarded.iloc[0].to_dict()
        # a member behind it and a rule hiding it (no member at all: nothing to compare)
        hidden = bool(result["suppressed_by"]) and result["contributors"] > 0
        if len(levels) < 2 or levels["value"].isna().any():  # a total nobody reported
            result.update(value=np.nan, base_value=np.nan, change=np.nan)
        if not hidden and pd.notna(result["change"]) and not self.panel_ratio_safe(
                (indicator, self.quarter), (indicator, base_quarter), 1.0 + result["change"],
                table_name, offset=1.0):
            result.update(value=np.nan, base_value=np.nan, change=np.nan)
            hidden = True
        result["text"] = SUPPRESSED if hidden else fmt_change_pct(result["change"])
        return result

    def panel_ratio_safe(self, numerator: tuple[str, str], denominator: tuple[str, str],
                         ratio: float, table_name: str, *, offset: float = 0.0,
                         panel: tuple[str, ...] | None = None) -> bool:
        """Whether a ratio of two (indicator, quarter) totals over a panel of members (those
        complete in both, or `panel`) may be printed, as a percentage less `offset`, beside
        the published totals: a member outside the panel must not come back from it
        (`protect_panel_ratio`)."""
        values = self.data.member_values
        complete = values[(values["dimension"] == "") & values["is_complete"]
                          & values["value"].notna()]
        members = [complete[(complete["indicator"] == indicator) & (complete["quarter"] == q)]
                   .groupby("member_id")["value"].sum() for indicator, q in (numerator,
                                                                             denominator)]
        waived = [set(self.rules.waived_for(indicator, self.trend).dominance_waived)
                  for indicator, _ in (numerator, denominator)]  # consents covering both
        rules = replace(self.rules, dominance_waived=tuple(sorted(waived[0] & waived[1])))
        return protect_panel_ratio(*members, ratio, offset=offset, panel=panel, rules=rules,
                                   log=self.log, table=table_name,
                                   name=" on ".join(" ".join(t) for t in (numerator,
                                                                         denominator)))

    # -- coarsened figures: what may be said of a hidden total ------------------------------

    @property
    def coarsened(self) -> set[tuple[str, ...]]:
        """(table, quarter) of each hidden total the edition printed as a range, kept in its
        log so that the annex and the manifest count them."""
        return self.log.coarsened

    def band_of(self, indicator: str, quarter: str) -> tuple[int, int] | None:
        """The band a hidden quarter total is printed as (`checks.coarsening.band`), where
        the edition prints bands and a primary rule hid the cell; None otherwise. Totals share
        no relation with another cell, so a band narrows no other hidden cell; a cell hidden
        only for consistency has no protection level of its own here and gets no band."""
        if not self.coarsening.bands:
            return None
        cells = self.series(indicator, [quarter])
        if cells.empty or cells["value"].notna().all() \
                or cells["suppressed_by"].iloc[0] not in PRIMARY_RULES:
            return None
        audit = self.log.audits.get(self.table_name(indicator))
        row = audit[audit["quarter"] == quarter] if audit is not None else pd.DataFrame()
        if row.empty:
            return None
        cell = row.iloc[-1]
        return band(float(cell["value"]), float(cell["protection_lower"]),
                    float(cell["protection_upper"]), self.coarsening.band_edges)

    def level_text(self, indicator: str, quarter: str | None = None,
                   table: str | None = None) -> str:
        """An indicator's quarter total as printed (in `table`, None for prose): its value,
        or where the gate hides it, its band (`1,000–4,999`) in an edition that prints bands,
        else c."""
        quarter = quarter or self.quarter
        fmt = fmt_for(self.unit_of(indicator))
        cells = self.series(indicator, [quarter])
        if len(cells) and cells["value"].notna().all():
            return fmt(cells["value"].iloc[0])
        if (coarse := self.band_of(indicator, quarter)) is None:
            return SUPPRESSED
        cell = (self.table_name(indicator), quarter)
        self.coarsened.add(cell)
        self._printed_coarse(table, cell)
        return fmt_band(*coarse, fmt)

    def _printed_coarse(self, table: str | None, figure: tuple[str, ...]) -> None:
        if table:  # prose is counted in the log alone
            self.printed_coarse.setdefault(table, set()).add(figure)

    def coarse_cells(self, table: str) -> int:
        """A table's hidden figures shown as a range or direction instead of c, as the
        disclosure annex counts them: for an indicator's own table, its totals printed as a
        range anywhere; for a table of the report, the ranges and directions it prints."""
        if table in self.printed_coarse:
            return len(self.printed_coarse[table])
        return sum(name == table for name, _quarter in self.coarsened)

    def printed_range(self, indicator: str, quarter: str) -> tuple[float, float] | None:
        """What a reader of the edition can tell of a quarter total: its published value
        (within half the rounding base), or its band; None where it is c."""
        cells = self.series(indicator, [quarter])
        if len(cells) and cells["value"].notna().all():
            base = self.rules.rounding_base if self.unit_of(indicator) == "count" else 1
            return printed_interval(float(cells["value"].iloc[0]), base)
        return self.band_of(indicator, quarter)

    def direction_text(self, indicator: str, base_quarter: str,
                       table: str | None = None) -> str:
        """The change of a total whose exact change is hidden (printed in `table`), by its
        direction only ('total rose', 'total fell') where what the edition prints of both
        quarters implies it (`checks.coarsening.direction`), else c."""
        if not self.coarsening.directions:
            return SUPPRESSED
        base = self.printed_range(indicator, base_quarter)
        now = self.printed_range(indicator, self.quarter)
        moved = direction(base, now) if base and now else None
        if moved is None:
            return SUPPRESSED
        change = (self.table_name(indicator), base_quarter)
        self.log.directions.add(change)
        self._printed_coarse(table, (*change, "direction"))
        return f"total {moved}"

    def change_text(self, change: dict, indicator: str, base_quarter: str, table: str) -> str:
        """A like-for-like change (`change`) as printed in `table`, or where the gate hides
        it, the direction of the total where the edition may say it (`direction_text`)."""
        if change["text"] != SUPPRESSED:
            return change["text"]
        return self.direction_text(indicator, base_quarter, table)

    def coarse_notes(self, rows: list[list[str]]) -> list[str]:
        """A table's notes on the bands and directions it prints (none if it prints none)."""
        cells = [cell for row in rows for cell in row]
        notes = []
        if any(BAND_DASH in cell and cell[:1].isdigit() | cell.startswith("€")
               for cell in cells):
            notes.append("A range such as 1,000\u20134,999 stands for a suppressed value: the "
                         "value lies inside it, at least its protection level away from either "
                         "end (disclosure annex).")
        if any(cell.startswith("total ") for cell in cells):
            notes.append("Total rose, total fell: the change itself is suppressed; only the "
                         "direction of the total is shown, where the ranges or rounded values "
                         "of the two quarters do not overlap, so that it follows from them "
                         "(disclosure annex).")
        return notes

    def publishable(self, evidence: dict) -> bool:
        """Whether this edition publishes every figure a statement rests on (`indicator`,
        `dimension`, `category`, `quarters` or `base_quarter` and `quarter`): a statement
        on a hidden figure would describe the member behind it."""
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

    def indicators_withheld(self) -> list[str]:
        """Indicators whose every total in the trend window this edition hides."""
        return sorted(indicator for (indicator, dimension), cells in self._protected.items()
                      if not dimension and cells["value"].isna().all()
                      and (cells["contributors"] > 0).any())

    # -- the catalogue ---------------------------------------------------------------------

    def unit_of(self, indicator: str) -> str:
        return self.data.indicators.set_index("indicator").at[indicator, "unit"]

    def name_of(self, indicator: str) -> str:
        return self.data.indicators.set_index("indicator").at[indicator, "name"]

    def noun_of(self, indicator: str) -> str:
        """The indicator's name inside a sentence: `victims identified` (URLs stays URLs)."""
        name = self.name_of(indicator)
        return name if name[1:2].isupper() else name[0].lower() + name[1:]

    def break_notes(self, indicator: str) -> list[tuple[str, str]]:
        """(period, note) of each series break the catalogue records for the indicator."""
        breaks = self.data.series_breaks[self.data.series_breaks["indicator"] == indicator]
        return [(row.period, row.note) for row in breaks.itertuples()]

    # -- pieces the chapters share ---------------------------------------------------------

    def caption(self, what: str, period: str, unit: str, sectors: str,
                cells: pd.DataFrame, tables: list[str] | None = None) -> str:
        """A figure's caption: what, when, unit (a share's base), who, how many members, and
        how many cells each of its source tables hid, each count beside its table and series,
        counted as the disclosure annex counts them (over the trend window)."""
        tables = tables or sorted(set(cells.get("table", pd.Series(dtype=str)).dropna()))
        rule = (f"; cells with fewer than {self.rules.min_contributors} contributing members or "
                "dominated by one or two members are suppressed, with enough others to "
                "protect them" if tables else "")
        hidden = (f" Hidden cells, as the disclosure annex counts them for {self.trend[0]} to "
                  f"{self.quarter}: " + "; ".join(self._hidden_in(name, cells) for name in tables)
                  + "." if tables else "")
        return (f"{what}. {period}; unit: {unit}; {sectors}; {_coverage_note(cells)}"
                + rule + self.rounding_note() + "." + hidden)

    def _hidden_in(self, table: str, cells: pd.DataFrame) -> str:
        """A table's hidden cells in a caption, beside its name and series, and how many of
        them the figure's cells (`cells`, where they name their table) fall in."""
        hidden = self.hidden_cells([table])
        said = f"{hidden} in '{table}' ({self.noun_of(table.split(' by ')[0])}"
        if hidden and {"table", "suppressed_by"} <= set(cells.columns):
            charted = cells.loc[cells["table"] == table, "suppressed_by"].fillna("") != ""
            said += f", {int(charted.sum())} of them in the quarters charted"
        return said + ")"

    def share_base(self, indicator: str, dimension: str) -> str:
        """A breakdown's share base in words: every category's published total of the
        quarter, nothing excluded."""
        return (f"all {self.noun_of(indicator)} (the quarter's published total over every "
                f"{label(dimension)})")

    def rounding_note(self) -> str:
        """How this edition rounds counts ("" when it does not), for captions and tables."""
        base = self.rules.rounding_base
        return (f"; counts are rounded to the nearest {base}, each on its own, so parts need "
                "not add up to their total" if base > 1 else "")

    def withheld(self, cells: pd.DataFrame, what: str, sector: str) -> str | None:
        """Why a figure or table is not shown: no member reported it, or all of it is hidden
        (by the rules `hidden_by` names)."""
        if cells.empty or (cells["contributors"].fillna(0) == 0).all():
            return f"No {sector} member reported {what} for the quarters shown."
        if cells["value"].isna().all():
            return f"Every figure on {what} is suppressed by {self.hidden_by(cells)}."
        return None

    def hidden_by(self, cells: pd.DataFrame) -> str:
        """The rules that hid these cells (their `suppressed_by`, which the annex counts), named
        and stated as the disclosure annex states them: 'the dominance nk rule of the
        disclosure annex: hidden when ...'."""
        stated = dict(self.rules.describe())
        hidden = set(cells["suppressed_by"].fillna("")) - {""}
        rules = [rule for rule in stated if rule in hidden] + sorted(hidden - set(stated))
        texts = [f"{label(rule)}, {stated[rule]}" if len(rules) > 1 else stated[rule]
                 for rule in rules if rule in stated]
        return (f"the {listed([label(rule) for rule in rules])} "
                f"rule{'s' if len(rules) > 1 else ''} of the disclosure annex"
                + (": " + "; ".join(texts) if texts else ""))

    def breakdown(self, indicator: str, dimension: str, table_id: str, caption: str,
                  heading: str, sector: str, base: str | None = None,
                  notes: list[str] | None = None) -> tuple[dict | None, str | None]:
        """The quarter's published categories of a breakdown with their share of the total
        (`base`: that total in words, by default `share_base`); (None, why) when nothing of
        it can be shown."""
        cells = shares(self.series(indicator, [self.quarter], dimension))
        what = caption.rsplit(", ", 1)[0]  # without the quarter
        if withheld := self.withheld(cells, what[0].lower() + what[1:], sector):
            return None, withheld
        cells = cells.sort_values(["value", "category"], ascending=[False, True],
                                  na_position="last")
        fmt = fmt_for(self.unit_of(indicator))
        rows = [[label(row.category), fmt(row.value), fmt_pct(row.share),
                 str(int(row.contributors))] for row in cells.itertuples()]
        total = cells["total"].iloc[0]
        rows.append(["Total (the base of the shares)", fmt(total),
                     fmt_pct(1.0 if total == total else np.nan), NOTHING])
        base = base or self.share_base(indicator, dimension)
        notes = [*(notes or []), f"Members: {NOTHING} for the total (each category counts its "
                 "own members).",
                 f"Share: the category's value divided by {base}; c: suppressed (fewer than "
                 f"{self.rules.min_contributors} contributing members, or dominated by one or "
                 "two of them, or hidden to protect such a cell)."]
        if self.rules.rounding_base > 1:
            notes.append(self.rounded_table_note())
        return table(table_id, caption, [heading, "Value", share_header(base), "Members"],
                     rows, [False, True, True, True], notes), None

    def indicator_table(self, table_id: str, caption: str, indicators: tuple[str, ...],
                        *notes: str) -> dict:
        """The indicators' quarter totals: value, members, like-for-like change on year."""
        rows = self.indicator_rows(indicators, table_id.replace("_", " "))
        return table(table_id, caption, ["Indicator", "Value", "Members", "Change on year"],
                     rows, [False, True, True, True],
                     self.count_notes(*notes, *self.coarse_notes(rows)))

    def count_notes(self, *notes: str) -> list[str]:
        """A count table's notes, with the rounding note in an edition that rounds."""
        rounded = [self.rounded_table_note()] if self.rules.rounding_base > 1 else []
        return [*notes, *rounded]

    def rounded_table_note(self) -> str:
        """A table's note in an edition that rounds: figures rounded once, independently."""
        return (f"Counts are rounded to the nearest {self.rules.rounding_base}, each "
                "independently, so parts need not add up to their total; shares are computed "
                "from the rounded counts printed here.")

    def trend_line(self, indicator: str, fig_id: str, what: str, sector: str, y_label: str,
                   quarters: list[str] | None = None) -> tuple[pd.DataFrame, dict | None]:
        """An indicator's published total per quarter as a line, or None if all is hidden."""
        quarters = quarters or self.trend
        cells = self.series(indicator, quarters)
        if cells["value"].isna().all():
            return cells, None
        unit = self.unit_of(indicator)
        return cells, charts.line_chart(
            cells, x="quarter", y="value", series=None, y_label=y_label, fig_id=fig_id,
            kind="eur" if unit == "EUR" else "count",
            caption=self.caption(what, f"{quarters[0]} to {self.quarter}", unit, sector,
                                 cells),
            gaps_note=BREAKS_NOTE,
            breaks=assessment.series_breaks_in(self.data, indicator, quarters))

    def indicator_rows(self, indicators: tuple[str, ...], table_name: str) -> list[list[str]]:
        """Value, members and like-for-like change on year of each indicator's total; a
        hidden total as its band and its change as its direction where the edition may."""
        rows = []
        for indicator in indicators:
            cell = self.series(indicator, [self.quarter]).iloc[0]
            year_ago = shift_quarter(self.quarter, -4)
            yoy = self.change(indicator, year_ago, table_name)
            rows.append([self.name_of(indicator), self.level_text(indicator, table=table_name),
                         str(int(cell["contributors"])),
                         self.change_text(yoy, indicator, year_ago, table_name)])
        return rows

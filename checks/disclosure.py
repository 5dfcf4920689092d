"""The disclosure-control gate: every published number passes through it first.

Entry points, one set of rules per edition (`checks/disclosure_rules.toml`):

- `protect_table` is the gate for a table of additive figures whose member-level contributions
  are known (the `quarterly_member_values` mart). It applies the primary rules to every cell,
  margins included, hides further cells (secondary suppression) until no hidden cell can be
  narrowed below its protection level from what is published, and returns an audit proving it.
- `protect` is the threshold-only gate for figures where only the number of contributing
  members is known (non-additive figures, like-for-like changes). It publishes no margins,
  so it needs no secondary suppression.
- `audit_derived` is the gate for figures computed from a protected table (shares, ratios,
  changes, sums: `LinearFigure`, linear once their printed precision is known): they join the
  attacker's LPs as constraints, and a figure that would narrow a hidden cell is withheld
  rather than more cells hidden. `protect_panel_ratio` applies it to a ratio over a panel of
  members (a like-for-like change, a ratio of two indicators over the members reporting
  both), which beside the published totals could give back the members outside the panel.
  Figures that are not linear (an index that squares shares, ranks, medians) are published
  from published cells only, or coarsened.

Primary rules, on each member's contribution to a cell (a margin's contribution is the member's
sum over the cells it adds up):

- threshold: fewer than `min_contributors` members with a non-zero value in the cell. A member
  that reported 0 (or nothing, status M/L) contributes nothing: beside one member's 3, two zeros
  leave a one-member cell whose value both zero-reporters know is the other's. A cell that is 0
  with no contributor at all discloses nothing about anyone and is published.
- small_count: a cell of a listed indicator (victims, arrests, cases) below `small_count_min`.
- dominance_nk: the `nk_n` largest contributions exceed `nk_k` % of the cell.
- dominance_p: the rest of the cell, beyond the largest and second-largest contributions, is
  less than `p_pct` % of the largest: the second-largest member could estimate the largest to
  within p %.

A member in `dominance_waived` has consented to its own contribution being deducible (it
publishes its own figures). Consents are reference data (`reference/disclosure_waivers.csv`:
member, indicator or `*`, edition, first and last quarter, agreement reference), and a table
waives a member only where a consent covers its indicator, its edition and every quarter it
shows (`DisclosureRules.waived_for`). It still counts for the threshold and in the cell's value, but
is never the member the dominance rules protect: the (n,k) rule ranks only the other members'
contributions (against the whole cell), and the p% rule protects the largest other member.
It stays a possible attacker: in the p% rule the second-largest contribution may be the waived
member's, so a cell that is, but for a little, the waived member's and one other's stays
hidden. Should a
waived member publish exactly these cells for the same quarter, everyone knows its share and
the cell is only as safe as the rest of it: waive only where its own published figures are
coarser (annual, national) than the coalition's.

Protection levels (how far the attacker's interval for a hidden cell must reach above its value;
below by the same, but never past zero): dominance_nk `100/k * (n largest) - value`;
dominance_p `p/100 * largest - rest`; threshold `safety_range_pct` % of the value;
small_count also up to `small_count_min` (so the attacker cannot tell the count is small); at
least `protection_floor` for every primary cell (a count known to within less than 1 is known).

Engine. Secondary suppression is the optimal cell-suppression model of Fischetti and Salazar
(Math. Programming 90, 2001), the model behind τ-Argus's "optimal" method, solved by branch
and cut on HiGHS (the solver inside SciPy, here through HiGHS's own bindings, `highspy`): a
MILP chooses the cheapest pattern (cost of hiding a cell: its value relative to the table's
largest, plus 1 % per cell; τ-Argus also costs by value), then the attacker's LPs are solved
for that pattern; a hidden cell that falls short yields a capacity cut from the LP's dual
solution, valid for every pattern, and the loop ends when none falls short: that last round
is the audit. Why not pytauargus: a 0.x beta, a month old, bundling its own native build;
the audit needs this attacker LP anyway, and the same LP gives the cuts, so one model is both
engine and proof; member waivers, cells forced by another edition and per-rule protection
levels map onto bounds and constraints directly; and its OPT assumes an attacker who knows
that every cell lies between the table's smallest and largest cell, which is not the attacker
the audit here is specified against (it hides more: the known-answer test shows both). Why
`highspy` and not `scipy.optimize.milp`/`linprog`: those rebuild the model on every call and
cannot warm-start or run single-threaded; auditing 100 hidden cells takes 200 LP solves, about
5 ms each through `linprog` against 0.3 ms warm-started. Tables here are small (at most a few
hundred cells). Deterministic: cells are put in a canonical order before the models are
built, and HiGHS runs single-threaded with a fixed seed, so the same data give the same
suppressions.

The attacker knows every published cell, that cells are non-negative, and the table's additive
relations. A cell no such bound limits above (a ray of the table's cone raises it) has upper
bound inf. Otherwise the LPs also cap every cell at twice the sum of all cells plus the
largest protection level: above any vertex of a 1-D or 2-D table's polytope (their relation
matrices are totally unimodular), so the cap changes no finite bound.

Across publications: pass the hidden cells of the coalition edition (and of an earlier issue
of the same edition) as `forced` when protecting the same table again. Forced cells are hidden
whatever their rules say (`suppressed_by` "consistency"), so the public edition's pattern is a
superset of the coalition's, and a re-issue's of the issue it replaces. Holding both editions
of one run then tells no more than the coalition edition alone (a derived figure the coalition
edition withheld must be withheld again: `audit_derived`'s `withheld`). Holding two issues, the
change of a published total tells the sum of the corrections to its hidden cells. Where the
correction touched one hidden cell, that is the cell's own correction, and as its old value was
at least 0 its new value is at least the correction: a correction larger than the new value
less its protection pins the cell from below, which `forced` alone does not prevent. So a
re-issue is also protected against a reader of both issues: pass the earlier issue's table as
`earlier` (`DisclosureLog.issued` keeps every table's cells, kept private since it holds
hidden values). The attacker's LPs then hold both issues: a cell the correction left alone is
one unknown across them (known if either published it), a changed cell two, its old and new
value, linked only through each issue's totals; the earlier issue's hidden cells keep their
own protection levels. Secondary suppression runs on that joint table, so the re-issue hides
what else the correction moved (here, the total) where it would pin a cell
(tests/test_disclosure_reissue.py). `DisclosureLog.pattern` collects the hidden cells of every
table for `forced`.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

import highspy
import numpy as np
import pandas as pd

RULES_FILE = Path(__file__).parent / "disclosure_rules.toml"
WAIVERS_FILE = Path(__file__).parents[1] / "reference" / "disclosure_waivers.csv"
TOTAL = "Total"  # the key of a margin cell in the dimension it adds up
PRIMARY_RULES = ("threshold", "small_count", "dominance_nk", "dominance_p")
STATUS_SAFE, STATUS_PRIMARY, STATUS_SECONDARY = "S", "U", "M"
TOLERANCE = 1e-7  # relative to the table's scale (its largest value or protection level)
MAX_ROUNDS = 500  # cut rounds per table; each round adds at least one new cut

CellKey = tuple[str, ...]


@dataclass(frozen=True)
class Waiver:
    """A member's written consent to its contributions not being protected by the dominance
    rules, with its scope and its source (the agreement it was given in)."""

    member_id: str
    indicator: str  # an indicator code, or "*" for every indicator
    edition: str
    valid_from: str  # first quarter, YYYY-Qn
    valid_to: str  # last quarter, or "" while in force
    agreement_ref: str
    note: str = ""

    def covers(self, indicator: str, quarters: Iterable[str]) -> bool:
        return self.indicator in ("*", indicator) and all(
            self.valid_from <= q and (not self.valid_to or q <= self.valid_to) for q in quarters)


def load_waivers(edition: str, path: Path = WAIVERS_FILE) -> tuple[Waiver, ...]:
    """The consents that apply to `edition`; none when the file does not exist."""
    if not path.exists():
        return ()
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = {"member_id", "indicator", "edition", "valid_from", "valid_to",
               "agreement_ref"} - set(frame.columns)
    if missing:
        raise ValueError(f"{path} lacks the column(s) {', '.join(sorted(missing))}")
    quarter = re.compile(r"\d{4}-Q[1-4]")
    waivers = []
    for line, row in enumerate(frame.to_dict("records"), start=2):
        if not quarter.fullmatch(row["valid_from"]) or (
                row["valid_to"] and not quarter.fullmatch(row["valid_to"])):
            raise ValueError(f"{path}, line {line}: valid_from and valid_to are quarters "
                             "(YYYY-Qn); valid_to may be empty")
        if not row["agreement_ref"].strip():
            raise ValueError(f"{path}, line {line}: a waiver needs the agreement it was given "
                             "in (agreement_ref)")
        waivers.append(Waiver(**{k: row.get(k, "") for k in Waiver.__dataclass_fields__}))
    return tuple(w for w in waivers if w.edition == edition)


@dataclass(frozen=True)
class DisclosureRules:
    """One edition's parameters, read from checks/disclosure_rules.toml."""

    edition: str
    label: str
    tlp: str
    version: str
    min_contributors: int
    small_count_min: int
    small_count_indicators: tuple[str, ...]
    nk_n: int = 2
    nk_k: float = 85.0
    p_pct: float = 10.0
    safety_range_pct: float = 30.0
    protection_floor: float = 1.0
    dominance_waived: tuple[str, ...] = ()  # waived in the table at hand (see waived_for)
    waivers: tuple[Waiver, ...] = ()  # the edition's consents, from reference data
    member_detail: bool = False  # may the edition say which members reported (coverage)?
    reviewers_required: int = 1  # distinct reviewers who approve a draft before it is final
    rounding_base: int = 1  # published counts rounded to a multiple of this (1: not rounded)

    def waived_for(self, indicator: str, quarters: Iterable[str]) -> DisclosureRules:
        """These rules for one table: its members waived where a consent covers the table's
        indicator and every quarter it shows (never more than that)."""
        quarters = list(quarters)
        members = sorted({w.member_id for w in self.waivers if w.covers(indicator, quarters)})
        return replace(self, dominance_waived=tuple(members))

    def describe(self) -> list[tuple[str, str]]:
        """(rule, parameters) pairs for the annex and the manifest; names no member."""
        rows = [("threshold", f"at least {self.min_contributors} members with a non-zero value "
                              "per cell (a member reporting 0 knows a one-member cell is the "
                              "other's)")]
        if self.small_count_min:
            rows.append(("small_count", f"counts below {self.small_count_min} hidden for "
                         + ", ".join(self.small_count_indicators)
                         + " (a small count of arrests or victims points at cases)"))
        rows += [
            ("dominance_nk", f"hidden when the {self.nk_n} largest member contributions exceed "
                             f"{self.nk_k:g} % of the cell (the cell would be one or two "
                             "members' own figure)"),
            ("dominance_p", f"hidden when the second-largest member could estimate the largest "
                            f"contribution to within {self.p_pct:g} % (a member subtracting its "
                            "own figure)"),
            ("secondary", "further cells hidden so that no hidden cell can be derived from the "
                          "published cells and totals to within its protection level "
                          f"({self.safety_range_pct:g} % of the value for threshold cells; a "
                          "reader who subtracts)"),
            ("consistency", "cells hidden in the coalition edition or an earlier issue stay "
                            "hidden (a reader who compares editions or issues)"),
            ("remainder", "a breakdown's quarter hidden whole where the indicator's total less "
                          "the breakdown (what members report without breaking it down) would "
                          "be a hidden cell (a reader who subtracts the breakdown from the "
                          "total)"),
            ("derived", "shares, ratios and like-for-like changes are audited together with "
                        "the cells they are computed from, and one that would narrow a hidden "
                        "cell is withheld (a reader who multiplies a share by its total, or "
                        "a change by last year's total, to recover a hidden figure or a "
                        "member outside the comparison)"),
        ]
        if self.rounding_base > 1:
            rows.append(("rounding", f"every published count rounded to the nearest "
                         f"{self.rounding_base}, each on its own (editions and re-issues "
                         "cannot be differenced to the unit)"))
        if consenting := {w.member_id for w in self.waivers} | set(self.dominance_waived):
            n = len(consenting)
            rows.append(("dominance_waiver", f"{n} member{'s' if n > 1 else ''} consented to "
                         "their own contributions not being protected by the dominance rules "
                         "(they publish those figures themselves, more coarsely; the others "
                         "stay protected against them)"))
        return rows


def load_rules(edition: str, path: Path = RULES_FILE,
               waivers: Path = WAIVERS_FILE) -> DisclosureRules:
    config = tomllib.loads(path.read_text(encoding="utf-8"))
    if edition not in config:
        raise ValueError(f"no disclosure rules for edition {edition!r} in {path}")
    section = config[edition]
    try:
        rules = DisclosureRules(
            edition=edition, label=section["label"], tlp=section["tlp"],
            version=config["version"],
            min_contributors=int(section["min_contributors"]),
            small_count_min=int(section["small_count_min"]),
            small_count_indicators=tuple(section["small_count_indicators"]),
            nk_n=int(section["nk_n"]), nk_k=float(section["nk_k"]),
            p_pct=float(section["p_pct"]),
            safety_range_pct=float(section["safety_range_pct"]),
            protection_floor=float(section["protection_floor"]),
            waivers=load_waivers(edition, waivers),
            member_detail=bool(section.get("member_detail", False)),
            reviewers_required=int(section.get("reviewers_required", 1)),
            rounding_base=int(section.get("rounding_base", 1)),
        )
    except KeyError as missing:
        raise ValueError(f"{path}: [{edition}] lacks {missing}") from None
    if rules.rounding_base < 1:
        raise ValueError(f"{path}: [{edition}] rounding_base must be at least 1")
    if rules.reviewers_required < 1:
        raise ValueError(f"{path}: [{edition}] reviewers_required must be at least 1")
    if rules.nk_n < 1 or not 0 < rules.nk_k <= 100 or rules.p_pct < 0:
        raise ValueError(f"{path}: [{edition}] dominance parameters out of range")
    return rules


@dataclass
class SuppressionPattern:
    """Hidden cells per table: what a later edition or re-issue must hide again."""

    tables: dict[str, frozenset[CellKey]] = field(default_factory=dict)

    def add(self, table: str, keys: Iterable[CellKey]) -> None:
        self.tables[table] = self.forced(table) | frozenset(keys)

    def forced(self, table: str) -> frozenset[CellKey]:
        return self.tables.get(table, frozenset())

    def __or__(self, other: SuppressionPattern) -> SuppressionPattern:
        merged = SuppressionPattern(dict(self.tables))
        for table, keys in other.tables.items():
            merged.add(table, keys)
        return merged

    def to_dict(self) -> dict[str, list[list[str]]]:
        """Sorted, JSON-ready: for the manifest, so a re-issue can start from it."""
        return {table: [list(key) for key in sorted(keys)]
                for table, keys in sorted(self.tables.items())}

    @classmethod
    def from_dict(cls, data: dict[str, list[list[str]]]) -> SuppressionPattern:
        return cls({table: frozenset(tuple(str(k) for k in key) for key in keys)
                    for table, keys in data.items()})


class IssuedCell(NamedTuple):
    """A cell as an issue printed it: its true value, whether it was hidden, and (hidden) the
    protection it needed below and above."""

    value: float
    hidden: bool
    protection_lower: float = 0.0
    protection_upper: float = 0.0


@dataclass
class IssuedCells:
    """Every cell of every table an issue protected: what a re-issue is audited against
    (`protect_table`'s `earlier`). Holds hidden cells' true values: private, like the audit."""

    tables: dict[str, dict[CellKey, IssuedCell]] = field(default_factory=dict)

    def table(self, name: str) -> dict[CellKey, IssuedCell] | None:
        return self.tables.get(name)

    def to_dict(self) -> dict[str, list[list]]:
        return {table: [[list(key), *cell] for key, cell in sorted(cells.items())]
                for table, cells in sorted(self.tables.items())}

    @classmethod
    def from_dict(cls, data: dict[str, list[list]]) -> IssuedCells:
        return cls({table: {tuple(str(k) for k in key): IssuedCell(float(value), bool(hidden),
                                                                   float(low), float(up))
                            for key, value, hidden, low, up in rows}
                    for table, rows in data.items()})


@dataclass
class DisclosureLog:
    """How many cells each rule hid, per table: the annex prints counts only.

    `audits` (true values, secretariat only), `pattern` (hidden cell keys) and `issued` (every
    cell, for a re-issue's audit; true values too) are filled by `protect_table`.
    """

    hidden: Counter = field(default_factory=Counter)  # (table, rule) -> cells
    published: Counter = field(default_factory=Counter)  # table -> cells
    published_values: set[float] = field(default_factory=set)  # for the release check
    margins: dict[tuple[str, CellKey], float] = field(default_factory=dict)  # published totals
    withheld_named: list[str] = field(default_factory=list)  # analysts' names withheld
    derived_published: Counter = field(default_factory=Counter)  # table -> derived figures
    derived_withheld: list[tuple[str, str]] = field(default_factory=list)  # (table, figure)
    audits: dict[str, pd.DataFrame] = field(default_factory=dict)
    pattern: SuppressionPattern = field(default_factory=SuppressionPattern)
    issued: IssuedCells = field(default_factory=IssuedCells)
    # hidden figures printed coarsened: (table, quarter) of a total shown as a range, and
    # (table, base quarter) of a change shown as its direction only
    coarsened: set[CellKey] = field(default_factory=set)
    directions: set[CellKey] = field(default_factory=set)

    def information_kept(self, headline: list[bool]) -> dict[str, float | int]:
        """How much the edition still says: cells published of all cells the gate judged, and
        of the headline figures (`headline`: published or not, one per figure); and of the
        hidden cells, how many it shows coarsened (as a range instead of c), with the hidden
        changes it shows as their direction only."""
        published, hidden = sum(self.published.values()), sum(self.hidden.values())
        return {"cells_published": published, "cells_hidden": hidden,
                "share_of_cells_published": round(published / max(published + hidden, 1), 3),
                "headline_published": sum(headline), "headline": len(headline),
                "share_of_headline_published": round(sum(headline) / max(len(headline), 1), 3),
                "cells_coarsened": len(self.coarsened),
                "share_of_hidden_coarsened": round(len(self.coarsened) / max(hidden, 1), 3),
                "changes_as_direction": len(self.directions)}

    def rows(self) -> list[tuple[str, str, int, int]]:
        tables = sorted(set(self.published) | {t for t, _ in self.hidden})
        out = []
        for table in tables:
            rules = sorted(r for t, r in self.hidden if t == table) or ["-"]
            for rule in rules:
                out.append((table, rule, self.hidden.get((table, rule), 0),
                            self.published.get(table, 0)))
        return out


def protect(cells: pd.DataFrame, rules: DisclosureRules, log: DisclosureLog, table: str,
            *, value_columns: tuple[str, ...] = ("value",)) -> pd.DataFrame:
    """Hide every value that breaks a rule (NaN, `suppressed_by` names the rule).

    Threshold and small counts only: `cells` needs `contributors` (members behind each cell)
    and `indicator`. Figures with member contributions and totals go through `protect_table`.
    """
    out = cells.copy()
    reason = pd.Series("", index=out.index, dtype="str")
    too_few = out["contributors"].fillna(0) < rules.min_contributors
    reason = reason.where(~too_few, "threshold")
    if rules.small_count_min:
        sensitive = out["indicator"].isin(rules.small_count_indicators)
        small = sensitive & (out["value"] < rules.small_count_min) & (reason == "")
        reason = reason.where(~small, "small_count")
    out["suppressed_by"] = reason
    hidden = reason != ""
    for column in value_columns:
        out[column] = out[column].astype("float64").where(~hidden, np.nan)
    for rule, n in reason[hidden].value_counts().items():
        log.hidden[(table, rule)] += int(n)
    log.published[table] += int((~hidden).sum())
    for column in value_columns:
        log.published_values.update(out[column].dropna().astype("float64").tolist())
    return out


@dataclass(frozen=True)
class ProtectedTable:
    """One table after the gate.

    `cells`: the keys, `value` (NaN when hidden), `contributors`, `status` (S safe, U primary,
    M secondary) and `suppressed_by` (a rule, "secondary", "consistency" or ""); margins carry
    `TOTAL` in the dimension they add up. `audit`: one row per hidden cell with its true value,
    the interval [lower, upper] an attacker derives from the published table (upper inf when
    unbounded), the protection required below and above the value, and `ok`. The audit holds
    true values: never publish it. `hidden`: the hidden cells' keys, to force next time.
    `derived`: the figures computed from the table that `audit_derived` judged (`name`,
    `published`, and `narrows`: the hidden cell a withheld figure would have narrowed, or
    "consistency" for one withheld elsewhere).
    """

    table: str
    keys: tuple[str, ...]
    cells: pd.DataFrame
    audit: pd.DataFrame
    hidden: frozenset[CellKey]
    derived: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        {"name": pd.Series(dtype=str), "published": pd.Series(dtype=bool),
         "narrows": pd.Series(dtype=str)}))
    model: _TableModel | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return bool(self.audit["ok"].all())


def round_to_base(values: np.ndarray, base: int) -> np.ndarray:
    """Each value rounded half up to a multiple of `base` (NaN stays NaN)."""
    if base <= 1:
        return values
    return np.floor(np.asarray(values, dtype="float64") / base + 0.5) * base


def protect_table(contributions: pd.DataFrame, *, rules: DisclosureRules, log: DisclosureLog,
                  table: str, row: str, col: str | None = None,
                  totals: Iterable[str] | None = None,
                  forced: Iterable[CellKey | str] = (), rounded: bool = False,
                  earlier: Mapping[CellKey, IssuedCell] | None = None,
                  remainder: Iterable[str] = ()) -> ProtectedTable:
    """Protect one table of additive figures from its member contributions.

    `contributions`: one row per cell and member with the key column(s) `row` (and `col`),
    `member_id` and `value` (the member's contribution, >= 0; NaN rows are dropped); an
    `indicator` column, when present, marks the cells the small-count rule applies to. It must
    hold exactly this table's cells: rows with the same keys are added up. `totals` names the
    key columns whose total is published (a `TOTAL` margin; default: every key column, with the
    grand total). `forced` are keys of cells to hide whatever the rules say (keys absent from
    this table are ignored); `remainder`: values of `col` whose every cell, margin included,
    is hidden because another table's total less this table's would otherwise be a hidden cell
    (rule "remainder", `remainder_columns`). `rounded`: the table holds counts, published
    rounded to the edition's `rounding_base` (each cell on its own, margins included, so
    parts need not add up to a rounded total); the audit is of the exact values, so rounding
    only widens what an attacker can derive. `earlier`: this table as the issue this one
    replaces printed it (`DisclosureLog.issued`); the pattern then also holds for a reader of
    both issues, and the audit's intervals are what the two leave.
    """
    keys = (row,) if col is None else (row, col)
    totals = tuple(keys if totals is None else totals)
    if not set(totals) <= set(keys):
        raise ValueError(f"totals {totals} must be among the table's keys {keys}")
    if contributions["value"].notna().sum() == 0:
        raise ValueError(f"table {table!r} has no contributions")
    cells, relations = _cells(contributions, keys, totals, rules)
    values = cells["value"]
    cell_keys = list(zip(*(cells[k] for k in keys), strict=True))

    reason, upper_level = _primary_rules(cells, rules)
    lower_level = np.minimum(upper_level, values)
    forced_keys = {(k,) if isinstance(k, str) else tuple(str(x) for x in k) for k in forced}
    is_forced = np.array([key in forced_keys for key in cell_keys], dtype=bool)
    is_remainder = (np.isin(cells[col], [str(c) for c in remainder]) if col is not None
                    else np.zeros(len(values), dtype=bool))
    is_primary = reason != ""
    must_hide = is_primary | is_forced | is_remainder
    if earlier is None:
        hidden, lower, upper = _suppress(values, relations, must_hide, upper_level, lower_level)
    else:  # the joint table of both issues; its first cells are this issue's
        n = len(values)
        hidden, lower, upper = (x[:n] for x in _suppress(*_across_issues(
            cell_keys, values, relations, must_hide, upper_level, lower_level, earlier,
            [keys.index(t) for t in totals])))

    reason[hidden & ~is_primary & is_remainder] = "remainder"
    reason[hidden & ~is_primary & ~is_remainder & is_forced] = "consistency"
    reason[hidden & ~is_primary & ~is_remainder & ~is_forced] = "secondary"
    status = np.where(is_primary, STATUS_PRIMARY,
                      np.where(hidden, STATUS_SECONDARY, STATUS_SAFE)).astype(object)
    published = pd.DataFrame({
        **{k: pd.Series(cells[k], dtype="str") for k in keys},
        "value": np.where(hidden, np.nan,
                          round_to_base(values, rules.rounding_base if rounded else 1)),
        "contributors": cells["contributors"],
        "status": pd.Series(status, dtype="str"),
        "suppressed_by": pd.Series(reason, dtype="str"),
    })
    tolerance = TOLERANCE * _scale(values, upper_level)
    audit = pd.DataFrame({
        **{k: pd.Series(cells[k][hidden], dtype="str") for k in keys},
        "status": pd.Series(status[hidden], dtype="str"),
        "suppressed_by": pd.Series(reason[hidden], dtype="str"),
        "value": values[hidden], "lower": lower[hidden], "upper": upper[hidden],
        "protection_lower": lower_level[hidden], "protection_upper": upper_level[hidden],
        "ok": ((upper >= values + upper_level - tolerance)
               & (lower <= values - lower_level + tolerance))[hidden],
    })
    if not audit["ok"].all():  # fail closed: cannot happen unless the solver misbehaves
        raise RuntimeError(f"table {table!r}: audit failed for {int((~audit['ok']).sum())} "
                           "hidden cells")
    result = ProtectedTable(table=table, keys=keys, cells=published, audit=audit,
                            hidden=frozenset(k for k, h in zip(cell_keys, hidden, strict=True)
                                             if h),
                            model=_TableModel(tuple(cell_keys), values, relations, hidden,
                                              upper_level, lower_level))
    for rule, n in Counter(reason[hidden]).items():
        log.hidden[(table, rule)] += n
    log.published[table] += int((~hidden).sum())
    log.published_values.update(values[~hidden].tolist())
    log.published_values.update(published["value"].dropna().tolist())
    for key, value, is_hidden in zip(cell_keys, values, hidden, strict=True):
        if TOTAL in key and not is_hidden:
            log.margins[(table, tuple(str(k) for k in key))] = float(value)
    log.audits[table] = (audit if table not in log.audits
                         else pd.concat([log.audits[table], audit], ignore_index=True))
    log.pattern.add(table, result.hidden)
    log.issued.tables[table] = {
        key: IssuedCell(float(v), bool(h), float(low) if h else 0.0, float(up) if h else 0.0)
        for key, v, h, low, up in zip(cell_keys, values, hidden, lower_level, upper_level,
                                      strict=True)}
    return result


def _across_issues(keys: list[CellKey], values: np.ndarray, relations: np.ndarray,
                   must_hide: np.ndarray, upper_level: np.ndarray, lower_level: np.ndarray,
                   earlier: Mapping[CellKey, IssuedCell], totals: list[int]
                   ) -> tuple[np.ndarray, ...]:
    """The table of a re-issue joined to the issue it replaces, as one table for `_suppress`.

    Its cells are this issue's, then the earlier issue's that are not the same unknown: a cell
    with the same value in both is one cell (published if the earlier issue published it,
    whatever this one does; a cell now to hide that it published is two cells, since this
    issue can still protect it from itself alone), any other earlier cell is a cell of its own,
    hidden as it was then and protected as much. Relations: this issue's, then the earlier
    issue's over those cells. Returns (values, relations, must_hide, upper_level,
    lower_level, fixed), `fixed`: cells whose hiding is not this issue's to choose.
    """
    n = len(keys)
    index = {key: i for i, key in enumerate(keys)}
    fixed = np.zeros(n, dtype=bool)
    column, old = {}, []
    for key, cell in sorted(earlier.items()):
        i = index.get(key)
        same = i is not None and abs(cell.value - values[i]) <= TOLERANCE * max(
            abs(cell.value), 1.0)
        if same and (cell.hidden or not must_hide[i]):
            column[key] = i
            fixed[i] |= not cell.hidden  # the earlier issue told it
        else:
            column[key] = n + len(old)
            old.append(cell)
    before = sorted(earlier)
    codes, width = [], []
    for d in range(len(before[0]) if before else 0):
        labels = sorted({k[d] for k in before} - {TOTAL}) + [TOTAL]
        codes.append(np.array([labels.index(k[d]) for k in before], dtype="int64"))
        width.append(len(labels))
    dims = tuple(range(len(width)))
    rows = (_relations(codes, width, dims, tuple(totals)) if before
            else np.zeros((0, 0)))
    joined = np.zeros((len(rows), n + len(old)))
    for j, key in enumerate(before):
        joined[:, column[key]] += rows[:, j]
    current = np.hstack([relations, np.zeros((len(relations), len(old)))])
    fresh = [r for r in joined if not (current == r).all(axis=1).any()]
    old_hidden = np.array([c.hidden for c in old], dtype=bool)
    return (np.r_[values, [c.value for c in old]],
            np.vstack([current, *fresh]) if fresh else current,
            np.r_[must_hide, old_hidden],
            np.r_[upper_level, [c.protection_upper for c in old]],
            np.r_[lower_level, [c.protection_lower for c in old]],
            np.r_[fixed, np.ones(len(old), dtype=bool)])


# -- figures derived from a protected table ------------------------------------------------


@dataclass(frozen=True)
class _TableModel:
    """What the attacker's LPs need of a protected table: true values, never publish them."""

    keys: tuple[CellKey, ...]  # the cells, in canonical order
    values: np.ndarray
    relations: np.ndarray
    hidden: np.ndarray
    upper_level: np.ndarray
    lower_level: np.ndarray


Terms = tuple[tuple[CellKey, float], ...]  # cells, each times its coefficient


@dataclass(frozen=True)
class LinearFigure:
    """A figure computed from a table's cells, as far as a reader can use it: its numerator
    lies between `lower` and `upper` times its denominator (no denominator: the number 1).

    Shares, ratios and changes are linear once their printed precision is known: a share of a
    total printed as 12.3 % says 0.1225 T <= x <= 0.1235 T; a change printed as +4.0 % says
    1.0395 base <= now <= 1.0405 base; a sum of cells printed as a count is itself. Indices
    that square or rank cells (HHI, ranks, medians) are not linear: publish them from
    published cells only, or coarsen them.
    """

    name: str
    numerator: Terms
    lower: float
    upper: float
    denominator: Terms = ()


def printed_bounds(value: float, decimals: int) -> tuple[float, float]:
    """Where a value printed with `decimals` decimals lies, for a reader of the print."""
    printed, half = round(value, decimals), 0.5 * 10.0 ** -decimals
    return printed - half, printed + half


def _key(key: CellKey | str) -> CellKey:
    return (key,) if isinstance(key, str) else tuple(str(k) for k in key)


def share_figure(name: str, part: CellKey | str, total: CellKey | str, share: float, *,
                 decimals: int = 1) -> LinearFigure:
    """A cell's share of another (a fraction), printed as a percentage with `decimals`."""
    low, high = printed_bounds(100.0 * share, decimals)
    return LinearFigure(name, ((_key(part), 1.0),), low / 100.0, high / 100.0,
                        ((_key(total), 1.0),))


def change_figure(name: str, now: CellKey | str, base: CellKey | str, change: float, *,
                  decimals: int = 1) -> LinearFigure:
    """A cell's relative change on another (a fraction), printed as a signed percentage."""
    low, high = printed_bounds(100.0 * change, decimals)
    return LinearFigure(name, ((_key(now), 1.0),), 1.0 + low / 100.0, 1.0 + high / 100.0,
                        ((_key(base), 1.0),))


def audit_derived(protected: ProtectedTable, figures: Iterable[LinearFigure],
                  log: DisclosureLog, *, withheld: Iterable[str] = ()) -> ProtectedTable:
    """Judge figures computed from a protected table: each is published only if, together
    with the table and every figure published before it, no hidden cell can be narrowed
    below its protection level.

    The figures enter the attacker's LPs as linear constraints beside the table's relations.
    A figure that would narrow a hidden cell is withheld (print c) rather than hiding more
    cells: one number where more cells would be several, and cells the edition's other tables
    already show as they are. Figures are judged in name order, so the same figures get the
    same verdicts. A figure on published cells only adds nothing the table does not say (it
    may be computed from the edition's rounded counts): published without an LP. `withheld`
    names figures withheld by the coalition edition or an earlier issue: withheld here too,
    as `forced` cells are (the public edition hides more cells, so a figure the coalition
    edition had to withhold might pass here, and pin a cell for a reader holding both).
    Returns the
    table with `derived` filled and an audit whose intervals are what the published figures
    leave; the log counts figures published and names those withheld, and its audit of this
    table is replaced by the new one.
    """
    model = protected.model
    if model is None:
        raise ValueError(f"table {protected.table!r} was not made by protect_table")
    index = {key: i for i, key in enumerate(model.keys)}
    scale = _scale(model.values, model.upper_level)
    a, hidden = model.values / scale, model.hidden
    up_req, low_req = model.upper_level / scale, model.lower_level / scale
    lower, upper = _attack(a, model.relations, hidden, np.zeros((0, len(a))), np.zeros(0),
                           np.zeros(0))
    kept = (np.zeros((0, len(a))), np.zeros(0), np.zeros(0))
    verdicts, withheld = [], set(withheld)
    for figure in sorted(figures, key=lambda f: f.name):
        rows, row_lower, row_upper = _figure_rows(figure, index, scale)
        if figure.name in withheld:
            verdicts.append((figure.name, False, "consistency"))
            continue
        if not (rows[:, hidden] != 0).any():
            verdicts.append((figure.name, True, ""))
            continue
        reach = rows @ a
        if ((reach < row_lower - TOLERANCE) | (reach > row_upper + TOLERANCE)).any():
            raise ValueError(f"figure {figure.name!r} does not hold for table "
                             f"{protected.table!r}'s true values: is it computed from them?")
        trial = (np.vstack([kept[0], rows]), np.r_[kept[1], row_lower],
                 np.r_[kept[2], row_upper])
        low, up = _attack(a, model.relations, hidden, *trial)
        short = hidden & ((up < a + up_req - TOLERANCE) | (low > a - low_req + TOLERANCE))
        if short.any():
            verdicts.append((figure.name, False, "/".join(model.keys[np.argmax(short)])))
            continue
        kept, lower, upper = trial, low, up
        verdicts.append((figure.name, True, ""))
    derived = pd.DataFrame(verdicts, columns=["name", "published", "narrows"]).astype(
        {"name": str, "published": bool, "narrows": str})
    audit = protected.audit.assign(lower=lower[hidden] * scale, upper=upper[hidden] * scale)
    audit["ok"] = ((audit["upper"] >= audit["value"] + audit["protection_upper"]
                    - TOLERANCE * scale)
                   & (audit["lower"] <= audit["value"] - audit["protection_lower"]
                      + TOLERANCE * scale))
    log.derived_published[protected.table] += int(derived["published"].sum())
    log.derived_withheld += [(protected.table, name)
                             for name in derived.loc[~derived["published"], "name"]]
    if log.audits.get(protected.table) is protected.audit:
        log.audits[protected.table] = audit
    return replace(protected, audit=audit, derived=derived)


def remainder_columns(totals: pd.DataFrame, parts: pd.DataFrame, col: str,
                      rules: DisclosureRules) -> list[str]:
    """Values of `col` (quarters) in which a total less a breakdown that adds up to it would
    be a cell the primary rules hide: each member's total less its parts (a member that
    reports the total but not the breakdown, or the reverse). Beside the published total, the
    breakdown's own total would give that cell away (`protect_table`'s `remainder`).

    `totals` and `parts`: member contributions of one indicator (`indicator`, `col`,
    `member_id`, `value`), the parts with any number of categories per member.
    """
    by_member = ["indicator", col, "member_id"]
    total = totals.groupby(by_member, observed=True)["value"].sum()
    gaps = total.sub(parts.groupby(by_member, observed=True)["value"].sum(), fill_value=0).abs()
    gaps = gaps[gaps > 1e-9 * np.maximum(total.reindex(gaps.index).fillna(0), 1)]
    if gaps.empty:
        return []
    cells, _ = _cells(gaps.reset_index(), (col,), (), rules)
    reason, _ = _primary_rules(cells, rules)
    return [str(value) for value in cells[col][reason != ""]]


def protect_panel_ratio(numerator: pd.Series, denominator: pd.Series, ratio: float, *,
                        rules: DisclosureRules, log: DisclosureLog, table: str, name: str,
                        decimals: int = 1, offset: float = 0.0,
                        panel: Iterable[str] | None = None) -> bool:
    """Whether a ratio over a panel of members may be printed: the numerator's values over the
    denominator's, each summed over the panel (`numerator`, `denominator`: member -> value;
    `panel`: the members compared, by default those in both). A like-for-like change is this
    quarter over the base quarter, printed less 1 (`offset` 1) as a percentage with
    `decimals`.

    Beside the published totals (over all members of each), a panel's ratio gives back what
    the members outside the panel contributed: a member that reported only this quarter is
    the published total less (1 + change) times the base quarter's. So the panel is a table
    of its own: each total (published, as the edition publishes it) split into its panel and
    outside parts (hidden), with the ratio audited on it by `audit_derived`. True only if the
    totals stay published there and the ratio narrows no part below its protection.
    """
    members = set(numerator.index) & set(denominator.index) if panel is None else set(panel)
    contributions = pd.DataFrame(
        [(side, "panel" if member in members else "outside", str(member), float(value))
         for side, values in (("numerator", numerator), ("denominator", denominator))
         for member, value in values.items()],
        columns=["side", "part", "member_id", "value"])
    scratch = DisclosureLog()
    protected = protect_table(contributions, rules=rules, log=scratch, table=table, row="side",
                              col="part", totals=("part",),
                              forced=[(side, part) for side in ("numerator", "denominator")
                                      for part in ("panel", "outside")])
    low, high = printed_bounds(100.0 * (ratio - offset), decimals)
    figure = LinearFigure(name, ((("numerator", "panel"), 1.0),), offset + low / 100.0,
                          offset + high / 100.0, ((("denominator", "panel"), 1.0),))
    published = (not {("numerator", TOTAL), ("denominator", TOTAL)} & protected.hidden
                 and bool(audit_derived(protected, [figure], scratch).derived["published"].all()))
    if published:
        log.derived_published[table] += 1
    else:
        log.derived_withheld.append((table, name))
    return published


def _figure_rows(figure: LinearFigure, index: dict[CellKey, int], scale: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A figure as two rows over the table's cells, in units of the table's scale:
    numerator - lower * denominator >= 0 and numerator - upper * denominator <= 0."""
    def vector(terms: Terms) -> np.ndarray:
        out = np.zeros(len(index))
        for key, coefficient in terms:
            if _key(key) not in index:
                raise ValueError(f"figure {figure.name!r}: no cell {key} in the table")
            out[index[_key(key)]] += coefficient
        return out

    numerator = vector(figure.numerator)
    if figure.denominator:
        denominator = vector(figure.denominator)
        return (np.vstack([numerator - figure.lower * denominator,
                           numerator - figure.upper * denominator]),
                np.array([0.0, -highspy.kHighsInf]), np.array([highspy.kHighsInf, 0.0]))
    return (np.vstack([numerator, numerator]),
            np.array([figure.lower / scale, -highspy.kHighsInf]),
            np.array([highspy.kHighsInf, figure.upper / scale]))


def _attack(a: np.ndarray, relations: np.ndarray, hidden: np.ndarray, rows: np.ndarray,
            row_lower: np.ndarray, row_upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Min and max of every hidden cell given the published cells, the relations and the
    published figures' rows (row_lower <= rows @ cells <= row_upper); published cells: their
    value. One model, one objective per LP; upper inf where the maximum is unbounded."""
    lower, upper = a.copy(), a.copy()
    cells = np.flatnonzero(hidden)
    if not cells.size:
        return lower, upper
    equal = relations[(relations[:, cells] != 0).any(axis=1)]
    known = ~hidden
    rhs = -(equal[:, known] @ a[known])
    shift = rows[:, known] @ a[known]
    solver = _model(_highs(), np.zeros(len(cells)), np.zeros(len(cells)),
                    np.full(len(cells), highspy.kHighsInf),
                    np.vstack([equal[:, cells], rows[:, cells]]),
                    np.r_[rhs, row_lower - shift], np.r_[rhs, row_upper - shift])
    for column, t in enumerate(cells):
        for direction, bound in ((1.0, upper), (-1.0, lower)):
            solver.changeColCost(column, -direction)
            solver.run()
            status = solver.getModelStatus()
            if status not in (highspy.HighsModelStatus.kOptimal,
                              highspy.HighsModelStatus.kUnbounded):
                solver.clearSolver()  # a warm start gone astray: solve this one afresh
                solver.run()
                status = solver.getModelStatus()
            if status == highspy.HighsModelStatus.kOptimal:
                bound[t] = np.asarray(solver.getSolution().col_value)[column]
            elif direction > 0 and status in (highspy.HighsModelStatus.kUnbounded,
                                              highspy.HighsModelStatus.kUnboundedOrInfeasible):
                bound[t] = np.inf  # the true table is feasible: unbounded, not infeasible
            else:
                raise RuntimeError("attacker LP failed: " + solver.modelStatusToString(status))
            solver.changeColCost(column, 0.0)
    return lower, upper


# -- the table and its cells ---------------------------------------------------------------


def _cells(contributions: pd.DataFrame, keys: tuple[str, ...], totals: tuple[str, ...],
           rules: DisclosureRules) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The table's cells, margins included, in canonical order, and its additive relations.

    Per cell (arrays): the keys, `value`, `contributors`, `sensitive` (small-count indicator),
    `largest` (largest protected contribution), `second` (largest other contribution, waived
    or not) and `largest_n` (sum of the n largest protected contributions). Works on integer
    codes: each key's categories sorted, TOTAL after them, so the order of the input rows does
    not matter.
    """
    missing = {*keys, "member_id", "value"} - set(contributions.columns)
    if missing:
        raise ValueError(f"contributions lack columns {sorted(missing)}")
    frame = contributions[contributions["value"].notna()]
    value = frame["value"].to_numpy(dtype="float64")
    if (value < 0).any():
        raise ValueError("contributions must be non-negative")
    codes, labels = [], []
    for k in keys:
        code, label = pd.factorize(frame[k].astype("str"), sort=True)
        label = label.to_numpy(dtype=object)
        if (label == TOTAL).any():
            raise ValueError(f"{k!r} has a category named {TOTAL!r}, the margin's key")
        codes.append(code.astype("int64"))
        labels.append(np.append(label, TOTAL))
    member, member_ids = pd.factorize(frame["member_id"].astype("str"), sort=True)
    waived = np.isin(member_ids.to_numpy(dtype=object), list(rules.dominance_waived))
    sensitive = (frame["indicator"].isin(rules.small_count_indicators).to_numpy(dtype=bool)
                 if "indicator" in frame.columns else np.zeros(len(frame), dtype=bool))

    # every cell a member row adds to: its own and the margins over each subset of `totals`
    width = [len(label) for label in labels]
    levels = [()] + [s for n in range(1, len(totals) + 1)
                     for s in itertools.combinations(totals, n)]
    cell_code = np.concatenate([
        _combine([np.full(len(value), width[i] - 1) if k in summed else codes[i]
                  for i, k in enumerate(keys)], width) for summed in levels])
    member = np.tile(member, len(levels))
    value, sensitive = np.tile(value, len(levels)), np.tile(sensitive, len(levels))

    # one entry per (cell, member), each cell's largest contribution first, then by member id
    pair, pair_index = np.unique(cell_code * len(member_ids) + member, return_inverse=True)
    pair_value = np.bincount(pair_index, weights=value, minlength=len(pair))
    pair_sensitive = np.bincount(pair_index, weights=sensitive, minlength=len(pair)) > 0
    pair_cell, pair_member = np.divmod(pair, len(member_ids))
    order = np.lexsort((pair_member, -pair_value, pair_cell))
    cell_of, contribution = pair_cell[order], pair_value[order]
    is_protected = ~waived[pair_member[order]]
    starts = np.flatnonzero(np.r_[True, cell_of[1:] != cell_of[:-1]])
    counts = np.diff(np.r_[starts, len(cell_of)])
    n_cells = len(starts)
    cell = np.repeat(np.arange(n_cells), counts)
    rank = np.arange(len(cell_of)) - np.repeat(starts, counts)
    seen = np.cumsum(is_protected)
    protected_rank = seen - np.repeat(seen[starts] - is_protected[starts], counts) - 1
    first_protected = is_protected & (protected_rank == 0)
    in_top_n = is_protected & (protected_rank < rules.nk_n)

    largest = np.zeros(n_cells)
    largest[cell[first_protected]] = contribution[first_protected]
    largest_is_top = np.ones(n_cells, dtype=bool)
    largest_is_top[cell[first_protected]] = rank[first_protected] == 0
    top1 = contribution[starts]
    top2 = np.where(counts > 1, contribution[np.minimum(starts + 1, len(cell_of) - 1)], 0.0)
    remaining, codes_of_cells = cell_of[starts], [np.empty(0, dtype="int64")] * len(keys)
    for i in reversed(range(len(keys))):
        remaining, codes_of_cells[i] = np.divmod(remaining, width[i])
    cells = {k: labels[i][codes_of_cells[i]] for i, k in enumerate(keys)}
    cells.update(
        value=np.add.reduceat(contribution, starts),
        contributors=np.add.reduceat((contribution > 0).astype("int64"), starts),
        sensitive=np.bincount(cell[pair_sensitive[order]], minlength=n_cells) > 0,
        largest=largest,
        second=np.where(largest_is_top, top2, top1),  # who attacks the largest protected one
        largest_n=np.bincount(cell[in_top_n], weights=contribution[in_top_n],
                              minlength=n_cells))
    return cells, _relations(codes_of_cells, width, keys, totals)


def _combine(codes: list[np.ndarray], width: list[int]) -> np.ndarray:
    """One integer per cell from its per-key codes (mixed radix, first key most significant)."""
    combined = np.zeros(len(codes[0]), dtype="int64")
    for code, w in zip(codes, width, strict=True):
        combined = combined * w + code
    return combined


def _relations(codes: list[np.ndarray], width: list[int], keys: tuple[str, ...],
               totals: tuple[str, ...]) -> np.ndarray:
    """The additive relations (margin - sum of its parts = 0), one row each."""
    n_cells = len(codes[0])
    relations = []
    for d in totals:
        i = keys.index(d)
        others = [codes[j] for j in range(len(keys)) if j != i]
        group = (_combine(others, [width[j] for j in range(len(keys)) if j != i]) if others
                 else np.zeros(n_cells, dtype="int64"))
        is_total = codes[i] == width[i] - 1
        order = np.lexsort((is_total, group))  # per group: parts, then the margin
        bounds = np.flatnonzero(np.r_[True, group[order][1:] != group[order][:-1], True])
        for start, stop in itertools.pairwise(bounds):
            members = order[start:stop]
            margin, parts = members[-1], members[:-1]
            if is_total[margin] and len(parts):
                row = np.zeros(n_cells)
                row[margin], row[parts] = 1.0, -1.0
                relations.append(row)
    return np.array(relations).reshape(len(relations), n_cells)


def _primary_rules(cells: dict[str, np.ndarray], rules: DisclosureRules
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The first primary rule each cell breaks ("" if none) and its upper protection level."""
    value, largest = cells["value"], cells["largest"]
    rest = value - largest - cells["second"]
    nk_excess = 100.0 / rules.nk_k * cells["largest_n"] - value
    p_excess = rules.p_pct / 100.0 * largest - rest
    safety = rules.safety_range_pct / 100.0 * value
    tolerance = TOLERANCE * max(float(value.max(initial=0.0)), 1.0)
    broken = {
        "threshold": ((value > 0) & (cells["contributors"] < rules.min_contributors), safety),
        "small_count": (cells["sensitive"] & (value < rules.small_count_min),
                        np.maximum(rules.small_count_min - value, safety)),
        "dominance_nk": ((value > 0) & (nk_excess > tolerance), nk_excess),
        "dominance_p": ((value > 0) & (p_excess > tolerance), p_excess),
    }
    reason = np.full(len(value), "", dtype=object)
    level = np.zeros(len(value))
    for rule in reversed(PRIMARY_RULES):  # the first rule in PRIMARY_RULES names the cell
        mask, needed = broken[rule]
        reason[mask] = rule
        level[mask] = np.maximum(level[mask], needed[mask])
    is_primary = reason != ""
    level[is_primary] = np.maximum(level[is_primary], rules.protection_floor)
    return reason, level


def _scale(values: np.ndarray, levels: np.ndarray) -> float:
    largest = max(float(values.max(initial=0.0)), float(levels.max(initial=0.0)))
    return largest if largest > 0 else 1.0


# -- secondary suppression: Fischetti-Salazar branch and cut on HiGHS --------------------


def _suppress(values: np.ndarray, relations: np.ndarray, must_hide: np.ndarray,
              upper_level: np.ndarray, lower_level: np.ndarray,
              fixed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cheapest pattern hiding `must_hide` that gives every cell its protection levels;
    `fixed` cells are hidden only if in `must_hide` (an earlier issue's cells).

    Returns (hidden, lower, upper): the pattern and the attacker's interval for every cell
    (published cells: their value; upper is inf where the attacker's maximum is unbounded).
    All work is in units of the table's scale, so that tolerances are relative.
    """
    scale = _scale(values, upper_level)
    a, up_req, low_req = values / scale, upper_level / scale, lower_level / scale
    cap = float(2.0 * a.sum() + up_req.max(initial=0.0) + 1.0)  # above any finite bound
    needs = must_hide & ((up_req > TOLERANCE) | (low_req > TOLERANCE))
    cost = a / max(float(a.max(initial=0.0)), 1e-12) + 0.01
    may_hide = np.ones(len(a), dtype=bool) if fixed is None else must_hide | ~fixed
    master = _Master(cost, must_hide, may_hide)
    master.add(_relation_cuts(a, relations, np.flatnonzero(needs), up_req, low_req, cap))
    for _ in range(MAX_ROUNDS):
        hidden = master.cheapest_pattern()
        targets = np.flatnonzero(hidden)  # all hidden cells: the last round is the audit
        lower, upper, duals = _attacker(a, relations, hidden, targets, cap)
        cuts = _capacity_cuts(a, relations, hidden, targets, needs, lower, upper, duals,
                              up_req, low_req, cap)
        if not len(cuts):
            break
        master.add(cuts)
    else:
        raise RuntimeError("secondary suppression did not converge; hide the table whole")
    return hidden, lower * scale, upper * scale


def _highs() -> highspy.Highs:
    """A quiet, single-threaded HiGHS: deterministic, and fast on small models."""
    solver = highspy.Highs()
    solver.silent()
    for option, value in (("threads", 1), ("random_seed", 0), ("mip_rel_gap", 1e-9),
                          ("mip_detect_symmetry", False),
                          ("mip_heuristic_run_feasibility_jump", False)):
        solver.setOptionValue(option, value)
    return solver


def _rowwise(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(starts, indices, values) of a dense matrix's non-zeros, row by row."""
    rows, cols = np.nonzero(matrix)
    starts = np.r_[0, np.cumsum(np.bincount(rows, minlength=matrix.shape[0]))][:-1]
    return starts.astype(np.int32), cols.astype(np.int32), matrix[rows, cols]


def _model(solver: highspy.Highs, cost: np.ndarray, col_lower: np.ndarray,
           col_upper: np.ndarray, matrix: np.ndarray, row_lower: np.ndarray,
           row_upper: np.ndarray, *, integer: bool = False) -> highspy.Highs:
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(cost), matrix.shape[0]
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, col_lower, col_upper
    lp.row_lower_, lp.row_upper_ = row_lower, row_upper
    starts, indices, values = _rowwise(matrix)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = len(cost), matrix.shape[0]
    lp.a_matrix_.start_ = np.r_[starts, len(indices)]
    lp.a_matrix_.index_, lp.a_matrix_.value_ = indices, values
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * len(cost)
    solver.passModel(lp)
    return solver


class _Master:
    """Which cells to hide: the least cost subject to the cuts found so far (a MILP).

    A cut is a row c with sum_j c_j x_j >= 1 over x_j = 1 for a hidden cell.
    """

    def __init__(self, cost: np.ndarray, must_hide: np.ndarray, may_hide: np.ndarray):
        self.must_hide = must_hide
        self.cuts = np.zeros((0, len(cost)))
        self.solver = _model(_highs(), cost, must_hide.astype(float), may_hide.astype(float),
                             self.cuts, np.zeros(0), np.zeros(0), integer=True)

    def add(self, cuts: np.ndarray) -> None:
        if not len(cuts):
            return
        self.cuts = np.vstack([self.cuts, cuts])
        starts, indices, values = _rowwise(cuts)
        self.solver.addRows(len(cuts), np.ones(len(cuts)), np.full(len(cuts), highspy.kHighsInf),
                            len(indices), starts, indices, values)

    def cheapest_pattern(self) -> np.ndarray:
        if (self.cuts[:, self.must_hide].sum(axis=1) >= 1.0 - 1e-9).all():
            return self.must_hide.copy()  # the cells that must go already protect each other
        self.solver.run()
        status = self.solver.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError("secondary suppression failed: "
                               + self.solver.modelStatusToString(status))
        return np.asarray(self.solver.getSolution().col_value) > 0.5


def _groups(relations: np.ndarray, cells: np.ndarray) -> list[np.ndarray]:
    """The hidden cells split into groups that share no relation (solved apart)."""
    group = np.arange(len(cells))
    linked = relations[:, cells] != 0
    changed = True
    while changed:  # label propagation: each cell takes the least label of its relations
        least = np.where(linked, group, len(cells)).min(axis=1, initial=len(cells))
        new = np.minimum(group, np.where(linked, least[:, None], len(cells)).min(
            axis=0, initial=len(cells)))
        changed = bool((new != group).any())
        group = new
    return [cells[group == g] for g in np.unique(group)]


def _attacker(a: np.ndarray, relations: np.ndarray, hidden: np.ndarray, targets: np.ndarray,
              cap: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Min and max of each target cell over what the attacker knows: up to two LPs per target.

    Returns lower and upper (inf when unbounded) for every cell (published: its value) and
    the duals of the relations, one row per (target, direction): direction +1 (max) then -1
    (min); zero where no LP was needed. The LPs of one group of hidden cells share a model and
    differ only in the objective, so each solve starts from the previous one's basis. A cell
    seen at 0 in any solution needs no LP for its minimum.
    """
    lower, upper = a.copy(), a.copy()
    duals = np.zeros((2 * len(targets), relations.shape[0]))
    target_index = np.full(len(a), -1)
    target_index[targets] = np.arange(len(targets))
    rhs = -(relations[:, ~hidden] @ a[~hidden])
    for cells in _groups(relations, np.flatnonzero(hidden)):
        mine = cells[target_index[cells] >= 0]
        rows = np.flatnonzero((relations[:, cells] != 0).any(axis=1))
        if not mine.size:
            continue
        block = relations[np.ix_(rows, cells)]
        unbounded = _unbounded(block)
        solver = _model(_highs(), np.zeros(len(cells)), np.zeros(len(cells)),
                        np.full(len(cells), cap), block, rhs[rows], rhs[rows])
        seen_low = a[cells].copy()  # the true table is one point the attacker cannot rule out
        for direction in (1.0, -1.0):
            for t in mine:
                column = int(np.searchsorted(cells, t))
                if direction > 0 and unbounded[column]:
                    upper[t] = np.inf
                    continue
                if direction < 0 and seen_low[column] <= TOLERANCE:
                    lower[t] = 0.0
                    continue
                solver.changeColCost(column, -direction)
                solver.run()
                status = solver.getModelStatus()
                if status != highspy.HighsModelStatus.kOptimal:
                    raise RuntimeError("attacker LP failed: "
                                       + solver.modelStatusToString(status))
                solution = solver.getSolution()
                point = np.asarray(solution.col_value)
                seen_low = np.minimum(seen_low, point)
                (upper if direction > 0 else lower)[t] = point[column]
                duals[2 * target_index[t] + (direction < 0), rows] = solution.row_dual
                solver.changeColCost(column, 0.0)
    return lower, upper, duals


def _unbounded(block: np.ndarray) -> np.ndarray:
    """Which hidden cells the attacker cannot bound above: those some ray of the table's
    cone {d >= 0, R d = 0} increases. One LP: max sum(s) with s <= d, s <= 1 finds them all,
    since the sum of two rays is a ray."""
    n_rows, n = block.shape
    # a ray raises, in every relation it touches, a cell on each side: prune cells that can't
    candidate = np.ones(n, dtype=bool)
    while True:
        balanced = (((block > 0) & candidate).any(axis=1)
                    & ((block < 0) & candidate).any(axis=1))
        pruned = candidate & ~((block != 0) & ~balanced[:, None]).any(axis=0)
        if (pruned == candidate).all():
            break
        candidate = pruned
    if not candidate.any():  # the usual case: the margins are published
        return candidate
    matrix = np.block([[block, np.zeros((n_rows, n))], [-np.eye(n), np.eye(n)]])
    solver = _model(_highs(), np.r_[np.zeros(n), -np.ones(n)], np.zeros(2 * n),
                    np.r_[np.full(n, highspy.kHighsInf), np.ones(n)], matrix,
                    np.r_[np.zeros(n_rows), np.full(n, -highspy.kHighsInf)], np.zeros(n_rows + n))
    solver.run()
    if solver.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError("recession LP failed")
    return np.asarray(solver.getSolution().col_value)[n:] > 0.5


def _cut_rows(a: np.ndarray, reduced: np.ndarray, required: np.ndarray, cap: float
              ) -> np.ndarray:
    """Capacity cuts, one per row of `reduced`: sum_j min(c_j / required, 1) x_j >= 1.

    A row of `reduced` is s*e_t + R^T lambda for any dual vector lambda of the attacker's
    problem (direction s, target t): by weak duality, hiding cell j lets the attacker move
    cell t by at most c_j = max(r_j, 0) * (cap - a_j) + max(-r_j, 0) * a_j, so a pattern that
    protects t has sum_j c_j x_j >= required.
    """
    reach = np.maximum(reduced, 0.0) * (cap - a) + np.maximum(-reduced, 0.0) * a
    cuts = np.minimum(reach / required[:, None], 1.0)
    cuts[cuts < 1e-9] = 0.0
    return cuts


def _relation_cuts(a: np.ndarray, relations: np.ndarray, sensitive: np.ndarray,
                   up_req: np.ndarray, low_req: np.ndarray, cap: float) -> np.ndarray:
    """Per sensitive cell and relation: another cell of it hidden, with enough capacity.

    The capacity cuts use the relation's own dual alone, signed so that r_t = 0.
    """
    cell, relation = np.nonzero(relations[:, sensitive].T)
    if not cell.size:
        return np.zeros((0, len(a)))
    t = sensitive[cell]
    rows = relations[relation]
    own = rows[np.arange(len(t)), t]
    others = (rows != 0).astype(float)
    others[np.arange(len(t)), t] = 0.0
    cuts = [others[others.sum(axis=1) > 0]]
    for s, required in ((1.0, up_req[t]), (-1.0, low_req[t])):
        reduced = -s * own[:, None] * rows
        reduced[np.arange(len(t)), t] = 0.0
        keep = required > TOLERANCE
        cuts.append(_cut_rows(a, reduced[keep], required[keep], cap))
    return np.vstack(cuts)


def _capacity_cuts(a: np.ndarray, relations: np.ndarray, hidden: np.ndarray,
                   targets: np.ndarray, needs: np.ndarray, lower: np.ndarray,
                   upper: np.ndarray, duals: np.ndarray, up_req: np.ndarray,
                   low_req: np.ndarray, cap: float) -> np.ndarray:
    """A cut for every target whose interval falls short, from the attacker's duals."""
    short_up = needs[targets] & (upper[targets] < (a + up_req - TOLERANCE)[targets])
    short_low = needs[targets] & (lower[targets] > (a - low_req + TOLERANCE)[targets])
    short = np.column_stack([short_up, short_low]).ravel()  # rows of `duals`, in order
    if not short.any():
        return np.zeros((0, len(a)))
    which = np.flatnonzero(short)
    t = targets[which // 2]
    direction = np.where(which % 2 == 0, 1.0, -1.0)
    reduced = duals[which] @ relations
    reduced[np.arange(len(t)), t] += direction
    required = np.where(direction > 0, up_req[t], low_req[t])
    cuts = _cut_rows(a, reduced, required, cap)
    weak = cuts[:, hidden].sum(axis=1) >= 1.0 - 1e-6
    if weak.any():  # numerically weak: any pattern within this one fails too, so hide more
        no_good = (~hidden).astype(float)
        cuts = np.vstack([cuts[~weak], no_good[None, :]])
    return cuts

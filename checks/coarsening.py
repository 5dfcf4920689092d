"""Coarsening before suppression: what an edition may still say about a cell the gate hides.

Three ways, each chosen per edition in `checks/disclosure_rules.toml` and each safe for its
own reason:

- Region rows (`coarsen_regions`). The suppressed countries of one region are offered
  together as "Other <region>", the sum of that region's hidden countries. The row is a new
  cell with an additive relation, so it goes through `protect_table` like any other: a table
  of the quarter's hidden countries by region, with the region rows as margins, the hidden
  countries forced hidden and the sum of all of them as the grand total (published when the
  quarter's total is, since a reader subtracts the published countries from it). The audit
  then proves that no hidden country can be narrowed below its protection level by the rows
  published; a row that breaks a rule itself, or that would narrow one, stays `c`.
- Bands (`coarsen_bands`). A hidden total is printed as a band of readable ends (1, 5, 10,
  50, ...; `band_edges`) that contains the cell's whole protection interval: the value less
  its lower and plus its upper protection level, rounded outward to the next ends. The reader
  learns that the value lies in the band, which the protection rule allows, since the band
  reaches at least as far as the protection level on each side. Only for cells that share no
  relation with another hidden cell (an indicator's quarter totals), where narrowing one
  cannot narrow another; a band that also contains the attacker's interval adds nothing and
  would be safe anywhere. No band where the protection reaches past every end.
- Directions (`direction_only`). The change of a hidden total between two quarters is printed
  as "rose" or "fell" only where the intervals the edition prints for the two quarters (a
  band, or a rounded value) do not overlap: the direction then follows from what is printed,
  and says nothing more.

A reader who knows a threshold cell's rule (its protection is a known share of its value)
learns a little more from a band than the band: that the value lies at least that share
inside it. Bands are wide (their ends a factor of 2 to 5 apart) so that what remains is a
range, never a figure.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from checks.disclosure import (
    RULES_FILE,
    TOTAL,
    DisclosureLog,
    DisclosureRules,
    protect_table,
)

BAND_DASH = "\u2013"  # en dash, between a band's ends


@dataclass(frozen=True)
class Coarsening:
    """One edition's coarsening rules."""

    regions: bool = False  # hidden countries of a region offered together, if that passes
    bands: bool = False  # a hidden total as a band containing its protection interval
    directions: bool = False  # a change of hidden totals as its direction, where implied
    band_edges: tuple[int, ...] = (1, 5)  # band ends: these times every power of ten

    def describe(self) -> list[tuple[str, str]]:
        """(rule, what it does and what it protects against), for the disclosure annex."""
        rows = []
        if self.regions:
            rows.append(("region rows", "suppressed hosting countries of one region are shown "
                         "together as 'Other <region>' where that sum passes every rule and "
                         "the audit shows that no suppressed country can be narrowed below "
                         "its protection by it (a reader who subtracts)"))
        if self.bands:
            ends = ", ".join(f"{e:,}" for e in band_ends(self.band_edges, 1_000)[1:6])
            rows.append(("bands", "a suppressed total is shown as a band such as "
                         f"{fmt_band(1_000, 4_999, _count)} whose ends ({ends}, ...) lie at "
                         "least its protection level beyond the value on each side (a member "
                         "who knows its own figure still cannot narrow another's below that)"))
        if self.directions:
            rows.append(("direction only", "a change between two quarters whose totals are "
                         "suppressed is shown as 'rose' or 'fell' only where the bands or "
                         "rounded values printed for the two quarters do not overlap, so the "
                         "direction follows from what is printed"))
        return rows


def load_coarsening(edition: str, path: Path = RULES_FILE) -> Coarsening:
    """The edition's coarsening rules (none where its section sets none)."""
    section = tomllib.loads(path.read_text(encoding="utf-8")).get(edition, {})
    edges = tuple(int(e) for e in section.get("band_edges", (1, 5)))
    if not edges or edges[0] != 1 or any(not 1 <= e < 10 for e in edges) \
            or list(edges) != sorted(set(edges)):
        raise ValueError(f"{path}: [{edition}] band_edges are increasing integers from 1 to 9, "
                         "starting at 1")
    return Coarsening(regions=bool(section.get("coarsen_regions", False)),
                      bands=bool(section.get("coarsen_bands", False)),
                      directions=bool(section.get("direction_only", False)),
                      band_edges=edges)


# -- bands ---------------------------------------------------------------------------------


def band_ends(edges: tuple[int, ...], up_to: float) -> list[int]:
    """0 and the readable ends (each edge times every power of ten) up to the first past
    `up_to`."""
    ends, power = [0], 1
    while ends[-1] <= up_to:
        ends += [e * power for e in edges]
        power *= 10
    return ends


def band(value: float, protection_lower: float, protection_upper: float,
         edges: tuple[int, ...] = (1, 5)) -> tuple[int, int] | None:
    """The band (first and last whole number) a hidden count is printed as: from the last
    readable end at or below `value - protection_lower` to just below the first end above
    `value + protection_upper`. None where the protection is unbounded."""
    if not all(math.isfinite(x) for x in (value, protection_lower, protection_upper)):
        return None
    low, high = value - protection_lower, value + protection_upper
    ends = band_ends(edges, high + 1)
    first = max(e for e in ends if e <= max(low, 0.0))
    last = min(e for e in ends if e - 1 >= high) - 1
    return first, last


def fmt_band(first: float, last: float, fmt: Callable[[float], str]) -> str:
    """A band as printed: `1,000–4,999`."""
    return f"{fmt(first)}{BAND_DASH}{fmt(last)}"


def _count(x: float) -> str:
    return f"{x:,.0f}"


# -- directions ----------------------------------------------------------------------------


def direction(base: tuple[float, float], now: tuple[float, float]) -> str | None:
    """'rose' or 'fell' where the printed interval of the later quarter lies wholly above or
    below the earlier one's (each a (lowest, highest) a reader can tell from the print);
    None where they overlap, so the direction is not implied and is not printed."""
    if now[0] > base[1]:
        return "rose"
    if now[1] < base[0]:
        return "fell"
    return None


def printed_interval(value: float, rounding_base: int) -> tuple[float, float]:
    """Where a published value lies for its reader: a count rounded to `rounding_base` is
    known to within half the base."""
    half = rounding_base / 2.0 if rounding_base > 1 else 0.0
    return value - half, value + half


# -- region rows ---------------------------------------------------------------------------


def region_rows(contributions: pd.DataFrame, region_of: Mapping[str, str], *,
                total_published: bool, rules: DisclosureRules, log: DisclosureLog,
                table: str, forced: frozenset = frozenset(), rounded: bool = True
                ) -> pd.DataFrame:
    """'Other <region>' rows for the hidden countries of one quarter, through the gate.

    `contributions`: the members' values of the quarter's hidden countries (`country`,
    `member_id`, `value`, and `indicator` for the small-count rule); `region_of` maps a
    country to its region (a country without one stays on its own, never shown);
    `total_published`: the quarter's total is published, so the sum of the hidden countries
    is known. Returns one row per region: `region`, `value` (NaN when the row stays hidden),
    `countries` (how many hidden countries it sums), `contributors` and `suppressed_by`.
    The log counts the rows (not the countries again), keeps the audit (which holds true
    values: private) and the hidden rows' keys for the next edition or issue.
    """
    frame = contributions.assign(region=contributions["country"].map(
        lambda c: region_of.get(c) or f"({c})"))  # no region: a pseudo-region of its own
    countries = frame[["region", "country"]].drop_duplicates()
    is_region = ~countries["region"].str.startswith("(")
    keys = [(r, c) for r, c in countries.itertuples(index=False)]
    hide = {*keys, *((TOTAL, c) for _, c in keys),
            *((r, TOTAL) for r in countries.loc[~is_region, "region"]),
            *(k for k in forced if len(k) == 2)}
    if not total_published:
        hide.add((TOTAL, TOTAL))
    scratch = DisclosureLog()
    try:
        protected = protect_table(frame, rules=rules, log=scratch, table=table, row="region",
                                  col="country", totals=("region", "country"), forced=hide,
                                  rounded=rounded)
        cells, audit = protected.cells, protected.audit
        # The grand total is known when the quarter's total is published: an audit that hid
        # it assumed a weaker reader than the real one, so it proves nothing; show no row.
        fail_closed = total_published and (TOTAL, TOTAL) in protected.hidden
    except RuntimeError:  # no pattern of the region rows protects every country
        cells, audit, fail_closed = None, None, True
    regions = sorted(set(countries.loc[is_region, "region"]))
    n_countries = countries[is_region].groupby("region").size()
    rows = []
    for region in regions:
        if cells is None:
            rows.append((region, np.nan, int(n_countries[region]), 0, "secondary"))
            continue
        cell = cells[(cells["region"] == region) & (cells["country"] == TOTAL)].iloc[0]
        value = np.nan if fail_closed else cell["value"]
        reason = "secondary" if fail_closed and not cell["suppressed_by"] \
            else cell["suppressed_by"]
        rows.append((region, value, int(n_countries[region]), int(cell["contributors"]),
                     reason))
    out = pd.DataFrame(rows, columns=["region", "value", "countries", "contributors",
                                      "suppressed_by"]).astype({"value": "float64"})
    for row in out.itertuples():
        if np.isnan(row.value):
            log.hidden[(table, row.suppressed_by)] += 1
        else:
            log.published[table] += 1
            log.published_values.add(float(row.value))
    if audit is not None:
        log.audits[table] = audit
    log.pattern.add(table, [(r, TOTAL) for r in out.loc[out["value"].isna(), "region"]])
    return out

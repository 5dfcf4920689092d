"""Named values through the edition's gate: `{urls_confirmed.value}` is `c` where the
edition hides the figure it names (a sentence words it: `formatting.in_prose`).

Judgements are drafted once per run with the contributor threshold alone; an analyst's
narrative, reworded and added judgements, the outlook and the recommendations then name
figures by these names. A figure the edition suppresses (by dominance, small counts,
secondary suppression or consistency with another edition) must not come back through a
name, so each name is tied to the protected cells it rests on:

- an indicator's level and trend (`{n}.value`, `{n}.trend…`) to its quarter total;
- a change (`{n}.change_yoy…`, `{n}.change_qoq…`) to both quarters' totals;
- a share (`{key}.value`, `{key}.change_yoy…`) to its categories and their total in the
  quarters it compares;
- the hosting concentration (`hosting.…`) to the hosting totals of both quarters and the
  largest country's cell.

Names that only count members, name quarters or name things (`.members`, `.base_quarter`,
`.name`) print as drafted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from rendering.chapters.core import Edition
from rendering.formatting import SUPPRESSED
from rendering.judgements import CATEGORY_COUNTS, SHARES, short_name
from transforms.periods import shift_quarter

HOSTING = ("HL_URLS_CONFIRMED", "hosting_country")
NAMED = re.compile(r"\{\s*([A-Za-z0-9_]+\.[A-Za-z0-9_.]+)\s*\}")  # as texts write it: {n.value}
UNGUARDED = ("name", "members", "members_expected", "members_trend", "base_quarter",
             "trend_start", "coverage")


def gate_named_values(edition: Edition, values: Mapping[str, str], used: Iterable[str]
                      ) -> tuple[dict[str, str], list[str]]:
    """The values as this edition may print them, and the names it turned into `c`.

    Only the figures behind `used` names are looked at (and so protected and logged): a
    name nothing prints needs no gate."""
    quarter = edition.quarter
    bases = {"yoy": shift_quarter(quarter, -4), "qoq": shift_quarter(quarter, -1)}
    gated = dict(values)

    def hide(names: Iterable[str]) -> None:
        for name in names:
            if name in gated and not _unguarded(name):
                gated[name] = SUPPRESSED

    def hidden_in(indicator: str, quarters: list[str], dimension: str = "",
                  categories: tuple[str, ...] = ()) -> bool:
        cells = edition.series(indicator, quarters, dimension)
        if categories:
            cells = cells[cells["category"].isin(categories)]
            wanted = len(categories) * len(quarters)
            return len(cells) < wanted or cells[["value", "total"]].isna().any().any()
        return len(cells) < len(quarters) or cells["value"].isna().any()

    reported = set(edition.data.member_values["indicator"])
    indicators = {short_name(i): i for i in reported}
    wanted = {name.partition(".")[0] for name in used}
    for prefix, names in _by_prefix(values).items():
        if prefix not in wanted:
            continue
        if prefix in indicators:
            spec = (indicators[prefix], "", ())
        elif share := next((s for s in SHARES if s.key == prefix), None):
            spec = (share.indicator, share.dimension, tuple(share.categories))
        elif prefix in CATEGORY_COUNTS:
            spec = CATEGORY_COUNTS[prefix][:3]
        elif prefix.startswith("hosting_"):
            spec = (*HOSTING, (prefix.removeprefix("hosting_").upper(),))
        elif prefix == "hosting":
            spec = (*HOSTING, ())
        else:
            continue
        if spec[0] not in reported:
            continue
        if hidden_in(spec[0], [quarter], spec[1], spec[2]):
            hide(n for n in names if not _is_change(n))
        for suffix, base in bases.items():
            if hidden_in(spec[0], [quarter, base], spec[1], spec[2]):
                hide(n for n in names if _is_change(n, suffix))
        # the concentration compares with a year earlier
        if prefix == "hosting" and hidden_in(spec[0], [quarter, bases["yoy"]], spec[1]):
            hide(names)
    withheld = sorted(n for n in gated if gated[n] != values[n])
    return gated, withheld


def _by_prefix(values: Mapping[str, str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for name in values:
        prefix, dot, _ = name.partition(".")
        if dot:
            groups.setdefault(prefix, []).append(name)
    return groups


def _unguarded(name: str) -> bool:
    field = name.partition(".")[2]
    return any(field == u or field.startswith(u + "_") for u in UNGUARDED)


def _is_change(name: str, suffix: str | None = None) -> bool:
    field = name.partition(".")[2]
    if suffix is None:
        return "_yoy" in field or "_qoq" in field
    return f"_{suffix}" in field

"""The disclosure-control gate: every published number passes through `protect` first.

Rules are computed on member contributions, which the warehouse knows per cell. This first
version applies the threshold rule (a cell needs enough contributing members) and hides small
counts of sensitive indicators; the annex reports how many cells each rule hid.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

RULES_FILE = Path(__file__).parent / "disclosure_rules.toml"


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

    def describe(self) -> list[tuple[str, str]]:
        """(rule, parameters) pairs for the annex and the manifest."""
        rows = [("threshold", f"at least {self.min_contributors} contributing members per cell")]
        if self.small_count_min:
            rows.append(("small_count", f"counts below {self.small_count_min} hidden for "
                         + ", ".join(self.small_count_indicators)))
        return rows


def load_rules(edition: str, path: Path = RULES_FILE) -> DisclosureRules:
    config = tomllib.loads(path.read_text(encoding="utf-8"))
    if edition not in config:
        raise ValueError(f"no disclosure rules for edition {edition!r} in {path}")
    section = config[edition]
    return DisclosureRules(
        edition=edition, label=section["label"], tlp=section["tlp"], version=config["version"],
        min_contributors=int(section["min_contributors"]),
        small_count_min=int(section["small_count_min"]),
        small_count_indicators=tuple(section["small_count_indicators"]),
    )


@dataclass
class DisclosureLog:
    """How many cells each rule hid, per table: the annex prints counts only."""

    hidden: Counter = field(default_factory=Counter)  # (table, rule) -> cells
    published: Counter = field(default_factory=Counter)  # table -> cells

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

    `cells` needs `contributors` (members behind each cell) and `indicator`.
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
    return out

"""The reference data (members, indicator catalogue, code lists) as the repository versions it."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd

REFERENCE_FILES = (
    "VERSION", "members.csv", "indicators.csv", "dimensions.csv", "code_lists.csv",
    "indicator_dimensions.csv", "reporting_plan.csv", "reporting_deadline.csv",
    "series_breaks.csv",
)
SECTORS = {"hotline", "payment", "law_enforcement", "industry", "ngo"}
UNITS = {"count", "EUR", "days", "hours", "percent"}
STATUSES = {"A", "E", "P", "B", "U", "M", "L"}
EXTRA_COUNTRY_CODES = {"ZZ": "Unknown", "XO": "Onion service (not attributable to a country)"}


class ReferenceDataError(ValueError):
    """The reference files in the repository contradict each other."""


def read_reference(reference_dir: Path) -> dict[str, pd.DataFrame]:
    """Read and cross-check the reference CSVs; the country list comes from pycountry."""
    import pycountry

    def read(name: str) -> pd.DataFrame:
        return pd.read_csv(reference_dir / name, dtype=str, keep_default_na=False)

    members = read("members.csv")
    indicators = read("indicators.csv")
    dimensions = read("dimensions.csv")
    code_lists = read("code_lists.csv")
    indicator_dimensions = read("indicator_dimensions.csv")
    plan = read("reporting_plan.csv")
    deadline = read("reporting_deadline.csv")
    breaks = read("series_breaks.csv")

    countries = pd.DataFrame(
        [(c.alpha_2, c.name) for c in pycountry.countries] + list(EXTRA_COUNTRY_CODES.items()),
        columns=["code", "label"],
    ).assign(code_list="country")
    code_lists = pd.concat([code_lists, countries[["code_list", "code", "label"]]],
                           ignore_index=True)

    problems = []
    if bad := sorted(set(members["sector"]) - SECTORS):
        problems.append(f"members.csv has unknown sectors {bad}")
    sector_lists = indicators["sectors"].str.split("|")
    if bad := sorted({s for sectors in sector_lists for s in sectors} - SECTORS):
        problems.append(f"indicators.csv has unknown sectors {bad}")
    if bad := sorted(set(indicators["unit"]) - UNITS):
        problems.append(f"indicators.csv has unknown units {bad}")
    if "max_value" not in indicators:
        problems.append("indicators.csv has no max_value column")
    elif bad := sorted(indicators.loc[
            ~(pd.to_numeric(indicators["max_value"], errors="coerce") > 0), "indicator"]):
        problems.append(f"indicators.csv needs a positive max_value for {bad}")
    if bad := sorted(set(indicator_dimensions["indicator"]) - set(indicators["indicator"])):
        problems.append(f"indicator_dimensions.csv names unknown indicators {bad}")
    if bad := sorted(set(indicator_dimensions["dimension"]) - set(dimensions["dimension"])):
        problems.append(f"indicator_dimensions.csv names unknown dimensions {bad}")
    if bad := sorted(set(dimensions["code_list"]) - set(code_lists["code_list"])):
        problems.append(f"dimensions.csv names code lists that do not exist {bad}")
    if bad := sorted(set(plan["member_id"]) - set(members["member_id"])):
        problems.append(f"reporting_plan.csv names unknown members {bad}")
    if bad := sorted(set(plan["indicator"]) - set(indicators["indicator"])):
        problems.append(f"reporting_plan.csv names unknown indicators {bad}")
    if list(deadline.columns) != ["due_days"] or len(deadline) != 1 \
            or not deadline["due_days"].str.fullmatch(r"\d{1,3}").all():
        problems.append("reporting_deadline.csv must hold one row: due_days, a whole number "
                        "of days after a period ends")
    if problems:
        raise ReferenceDataError(f"reference data in {reference_dir}: " + "; ".join(problems))

    return {
        "members": members,
        "indicators": indicators.assign(
            sectors=sector_lists, is_additive=indicators["additive"].str.lower() == "true"
        ).drop(columns="additive"),
        "dimensions": dimensions,
        "code_lists": code_lists.drop_duplicates(["code_list", "code"]),
        "indicator_dimensions": indicator_dimensions.assign(
            is_exhaustive=indicator_dimensions["exhaustive"].str.lower() == "true"
        ).drop(columns="exhaustive"),
        "reporting_plan": plan,
        "reporting_deadline": deadline.astype({"due_days": "int64"}),
        "series_breaks": breaks.replace({"member_id": {"": None}}),
    }


def catalogue_version(reference_dir: Path) -> str:
    return (reference_dir / "VERSION").read_text(encoding="utf-8").strip()


@dataclass(frozen=True)
class Catalogue:
    """Lookups that judging a submission needs, derived from the reference tables."""

    version: str
    sector_of_member: dict[str, str]
    unit_of_indicator: dict[str, str]
    additive_indicators: frozenset[str]    # may be summed; medians and distinct counts may not
    sector_indicators: frozenset[str]      # "sector|INDICATOR"
    indicator_dimensions: frozenset[str]   # "INDICATOR|dimension", "INDICATOR|" for totals
    exhaustive: frozenset[str]             # "INDICATOR|dimension" whose categories sum to the total
    code_list_of_dimension: dict[str, str]
    dimension_categories: frozenset[str]   # "dimension|code"
    # The largest value a member could plausibly report for an indicator, in its unit: above
    # it a figure is a typing or unit error (and could break the statistics), not news.
    max_value_of_indicator: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_tables(cls, version: str, tables: dict[str, pd.DataFrame]) -> Catalogue:
        indicators = tables["indicators"]
        pairs = tables["indicator_dimensions"]
        dims = tables["dimensions"]
        codes = tables["code_lists"]
        codes_by_list = codes.groupby("code_list")["code"].apply(list).to_dict()
        dimension_categories = {
            f"{row.dimension}|{code}"
            for row in dims.itertuples() for code in codes_by_list.get(row.code_list, [])
        }
        return cls(
            version=version,
            sector_of_member=dict(zip(tables["members"]["member_id"],
                                      tables["members"]["sector"], strict=True)),
            unit_of_indicator=dict(zip(indicators["indicator"], indicators["unit"], strict=True)),
            additive_indicators=frozenset(indicators.loc[indicators["is_additive"], "indicator"]),
            sector_indicators=frozenset(
                f"{sector}|{row.indicator}"
                for row in indicators.itertuples() for sector in row.sectors),
            indicator_dimensions=frozenset(
                [f"{i}|" for i in indicators["indicator"]]
                + [f"{r.indicator}|{r.dimension}" for r in pairs.itertuples()]),
            exhaustive=frozenset(
                f"{r.indicator}|{r.dimension}" for r in pairs.itertuples() if r.is_exhaustive),
            code_list_of_dimension=dict(zip(dims["dimension"], dims["code_list"], strict=True)),
            dimension_categories=frozenset(dimension_categories),
            max_value_of_indicator=dict(zip(indicators["indicator"],
                                            indicators["max_value"].astype(float), strict=True)),
        )


@cache
def load_catalogue(reference_dir: Path) -> Catalogue:
    """The catalogue read from `reference_dir` (read once per process)."""
    return Catalogue.from_tables(catalogue_version(reference_dir), read_reference(reference_dir))

"""The member-months case of issue 16: one CSV per member and month, as a member's own export.

Run: python benchmarks/member_months.py OUT_DIR [--seed N] [--months 120] [--last-month 2026-09]

13 members that report monthly (the hotlines, the monthly payment members and industry), each
sending one file per month of about 275 rows: the total of every indicator its reporting plan
lists monthly, and every breakdown the catalogue allows for it (countries, site types, payment
methods, …). 120 months make 428,760 observations in 1,560 files. Written from reference/ alone,
independently of sample_generator: files as a member's data team would build them against
CONTRACT.md, each one accepted (parts of an exhaustive breakdown sum to the total, ZZ takes a
country breakdown's rest; no category exceeds its total; counts whole; series smooth enough for
the warehouse's plausibility rule). Seeded: the same arguments write the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from efc.settings import REPO_ROOT  # noqa: E402

MEMBERS = ("hl-north", "hl-west", "hl-south", "hl-east", "hl-central", "hl-isles",
           "pay-cardnet", "pay-wallet", "pay-remit", "pay-vasp",
           "ind-imagehost", "ind-isp", "ind-social")
OBSERVATIONS_PER_MONTH = 3573  # x 120 months = 428,760, the case
UNKNOWN_COUNTRY = "ZZ"
HEADER = ["member_id", "period", "indicator", "dimension", "category", "value", "unit",
          "status", "note"]
# A child's total as a share (low, high) of its parent's, so that the warehouse's rules across
# indicators hold (assessed <= received, commercial <= confirmed, terminated <= reviewed); the
# value of flagged transactions as euro per flagged transaction.
SHARE_OF: dict[str, tuple[str, float, float]] = {
    "HL_REPORTS_ASSESSED": ("HL_REPORTS_RECEIVED", 0.88, 0.97),
    "HL_URLS_CONFIRMED": ("HL_REPORTS_ASSESSED", 0.45, 0.85),
    "HL_URLS_COMMERCIAL": ("HL_URLS_CONFIRMED", 0.08, 0.25),
    "HL_PAYMENT_OPTIONS_SEEN": ("HL_URLS_COMMERCIAL", 0.5, 0.85),
    "HL_URLS_PAYMENT_HIDDEN": ("HL_URLS_COMMERCIAL", 0.05, 0.3),
    "HL_DISGUISED_SITES": ("HL_URLS_CONFIRMED", 0.01, 0.05),
    "HL_HIDDEN_SERVICES_NEW": ("HL_URLS_CONFIRMED", 0.002, 0.01),
    "HL_UNIQUE_DOMAINS": ("HL_URLS_CONFIRMED", 0.05, 0.2),
    "HL_NTD_NOTICES_SENT": ("HL_URLS_CONFIRMED", 0.6, 0.95),
    "HL_TAKEDOWN_BY_BUCKET": ("HL_NTD_NOTICES_SENT", 0.9, 1.0),
    "HL_REFERRALS_TO_LE": ("HL_URLS_CONFIRMED", 0.05, 0.2),
    "PAY_MERCHANTS_TERMINATED": ("PAY_MERCHANT_REVIEWS", 0.2, 0.6),
    "PAY_SAR_FILED": ("PAY_FLAGGED_TXN_COUNT", 0.05, 0.2),
    "IND_ITEMS_REMOVED": ("IND_NOTICES_RECEIVED", 0.7, 0.98),
    "PAY_FLAGGED_TXN_VALUE": ("PAY_FLAGGED_TXN_COUNT", 30.0, 120.0),  # euro per transaction
}
# Typical monthly totals of the indicators no share derives (count, or the unit's figure).
LEVEL: dict[str, float] = {
    "HL_REPORTS_RECEIVED": 6000, "HL_MEDIAN_TAKEDOWN_DAYS": 3.0, "NGO_PARTICIPANTS_TRAINED": 80,
    "PAY_TEST_PURCHASES": 60, "PAY_MERCHANT_REVIEWS": 120, "PAY_FLAGGED_TXN_COUNT": 2500,
    "PAY_MEDIAN_TXN_EUR": 45.0, "PAY_CRYPTO_ALERT_HITS": 300, "IND_NOTICES_RECEIVED": 4000,
    "IND_MEDIAN_REMOVAL_HOURS": 20.0, "IND_HASH_MATCH_BLOCKS": 150000,
}


@dataclass(frozen=True)
class Catalogue:
    """What the generator reads of reference/: one plain dict per question."""

    monthly_indicators: dict[str, list[str]]  # member -> its plan's monthly indicators
    unit: dict[str, str]
    additive: dict[str, bool]
    dimensions: dict[str, list[tuple[str, bool]]]  # indicator -> [(dimension, exhaustive)]
    codes: dict[str, list[str]]  # dimension -> its code list's codes (countries without ZZ)
    country_dimensions: frozenset[str]


@dataclass(frozen=True)
class Inbox:
    observations: int
    files: int


def read_catalogue(reference_dir: Path) -> Catalogue:
    def rows(name: str) -> list[dict[str, str]]:
        with open(reference_dir / name, newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    plan: dict[str, list[str]] = {m: [] for m in MEMBERS}
    for row in rows("reporting_plan.csv"):
        if row["member_id"] in plan and row["frequency"] == "month":
            plan[row["member_id"]].append(row["indicator"])
    indicators = rows("indicators.csv")
    dimensions: dict[str, list[tuple[str, bool]]] = {i["indicator"]: [] for i in indicators}
    for row in rows("indicator_dimensions.csv"):
        dimensions[row["indicator"]].append((row["dimension"], row["exhaustive"] == "true"))
    lists: dict[str, list[str]] = {}
    for row in rows("code_lists.csv"):
        lists.setdefault(row["code_list"], []).append(row["code"])
    lists["country"] = [row["country"] for row in rows("m49_regions.csv")
                        if row["country"] != UNKNOWN_COUNTRY]
    code_list = {row["dimension"]: row["code_list"] for row in rows("dimensions.csv")}
    return Catalogue(plan, {i["indicator"]: i["unit"] for i in indicators},
                     {i["indicator"]: i["additive"] == "true" for i in indicators},
                     dimensions, {d: lists[c] for d, c in code_list.items()},
                     frozenset(d for d, c in code_list.items() if c == "country"))


def months_ending(last_month: str, count: int) -> list[str]:
    year, month = map(int, last_month.split("-"))
    last = year * 12 + month - 1
    return [f"{m // 12}-{m % 12 + 1:02d}" for m in range(last - count + 1, last + 1)]


def country_breakdowns(member: str, catalogue: Catalogue) -> list[tuple[str, str]]:
    return [(indicator, dimension) for indicator in catalogue.monthly_indicators[member]
            for dimension, _ in catalogue.dimensions[indicator]
            if dimension in catalogue.country_dimensions]


def fixed_rows(member: str, catalogue: Catalogue) -> int:
    """Rows of a member's file that do not depend on how many countries it names."""
    return sum(1 + sum(len(catalogue.codes[d]) for d, _ in catalogue.dimensions[indicator]
                       if d not in catalogue.country_dimensions)
               for indicator in catalogue.monthly_indicators[member])


def countries_per_breakdown(rng: np.random.Generator, catalogue: Catalogue) -> dict:
    """(member, indicator, dimension) -> how many categories (ZZ included) it lists this month,
    so that the month's 13 files hold OBSERVATIONS_PER_MONTH rows together."""
    breakdowns = [(m, i, d) for m in MEMBERS for i, d in country_breakdowns(m, catalogue)]
    rest = OBSERVATIONS_PER_MONTH - sum(fixed_rows(m, catalogue) for m in MEMBERS)
    each, extra = divmod(rest, len(breakdowns))
    if not 1 <= each < len(catalogue.codes["hosting_country"]):
        raise ValueError(f"{rest} country rows do not fit {len(breakdowns)} breakdowns")
    more = set(rng.choice(len(breakdowns), size=extra, replace=False).tolist())
    return {b: each + (n in more) for n, b in enumerate(breakdowns)}


def member_totals(rng: np.random.Generator, member: str, catalogue: Catalogue,
                  months: int) -> dict[str, np.ndarray]:
    """Each monthly indicator's totals over the months: a member-sized level, a gentle trend,
    a season and a few percent of noise (well inside the warehouse's 3x plausibility band)."""
    size = rng.lognormal(0.0, 0.6)
    t = np.arange(months)
    growth = rng.uniform(-0.02, 0.08)
    season = 1 + rng.uniform(0.0, 0.08) * np.sin(2 * np.pi * (t + rng.integers(12)) / 12)
    shape = (1 + growth) ** (t / 12) * season

    totals: dict[str, np.ndarray] = {}
    pending = list(catalogue.monthly_indicators[member])
    while pending:  # parents first: a child's share needs its parent's figures
        indicator = pending.pop(0)
        parent = SHARE_OF.get(indicator)
        if parent is not None and parent[0] in pending:
            pending.append(indicator)
            continue
        noise = rng.lognormal(0.0, 0.05, months)
        if parent is not None and parent[0] in totals:
            share = rng.uniform(parent[1], parent[2])
            most = 1.0 if parent[2] <= 1 else np.inf  # a part of its parent never exceeds it
            base = totals[parent[0]] * np.minimum(share * noise, most) / noise
        elif indicator in LEVEL and catalogue.unit[indicator] != "count":
            base = np.full(months, LEVEL[indicator] * rng.uniform(0.6, 1.6))
        else:
            base = LEVEL.get(indicator, 500) * size * shape
        totals[indicator] = rounded(base * noise, catalogue.unit[indicator])
    return totals


def rounded(values: np.ndarray, unit: str) -> np.ndarray:
    if unit == "count":
        return np.maximum(np.round(values), 1.0)
    return np.round(values, 2 if unit == "EUR" else 1)


def split(rng: np.random.Generator, total: float, weights: np.ndarray, unit: str) -> np.ndarray:
    """Parts that sum exactly to the total: whole counts, or cents for euro."""
    scale = 100 if unit == "EUR" else 1
    parts = rng.multinomial(int(round(total * scale)), weights / weights.sum())
    return parts / scale


def breakdown(rng: np.random.Generator, indicator: str, dimension: str, exhaustive: bool,
              total: float, categories: list[str], catalogue: Catalogue) -> list[tuple]:
    """(category, value) rows of one breakdown of one total."""
    unit = catalogue.unit[indicator]
    weights = rng.dirichlet(np.full(len(categories), 0.8))
    if not catalogue.additive[indicator]:  # medians and distinct counts: no part sums up
        values = rounded(total * rng.uniform(0.5, 1.6, len(categories)), unit)
    elif exhaustive:
        values = split(rng, total, weights, unit)
    else:  # a URL counts under every option it shows: each option within the total
        values = rng.binomial(int(total), np.minimum(weights * 2.5, 1.0)).astype(float)
    return list(zip(categories, values.tolist(), strict=True))


def text(value: float, unit: str) -> str:
    if unit == "count":
        return str(int(value))
    return f"{value:.2f}" if unit == "EUR" else f"{value:.1f}"


def file_rows(rng: np.random.Generator, member: str, period: str, month: int,
              totals: dict[str, np.ndarray], countries: dict, catalogue: Catalogue
              ) -> Iterator[list[str]]:
    for indicator in catalogue.monthly_indicators[member]:
        unit = catalogue.unit[indicator]
        total = float(totals[indicator][month])
        yield [member, period, indicator, "", "", text(total, unit), unit, "A", ""]
        for dimension, exhaustive in catalogue.dimensions[indicator]:
            categories = catalogue.codes[dimension]
            if (member, indicator, dimension) in countries:
                named = countries[(member, indicator, dimension)] - 1
                categories = sorted(rng.choice(categories, size=named, replace=False).tolist())
                categories.append(UNKNOWN_COUNTRY)
            for category, value in breakdown(rng, indicator, dimension, exhaustive, total,
                                             categories, catalogue):
                yield [member, period, indicator, dimension, category, text(value, unit),
                       unit, "A", ""]


def write_inbox(out_dir: Path, *, seed: int = 20261128, months: int = 120,
                last_month: str = "2026-09", reference_dir: Path = REPO_ROOT / "reference"
                ) -> Inbox:
    """Write OUT_DIR/<member>/efc-<member>-<YYYY-MM>.csv for the months ending at last_month."""
    catalogue = read_catalogue(reference_dir)
    periods = months_ending(last_month, months)
    totals = {member: member_totals(np.random.default_rng([seed, 1, n]), member, catalogue,
                                    months) for n, member in enumerate(MEMBERS)}
    observations = files = 0
    for month, period in enumerate(periods):
        countries = countries_per_breakdown(np.random.default_rng([seed, 2, month]), catalogue)
        for n, member in enumerate(MEMBERS):
            rng = np.random.default_rng([seed, 3, month, n])
            rows = list(file_rows(rng, member, period, month, totals[member], countries,
                                  catalogue))
            path = out_dir / member / f"efc-{member}-{period}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(HEADER)
                writer.writerows(rows)
            observations += len(rows)
            files += 1
    return Inbox(observations, files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--last-month", default="2026-09")
    args = parser.parse_args(argv)
    inbox = write_inbox(args.out_dir, seed=args.seed, months=args.months,
                        last_month=args.last_month)
    print(json.dumps({"observations": inbox.observations, "files": inbox.files}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Seeded, invented member submissions that look and misbehave like the real inbox.

Everything here is invented: member names, magnitudes (calibrated on DOMAIN.md's public
aggregates) and the stories a real quarter would hold, each planted in counts: payments moving
from cards to virtual assets (hotline sightings, payment providers' alerts, the VASP's own
figures), a hosting country entering the top ten with a several-fold rise in the last quarter,
a live-streaming signal across police and payment data (cases, small remittances), series
breaks, members that join part-way and one that stops, a late correction and a few faulty
files. Each file also gets the time it "arrived" (`arrivals.csv`: most on time against the
reporting plan's due date, some late, one very late), which the demo replays.
The output is byte-stable for a given seed, so `data/sample` can be committed and the
end-to-end tests can compare against figures recomputed from it.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import math
import time
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from transforms.catalogue import read_reference
from transforms.parsing import COLUMNS
from transforms.periods import Period, month_period, parse_period

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "reference"

FULL_COLUMNS = COLUMNS  # the contract's columns, in its order
COUNTRY_DIMENSIONS = frozenset(
    {"hosting_country", "recipient_country", "merchant_country", "beneficiary_country"}
)
# Minor units per unit: values are simulated as integers so that breakdowns sum exactly.
UNIT_SCALE = {"count": 1, "EUR": 100, "days": 10, "hours": 10, "percent": 10}
# Fixed stamp for XLSX properties and zip entries: the same seed must give the same bytes.
FIXED_STAMP = dt.datetime(2026, 10, 1, 8, 0, 0)

Block = tuple[str, str, tuple[str, ...], np.ndarray]
"""(indicator, dimension, categories, values[n_months, n_categories]) in minor units.

A total is a block with dimension '' and the single category ''.
"""


# ------------------------------------------------------------------ periods


def period_of(text: str) -> Period:
    """A `YYYY-MM` or `YYYY-Qn` label that the generator itself wrote (so it always parses)."""
    period = parse_period(text)
    if period is None:
        raise ValueError(f"{text!r} is not a period of the form YYYY-MM or YYYY-Qn")
    return period


def month_label(index: int) -> str:
    return month_period(index).text


def quarter_label(index: int) -> str:
    """Quarter (`YYYY-Qn`) holding the month `index`."""
    return month_period(index).quarter


def month_end(index: int) -> dt.date:
    """The last day of the month `index`."""
    return month_period(index + 1).start - dt.timedelta(days=1)


@dataclass(frozen=True)
class Window:
    """The months simulated: `years` whole years ending with the last month of `last_quarter`."""

    first: int
    last: int

    @property
    def n(self) -> int:
        return self.last - self.first + 1

    @property
    def index(self) -> np.ndarray:
        return np.arange(self.first, self.last + 1)

    @property
    def t(self) -> np.ndarray:
        """Position in the window, 0 at the first month and 1 at the last: trends run on it."""
        return (self.index - self.first) / max(self.n - 1, 1)

    @property
    def month_of_year(self) -> np.ndarray:
        return self.index % 12 + 1


def make_window(last_quarter: str, years: int) -> Window:
    if years < 1:
        raise ValueError("years must be at least 1")
    last = period_of(last_quarter).last_month
    return Window(first=last - 12 * years + 1, last=last)


# ------------------------------------------------------------------ file styles


@dataclass(frozen=True)
class FileStyle:
    """How one member exports: format, encoding, separator, numbers, columns, file name."""

    kind: str = "csv"  # csv | xlsx | json
    name: str = "{period}.csv"  # fields: period, year, month, quarter
    encoding: str = "utf-8"  # utf-8 | utf-8-sig | utf-16 (LE with BOM) | cp1252
    delimiter: str = ","
    newline: str = "\n"
    decimal_comma: bool = False
    eur_thousands: bool = False
    columns: tuple[str, ...] = FULL_COLUMNS
    explicit_status: bool = True  # write `A` for normal rows rather than leaving status empty
    write_unit: bool = True  # unit column present but left empty when False
    title: str | None = None  # XLSX: a title row and a blank row above the header
    notes_sheet: str | None = None  # XLSX: a first sheet before `data`
    months_per_file: int = 1  # 3 = one file per quarter holding three monthly periods
    december_with_january: bool = False  # December sent together with January
    json_period_per_observation: bool = False
    json_omit_empty: bool = False  # JSON: no dimension/category keys on totals


STYLES: dict[str, FileStyle] = {
    "hl-north": FileStyle(name="hotline-stats-{period}.csv"),
    "hl-west": FileStyle(
        name="{period}_stats.csv", encoding="utf-8-sig", newline="\r\n", explicit_status=False
    ),
    "hl-south": FileStyle(
        name="statistiche_{period}.csv",
        encoding="cp1252",
        delimiter=";",
        newline="\r\n",
        decimal_comma=True,
    ),
    "hl-east": FileStyle(
        kind="json",
        name="{period}.json",
        json_omit_empty=True,
        columns=("indicator", "dimension", "category", "value", "status", "note"),
    ),
    "pay-cardnet": FileStyle(
        kind="xlsx",
        name="cardnet_efc_{period}.xlsx",
        title="CardNet Europe Scheme: EFC monthly statistics",
    ),
    "pay-wallet": FileStyle(
        name="EFC_{year}{month}.csv",
        encoding="cp1252",
        delimiter=";",
        newline="\r\n",
        decimal_comma=True,
        eur_thousands=True,
        explicit_status=False,
        december_with_january=True,
    ),
    "pay-remit": FileStyle(
        name="remit_{period}.csv", delimiter="\t", eur_thousands=True, columns=FULL_COLUMNS[:-1]
    ),
    "le-alpha": FileStyle(
        name="lagebild_{year}_Q{quarter}.csv",
        encoding="utf-16",
        delimiter="\t",
        newline="\r\n",
        explicit_status=False,
        columns=(
            "member_id",
            "period",
            "indicator",
            "value",
            "unit",
            "dimension",
            "category",
            "status",
            "note",
        ),
    ),
    "le-beta": FileStyle(
        name="statistiques_{year}T{quarter}.csv",
        encoding="cp1252",
        delimiter=";",
        decimal_comma=True,
    ),
    "le-gamma": FileStyle(
        kind="json",
        name="efc_{period}.json",
        json_period_per_observation=True,
        columns=("period", "indicator", "dimension", "category", "value", "unit", "status", "note"),
    ),
    "ind-imagehost": FileStyle(
        kind="xlsx",
        name="imagehost_{period}.xlsx",
        columns=FULL_COLUMNS[:7],
        notes_sheet="Monthly export of the trust and safety dashboard; figures on sheet data.",
    ),
    "ind-isp": FileStyle(
        name="isp_{year}-Q{quarter}_monthly.csv",
        newline="\r\n",
        columns=FULL_COLUMNS[:6],
        months_per_file=3,
    ),
    "ngo-helpline": FileStyle(
        name="helpline_{period}.csv", explicit_status=False, write_unit=False
    ),
    "hl-central": FileStyle(name="monthly_report_{period}.csv", explicit_status=False),
    "hl-isles": FileStyle(
        kind="json",
        name="isles-{period}.json",
        json_period_per_observation=True,
        columns=("period", "indicator", "dimension", "category", "value", "status", "note"),
    ),
    "pay-cardplus": FileStyle(
        name="cardplus_{year}-Q{quarter}.csv", delimiter=";", decimal_comma=True
    ),
    "pay-acquirer": FileStyle(
        kind="json",
        name="acquirer-{year}-Q{quarter}.json",
        columns=("indicator", "dimension", "category", "value", "unit", "status", "note"),
    ),
    "pay-vasp": FileStyle(
        name="vasp_report_{period}.csv", delimiter="\t", columns=FULL_COLUMNS[:-1]
    ),
    "le-delta": FileStyle(
        name="delta_{year}-Q{quarter}.csv",
        delimiter=";",
        newline="\r\n",
        decimal_comma=True,
        eur_thousands=True,
    ),
    "le-epsilon": FileStyle(
        kind="xlsx",
        name="epsilon_{year}_Q{quarter}.xlsx",
        title="Epsilon Child Exploitation Unit: quarterly return to the coalition",
    ),
    "ind-search": FileStyle(name="search_{year}Q{quarter}.csv", columns=FULL_COLUMNS[:7]),
    "ind-social": FileStyle(
        kind="json",
        name="social_{period}.json",
        json_omit_empty=True,
        columns=("indicator", "dimension", "category", "value", "unit", "note"),
    ),
    "ngo-survivors": FileStyle(
        name="survivors_{year}Q{quarter}.csv", encoding="utf-8-sig", explicit_status=False
    ),
}


def scaled_style(style: FileStyle) -> FileStyle:
    """How a benchmark clone exports: its original's dialect, but one file per quarter and no XLSX.

    Writing tens of thousands of small files (and openpyxl workbooks) would dominate the run time.
    """
    kind = "csv" if style.kind == "xlsx" else style.kind
    extension = {"csv": ".csv", "json": ".json"}[kind]
    columns = style.columns
    if kind == "json" and "period" not in columns:  # a quarter's file: each row names its month
        columns = ("period", *columns)
    return replace(
        style,
        kind=kind,
        columns=columns,
        name="batch_{period}" + extension,
        title=None,
        notes_sheet=None,
        months_per_file=3,
        december_with_january=False,
        json_period_per_observation=style.json_period_per_observation or kind == "json",
    )


# ------------------------------------------------------------------ simulation helpers

# The stories gather pace over the window's last nine months, so its last quarter shows them
# in counts against the quarter before and the same quarter a year earlier, not only in shares.
STORY_MONTHS = 9


def level_path(
    rng: np.random.Generator,
    w: Window,
    level: float,
    *,
    trend: float = 1.0,
    amp: float = 0.06,
    noise: float = 0.05,
) -> np.ndarray:
    """Expected monthly value: `level` at the start, `trend` times that at the end, noisy."""
    phase = rng.uniform(0.0, 2 * math.pi)
    season = 1.0 + amp * np.sin(2 * math.pi * (w.month_of_year - 1) / 12 + phase)
    return level * trend**w.t * season * rng.lognormal(0.0, noise, w.n)


def surge(w: Window, factor: float, months: int = STORY_MONTHS) -> np.ndarray:
    """1 until the window's last `months` months, then moving geometrically to `factor` at its
    last month: a story that gathers pace (factor > 1) or fades (factor < 1) lately."""
    progress = np.clip((w.index - (w.last - months)) / months, 0.0, 1.0)
    return factor**progress


def step(w: Window, month: str | None, factor: float) -> np.ndarray:
    """`factor` from `month` on and 1 before: a series break (1 throughout without a month)."""
    if month is None:
        return np.ones(w.n)
    return np.where(w.index >= period_of(month).first_month, factor, 1.0)


def draw_counts(rng: np.random.Generator, mean: np.ndarray) -> np.ndarray:
    return rng.poisson(np.maximum(mean, 0.0)).astype(np.int64)


def draw_binomial(
    rng: np.random.Generator, n: np.ndarray, p: np.ndarray | float, noise: float = 0.03
) -> np.ndarray:
    """A part of `n` (assessed of received, confirmed of assessed): never exceeds it."""
    p = np.clip(np.broadcast_to(p, n.shape) * rng.lognormal(0.0, noise, n.shape), 0.0, 1.0)
    return rng.binomial(n, p).astype(np.int64)


Table = dict[str, float | tuple[float, float]]
"""Weights per category: a constant, or (at the start, at the end of the window)."""


def trajectory(table: Table, w: Window) -> tuple[tuple[str, ...], np.ndarray]:
    """Weights per month and category, moving linearly from the start to the end value."""
    codes = tuple(table)
    pairs = [v if isinstance(v, tuple) else (v, v) for v in table.values()]
    s = np.array([a for a, _ in pairs], dtype=float)
    e = np.array([b for _, b in pairs], dtype=float)
    return codes, s[None, :] * (1 - w.t)[:, None] + e[None, :] * w.t[:, None]


def surged(
    w: Window, codes: tuple[str, ...], weights: np.ndarray, factors: dict[str, float]
) -> np.ndarray:
    """Weights with each named category's column multiplied by its `surge`."""
    weights = weights.copy()
    for code, factor in factors.items():
        weights[:, codes.index(code)] *= surge(w, factor)
    return weights


def mix(
    rng: np.random.Generator,
    w: Window,
    table: Table,
    *,
    member_sd: float = 0.15,
    period_sd: float = 0.08,
    surges: dict[str, float] | None = None,
) -> tuple[tuple[str, ...], np.ndarray]:
    """Category probabilities per month along `table`, perturbed per member and per month;
    `surges` lets some categories gather pace lately (see `surge`)."""
    codes, weights = trajectory(table, w)
    weights = surged(w, codes, weights, surges or {})
    weights = weights * rng.lognormal(0.0, member_sd, len(codes))[None, :]
    weights = weights * rng.lognormal(0.0, period_sd, weights.shape)
    return codes, normalise(weights)


def normalise(weights: np.ndarray) -> np.ndarray:
    """Rows summing to one; an all-zero row becomes uniform (its total is zero anyway)."""
    sums = weights.sum(axis=1, keepdims=True)
    uniform = np.full_like(weights, 1.0 / weights.shape[1])
    return np.where(sums > 0, weights / np.where(sums > 0, sums, 1.0), uniform)


def split(rng: np.random.Generator, totals: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Exhaustive breakdown: integer parts that sum exactly to each total."""
    return rng.multinomial(totals, probs).astype(np.int64)


def total_block(indicator: str, values: np.ndarray) -> Block:
    return indicator, "", ("",), values.reshape(-1, 1).astype(np.int64)


def breakdown(
    rng: np.random.Generator,
    indicator: str,
    dimension: str,
    totals: np.ndarray,
    codes_probs: tuple[tuple[str, ...], np.ndarray],
) -> Block:
    codes, probs = codes_probs
    return indicator, dimension, codes, split(rng, totals, probs)


def medians(
    rng: np.random.Generator,
    w: Window,
    level: float,
    scale: int,
    *,
    trend: float = 1.0,
    noise: float = 0.08,
) -> np.ndarray:
    """A median in minor units (tenths of a day, cents): positive, never summed."""
    values = level * trend**w.t * rng.lognormal(0.0, noise, w.n)
    return np.maximum(np.round(values * scale), 1).astype(np.int64)


def median_breakdown(
    rng: np.random.Generator,
    indicator: str,
    dimension: str,
    total: np.ndarray,
    factors: dict[str, float],
) -> Block:
    """Medians per category around the overall one; a category's may well exceed the total's."""
    codes = tuple(factors)
    if len(codes) == 1:  # one category is the whole population: its median is the total's
        return indicator, dimension, codes, total.reshape(-1, 1).copy()
    f = np.array([factors[c] for c in codes])
    values = total[:, None] * f[None, :] * rng.lognormal(0.0, 0.12, (len(total), len(codes)))
    return indicator, dimension, codes, np.maximum(np.round(values), 1).astype(np.int64)


# ------------------------------------------------------------------ hosting and other mixes

# Share of confirmed URLs by hosting country, percent (start, end of window): NL loses its
# lead as a few image hosts relocate, BG and HK rise (DOMAIN.md, 2020-2024).
HOSTING = {
    "NL": (45.0, 29.0),
    "US": (12.0, 14.0),
    "BG": (4.0, 10.0),
    "HK": (3.5, 9.0),
    "RO": (6.0, 7.0),
    "MY": (4.0, 5.0),
    "LT": (3.0, 2.8),
    "PL": (3.0, 2.8),
    "CZ": (3.0, 2.7),
    "LV": (2.5, 2.9),
    "DE": (2.4, 1.5),
    "FR": (1.5, 1.0),
    "RU": (2.4, 1.5),
    "UA": (1.0, 1.0),
    "CA": (1.2, 0.8),
    "GB": (0.8, 0.6),
    "SG": (0.6, 0.8),
    "JP": (0.5, 0.4),
    "TR": (0.5, 0.6),
    "SK": (0.4, 0.5),
    "HU": (0.3, 0.4),
    "MD": (0.3, 0.6),
    "IS": (0.2, 0.3),
    "PA": (0.2, 0.4),
    "VN": (0.2, 0.5),
    "SC": (0.3, 0.3),
    # The long tail: countries hosting a fraction of a percent each, as in any hotline's
    # hosting table (the top ten held 83% in 2024, not all of it).
    "SE": (0.3, 0.2),
    "CH": (0.3, 0.2),
    "ES": (0.2, 0.2),
    "IT": (0.2, 0.2),
    "AT": (0.2, 0.15),
    "LU": (0.2, 0.15),
    "RS": (0.15, 0.2),
    "EE": (0.15, 0.15),
    "CY": (0.1, 0.15),
    "KZ": (0.1, 0.2),
    "IN": (0.15, 0.2),
    "TH": (0.15, 0.2),
    "ID": (0.1, 0.15),
    "KR": (0.2, 0.15),
    "AU": (0.2, 0.15),
    "BR": (0.15, 0.2),
    "ZA": (0.1, 0.1),
    "BZ": (0.1, 0.15),
    "ZZ": (1.0, 1.0),
    "XO": (2.0, 2.0),
}
# A newcomer that jumps into the top ten in the last quarter of the window only (about 0.3% of
# confirmed URLs before, 3.6% then: a rise of ten times or more in counts).
HOSTING_ENTRANT = ("SC", 3.6)


def hosting_mix(
    rng: np.random.Generator, w: Window, *, member_sd: float, exclude: Sequence[str] = ()
) -> tuple[tuple[str, ...], np.ndarray]:
    codes = tuple(sorted(c for c in HOSTING if c not in exclude))
    s = np.array([HOSTING[c][0] for c in codes])
    e = np.array([HOSTING[c][1] for c in codes])
    weights = s[None, :] * (1 - w.t)[:, None] + e[None, :] * w.t[:, None]
    entrant, share = HOSTING_ENTRANT
    if entrant in codes:
        last_quarter = w.index >= w.last - 2
        weights[last_quarter, codes.index(entrant)] = share
    weights = weights * rng.lognormal(0.0, member_sd, len(codes))[None, :]
    weights = weights * rng.lognormal(0.0, 0.05, weights.shape)
    return codes, normalise(weights)


# Site types, percent (start, end): websites gain on image hosts.
SITE_TYPE = {
    "image_host": (42, 37),
    "cyberlocker": (5, 4),
    "forum": (9, 9),
    "website": (36, 42),
    "social_network": (2, 2),
    "video_platform": (2, 2),
    "chat_messaging": (1, 1.5),
    "p2p": (0.5, 0.5),
    "hidden_service": (1.5, 1.5),
    "other": (1, 1),
}
ACCESS = {"open_web": 91, "disguised_pathway": 6, "onion_service": 3}
COMMERCIAL_SPLIT = {"commercial_direct": 31, "commercial_indirect": 69}
SOURCE_CHANNEL = {"public": 68, "proactive": 14, "police": 6, "industry": 6, "other_hotline": 6}
TAKEDOWN_SPEED = {
    "fast": {"same_day": 30, "d1_3": 34, "d4_7": 14, "d8_28": 12, "gt28": 5, "not_removed": 5},
    "typical": {"same_day": 24, "d1_3": 32, "d4_7": 16, "d8_28": 15, "gt28": 7, "not_removed": 6},
    "slow": {"same_day": 14, "d1_3": 26, "d4_7": 20, "d8_28": 20, "gt28": 10, "not_removed": 10},
    "host": {"same_day": 72, "d1_3": 23, "d4_7": 3, "d8_28": 1, "gt28": 0.5, "not_removed": 0.5},
}
REGION_FACTORS = {
    "africa": 2.8,
    "americas": 1.4,
    "asia": 2.4,
    "europe": 0.7,
    "oceania": 1.5,
    "unknown": 3.5,
}
# Probability that a URL showing payment options shows this method (start, end of window):
# cards give way to virtual currency, and faster over the last months (OPTIONS_SURGE).
OPTIONS_SHOWN = {
    "card": (0.16, 0.08),
    "bank_transfer": (0.01, 0.01),
    "money_transfer": (0.35, 0.30),
    "e_wallet": (0.04, 0.03),
    "virtual_currency": (0.56, 0.66),
    "voucher": (0.02, 0.02),
    "mobile_money": (0.0, 0.01),
    "hidden": (0.0, 0.0),
}
OPTIONS_SURGE = {"virtual_currency": 1.5, "card": 0.45}
# ... and more commercial URLs show a payment option at all.
OPTIONS_RATE_SURGE = 1.35
# Probability that a URL accepting virtual currency accepts this asset (start, end).
ASSETS_SHOWN = {
    "btc": (0.8, 0.62),
    "xmr": (0.15, 0.36),
    "eth": (0.15, 0.14),
    "usdt": (0.1, 0.21),
    "ltc": (0.08, 0.07),
    "other": (0.03, 0.04),
}
AMOUNT_MEAN_EUR = {"lt10": 6.5, "10_100": 38.0, "100_500": 190.0, "gt500": 700.0}
METHOD_AMOUNT = {
    "card": 1.2,
    "bank_transfer": 2.0,
    "money_transfer": 1.0,
    "e_wallet": 0.9,
    "virtual_currency": 1.4,
    "voucher": 0.8,
    "mobile_money": 0.6,
    "hidden": 1.0,
}
TRIGGER = {
    "test_purchase": 15,
    "hotline_notice": 25,
    "law_enforcement_request": 20,
    "transaction_monitoring": 35,
    "other": 5,
}
MERCHANT_COUNTRY = {
    "NL": 15,
    "CY": 10,
    "MT": 8,
    "US": 12,
    "HK": 10,
    "GB": 8,
    "BG": 8,
    "RO": 5,
    "SC": 4,
    "ZZ": 20,
}
# Beneficiary countries every payment provider sees a little of, beside its own corridors.
BENEFICIARY_TAIL = {
    "DE": 1.5,
    "FR": 1.5,
    "ES": 1.2,
    "IT": 1.2,
    "PL": 1.0,
    "TR": 1.0,
    "AE": 1.2,
    "TH": 1.0,
    "IN": 0.8,
    "NG": 0.8,
    "BR": 0.8,
    "MX": 0.6,
    "MA": 0.6,
}
OFFENCE = {
    "possession_distribution": 70,
    "production": 6,
    "commercial_distribution": 4,
    "livestream_purchase": 3,  # replaced by each unit's own `livestream_share`
    "extortion": 12,
    "other": 5,
}
ORIGIN = {
    "hotline": 15,
    "industry": 10,
    "foreign_law_enforcement": 8,
    "international_body": 60,
    "public": 5,
    "other": 2,
}
ASSET_TYPE = {
    "cash": 15,
    "bank_funds": 35,
    "virtual_assets": 25,
    "vehicles": 10,
    "real_estate": 5,
    "other": 10,
}
NOTIFIER_FACTORS = {
    "hotline": 0.8,
    "law_enforcement": 0.6,
    "trusted_flagger": 0.9,
    "user": 1.6,
    "other": 1.3,
}
# Helpline topics, percent (start, end): sextortion grows; live-streaming calls rise lately.
TOPIC = {
    "sextortion": (20, 30),
    "grooming": (20, 18),
    "image_sharing": (18, 17),
    "livestreaming": (5, 6),
    "commercial_offer": (3, 3),
    "advice": (27, 20),
    "other": (7, 6),
}
TOPIC_SURGE = {"livestreaming": 1.8}
AUDIENCE = {
    "law_enforcement": 15,
    "judiciary": 5,
    "industry": 10,
    "payment_sector": 10,
    "educators": 25,
    "social_workers": 15,
    "parents": 15,
    "other": 5,
}
# Crypto alert hits by asset, percent (start, end).
VIRTUAL_ASSET = {
    "btc": (55, 40),
    "xmr": (10, 20),
    "eth": (12, 12),
    "usdt": (15, 20),
    "ltc": (5, 5),
    "other": (3, 3),
}


# ------------------------------------------------------------------ member parameters

# Monthly levels at size 1 (DOMAIN.md's small / typical / large columns) and members' own mixes.
# Story keys: `surge` (flagged transactions), `crypto_surge`, `sar_surge`, `method_surges`,
# `band_surges`, `beneficiary_surges`, `asset_surges`, `livestream`: factors reached at the
# window's end (see `surge`); `livestream_share`: a police unit's weight for live-streaming cases
# before the rise (units that work with remittance data and partner countries see more of them,
# so the largest unit does not dominate the count); `proactive_from`, `new_form_from`,
# `monitoring_from`: series breaks;
# `stops_after`: the last period a member sends; `omit`: breakdowns a member does not report
# (lean members keep the sample small); `sends_after` (days after a period ends, on average)
# and `late_share`: when its files arrive.
PARAMS: dict[str, dict] = {
    "hl-north": dict(
        received=35000,
        assessed=0.94,
        confirmed=0.64,
        confirmed_trend=1.05,
        commercial=(0.105, 0.075),
        options=0.064,
        hidden=0.05,
        disguised=0.021,
        hidden_services=60,
        domains=330,
        notices=0.136,
        referrals=0.286,
        median_days=1.6,
        speed="fast",
        by_region=True,
        hosting_sd=0.0,
        trained_sessions=0.5,
        trained_size=30,
        proactive_from="2025-07",
        sends_after=6,
        late_share=0.01,
        referral_countries={
            "SE": 50,
            "US": 12,
            "DE": 6,
            "FR": 5,
            "NL": 6,
            "GB": 5,
            "NO": 4,
            "DK": 4,
            "FI": 3,
            "ZZ": 5,
        },
    ),
    "hl-west": dict(
        received=3500,
        assessed=0.86,
        confirmed=0.66,
        commercial=(0.03, 0.025),
        options=0.17,
        hidden=0.08,
        disguised=0.01,
        hidden_services=5,
        domains=80,
        notices=0.15,
        referrals=0.286,
        median_days=2.5,
        speed="typical",
        by_region=True,
        hosting_sd=0.25,
        sends_after=12,
        referral_countries={"IE": 60, "GB": 15, "US": 10, "NL": 5, "ZZ": 10},
    ),
    "hl-south": dict(
        received=1500,
        assessed=0.83,
        confirmed=0.6,
        commercial=(0.035, 0.03),
        options=0.15,
        hidden=0.08,
        disguised=0.011,
        hidden_services=2,
        domains=50,
        notices=0.17,
        referrals=0.22,
        median_days=4.0,
        speed="slow",
        by_region=False,
        hosting_sd=0.3,
        new_form_from="2024-01",
        sends_after=24,
        late_share=0.12,
        omit={("HL_URLS_COMMERCIAL", "site_type")},
        referral_countries={"IT": 70, "ES": 6, "FR": 6, "US": 8, "ZZ": 10},
    ),
    "hl-east": dict(
        received=110,
        assessed=0.9,
        confirmed=0.55,
        commercial=(0.03, 0.03),
        options=0.2,
        hidden=0.1,
        disguised=0.01,
        hidden_services=0.3,
        domains=5,
        notices=0.2,
        referrals=0.18,
        median_days=3.0,
        speed="typical",
        by_region=False,
        hosting_sd=0.35,
        sends_after=18,
        late_share=0.08,
        referral_countries={"PL": 75, "DE": 8, "CZ": 5, "US": 4, "ZZ": 8},
    ),
    "hl-central": dict(
        received=2400,
        assessed=0.88,
        confirmed=0.6,
        commercial=(0.035, 0.028),
        options=0.16,
        hidden=0.08,
        disguised=0.012,
        hidden_services=3,
        domains=60,
        notices=0.16,
        referrals=0.25,
        median_days=2.8,
        speed="typical",
        by_region=False,
        hosting_sd=0.3,
        trained_sessions=0.3,
        trained_size=20,
        sends_after=10,
        omit={
            ("HL_URLS_COMMERCIAL", "hosting_country"),
            ("HL_URLS_COMMERCIAL", "site_type"),
            ("HL_NTD_NOTICES_SENT", "hosting_country"),
            ("HL_PAYMENT_OPTIONS_SEEN", "virtual_asset"),
        },
        referral_countries={"HU": 65, "AT": 8, "DE": 8, "RO": 7, "ZZ": 12},
    ),
    "hl-isles": dict(
        received=250,
        assessed=0.9,
        confirmed=0.5,
        commercial=(0.03, 0.03),
        options=0.2,
        hidden=0.1,
        disguised=0.01,
        hidden_services=0.2,
        domains=6,
        notices=0.2,
        referrals=0.2,
        median_days=3.5,
        speed="slow",
        by_region=False,
        hosting_sd=0.4,
        sends_after=20,
        late_share=0.1,
        omit={
            ("HL_URLS_COMMERCIAL", "hosting_country"),
            ("HL_URLS_COMMERCIAL", "site_type"),
            ("HL_URLS_CONFIRMED", "site_type"),
            ("HL_NTD_NOTICES_SENT", "hosting_country"),
            ("HL_PAYMENT_OPTIONS_SEEN", "virtual_asset"),
        },
        referral_countries={"MT": 70, "GB": 10, "IT": 8, "ZZ": 12},
    ),
    "pay-cardnet": dict(
        flagged=2000,
        flagged_trend=0.6,
        surge=0.8,
        test_purchases=8,
        reviews=45,
        terminate=0.05,
        sar=30,
        median_eur=45.0,
        crypto_alerts=0.0,
        methods={"card": 1.0},
        test_methods={"card": 1.0},
        bands={"lt10": 12, "10_100": 62, "100_500": 22, "gt500": 4},
        sends_after=9,
        beneficiaries={
            "US": 20,
            "NL": 10,
            "CY": 8,
            "HK": 8,
            "GB": 8,
            "RU": 6,
            "UA": 5,
            "BG": 6,
            "RO": 5,
            "PH": 4,
            "ZZ": 20,
        },
    ),
    "pay-cardplus": dict(
        flagged=900,
        flagged_trend=0.55,
        surge=0.8,
        test_purchases=4,
        reviews=20,
        terminate=0.06,
        sar=12,
        median_eur=48.0,
        crypto_alerts=3.0,
        crypto_trend=2.5,
        crypto_surge=1.5,
        methods={"card": 1.0},
        test_methods={"card": 1.0},
        bands={"lt10": 10, "10_100": 60, "100_500": 25, "gt500": 5},
        sends_after=18,
        omit={
            ("PAY_MEDIAN_TXN_EUR", "payment_method"),
            ("PAY_TEST_PURCHASES", "payment_method"),
            ("PAY_FLAGGED_TXN_VALUE", "beneficiary_country"),
        },
        beneficiaries={"US": 18, "NL": 8, "CY": 10, "HK": 10, "GB": 8, "BG": 6, "RU": 6, "ZZ": 34},
    ),
    "pay-wallet": dict(
        flagged=150,
        flagged_trend=1.8,
        test_purchases=1,
        reviews=5,
        terminate=0.2,
        sar=30,
        median_eur=32.0,
        crypto_alerts=4.0,
        crypto_trend=6.0,
        crypto_surge=1.7,
        monitoring_from="2025-04",
        methods={
            "card": (30, 12),
            "bank_transfer": (10, 7),
            "e_wallet": 45,
            "virtual_currency": (12, 33),
            "voucher": 3,
        },
        method_surges={"virtual_currency": 1.6, "card": 0.7},
        band_surges={"lt10": 2.0},
        beneficiary_surges={"PH": 1.5},
        test_methods={"e_wallet": 60, "card": 20, "virtual_currency": 20},
        bands={"lt10": 20, "10_100": 60, "100_500": 17, "gt500": 3},
        sends_after=15,
        beneficiaries={
            "US": 12,
            "NL": 8,
            "CY": 6,
            "HK": 10,
            "GB": 6,
            "RU": 4,
            "UA": 6,
            "BG": 8,
            "RO": 8,
            "PH": 6,
            "ZZ": 26,
        },
    ),
    "pay-remit": dict(
        flagged=600,
        flagged_trend=1.2,
        surge=2.4,
        test_purchases=0.5,
        reviews=0,
        terminate=0.0,
        sar=120,
        median_eur=22.0,
        crypto_alerts=0.0,
        methods={"money_transfer": (82, 74), "mobile_money": 12, "virtual_currency": (6, 14)},
        # Live-streaming is paid per view in small remittances, mostly to the Philippines.
        method_surges={"mobile_money": 1.8, "virtual_currency": 1.3},
        band_surges={"lt10": 2.6, "10_100": 1.6},
        beneficiary_surges={"PH": 1.9},
        test_methods={"money_transfer": 80, "mobile_money": 20},
        bands={"lt10": 15, "10_100": 70, "100_500": 13, "gt500": 2},
        sends_after=20,
        late_share=0.06,
        beneficiaries={"PH": 45, "ID": 8, "RO": 8, "UA": 6, "CO": 5, "KE": 4, "US": 4, "ZZ": 20},
    ),
    "pay-acquirer": dict(
        flagged=220,
        flagged_trend=1.3,
        surge=1.2,
        test_purchases=3,
        reviews=30,
        terminate=0.12,
        sar=15,
        median_eur=40.0,
        crypto_alerts=6.0,
        crypto_trend=2.0,
        crypto_surge=1.8,
        methods={
            "card": (72, 50),
            "e_wallet": 12,
            "bank_transfer": 6,
            "virtual_currency": (10, 30),
        },
        method_surges={"virtual_currency": 1.5, "card": 0.8},
        test_methods={"card": 70, "e_wallet": 30},
        bands={"lt10": 8, "10_100": 60, "100_500": 27, "gt500": 5},
        sends_after=22,
        late_share=0.1,
        omit={("PAY_FLAGGED_TXN_VALUE", "beneficiary_country")},
        beneficiaries={
            "NL": 12,
            "CY": 14,
            "MT": 10,
            "HK": 12,
            "US": 10,
            "GB": 8,
            "BG": 6,
            "SC": 6,
            "ZZ": 22,
        },
    ),
    "pay-vasp": dict(
        flagged=260,
        flagged_trend=1.8,
        surge=1.7,
        test_purchases=2,
        reviews=12,
        terminate=0.25,
        sar=25,
        sar_surge=1.5,
        median_eur=30.0,
        crypto_alerts=18.0,
        crypto_trend=1.8,
        crypto_surge=2.2,
        asset_surges={"xmr": 1.6, "usdt": 1.4},
        methods={"virtual_currency": 1.0},
        test_methods={"virtual_currency": 1.0},
        bands={"lt10": 12, "10_100": 62, "100_500": 21, "gt500": 5},
        sends_after=12,
        omit={
            ("PAY_MEDIAN_TXN_EUR", "payment_method"),
            ("PAY_TEST_PURCHASES", "payment_method"),
            ("PAY_FLAGGED_TXN_COUNT", "payment_method"),
            ("PAY_FLAGGED_TXN_VALUE", "payment_method"),
        },
        beneficiaries={
            "US": 10,
            "HK": 10,
            "RU": 8,
            "UA": 6,
            "PH": 8,
            "NG": 6,
            "VN": 6,
            "TR": 6,
            "ZZ": 40,
        },
    ),
    "le-alpha": dict(
        referrals=9000,
        cases=450,
        arrests=200,
        victims=60,
        seizures=2.0,
        seizure_eur=60000,
        livestream_share=3,
        livestream=2.6,
        sends_after=25,
        late_share=0.15,
    ),
    "le-beta": dict(
        referrals=2000,
        cases=80,
        arrests=30,
        victims=5,
        seizures=0.4,
        seizure_eur=12000,
        livestream_share=6,
        livestream=3.5,
        sends_after=20,
        late_share=0.1,
    ),
    "le-gamma": dict(
        referrals=400,
        cases=15,
        arrests=6,
        victims=2,
        seizures=0.0,
        seizure_eur=0,
        livestream_share=5,
        livestream=3.0,
        sends_after=26,
        late_share=0.12,
    ),
    "le-delta": dict(
        referrals=1500,
        cases=60,
        arrests=22,
        victims=4,
        seizures=0.3,
        seizure_eur=9000,
        livestream_share=6,
        livestream=4.0,
        sends_after=22,
    ),
    "le-epsilon": dict(
        referrals=3000,
        cases=110,
        arrests=40,
        victims=9,
        seizures=0.8,
        seizure_eur=25000,
        livestream_share=7,
        livestream=4.0,
        sends_after=15,
    ),
    "ind-imagehost": dict(
        notices=5000,
        removed=0.96,
        median_hours=6.0,
        hash_blocks=100000,
        sends_after=5,
        notifiers={
            "hotline": 45,
            "law_enforcement": 5,
            "trusted_flagger": 20,
            "user": 25,
            "other": 5,
        },
        services={"image_hosting": 94, "file_storage": 5, "other": 1},
    ),
    "ind-isp": dict(
        notices=100,
        removed=0.9,
        median_hours=30.0,
        hash_blocks=2000,
        sends_after=15,
        notifiers={"hotline": 50, "law_enforcement": 30, "user": 10, "other": 10},
        services={"web_hosting": 80, "file_storage": 10, "other": 10},
    ),
    "ind-search": dict(
        notices=900,
        removed=0.93,
        median_hours=20.0,
        hash_blocks=15000,
        stops_after="2026-Q1",
        sends_after=20,
        omit={("IND_ITEMS_REMOVED", "service_type"), ("IND_HASH_MATCH_BLOCKS", "service_type")},
        notifiers={
            "hotline": 35,
            "law_enforcement": 10,
            "trusted_flagger": 30,
            "user": 20,
            "other": 5,
        },
        services={"other": 1.0},
    ),
    "ind-social": dict(
        notices=3000,
        removed=0.9,
        median_hours=12.0,
        hash_blocks=60000,
        sends_after=8,
        notifiers={
            "user": 50,
            "trusted_flagger": 18,
            "hotline": 15,
            "law_enforcement": 12,
            "other": 5,
        },
        services={"social_media": 78, "messaging": 20, "other": 2},
    ),
    "ngo-helpline": dict(contacts=300, trained_sessions=1.2, trained_size=25, sends_after=16),
    "ngo-survivors": dict(
        contacts=70,
        trained_sessions=0.6,
        trained_size=15,
        sends_after=25,
        late_share=0.1,
        topics={
            "sextortion": 25,
            "grooming": 15,
            "image_sharing": 25,
            "livestreaming": 10,
            "commercial_offer": 5,
            "advice": 15,
            "other": 5,
        },
    ),
}


# ------------------------------------------------------------------ sector simulations


def simulate_hotline(rng: np.random.Generator, w: Window, p: dict, size: float) -> list[Block]:
    """Hotline indicators drawn as a chain (received >= assessed >= confirmed >= commercial ...)."""
    # Proactive searching finds ~40% more confirmed URLs from the same volume of assessed reports.
    proactive = step(w, p.get("proactive_from"), 1.4)
    # An easier reporting form brings ~60% more reports, fewer of them about illegal material.
    new_form = step(w, p.get("new_form_from"), 1.6)

    received = draw_counts(rng, level_path(rng, w, p["received"] * size) * new_form)
    assessed = draw_binomial(rng, received, p["assessed"], noise=0.01)
    confirmed_p = np.minimum(
        p["confirmed"] * p.get("confirmed_trend", 1.0) ** w.t * proactive / new_form**0.7, 0.97
    )
    confirmed = draw_binomial(rng, assessed, confirmed_p, noise=0.02)
    commercial_p = p["commercial"][0] + (p["commercial"][1] - p["commercial"][0]) * w.t
    commercial = draw_binomial(rng, confirmed, commercial_p / proactive, noise=0.04)
    options_p = p["options"] * surge(w, OPTIONS_RATE_SURGE)
    options = draw_binomial(rng, commercial, options_p, noise=0.05)
    hidden = draw_binomial(rng, commercial - options, p["hidden"], noise=0.1)
    disguised = draw_binomial(rng, confirmed, p["disguised"] / proactive, noise=0.1)
    hidden_services = draw_counts(rng, level_path(rng, w, p["hidden_services"] * size, noise=0.2))
    domains = np.minimum(draw_counts(rng, level_path(rng, w, p["domains"] * size**0.5)), confirmed)
    # Proactive finds are mostly on hosts already notified: notices and removals do not jump.
    notices = draw_binomial(rng, confirmed, p["notices"] / proactive, noise=0.05)
    takedown = draw_binomial(rng, confirmed, 0.95 / proactive, noise=0.01)
    referrals = draw_binomial(rng, received, p["referrals"], noise=0.05)
    median_days = medians(rng, w, p["median_days"], UNIT_SCALE["days"], trend=0.9)

    source = SOURCE_CHANNEL | {"proactive": SOURCE_CHANNEL["proactive"] * 1.3}
    codes, probs = mix(rng, w, source, member_sd=0.1)
    if (proactive > 1).any():
        boosted = probs.copy()
        boosted[:, codes.index("proactive")] *= 2.5
        probs = np.where((proactive > 1)[:, None], normalise(boosted), probs)
    source_mix = (codes, probs)
    hosting = hosting_mix(rng, w, member_sd=p["hosting_sd"])

    # Options shown: a URL counts once per method it shows, so methods are drawn independently.
    option_codes, option_p = trajectory(OPTIONS_SHOWN, w)
    option_p = np.minimum(surged(w, option_codes, option_p, OPTIONS_SURGE), 1.0)
    options_by_method = rng.binomial(options[:, None], option_p).astype(np.int64)
    vc = options_by_method[:, option_codes.index("virtual_currency")]
    asset_codes, asset_p = trajectory(ASSETS_SHOWN, w)
    assets_seen = rng.binomial(vc[:, None], asset_p).astype(np.int64)

    blocks = [
        total_block("HL_REPORTS_RECEIVED", received),
        breakdown(rng, "HL_REPORTS_RECEIVED", "source_channel", received, source_mix),
        total_block("HL_REPORTS_ASSESSED", assessed),
        breakdown(rng, "HL_REPORTS_ASSESSED", "source_channel", assessed, source_mix),
        total_block("HL_URLS_CONFIRMED", confirmed),
        breakdown(rng, "HL_URLS_CONFIRMED", "hosting_country", confirmed, hosting),
        breakdown(
            rng,
            "HL_URLS_CONFIRMED",
            "site_type",
            confirmed,
            mix(rng, w, SITE_TYPE, member_sd=p["hosting_sd"]),
        ),
        breakdown(
            rng,
            "HL_URLS_CONFIRMED",
            "access_technique",
            confirmed,
            mix(rng, w, ACCESS, member_sd=0.1),
        ),
        total_block("HL_URLS_COMMERCIAL", commercial),
        breakdown(
            rng, "HL_URLS_COMMERCIAL", "commerciality", commercial, mix(rng, w, COMMERCIAL_SPLIT)
        ),
        breakdown(
            rng,
            "HL_URLS_COMMERCIAL",
            "hosting_country",
            commercial,
            hosting_mix(rng, w, member_sd=0.3, exclude=("XO",)),
        ),
        breakdown(
            rng,
            "HL_URLS_COMMERCIAL",
            "site_type",
            commercial,
            mix(
                rng, w, {"image_host": 20, "cyberlocker": 10, "website": 60, "forum": 5, "other": 5}
            ),
        ),
        total_block("HL_PAYMENT_OPTIONS_SEEN", options),
        ("HL_PAYMENT_OPTIONS_SEEN", "payment_method", option_codes, options_by_method),
        ("HL_PAYMENT_OPTIONS_SEEN", "virtual_asset", asset_codes, assets_seen),
        total_block("HL_URLS_PAYMENT_HIDDEN", hidden),
        total_block("HL_DISGUISED_SITES", disguised),
        breakdown(
            rng,
            "HL_DISGUISED_SITES",
            "commerciality",
            disguised,
            mix(rng, w, {"non_commercial": 20, "commercial_direct": 35, "commercial_indirect": 45}),
        ),
        total_block("HL_HIDDEN_SERVICES_NEW", hidden_services),
        breakdown(
            rng,
            "HL_HIDDEN_SERVICES_NEW",
            "commerciality",
            hidden_services,
            mix(rng, w, {"non_commercial": 80, "commercial_direct": 15, "commercial_indirect": 5}),
        ),
        total_block("HL_UNIQUE_DOMAINS", domains),
        total_block("HL_NTD_NOTICES_SENT", notices),
        breakdown(
            rng,
            "HL_NTD_NOTICES_SENT",
            "hosting_country",
            notices,
            hosting_mix(rng, w, member_sd=0.2, exclude=("XO",)),
        ),
        total_block("HL_TAKEDOWN_BY_BUCKET", takedown),
        breakdown(
            rng,
            "HL_TAKEDOWN_BY_BUCKET",
            "takedown_bucket",
            takedown,
            mix(rng, w, TAKEDOWN_SPEED[p["speed"]], member_sd=0.05),
        ),
        total_block("HL_MEDIAN_TAKEDOWN_DAYS", median_days),
    ]
    if p["by_region"]:
        blocks.append(
            median_breakdown(
                rng, "HL_MEDIAN_TAKEDOWN_DAYS", "hosting_region", median_days, REGION_FACTORS
            )
        )
    blocks += [
        total_block("HL_REFERRALS_TO_LE", referrals),
        breakdown(
            rng,
            "HL_REFERRALS_TO_LE",
            "recipient_country",
            referrals,
            mix(rng, w, p["referral_countries"], member_sd=0.05),
        ),
    ]
    if "trained_sessions" in p:
        blocks += training_blocks(rng, w, p["trained_sessions"], p["trained_size"])
    return blocks


def training_blocks(
    rng: np.random.Generator, w: Window, sessions: float, session_size: float
) -> list[Block]:
    """Lumpy: a few sessions a month, many months with none."""
    n_sessions = rng.poisson(sessions, w.n)
    trained = rng.poisson(n_sessions * session_size).astype(np.int64)
    return [
        total_block("NGO_PARTICIPANTS_TRAINED", trained),
        breakdown(
            rng,
            "NGO_PARTICIPANTS_TRAINED",
            "audience",
            trained,
            mix(rng, w, AUDIENCE, period_sd=0.5),
        ),
    ]


def simulate_payment(rng: np.random.Generator, w: Window, p: dict, size: float) -> list[Block]:
    """Flagged transactions, count and value, split by method, beneficiary country, amount band."""
    # New monitoring rules flag ~45% more transactions from the month they start.
    monitoring = step(w, p.get("monitoring_from"), 1.45)
    flagged_path = level_path(rng, w, p["flagged"] * size, trend=p["flagged_trend"])
    flagged = draw_counts(rng, flagged_path * surge(w, p.get("surge", 1.0)) * monitoring)
    method_codes, method_p = mix(
        rng, w, p["methods"], member_sd=0.05, surges=p.get("method_surges")
    )
    country_codes, country_p = mix(
        rng,
        w,
        BENEFICIARY_TAIL | p["beneficiaries"],
        member_sd=0.1,
        period_sd=0.15,
        surges=p.get("beneficiary_surges"),
    )
    band_codes, band_p = mix(rng, w, p["bands"], member_sd=0.05, surges=p.get("band_surges"))
    by_method = split(rng, flagged, method_p)
    by_country = split(rng, flagged, country_p)
    by_band = split(rng, flagged, band_p)

    band_mean = np.array([AMOUNT_MEAN_EUR[c] for c in band_codes]) * rng.lognormal(0.0, 0.1)
    cents_by_band = np.round(
        by_band * band_mean[None, :] * 100 * rng.lognormal(0.0, 0.08, by_band.shape)
    )
    cents_by_band = cents_by_band.astype(np.int64)
    cents = cents_by_band.sum(axis=1)
    method_weight = by_method * np.array([METHOD_AMOUNT[c] for c in method_codes])[None, :]
    cents_by_method = split(rng, cents, normalise(method_weight.astype(float)))
    cents_by_country = split(rng, cents, normalise(by_country.astype(float)))

    median = medians(rng, w, p["median_eur"], UNIT_SCALE["EUR"], noise=0.06)
    method_factors = {c: METHOD_AMOUNT[c] for c in method_codes}
    test_purchases = draw_counts(
        rng, level_path(rng, w, p["test_purchases"] * size**0.5, noise=0.3)
    )
    reviews = draw_counts(rng, level_path(rng, w, p["reviews"] * size**0.5, noise=0.2))
    terminated = draw_binomial(rng, reviews, p["terminate"], noise=0.2)
    sar_path = level_path(rng, w, p["sar"] * size, noise=0.1)
    sar = draw_counts(rng, sar_path * surge(w, p.get("sar_surge", 1.0)))
    crypto_path = level_path(
        rng, w, p["crypto_alerts"] * size, trend=p.get("crypto_trend", 1.0), noise=0.1
    )
    crypto = draw_counts(rng, crypto_path * surge(w, p.get("crypto_surge", 1.0)))
    return [
        total_block("PAY_TEST_PURCHASES", test_purchases),
        breakdown(
            rng,
            "PAY_TEST_PURCHASES",
            "payment_method",
            test_purchases,
            mix(rng, w, p["test_methods"]),
        ),
        total_block("PAY_MERCHANT_REVIEWS", reviews),
        breakdown(
            rng, "PAY_MERCHANT_REVIEWS", "trigger", reviews, mix(rng, w, TRIGGER, period_sd=0.3)
        ),
        total_block("PAY_MERCHANTS_TERMINATED", terminated),
        breakdown(
            rng,
            "PAY_MERCHANTS_TERMINATED",
            "merchant_country",
            terminated,
            mix(rng, w, MERCHANT_COUNTRY),
        ),
        total_block("PAY_FLAGGED_TXN_COUNT", flagged),
        ("PAY_FLAGGED_TXN_COUNT", "payment_method", method_codes, by_method),
        ("PAY_FLAGGED_TXN_COUNT", "beneficiary_country", country_codes, by_country),
        ("PAY_FLAGGED_TXN_COUNT", "amount_band", band_codes, by_band),
        total_block("PAY_FLAGGED_TXN_VALUE", cents),
        ("PAY_FLAGGED_TXN_VALUE", "payment_method", method_codes, cents_by_method),
        ("PAY_FLAGGED_TXN_VALUE", "beneficiary_country", country_codes, cents_by_country),
        ("PAY_FLAGGED_TXN_VALUE", "amount_band", band_codes, cents_by_band),
        total_block("PAY_MEDIAN_TXN_EUR", median),
        median_breakdown(rng, "PAY_MEDIAN_TXN_EUR", "payment_method", median, method_factors),
        total_block("PAY_SAR_FILED", sar),
        breakdown(rng, "PAY_SAR_FILED", "beneficiary_country", sar, (country_codes, country_p)),
        total_block("PAY_CRYPTO_ALERT_HITS", crypto),
        breakdown(
            rng,
            "PAY_CRYPTO_ALERT_HITS",
            "virtual_asset",
            crypto,
            mix(rng, w, VIRTUAL_ASSET, period_sd=0.2, surges=p.get("asset_surges")),
        ),
    ]


def simulate_law_enforcement(
    rng: np.random.Generator, w: Window, p: dict, size: float
) -> list[Block]:
    """Police outcomes per month (summed to quarters later); seizures are lumpy by nature."""
    referrals = draw_counts(rng, level_path(rng, w, p["referrals"] * size))
    cases = draw_counts(rng, level_path(rng, w, p["cases"] * size, noise=0.1))
    arrests = draw_counts(rng, level_path(rng, w, p["arrests"] * size, noise=0.12))
    victims = draw_counts(rng, level_path(rng, w, p["victims"] * size, noise=0.2))
    n_seizures = rng.poisson(p["seizures"] * size, w.n)
    # A sum of skewed seizure amounts: gamma with shape proportional to the number of seizures.
    seized = np.round(rng.gamma(np.maximum(n_seizures * 0.6, 1e-9), p["seizure_eur"] / 0.6) * 100)
    seized = np.where(n_seizures > 0, seized, 0).astype(np.int64)
    asset_p = normalise(rng.dirichlet(np.array(list(ASSET_TYPE.values())) / 20, size=w.n))
    # Live-streamed abuse paid per view: cases and arrests for it rise two- to four-fold lately.
    offences = OFFENCE | {"livestream_purchase": p["livestream_share"]}
    offence = mix(rng, w, offences, member_sd=0.1, surges={"livestream_purchase": p["livestream"]})
    return [
        total_block("LE_REFERRALS_RECEIVED", referrals),
        breakdown(rng, "LE_REFERRALS_RECEIVED", "origin", referrals, mix(rng, w, ORIGIN)),
        total_block("LE_CASES_OPENED", cases),
        breakdown(rng, "LE_CASES_OPENED", "offence_type", cases, offence),
        total_block("LE_ARRESTS", arrests),
        breakdown(rng, "LE_ARRESTS", "offence_type", arrests, offence),
        total_block("LE_VICTIMS_IDENTIFIED", victims),
        total_block("LE_ASSETS_SEIZED_EUR", seized),
        breakdown(rng, "LE_ASSETS_SEIZED_EUR", "asset_type", seized, (tuple(ASSET_TYPE), asset_p)),
    ]


def simulate_industry(rng: np.random.Generator, w: Window, p: dict, size: float) -> list[Block]:
    notices = draw_counts(rng, level_path(rng, w, p["notices"] * size, trend=1.1))
    removed = draw_binomial(rng, notices, p["removed"], noise=0.01)
    median = medians(rng, w, p["median_hours"], UNIT_SCALE["hours"], trend=0.85, noise=0.1)
    blocks_ = draw_counts(rng, level_path(rng, w, p["hash_blocks"] * size, trend=1.3))
    takedown = draw_binomial(rng, notices, 0.98, noise=0.005)
    return [
        total_block("IND_NOTICES_RECEIVED", notices),
        breakdown(
            rng, "IND_NOTICES_RECEIVED", "notifier_type", notices, mix(rng, w, p["notifiers"])
        ),
        total_block("IND_ITEMS_REMOVED", removed),
        breakdown(
            rng,
            "IND_ITEMS_REMOVED",
            "service_type",
            removed,
            mix(rng, w, p["services"], period_sd=0.03),
        ),
        total_block("IND_MEDIAN_REMOVAL_HOURS", median),
        median_breakdown(
            rng,
            "IND_MEDIAN_REMOVAL_HOURS",
            "notifier_type",
            median,
            {c: NOTIFIER_FACTORS[c] for c in p["notifiers"]},
        ),
        total_block("IND_HASH_MATCH_BLOCKS", blocks_),
        breakdown(
            rng,
            "IND_HASH_MATCH_BLOCKS",
            "service_type",
            blocks_,
            mix(rng, w, p["services"], period_sd=0.03),
        ),
        total_block("HL_TAKEDOWN_BY_BUCKET", takedown),
        breakdown(
            rng,
            "HL_TAKEDOWN_BY_BUCKET",
            "takedown_bucket",
            takedown,
            mix(rng, w, TAKEDOWN_SPEED["host"], member_sd=0.02),
        ),
    ]


def simulate_ngo(rng: np.random.Generator, w: Window, p: dict, size: float) -> list[Block]:
    contacts = draw_counts(rng, level_path(rng, w, p["contacts"] * size, trend=1.25, amp=0.15))
    topics = mix(rng, w, p.get("topics", TOPIC), surges=TOPIC_SURGE)
    return [
        total_block("NGO_HELPLINE_CONTACTS", contacts),
        breakdown(rng, "NGO_HELPLINE_CONTACTS", "topic", contacts, topics),
        *training_blocks(rng, w, p["trained_sessions"], p["trained_size"] * size**0.5),
    ]


# ------------------------------------------------------------------ members and plan


@dataclass(frozen=True)
class Member:
    """One sender in the generated inbox (an original sample member or a benchmark clone)."""

    member_id: str
    base_id: str
    clone: int  # 1 for the original
    name: str
    sector: str
    country: str
    reporting_since: str  # YYYY-MM as written to the (possibly scaled) reference
    frequency: str  # month | quarter
    # indicator -> from_period, as in the (possibly scaled) reference
    plan: dict[str, str] = field(default_factory=dict)
    size: float = 1.0

    @property
    def style(self) -> FileStyle:
        style = STYLES[self.base_id]
        return style if self.clone == 1 else scaled_style(style)

    @property
    def params(self) -> dict:
        return PARAMS[self.base_id]


def build_members(
    tables: dict[str, pd.DataFrame], w: Window, member_scale: int, seed: int
) -> list[Member]:
    """Members from the reference, plus clones when scaled (founders then start with the window)."""
    members, plan = tables["members"], tables["reporting_plan"]
    founding = members["reporting_since"].min()
    out: list[Member] = []
    for clone in range(1, member_scale + 1):
        size_rng = np.random.default_rng([seed, clone, 7])
        for row in members.itertuples(index=False):
            member_plan = plan.loc[plan["member_id"] == row.member_id]
            frequencies = set(member_plan["frequency"])
            if len(frequencies) != 1:
                raise ValueError(
                    f"{row.member_id}: one frequency per member expected, got {frequencies}"
                )
            frequency = frequencies.pop()
            since = row.reporting_since
            indicator_from = dict(
                zip(member_plan["indicator"], member_plan["from_period"], strict=True)
            )
            since_month = period_of(since).first_month
            if member_scale > 1 and since == founding and since_month > w.first:
                # Benchmarks span many years: founding members then report from the window's start.
                start = month_label(w.first)
                indicator_from = {
                    ind: (
                        as_frequency(start, frequency)
                        if period_of(frm).first_month == since_month
                        else frm
                    )
                    for ind, frm in indicator_from.items()
                }
                since = start
            size = 1.0 if clone == 1 else float(size_rng.lognormal(0.0, 0.4))
            out.append(
                Member(
                    member_id=row.member_id if clone == 1 else f"{row.member_id}-{clone}",
                    base_id=row.member_id,
                    clone=clone,
                    name=row.name if clone == 1 else f"{row.name} {clone}",
                    sector=row.sector,
                    country=row.country,
                    reporting_since=since,
                    frequency=frequency,
                    plan=indicator_from,
                    size=size,
                )
            )
    return out


def as_frequency(month: str, frequency: str) -> str:
    return period_of(month).quarter if frequency == "quarter" else month


SIMULATORS = {
    "hotline": simulate_hotline,
    "payment": simulate_payment,
    "law_enforcement": simulate_law_enforcement,
    "industry": simulate_industry,
    "ngo": simulate_ngo,
}


def simulate_member(
    seed: int, member: Member, base_index: int, w: Window, units: dict[str, str]
) -> pd.DataFrame:
    """All planned observations of one member, by reporting period, values in minor units."""
    rng = np.random.default_rng([seed, base_index, member.clone])
    params = member.params
    blocks = SIMULATORS[member.sector](rng, w, params, member.size)

    quarterly = member.frequency == "quarter"
    if quarterly:
        if w.first % 3:
            raise ValueError("quarterly reporters need a window starting on a quarter")
        period_index = w.index[::3]
        labels = np.array([quarter_label(i) for i in period_index])
    else:
        period_index = w.index
        labels = np.array([month_label(i) for i in period_index])
    # A member that stopped reporting sends nothing after its last period.
    last = period_of(params["stops_after"]).last_month if "stops_after" in params else w.last
    omit = params.get("omit", set())

    # Blocks become long rows with plain numpy, one DataFrame per member: this runs per clone.
    parts: dict[str, list[np.ndarray]] = {
        k: [] for k in ("period_index", "order", "indicator", "dimension", "category", "value")
    }
    for order, (indicator, dimension, codes, values) in enumerate(blocks):
        if indicator not in member.plan or (indicator, dimension) in omit:
            continue
        if quarterly:
            values = values.reshape(-1, 3, values.shape[1]).sum(axis=1)
        start = max(
            period_of(member.plan[indicator]).first_month,
            period_of(member.reporting_since).first_month,
            w.first,
        )
        keep_periods = (period_index >= start) & (period_index <= last)
        k = len(codes)
        vals = values[keep_periods].ravel()
        keep = vals > 0 if dimension in COUNTRY_DIMENSIONS else np.ones(len(vals), dtype=bool)
        parts["period_index"].append(np.repeat(period_index[keep_periods], k)[keep])
        parts["order"].append(np.full(int(keep.sum()), order))
        parts["indicator"].append(np.full(int(keep.sum()), indicator, dtype=object))
        parts["dimension"].append(np.full(int(keep.sum()), dimension, dtype=object))
        parts["category"].append(
            np.tile(np.array(codes, dtype=object), int(keep_periods.sum()))[keep]
        )
        parts["value"].append(vals[keep])
    columns = {k: np.concatenate(v) for k, v in parts.items()}
    ordering = np.lexsort(
        (columns["order"], columns["period_index"])
    )  # stable: categories keep their order
    period_labels = dict(zip(period_index.tolist(), labels.tolist(), strict=True))
    sorted_index = columns["period_index"][ordering]
    indicator = columns["indicator"][ordering]
    return pd.DataFrame(
        {
            "member_id": member.member_id,
            "period": pd.Series(sorted_index).map(period_labels).astype(str),
            "indicator": pd.array(indicator, dtype=str),
            "dimension": pd.array(columns["dimension"][ordering], dtype=str),
            "category": pd.array(columns["category"][ordering], dtype=str),
            "value": columns["value"][ordering].astype(np.int64),
            "unit": pd.array([units[i] for i in indicator], dtype=str),
            "missing": False,
            "status": "A",
            "note": "",
        }
    )


# ------------------------------------------------------------------ statuses and notes

# (member, period or 'last', indicator, status, note on the total): ordinary data-team remarks,
# and the series breaks members flag themselves (status B). Two of the three breaks are also in
# reference/series_breaks.csv; pay-wallet's is flagged in its files only.
EVENTS: list[tuple[str, str, str, str, str]] = [
    (
        "hl-north",
        PARAMS["hl-north"]["proactive_from"],
        "HL_URLS_CONFIRMED",
        "B",
        "Proactive searching started this month, so confirmed URLs are not comparable "
        "with earlier months.",
    ),
    (
        "hl-north",
        "last",
        "HL_TAKEDOWN_BY_BUCKET",
        "P",
        "Provisional: removals of URLs notified late in the month are still being confirmed.",
    ),
    (
        "hl-north",
        "2024-12",
        "HL_REPORTS_RECEIVED",
        "A",
        "Includes reports forwarded by partner hotlines, de-duplicated before assessment.",
    ),
    (
        "hl-west",
        "2025-08",
        "HL_REPORTS_ASSESSED",
        "A",
        "Staff shortage in August, backlog cleared in September.",
    ),
    (
        "hl-south",
        PARAMS["hl-south"]["new_form_from"],
        "HL_REPORTS_RECEIVED",
        "B",
        "Nuovo modulo di segnalazione online da questo mese: più segnalazioni, non confrontabili "
        "con i mesi precedenti.",
    ),
    (
        "hl-south",
        "2024-03",
        "HL_REPORTS_RECEIVED",
        "E",
        "Valore stimato: il sistema di segnalazione è rimasto fuori servizio per cinque giorni.",
    ),
    ("hl-east", "2024-07", "HL_URLS_CONFIRMED", "A", "First month of reporting to the coalition."),
    (
        "hl-isles",
        "2025-01",
        "HL_REPORTS_RECEIVED",
        "A",
        "First month of reporting to the coalition.",
    ),
    (
        "pay-cardnet",
        "2025-03",
        "PAY_MERCHANTS_TERMINATED",
        "A",
        "Terminations followed a joint test purchase with the national police.",
    ),
    (
        "pay-wallet",
        "2024-01",
        "PAY_CRYPTO_ALERT_HITS",
        "A",
        "Nouvelles règles de surveillance; première période de collecte.",
    ),
    (
        "pay-wallet",
        PARAMS["pay-wallet"]["monitoring_from"],
        "PAY_FLAGGED_TXN_COUNT",
        "B",
        "Nouvelles règles de surveillance des transactions : chiffres non comparables aux mois "
        "précédents.",
    ),
    ("pay-wallet", PARAMS["pay-wallet"]["monitoring_from"], "PAY_FLAGGED_TXN_VALUE", "B", ""),
    ("pay-remit", "2025-12", "PAY_SAR_FILED", "E", ""),
    (
        "pay-vasp",
        "2024-01",
        "PAY_CRYPTO_ALERT_HITS",
        "A",
        "First month of reporting; alerts from our screening of deposit addresses.",
    ),
    (
        "pay-vasp",
        "last",
        "PAY_CRYPTO_ALERT_HITS",
        "A",
        "More alerts on monero and stablecoin deposits since screening was widened.",
    ),
    (
        "le-alpha",
        "2025-Q1",
        "LE_REFERRALS_RECEIVED",
        "A",
        "Enthält Nachmeldungen aus dem Vorquartal, bereinigt um Doppelzählungen.",
    ),
    (
        "le-beta",
        "last",
        "LE_ASSETS_SEIZED_EUR",
        "P",
        "Montants provisoires, à confirmer après décision de justice.",
    ),
    (
        "le-gamma",
        "2024-Q2",
        "LE_VICTIMS_IDENTIFIED",
        "L",
        "Niet verzameld dit kwartaal wegens de overgang naar een nieuw registratiesysteem.",
    ),
    (
        "le-delta",
        "last",
        "LE_ARRESTS",
        "P",
        "Dane wstępne: zatrzymania z ostatniego tygodnia kwartału w trakcie weryfikacji.",
    ),
    (
        "ind-search",
        PARAMS["ind-search"]["stops_after"],
        "IND_NOTICES_RECEIVED",
        "A",
        "Last return for now: reporting pauses while our trust and safety tooling is replaced.",
    ),
    (
        "ngo-helpline",
        "2025-Q4",
        "NGO_HELPLINE_CONTACTS",
        "A",
        "Awareness campaign in secondary schools, contacts rose accordingly.",
    ),
    (
        "ngo-survivors",
        "2024-Q2",
        "NGO_HELPLINE_CONTACTS",
        "A",
        "First quarter of reporting to the coalition.",
    ),
]


def apply_events(obs: pd.DataFrame, member: Member) -> pd.DataFrame:
    """Statuses (B, E, P, L) and notes of the original members; a status covers breakdowns too."""
    if member.clone != 1 or obs.empty:
        return obs
    last = obs["period"].iloc[-1]
    for member_id, period, indicator, status, note in EVENTS:
        if member_id != member.member_id:
            continue
        period = last if period == "last" else period
        rows = (obs["period"] == period) & (obs["indicator"] == indicator)
        if not rows.any():
            continue
        total = rows & (obs["dimension"] == "")
        obs.loc[rows, "status"] = status
        if note:
            obs.loc[total, "note"] = note
        if status == "L":  # exists but not collected: no value, no breakdown
            obs.loc[total, "missing"] = True
            obs = obs.loc[~rows | total].reset_index(drop=True)
    return obs


# ------------------------------------------------------------------ writing


def file_period(period: str, style: FileStyle, member_periods: set[str]) -> str:
    """The period that names the file a row goes to (several months may share one file)."""
    if style.months_per_file == 3 and "Q" not in period:
        return period_of(period).quarter
    if style.december_with_january and period.endswith("-12"):
        following = month_label(period_of(period).first_month + 1)
        if following in member_periods:
            return following
    return period


def file_name(style: FileStyle, period: str) -> str:
    if "Q" in period:
        year, quarter = period.split("-Q")
        fields = dict(period=period, year=year, quarter=quarter, month="")
    else:
        year, month = period.split("-")
        fields = dict(period=period, year=year, month=month, quarter=str((int(month) - 1) // 3 + 1))
    return style.name.format(**fields)


def format_values(obs: pd.DataFrame, style: FileStyle) -> list[str]:
    """Values as the member's software prints them: decimal mark, thousands, fixed decimals."""
    scale = obs["unit"].map(UNIT_SCALE).to_numpy()
    values = obs["value"].to_numpy()
    out = values.astype(str).astype(object)
    decimal = scale != 1
    if decimal.any():
        whole, frac = np.divmod(values[decimal], scale[decimal])
        digits = np.where(scale[decimal] == 100, 2, 1)
        fractions = np.where(digits == 2, np.char.zfill(frac.astype(str), 2), frac.astype(str))
        thousands = style.eur_thousands & (scale[decimal] == 100)
        integers = [
            f"{w:,}" if t else str(w)
            for w, t in zip(whole.tolist(), thousands.tolist(), strict=True)
        ]
        text = np.char.add(np.char.add(np.array(integers, dtype=str), "."), fractions)
        if style.decimal_comma:
            text = np.char.translate(text, str.maketrans({".": ",", ",": "."}))
        out[decimal] = text.astype(object)
    out[obs["missing"].to_numpy()] = ""
    return out.tolist()


def numeric_values(obs: pd.DataFrame) -> list[int | float | None]:
    """Values for JSON and XLSX: int counts, float for EUR/days/hours, None when not collected."""
    scale = obs["unit"].map(UNIT_SCALE).to_numpy()
    values = obs["value"].to_numpy()
    out = values.astype(object)
    decimal = scale != 1
    out[decimal] = np.round(values[decimal] / scale[decimal], 2).astype(object)
    out[obs["missing"].to_numpy()] = None
    return [v if v is None or isinstance(v, float) else int(v) for v in out.tolist()]


def render_columns(obs: pd.DataFrame, style: FileStyle) -> dict[str, list]:
    """Every column of a member's rows as plain Python lists, formatted once and sliced per file."""
    status = obs["status"]
    columns: dict[str, list] = {
        "member_id": obs["member_id"].tolist(),
        "period": obs["period"].tolist(),
        "indicator": obs["indicator"].tolist(),
        "dimension": obs["dimension"].tolist(),
        "category": obs["category"].tolist(),
        "unit": obs["unit"].tolist() if style.write_unit else [""] * len(obs),
        "status": (status if style.explicit_status else status.where(status != "A", "")).tolist(),
        "note": obs["note"].tolist(),
    }
    columns["value"] = format_values(obs, style) if style.kind == "csv" else numeric_values(obs)
    return columns


def rows_of(
    columns: dict[str, list], names: Sequence[str], start: int, stop: int
) -> Iterable[tuple]:
    return zip(*(columns[c][start:stop] for c in names), strict=True)


def csv_bytes(columns: dict[str, list], start: int, stop: int, style: FileStyle) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=style.delimiter, lineterminator=style.newline)
    writer.writerow(style.columns)
    writer.writerows(rows_of(columns, style.columns, start, stop))
    text = buffer.getvalue()
    if style.encoding == "utf-16":
        return b"\xff\xfe" + text.encode(
            "utf-16-le"
        )  # explicit BOM and byte order: platform-independent
    return text.encode(style.encoding)


def json_bytes(
    columns: dict[str, list], start: int, stop: int, style: FileStyle, member_id: str
) -> bytes:
    observations = []
    for row in rows_of(columns, style.columns, start, stop):
        item: dict = {}
        for name, value in zip(style.columns, row, strict=True):
            if name in ("status", "note") and value == "":
                continue
            if name in ("dimension", "category") and value == "":
                if style.json_omit_empty:
                    continue
                value = None
            item[name] = value
        observations.append(item)
    document: dict = {"member_id": member_id}
    if not style.json_period_per_observation:
        periods = set(columns["period"][start:stop])
        if len(periods) != 1:
            raise ValueError("a JSON file with one top-level period holds one period")
        document["period"] = periods.pop()
    document["observations"] = observations
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def xlsx_bytes(columns: dict[str, list], start: int, stop: int, style: FileStyle) -> bytes:
    workbook = Workbook(write_only=True)
    if style.notes_sheet:
        workbook.create_sheet("Notes").append([style.notes_sheet])
    sheet = workbook.create_sheet("data")
    if style.title:
        sheet.append([f"{style.title} {columns['period'][start]}"])
        sheet.append([])
    sheet.append(list(style.columns))
    for row in rows_of(columns, style.columns, start, stop):
        sheet.append([None if v == "" else v for v in row])
    workbook.properties.created = FIXED_STAMP
    workbook.properties.modified = FIXED_STAMP
    workbook.properties.creator = "efc sample generator"
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).save()
    return stable_zip(raw.getvalue())


def stable_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed entry timestamps: openpyxl stamps entries with the current time."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_STAMP.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def file_bytes(
    columns: dict[str, list], start: int, stop: int, style: FileStyle, member_id: str
) -> bytes:
    if style.kind == "csv":
        return csv_bytes(columns, start, stop, style)
    if style.kind == "json":
        return json_bytes(columns, start, stop, style, member_id)
    return xlsx_bytes(columns, start, stop, style)


def frame_bytes(obs: pd.DataFrame, style: FileStyle, member_id: str) -> bytes:
    """A whole (small) frame as one file: corrections and faulty files."""
    return file_bytes(render_columns(obs, style), 0, len(obs), style, member_id)


def write_file(path: Path, data: bytes) -> Path:
    if not path.parent.is_dir():
        path.parent.mkdir(parents=True)
    path.write_bytes(data)
    return path


def write_member_files(out_dir: Path, member: Member, obs: pd.DataFrame) -> list[SentFile]:
    """One file per period (or per group of periods) in the member's inbox folder, each with
    the last month its periods cover.

    Rows are sorted by period and a file always holds consecutive periods, so each file is
    a slice of the member's rows, formatted once.
    """
    style = member.style
    if obs.empty:  # a member joining after the window ends
        return []
    periods = obs["period"].tolist()
    known = set(periods)
    names = {p: file_name(style, file_period(p, style, known)) for p in known}
    keys = [names[p] for p in periods]
    cuts = [0] + [i for i in range(1, len(keys)) if keys[i] != keys[i - 1]] + [len(keys)]
    if len(set(keys)) != len(cuts) - 1:
        raise ValueError(f"{member.member_id}: a file's periods are not consecutive")
    columns = render_columns(obs, style)
    folder = out_dir / member.member_id
    folder.mkdir(parents=True, exist_ok=True)
    return [
        (
            write_file(folder / keys[a], file_bytes(columns, a, b, style, member.member_id)),
            period_of(periods[b - 1]).last_month,
        )
        for a, b in zip(cuts[:-1], cuts[1:], strict=True)
    ]


# ------------------------------------------------------------------ arrival times

SentFile = tuple[Path, int]
"""A written file and the last month its periods cover (its due date follows from it)."""

# The late correction, and the one very late file (the member's file for the first month of
# the window's last quarter), arrive this many days after their due date: after every other
# file of that quarter, and well before the next quarter ends.
CORRECTION_DAYS_LATE = 13
VERY_LATE = ("hl-south", 24)


def arrival_time(rng: np.random.Generator, last_month: int, days: int) -> dt.datetime:
    """A moment in working hours (UTC), `days` whole days after the month `last_month` ends."""
    day = month_end(last_month) + dt.timedelta(days=days)
    minute = int(rng.integers(7 * 60, 19 * 60))
    return dt.datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=dt.UTC)


def arrivals_of(
    rng: np.random.Generator, files: list[SentFile], params: dict, due_days: int
) -> list[tuple[Path, dt.datetime]]:
    """When a member's files arrive: `sends_after` days after the period ends on average and
    before the due date; a `late_share` of them 3 to 20 days after it."""
    out = []
    for path, last_month in files:
        if rng.random() < params.get("late_share", 0.03):
            days = due_days + int(rng.integers(3, 21))
        else:
            days = int(
                np.clip(round(rng.normal(params.get("sends_after", 14), 4)), 2, due_days - 1)
            )
        out.append((path, arrival_time(rng, last_month, days)))
    return out


def write_arrivals(out_dir: Path, arrivals: list[tuple[Path, dt.datetime]]) -> Path:
    """`arrivals.csv`: each file's path in the inbox and when it arrived (ISO 8601, UTC)."""
    rows = sorted(
        (path.relative_to(out_dir).as_posix(), at.strftime("%Y-%m-%dT%H:%M:%SZ"))
        for path, at in arrivals
    )
    return write_csv(out_dir / "arrivals.csv", ["path", "received_at"], rows)


# ------------------------------------------------------------------ correction and faults


def correction(rng: np.random.Generator, obs: pd.DataFrame, period: str) -> pd.DataFrame:
    """The month re-sent with more confirmed URLs (a late-assessed batch), breakdowns to match."""
    month = obs.loc[obs["period"] == period].copy()
    indicator = "HL_URLS_CONFIRMED"
    total_row = (month["indicator"] == indicator) & (month["dimension"] == "")
    old_total = int(month.loc[total_row, "value"].iloc[0])
    added = max(int(round(old_total * 0.06)), 1)
    month.loc[total_row, "value"] = old_total + added
    month.loc[total_row, "note"] = "Corrected figure: a batch of late-assessed reports was added."
    for dimension in month.loc[
        (month["indicator"] == indicator) & ~total_row, "dimension"
    ].unique():
        rows = (month["indicator"] == indicator) & (month["dimension"] == dimension)
        current = month.loc[rows, "value"].to_numpy()
        month.loc[rows, "value"] = current + rng.multinomial(added, current / current.sum())
    return month


def iban(country: str, bban: str) -> str:
    """An IBAN with a valid ISO 13616 check digit (mod 97), built for an invented account."""
    digits = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def fault_files(
    frames: dict[str, pd.DataFrame], members: dict[str, Member], w: Window
) -> list[tuple[Member, str, pd.DataFrame, str]]:
    """Small, otherwise valid files that each break one rule: (member, file name, rows, rule)."""
    last_month = month_label(w.last)
    last_quarter = quarter_label(w.last)

    def pick(
        member_id: str, period: str, indicator: str, with_breakdowns: bool = False
    ) -> pd.DataFrame:
        obs = frames[member_id]
        rows = (obs["period"] == period) & (obs["indicator"] == indicator)
        if not with_breakdowns:
            rows &= obs["dimension"] == ""
        return obs.loc[rows].assign(status="A", note="", missing=False).reset_index(drop=True)

    email = pick("hl-north", last_month, "HL_NTD_NOTICES_SENT")
    email.loc[0, "note"] = (
        "Figures checked by the data team, questions to stats.desk@example.org please."
    )

    sar = pick("pay-remit", last_month, "PAY_SAR_FILED", with_breakdowns=True)
    biggest = sar.loc[sar["dimension"] != "", "value"].idxmax()
    sar.loc[biggest, "value"] -= 1
    leaked = sar.loc[[biggest]].assign(category=iban("NL", "EFCX0123456789"), value=1)
    sar = pd.concat([sar, leaked], ignore_index=True)

    negative = pick("le-beta", last_quarter, "LE_VICTIMS_IDENTIFIED")
    negative.loc[0, "value"] = -3

    unknown = pick("ind-isp", last_month, "IND_NOTICES_RECEIVED").assign(
        indicator="IND_URLS_BLOCKED", value=120
    )

    not_a_number = pick("ngo-helpline", last_quarter, "NGO_HELPLINE_CONTACTS")

    faults = [
        (
            members["hl-north"],
            f"hotline-stats-{last_month}-addendum.csv",
            email,
            "identifying_email",
        ),
        (members["pay-remit"], f"remit_{last_month}_sar_detail.csv", sar, "identifying_iban"),
        (
            members["le-beta"],
            file_name(members["le-beta"].style, last_quarter).replace(".csv", "_complement.csv"),
            negative,
            "value_non_negative",
        ),
        (members["ind-isp"], f"isp_{last_month}_blocking.csv", unknown, "indicator_in_catalogue"),
        (
            members["ngo-helpline"],
            f"helpline_{last_quarter}_draft.csv",
            not_a_number,
            "value_is_number",
        ),
    ]
    return faults


def not_a_number_bytes(obs: pd.DataFrame, style: FileStyle) -> bytes:
    """CSV whose only value is a word-and-number estimate that no number convention can settle."""
    data = frame_bytes(obs, style, "").decode(style.encoding)
    header, row = data.splitlines()[:2]
    cells = row.split(style.delimiter)
    cells[style.columns.index("value")] = "ca. 900"
    return (header + style.newline + style.delimiter.join(cells) + style.newline).encode(
        style.encoding
    )


# ------------------------------------------------------------------ reference files for clones


def write_scaled_reference(out_dir: Path, members: list[Member]) -> list[Path]:
    """Members and plan with the clones, for loading a benchmark inbox (not itself ingested)."""
    member_rows = [(m.member_id, m.name, m.sector, m.country, m.reporting_since) for m in members]
    plan_rows = [
        (m.member_id, ind, m.frequency, frm) for m in members for ind, frm in m.plan.items()
    ]
    return [
        write_csv(
            out_dir / "_reference_members.csv",
            ["member_id", "name", "sector", "country", "reporting_since"],
            member_rows,
        ),
        write_csv(
            out_dir / "_reference_reporting_plan.csv",
            ["member_id", "indicator", "frequency", "from_period"],
            plan_rows,
        ),
    ]


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return write_file(path, buffer.getvalue().encode("utf-8"))


# ------------------------------------------------------------------ entry points


@dataclass(frozen=True)
class Sample:
    """What one run wrote: the files (sorted) and the observation rows in the regular files."""

    files: list[Path]
    observations: int


def generate_sample(
    out_dir: Path,
    *,
    seed: int = 20261128,
    years: int = 5,
    member_scale: int = 1,
    last_quarter: str = "2026-Q3",
    include_faults: bool = True,
    reference_dir: Path = REFERENCE_DIR,
) -> list[Path]:
    """Write an inbox (`out_dir/<member_id>/<file>`), expected_outcomes.csv and arrivals.csv;
    return the files."""
    return write_sample(
        out_dir,
        seed=seed,
        years=years,
        member_scale=member_scale,
        last_quarter=last_quarter,
        include_faults=include_faults,
        reference_dir=reference_dir,
    ).files


def write_sample(
    out_dir: Path,
    *,
    seed: int = 20261128,
    years: int = 5,
    member_scale: int = 1,
    last_quarter: str = "2026-Q3",
    include_faults: bool = True,
    reference_dir: Path = REFERENCE_DIR,
) -> Sample:
    """generate_sample, also counting observations (benchmarks size their runs by it)."""
    if member_scale < 1:
        raise ValueError("member_scale must be at least 1")
    out_dir = Path(out_dir)
    w = make_window(last_quarter, years)
    tables = read_reference(reference_dir)
    indicators = tables["indicators"]
    units = dict(zip(indicators["indicator"], indicators["unit"], strict=True))
    due_days = int(tables["reporting_deadline"]["due_days"].iloc[0])
    members = build_members(tables, w, member_scale, seed)
    base_ids = list(dict.fromkeys(m.base_id for m in members))

    written: list[Path] = []
    arrivals: list[tuple[Path, dt.datetime]] = []
    originals: dict[str, pd.DataFrame] = {}
    observations = 0
    for member in members:
        base_index = base_ids.index(member.base_id)
        obs = simulate_member(seed, member, base_index, w, units)
        obs = apply_events(obs, member)
        if member.clone == 1:
            originals[member.member_id] = obs
        observations += len(obs)
        sent = write_member_files(out_dir, member, obs)
        written += [path for path, _ in sent]
        rng = np.random.default_rng([seed, base_index, member.clone, 5])
        arrived = arrivals_of(rng, sent, member.params, due_days)
        if member.member_id == VERY_LATE[0]:
            arrived = [
                (path, arrival_time(rng, w.last, due_days + VERY_LATE[1]))
                if last_month == w.last - 2
                else (path, at)
                for (path, at), (_, last_month) in zip(arrived, sent, strict=True)
            ]
        arrivals += arrived

    by_id = {m.member_id: m for m in members}
    outcomes: list[tuple[str, str, str, str]] = []
    late_rng = np.random.default_rng([seed, 98])

    west = by_id["hl-west"]
    corrected_month = month_label(w.last - 1)
    original_name = file_name(west.style, corrected_month)
    corrected_name = original_name.replace(".", "_v2.", 1)
    corrected = correction(np.random.default_rng([seed, 99]), originals["hl-west"], corrected_month)
    path = write_file(
        out_dir / west.member_id / corrected_name,
        frame_bytes(corrected, west.style, west.member_id),
    )
    written.append(path)
    arrivals.append((path, arrival_time(late_rng, w.last, due_days + CORRECTION_DAYS_LATE)))
    outcomes += [
        (west.member_id, original_name, "superseded", ""),
        (west.member_id, corrected_name, "accepted", ""),
    ]

    if include_faults:
        for member, name, rows, rule in fault_files(originals, by_id, w):
            data = (
                not_a_number_bytes(rows, member.style)
                if rule == "value_is_number"
                else frame_bytes(rows, member.style, member.member_id)
            )
            path = write_file(out_dir / member.member_id / name, data)
            written.append(path)
            arrivals.append((path, arrival_time(late_rng, w.last, member.params["sends_after"])))
            outcomes.append((member.member_id, name, "rejected", rule))

    written.append(
        write_csv(
            out_dir / "expected_outcomes.csv",
            ["member_id", "file", "expected_state", "expected_rule"],
            sorted(outcomes),
        )
    )
    written.append(write_arrivals(out_dir, arrivals))
    if member_scale > 1:
        written += write_scaled_reference(out_dir, members)
    return Sample(files=sorted(written), observations=observations)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sample_generator",
        description="Write a seeded sample inbox of invented member submissions.",
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="inbox folder to write (one sub-folder per member)"
    )
    parser.add_argument(
        "--seed", type=int, default=20261128, help="random seed; the same seed gives the same bytes"
    )
    parser.add_argument(
        "--years", type=int, default=5, help="years of data ending with --last-quarter"
    )
    parser.add_argument(
        "--member-scale",
        type=int,
        default=1,
        help="copies of the sample members (clones are named hl-north-2, ...) for benchmarks",
    )
    parser.add_argument("--last-quarter", default="2026-Q3", help="last quarter of data, YYYY-Qn")
    parser.add_argument(
        "--no-faults", action="store_true", help="leave out the deliberately faulty files"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    sample = write_sample(
        args.out,
        seed=args.seed,
        years=args.years,
        member_scale=args.member_scale,
        last_quarter=args.last_quarter,
        include_faults=not args.no_faults,
    )
    print(
        f"wrote {len(sample.files)} files, {sample.observations:,} observations, to {args.out} "
        f"in {time.perf_counter() - started:.1f}s"
    )
    return 0

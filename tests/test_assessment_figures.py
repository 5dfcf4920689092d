"""Known answers for the figures the report's methodology and commercial chapters print."""

from __future__ import annotations

import math
from dataclasses import replace

import duckdb
import pandas as pd

from tests.test_statistics import build
from transforms.assessment import (
    MEMBER_VALUE_KEYS,
    coverage_matrix,
    ratio_by_quarter,
    read_member_values,
)


def periods(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["member_id", "sector", "indicator", "period",
                                       "is_received", "state", "is_revised"])


def test_coverage_matrix_counts_members_per_sector_and_month():
    data = build([{"member_id": "hl-a", "quarter": "2026-Q3",
                   "indicator": "HL_URLS_CONFIRMED", "value": 1.0}])
    data = replace(data, reporting_periods=periods([
        # hl-a: everything on time; hl-b: August late, September overdue
        *[("hl-a", "hotline", "HL_URLS_CONFIRMED", m, True, "on_time", False)
          for m in ("2026-07", "2026-08", "2026-09")],
        ("hl-b", "hotline", "HL_URLS_CONFIRMED", "2026-07", True, "on_time", False),
        ("hl-b", "hotline", "HL_URLS_CONFIRMED", "2026-08", True, "arrived_late", False),
        ("hl-b", "hotline", "HL_URLS_CONFIRMED", "2026-09", False, "overdue", False),
        # a quarterly reporter covers the three months; a correction revised it
        ("pay-a", "payment", "PAY_FLAGGED_TXN_COUNT", "2026-Q3", True, "on_time", True),
    ]))
    matrix = coverage_matrix(data).set_index(["sector", "month"])
    assert matrix.loc[("hotline", "2026-07")].tolist() == [2, 2, 0, 0]
    assert matrix.loc[("hotline", "2026-08")].tolist() == [2, 2, 1, 0]
    assert matrix.loc[("hotline", "2026-09")].tolist() == [2, 1, 1, 0]
    for month in ("2026-07", "2026-08", "2026-09"):
        assert matrix.loc[("payment", month)].tolist() == [1, 1, 0, 1]


def test_ratio_by_quarter_counts_only_members_reporting_both():
    rows = [{"member_id": "hl-a", "quarter": "2026-Q3", "indicator": "HL_URLS_CONFIRMED",
             "value": 1000.0},
            {"member_id": "hl-a", "quarter": "2026-Q3", "indicator": "HL_PAYMENT_OPTIONS_SEEN",
             "value": 50.0},
            # hl-b reports confirmed URLs only: it must not dilute the ratio
            {"member_id": "hl-b", "quarter": "2026-Q3", "indicator": "HL_URLS_CONFIRMED",
             "value": 9000.0},
            {"member_id": "hl-a", "quarter": "2026-Q2", "indicator": "HL_URLS_CONFIRMED",
             "value": 800.0}]
    ratio = ratio_by_quarter(build(rows), "HL_PAYMENT_OPTIONS_SEEN", "HL_URLS_CONFIRMED",
                             ["2026-Q2", "2026-Q3"]).set_index("quarter")
    assert ratio.at["2026-Q3", "ratio"] == 0.05 and ratio.at["2026-Q3", "members"] == 1
    assert math.isnan(ratio.at["2026-Q2", "ratio"]) and ratio.at["2026-Q2", "members"] == 0


def test_member_values_arrive_as_reading_their_text_would_give_them():
    """DuckDB hands the keys over as ENUMs (codes, not a string per row); the frame is the one
    that reading text and `astype("category")` give: sorted, unordered categories, a null key
    missing, a quote kept; an empty mart too."""
    con = duckdb.connect()
    con.execute("create table quarterly_member_values (member_id varchar, sector varchar, "
                "quarter varchar, indicator varchar, dimension varchar, category varchar, "
                "value double, is_complete boolean)")
    con.executemany("insert into quarterly_member_values values (?, ?, ?, ?, ?, ?, ?, ?)", [
        ("hl-b", "hotline", "2026-Q3", "HL_URLS_CONFIRMED", "", "", 4.0, True),
        ("hl-a", None, "2026-Q2", "HL_URLS_CONFIRMED", "hosting_country", "Côte d'Ivoire",
         1.0, False),
        ("hl-a", "hotline", "2026-Q3", "HL_URLS_CONFIRMED", "hosting_country", "NL", None,
         True),
        ("pay-a", "payment", "2026-Q3", "PAY_FLAGGED_TXN_COUNT", "", "", 2.0, True),
    ])
    for _ in range(2):  # with rows, then empty
        as_text = con.execute("select * from quarterly_member_values").df().astype(
            dict.fromkeys(MEMBER_VALUE_KEYS, "category"))
        read = read_member_values(con)
        pd.testing.assert_frame_equal(read, as_text)
        con.execute("delete from quarterly_member_values")
    assert list(as_text.columns) == list(read.columns)

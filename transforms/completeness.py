"""Which periods the reporting plan expects of each member, and whether and when they arrived.

Read by the nightly warehouse suite (overdue periods are flagged) and by the quarterly
assessment's coverage matrix (expected, submitted, late, revised), so both count alike.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

import duckdb
import numpy as np
import pandas as pd

from transforms.periods import parse_period, quarter_months
from transforms.sql_files import sql


def period_months(periods: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The first and last month (as month indexes) of each period, monthly or quarterly.

    Each distinct period is parsed once: a history repeats a few hundred periods over
    hundreds of thousands of rows.
    """
    codes, distinct = pd.factorize(periods)
    spans = [parse_period(period) for period in distinct]
    first = np.array([span.first_month for span in spans], dtype="int64")
    last = np.array([span.last_month for span in spans], dtype="int64")
    return first[codes], last[codes]


def _period_end(last_month: int) -> date:
    year, month0 = divmod(last_month, 12)
    return date(year, month0 + 1, calendar.monthrange(year, month0 + 1)[1])


def _by_month(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per month that each row's period spans (a quarter spans three)."""
    first, last = period_months(frame["period"])
    months = last - first + 1
    offset = np.arange(months.sum()) - np.repeat(np.cumsum(months) - months, months)
    return frame.loc[frame.index.repeat(months)].assign(
        month=np.repeat(first, months) + offset)


def reporting_due_days(con: duckdb.DuckDBPyConnection) -> int:
    """Days after its end that a period of the reporting plan is due (reporting_deadline.csv)."""
    [(due_days,)] = con.execute("select due_days from reporting_deadline").fetchall()
    return due_days


def completeness(con: duckdb.DuckDBPyConnection, quarter: str, *, as_of: datetime,
                 today: date) -> pd.DataFrame:
    """Per member, indicator and period the reporting plan expects in `quarter`: did it arrive.

    A period arrived when observations loaded by `as_of` cover all its months (a quarter
    figure covers its three months); `received_on` is the day the last of them arrived.
    `state` is on_time, arrived_late, overdue (not arrived the plan's due days after the
    period ended) or not_yet_due; `is_revised`: a later file corrected some of it by `as_of`.
    """
    plan = con.execute(sql("reporting_plan_with_sectors")).df()
    plan["period"] = [[quarter] if frequency == "quarter" else quarter_months(quarter)
                      for frequency in plan["frequency"]]
    expected = plan.explode("period", ignore_index=True)
    expected = expected.loc[period_months(expected["period"])[0]
                            >= period_months(expected["from_period"])[0]].reset_index(drop=True)

    # Only the quarter's periods can cover its months: the rest of the history is not read.
    arrived = con.execute(sql("periods_loaded"), {
        "as_of": as_of, "periods": [quarter, *quarter_months(quarter)]}).df()
    month_key = ["member_id", "indicator", "month"]
    first_loaded = _by_month(arrived).groupby(month_key).agg(
        loaded_at=("loaded_at", "min"), is_revised=("is_revised", "any"))
    months = _by_month(expected.reset_index(names="row")).join(first_loaded, on=month_key)
    months["is_revised"] = months["is_revised"].eq(True)  # a month not loaded: not revised
    coverage = months.groupby("row").agg(months=("month", "count"),
                                         months_loaded=("loaded_at", "count"),
                                         received_at=("loaded_at", "max"),
                                         is_revised=("is_revised", "any"))

    out = expected.join(coverage)
    out["is_received"] = out["months_loaded"] == out["months"]
    due_days = timedelta(days=reporting_due_days(con))
    out["due_on"] = [_period_end(m) + due_days
                     for m in period_months(out["period"])[1]]
    received_on = pd.to_datetime(out["received_at"], utc=True).dt.date
    out["received_on"] = received_on.where(out["is_received"])
    due = pd.Series(out["due_on"], index=out.index)
    out["state"] = np.select(
        [out["is_received"] & (received_on <= due), out["is_received"], due < today],
        ["on_time", "arrived_late", "overdue"], default="not_yet_due")
    out.insert(0, "quarter", quarter)
    return out[["quarter", "member_id", "sector", "indicator", "frequency", "period",
                "due_on", "is_received", "received_on", "state", "is_revised"]].sort_values(
        ["member_id", "indicator", "period"], ignore_index=True)

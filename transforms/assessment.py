"""The figures of a quarterly assessment, read from the marts as the data stood at a cut-off.

Plain functions over DataFrames. Totals come from complete member quarters; a change between
two quarters is like-for-like: it adds only the members that reported the indicator in both.
Every frame returned carries `contributors` so disclosure control can judge each cell.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from transforms.completeness import completeness, reporting_due_days
from transforms.derived import DerivedFigures
from transforms.marts import refresh_marts
from transforms.periods import parse_period, quarter_months, shift_quarter
from transforms.sql_files import sql


@dataclass(frozen=True)
class AssessmentData:
    """Everything the assessment reads, fixed at one cut-off."""

    quarter: str
    as_of: datetime
    member_values: pd.DataFrame   # quarterly_member_values
    totals: pd.DataFrame          # quarterly_indicator_totals
    coverage: pd.DataFrame        # reporting_coverage
    members: pd.DataFrame
    indicators: pd.DataFrame
    series_breaks: pd.DataFrame
    submissions_used: pd.DataFrame  # submission_id, sha256, member_id, state
    # What arrived and what was wrong with it (empty where the data were built by hand).
    files_by_state: pd.DataFrame = field(  # state, files: every file received by the cut-off
        default_factory=lambda: pd.DataFrame(columns=["state", "files"]))
    problems_by_rule: pd.DataFrame = field(  # severity, rule, files: rule ids, never values
        default_factory=lambda: pd.DataFrame(columns=["severity", "rule", "files"]))
    warehouse_flags: pd.DataFrame = field(  # severity, rule, rows: the quarter's flags
        default_factory=lambda: pd.DataFrame(columns=["severity", "rule", "rows"]))
    # Each period the reporting plan expects in the quarter: arrived, late, revised (see
    # transforms.completeness); the coverage matrix counts members from it.
    reporting_periods: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=[
        "member_id", "sector", "indicator", "period", "is_received", "state", "is_revised"]))
    reporting_due_days: int = 30  # a period is late this many days after it ends
    # Breakdowns whose categories need not add up to the total ("INDICATOR|dimension": a URL
    # counted under every payment option it shows); every other breakdown is taken to add up.
    breakdowns_not_adding_up: frozenset[str] = frozenset()
    # Figures derived from these data, each computed once and shared by both editions of a
    # run (transforms.derived); not a field a caller sets: every AssessmentData makes its own.
    figures: DerivedFigures = field(default_factory=DerivedFigures, init=False, compare=False,
                                    repr=False)

    def window(self, quarters: int) -> list[str]:
        """The `quarters` quarters ending with the assessed one, oldest first."""
        return [shift_quarter(self.quarter, -i) for i in range(quarters - 1, -1, -1)]


def default_cut_off(con: duckdb.DuckDBPyConnection) -> datetime:
    """The moment of the last change of data: rerunning with no new data gives the same bytes,
    and a file loaded a moment later is never inside an edition built before it (the minute
    after the last change, the cut-off before, took such a file in when read again)."""
    latest = con.execute("select max(state_changed_at) from submissions").fetchall()[0][0]
    if latest is None:
        return datetime.now(UTC).replace(second=0, microsecond=0)
    return latest.astimezone(UTC)


# The member values' keys: the editions pick rows by them thousands of times (an indicator's
# quarter, a member), and a categorical compares its codes where text compares each string.
MEMBER_VALUE_KEYS = ("member_id", "sector", "quarter", "indicator", "dimension", "category")


def read_member_values(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """quarterly_member_values with its keys as the categoricals `astype("category")` makes.

    DuckDB hands each key over as an ENUM of its sorted texts, that is as codes. Read as text,
    every row's keys were Python strings before they became categoricals: for the 3.1M rows of
    5M observations, a peak of 3.2 GB against 2.0 GB, and 3.2 s against 0.9 s.
    """
    columns = [name for name, *_ in con.execute(
        "select * from quarterly_member_values limit 0").description]
    chosen = []
    for name in columns:
        texts = sorted(text for (text,) in con.execute(
            f"select distinct {name} from quarterly_member_values where {name} is not null"
        ).fetchall()) if name in MEMBER_VALUE_KEYS else []
        chosen.append(f"cast({name} as enum({', '.join(map(_sql_text, texts))})) as {name}"
                      if texts else name)
    values = con.execute(f"select {', '.join(chosen)} from quarterly_member_values").df()
    for key in MEMBER_VALUE_KEYS:  # an ENUM comes as an ordered categorical
        column = values[key]
        values[key] = column.cat.as_unordered() \
            if isinstance(column.dtype, pd.CategoricalDtype) else column.astype("category")
    return values


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def read_assessment_data(con: duckdb.DuckDBPyConnection, quarter: str,
                         as_of: datetime | None = None) -> AssessmentData:
    """Build the marts as of `as_of` (default: default_cut_off) in temp tables of a read-only
    connection and read them."""
    as_of = as_of or default_cut_off(con)
    refresh_marts(con, as_of, temp=True)

    def frame(query: str, params: dict | list | None = None) -> pd.DataFrame:
        return con.execute(query, params or []).df()

    return AssessmentData(
        quarter=quarter, as_of=as_of,
        member_values=read_member_values(con),
        totals=frame("select * from quarterly_indicator_totals"),
        coverage=frame("select * from reporting_coverage"),
        members=frame("select * from members order by member_id"),
        indicators=frame("select * from indicators order by indicator"),
        series_breaks=frame("select * from series_breaks"),
        submissions_used=frame(sql("submissions_used")),
        files_by_state=frame(sql("files_by_state"), {"as_of": as_of}),
        problems_by_rule=problems_by_rule(frame(
            "select submission_id, problems from submissions where received_at <= ?",
            [as_of])),
        warehouse_flags=frame(sql("warehouse_flags_by_rule"), {
            "as_of": as_of, "quarter": quarter, "months": quarter_months(quarter)}),
        reporting_periods=completeness(con, quarter, as_of=as_of, today=as_of.date()),
        reporting_due_days=reporting_due_days(con),
        breakdowns_not_adding_up=frozenset(
            f"{indicator}|{dimension}" for indicator, dimension in con.execute(
                "select indicator, dimension from indicator_dimensions where not is_exhaustive"
            ).fetchall()),
    )


def problems_by_rule(submissions: pd.DataFrame) -> pd.DataFrame:
    """Files with at least one problem of each rule (from the receipts' masked problem lists)."""
    pairs = {(sid, p["severity"], p["rule"])
             for sid, problems in zip(submissions["submission_id"], submissions["problems"],
                                      strict=True)
             for p in json.loads(problems)}
    frame = pd.DataFrame(sorted(pairs), columns=["submission_id", "severity", "rule"])
    return (frame.groupby(["severity", "rule"]).size().rename("files").reset_index()
            if not frame.empty else pd.DataFrame(columns=["severity", "rule", "files"]))


def like_for_like_change(data: AssessmentData, indicator: str, quarter: str,
                         base_quarter: str) -> dict:
    """Change of an indicator's total between two quarters over members complete in both."""
    values = data.member_values
    totals = values[(values["indicator"] == indicator) & (values["dimension"] == "")
                    & values["is_complete"] & values["value"].notna()]
    now = totals[totals["quarter"] == quarter].set_index("member_id")["value"]
    then = totals[totals["quarter"] == base_quarter].set_index("member_id")["value"]
    both = now.index.intersection(then.index)
    value_now, value_then = float(now[both].sum()), float(then[both].sum())
    change = (value_now - value_then) / value_then if value_then > 0 else np.nan
    return {"indicator": indicator, "quarter": quarter, "base_quarter": base_quarter,
            "value": value_now, "base_value": value_then, "change": change,
            "contributors": len(both), "members_now": len(now), "members_then": len(then)}


def series_breaks(data: AssessmentData, indicator: str) -> dict[str | None, set[str]]:
    """Quarters from which each member's series of the indicator starts afresh (key None:
    every member), from the catalogue's `series_breaks` and from values sent with status `B`.

    The one place breaks are worked out: the models split a series there and the charts mark
    the same quarters, so a marker cannot miss a break a model used.
    """
    found: dict[str | None, set[str]] = {}
    catalogue = data.series_breaks[data.series_breaks["indicator"] == indicator]
    for member, period in zip(catalogue["member_id"], catalogue["period"], strict=True):
        parsed = parse_period(str(period))
        if parsed is not None:
            key = None if pd.isna(member) or member == "" else str(member)
            found.setdefault(key, set()).add(parsed.quarter)
    values = data.member_values
    flagged = values[(values["indicator"] == indicator) & values["has_series_break"]]
    for member, quarter in zip(flagged["member_id"], flagged["quarter"], strict=True):
        found.setdefault(str(member), set()).add(str(quarter))
    return found


def series_breaks_in(data: AssessmentData, indicator: str, quarters: list[str]) -> list[str]:
    """Quarters in the window where a series break of the indicator falls, for any member."""
    return sorted({q for own in series_breaks(data, indicator).values() for q in own
                   if q in quarters})


def coverage_by_sector(data: AssessmentData, quarters: list[str]) -> pd.DataFrame:
    """Members expected and members that sent every expected indicator, per sector and quarter."""
    cov = data.coverage[data.coverage["quarter"].isin(quarters)]
    per_member = cov.groupby(["quarter", "sector", "member_id"]).agg(
        expected=("indicator", "count"), complete=("is_complete", "sum")).reset_index()
    per_member["is_complete"] = per_member["complete"] == per_member["expected"]
    per_member["is_partial"] = (per_member["complete"] > 0) & ~per_member["is_complete"]
    return per_member.groupby(["sector", "quarter"]).agg(
        members_expected=("member_id", "count"), members_complete=("is_complete", "sum"),
        members_partial=("is_partial", "sum")).reset_index()


def coverage_matrix(data: AssessmentData) -> pd.DataFrame:
    """Members per sector and month of the quarter: expected, submitted, late and revised.

    A member is expected in a month when its plan asks for any period covering it (a quarterly
    figure covers all three months), submitted when every such period arrived complete, late
    when one arrived after its due day or is overdue, revised when a later file corrected one.
    """
    periods = data.reporting_periods
    columns = ["sector", "month", "expected", "submitted", "late", "revised"]
    if periods.empty:
        return pd.DataFrame(columns=columns)
    months = quarter_months(data.quarter)
    rows = periods.assign(month=[months if "Q" in p else [p] for p in periods["period"]])
    rows = rows.explode("month")
    rows["is_late"] = rows["state"].isin(["arrived_late", "overdue"])
    per_member = rows.groupby(["sector", "month", "member_id"]).agg(
        submitted=("is_received", "all"), late=("is_late", "any"),
        revised=("is_revised", "any")).reset_index()
    return per_member.groupby(["sector", "month"]).agg(
        expected=("member_id", "count"), submitted=("submitted", "sum"),
        late=("late", "sum"), revised=("revised", "sum")).reset_index()[columns]


def ratio_by_quarter(data: AssessmentData, numerator: str, denominator: str,
                     quarters: list[str]) -> pd.DataFrame:
    """One indicator's total over another's per quarter, from the members complete in both
    (a member reporting only one of them cannot tilt the ratio)."""
    values = data.member_values
    totals = values[(values["dimension"] == "") & values["is_complete"]
                    & values["value"].notna() & values["quarter"].isin(quarters)
                    & values["indicator"].isin([numerator, denominator])]
    wide = totals.pivot_table(index=["quarter", "member_id"], columns="indicator",
                              values="value", aggfunc="sum").dropna()
    if wide.empty or numerator not in wide or denominator not in wide:
        return pd.DataFrame({"quarter": quarters, "ratio": np.nan, "members": 0})
    sums = wide.groupby("quarter").agg(num=(numerator, "sum"), den=(denominator, "sum"),
                                       members=(numerator, "count"))
    sums["ratio"] = sums["num"] / sums["den"].where(sums["den"] > 0)
    out = sums.reindex(quarters)
    return pd.DataFrame({"quarter": quarters, "ratio": out["ratio"].to_numpy(),
                         "members": out["members"].fillna(0).astype("int64").to_numpy()})

class NotAssessable(ValueError):
    """The quarter cannot be assessed as asked; the message says why and what to do."""


def check_assessable(snapshot: Path, quarter: str, as_of: datetime | None,
                     now: datetime) -> None:
    """Refuse, before any work, an assessment that could not be rebuilt identically later.

    A quarter not yet ended, or a cut-off in the future, would give a report that later data
    change under the same name; a quarter with no contributions at the cut-off has nothing to
    assess. `snapshot`: the readers' copy of the warehouse (a missing one is published later).
    """
    start = parse_period(quarter).start
    end = parse_period(shift_quarter(quarter, 1)).start if start <= now.date() else None
    if end is None or end > now.date():
        raise NotAssessable(
            f"{quarter} has not {'begun' if end is None else 'ended'} (today is "
            f"{now:%Y-%m-%d}): its data are still coming in, and a report must be rebuildable "
            "identically later; assess a quarter that has ended")
    if as_of is not None and as_of > now:
        raise NotAssessable(
            f"the cut-off {as_of:%Y-%m-%d %H:%M %Z} is in the future: data arriving before it "
            "would change a report issued under it; give a past cut-off or leave --as-of out")
    if not snapshot.exists():
        if not (snapshot.parent / "warehouse.duckdb").exists():
            raise NotAssessable(f"{snapshot.parent} holds no data yet: run efc ingest first")
        return
    try:
        with duckdb.connect(str(snapshot), read_only=True) as con:
            cut_off = as_of or now
            found = con.execute(sql("quarter_observation_count"),
                                {"quarter": quarter, "cut_off": cut_off}).fetchone()[0]
            first, last = con.execute(
                "select min(quarter), max(quarter) from observations").fetchone()
    except duckdb.Error as error:
        raise NotAssessable(
            f"the snapshot {snapshot} cannot be read ({str(error).splitlines()[0]}); delete it "
            "and run again: a new one is published from the warehouse") from None
    if not found:
        held = (f"the warehouse holds {first} to {last}" if first
                else "the warehouse holds no observations yet: run efc ingest")
        at = f" as the data stood at {as_of:%Y-%m-%d %H:%M %Z}" if as_of else ""
        raise NotAssessable(f"no member contributed data for {quarter}{at}; {held}")

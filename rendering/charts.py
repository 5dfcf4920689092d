"""Charts of the assessment: plain data in, a Figure dict (inline SVG + alt text) out.

One style for every chart: Okabe-Ito colours (safe for colour-blind readers), DejaVu
Sans at 8 pt, units in the axis labels, no title inside the image (the caption lives in
the HTML). Every chart is drawn at the width of the A4 text block (170 mm), so text in
the PDF prints at its nominal size.

Determinism: the SVG must be byte-identical for identical data, so the hash salt is
fixed, no date or creator metadata is written, and the Figure objects are built without
pyplot (nothing global to leak or close). Text is kept as SVG <text>
(``svg.fonttype="none"``): WeasyPrint draws it with the same DejaVu Sans it embeds for
the body text, so chart labels stay selectable and searchable in the PDF.

Alt text is written from the data (first and last values, rises and falls, suppressed
cells), and carried both in the Figure dict and as the SVG <title>, which WeasyPrint
turns into the /Alt of the tagged Figure in PDF/UA.

Value ``kind`` decides how numbers print on axes, bar labels and in the alt text:
``count``, ``eur``, ``pct`` (values are fractions: 0.58 is 58%), ``days`` or ``number``.
NaN is a suppressed or missing cell: a gap in a line, no bar and a ``c`` label in bars.
"""

from __future__ import annotations

import functools
import io
import math
import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ParamSpec, TypeVar

import matplotlib as mpl
import pandas as pd
from markupsafe import escape
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, Formatter, MaxNLocator, NullLocator

from rendering.formatting import (
    SUPPRESSED,
    fmt_change_pct,
    fmt_count,
    fmt_days,
    fmt_eur,
    fmt_number,
    fmt_pct,
    fmt_points,
)

__all__ = [
    "OKABE_ITO",
    "bar_chart",
    "colour_map",
    "fan_chart",
    "grouped_bar_chart",
    "interval_chart",
    "line_chart",
    "sparkline",
    "stacked_share_chart",
]

# Okabe & Ito (2008), in the order series take them; black is last, grey is a 9th.
OKABE_ITO = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#56B4E9",  # sky blue
    "#CC79A7",  # reddish purple
    "#F0E442",  # yellow
    "#000000",  # black
    "#999999",  # grey
)
SUPPRESSED_GREY = "#BBBBBB"  # the suppressed parts' segment: lighter than the 9th colour
INK = "#222222"
MUTED = "#666666"

TEXT_WIDTH_IN = 170 / 25.4  # A4 (210 mm) less 2 × 20 mm margins
FONT_SIZE_PT = 8

STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": FONT_SIZE_PT,
    "axes.labelsize": FONT_SIZE_PT,
    "xtick.labelsize": FONT_SIZE_PT,
    "ytick.labelsize": FONT_SIZE_PT,
    "legend.fontsize": FONT_SIZE_PT,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "axes.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.axisbelow": True,
    "axes.prop_cycle": mpl.cycler(color=OKABE_ITO),
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "xtick.labelcolor": INK,
    "ytick.labelcolor": INK,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.5,
    "legend.frameon": False,
    "svg.fonttype": "none",
    "svg.hashsalt": "efc-assessment",
    "svg.image_inline": True,
    "path.simplify": False,
}
_NO_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}
_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_MAX_SERIES = len(OKABE_ITO)
_ALT_MAX_ITEMS = 12
P = ParamSpec("P")
R = TypeVar("R")

_VALUE_TEXT: dict[str, Callable[[Any], str]] = {
    "count": fmt_count,
    "eur": fmt_eur,
    "pct": lambda v: fmt_pct(v, 1),
    "days": fmt_days,
    "number": lambda v: fmt_number(v, 1),
    "points": fmt_points,
}
_TICK_TEXT: dict[str, Callable[[Any, int], str]] = {
    "count": lambda v, d: fmt_number(v, d),
    "eur": lambda v, d: fmt_eur(v, d),
    "pct": lambda v, d: fmt_pct(v, d),
    "days": lambda v, d: fmt_number(v, d),
    "number": lambda v, d: fmt_number(v, d),
    "points": lambda v, d: fmt_points(v, d),
}
# Tick steps per kind: counts and euros step by whole units, shares by whole or half
# percent where the range allows, so that no two ticks print the same label.
_TICK_STEPS = {"count": [1, 2, 2.5, 5, 10], "eur": [1, 2, 2.5, 5, 10],
               "pct": [1, 2, 2.5, 5, 10], "days": [1, 2, 2.5, 5, 10],
               "number": [1, 2, 2.5, 5, 10], "points": [1, 2, 2.5, 5, 10]}
# Relative changes on a ratio scale are ticked at these changes (0.5 is +50%), as many as
# fit without their labels touching; the axis ends on one at or beyond the outermost value.
CHANGE_TICKS = (-0.99, -0.9, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0,
                20.0, 50.0, 100.0)
INTERVAL_AXES = {"change": "Change (%, ratio scale: equal distances are equal ratios)",
                 "points": "Change in share (percentage points)"}
MIN_SHOWN_SHARE = 1 / 3  # a chart with fewer of its points published is replaced by a sentence
MIN_SHOWN_POINTS = 3
SUPPRESSED_SEGMENT = "suppressed"
SUPPRESSED_SEGMENT_NOTE = ("Shares are of the published total; the grey segment is the "
                           "suppressed parts together (the total less the published parts), "
                           "so each bar adds to 100%.")


# ----------------------------------------------------------------------------- charts


def _house_style(draw: Callable[P, R]) -> Callable[P, R]:
    """Run a chart function under the house rcParams (they are read while drawing)."""
    @functools.wraps(draw)
    def styled(*args: P.args, **kwargs: P.kwargs) -> R:
        with mpl.rc_context(STYLE):
            return draw(*args, **kwargs)
    return styled


@_house_style
def line_chart(frame: pd.DataFrame, *, x: str, y: str, series: str | None, y_label: str,
               caption: str, fig_id: str, gaps_note: str | None = None,
               kind: str = "count", breaks: Sequence[Any] = (),
               colours: Mapping[str, str] | None = None) -> dict:
    """Lines over ordered x (quarters); NaN or absent points are gaps.

    ``breaks`` lists x values where a new, non-comparable series starts: the line is
    not joined across them and a dashed rule marks the break. ``gaps_note`` is appended
    to the caption and alt text when the chart shows any gap or break.
    """
    _check(frame, fig_id, kind, [x, y] + ([series] if series else []))
    xs = sorted(frame[x].unique())
    groups = _series_values(frame, x=x, y=y, series=series, order=xs)
    if sparse := _too_sparse(fig_id, caption, groups):
        return sparse
    positions = range(len(xs))
    break_at = sorted(xs.index(b) for b in breaks if b in xs)

    fig, ax = _new_figure(2.6)
    for (name, values), colour in zip(groups, _colours(groups, colours), strict=True):
        first = True
        for start, stop in _segments(len(xs), break_at):
            ax.plot(list(positions)[start:stop], values[start:stop], color=colour,
                    linewidth=1.6, marker="o", markersize=3, clip_on=False,
                    label=(name if first and series else None))
            first = False
    _mark_breaks(ax, break_at)
    ax.set_xticks(list(positions), _x_labels(xs),
                  rotation=(45 if len(xs) > 12 else 0))
    ax.set_xlim(-0.4, len(xs) - 0.6)
    shown = [v for _, values in groups for v in values if not pd.isna(v)]
    _value_axis(ax, "y", kind, y_label, shown, from_zero=_all_non_negative(frame[y]))
    ax.grid(axis="y")
    if series:
        _legend(fig, len(groups))

    gaps = sum(int(pd.isna(v)) for _, values in groups for v in values)
    sentences = [f"Line chart by {x}, {xs[0]} to {xs[-1]}: {y_label}."]
    # Describe change like for like: after a break, only the newest comparable stretch.
    start = break_at[-1] if break_at else 0
    sentences += [_trend_sentence(name if series else y_label, xs[start:], values[start:],
                                  kind) for name, values in groups]
    if gaps == 1:
        sentences.append("1 suppressed or missing value is shown as a gap.")
    elif gaps:
        sentences.append(f"{gaps} suppressed or missing values are shown as gaps.")
    if break_at:
        sentences.append("Series break before " + ", ".join(str(xs[b]) for b in break_at)
                         + ": values either side are not comparable, so changes are "
                         f"described from {xs[start]}.")
    has_gaps = bool(gaps or break_at)
    return _figure(fig, fig_id, caption, sentences, gaps_note if has_gaps else None)


@_house_style
def fan_chart(history: Sequence[tuple[str, float]], ahead: Sequence[tuple[str, float, float,
              float, float, float]], *, y_label: str, caption: str, fig_id: str,
              kind: str = "count", breaks: Sequence[str] = ()) -> dict:
    """A published history and its forecast fan: the central forecast with its 80% and 95%
    prediction intervals as shaded bands. `ahead`: (quarter, central, low80, high80, low95,
    high95), already rounded as the edition prints forecasts."""
    xs = [q for q, _ in history] + [q for q, *_ in ahead]
    past = [v for _, v in history]
    now = len(history) - 1
    steps = list(range(now, len(xs)))
    central = [past[-1]] + [a[1] for a in ahead]
    fig, ax = _new_figure(2.4)
    for (low, high), alpha in (((4, 5), 0.18), ((2, 3), 0.35)):
        ax.fill_between(steps, [past[-1]] + [a[low] for a in ahead],
                        [past[-1]] + [a[high] for a in ahead], color=OKABE_ITO[0],
                        alpha=alpha, linewidth=0)
    break_at = sorted(xs.index(b) for b in breaks if b in xs[:len(history)])
    for start, stop in _segments(len(history), break_at):
        ax.plot(range(start, stop), past[start:stop], color=INK, linewidth=1.6, marker="o",
                markersize=3, clip_on=False)
    ax.plot(steps, central, color=OKABE_ITO[0], linewidth=1.6, linestyle="--", marker="o",
            markersize=3, clip_on=False)
    _mark_breaks(ax, break_at)
    ax.axvline(now + 0.5, color=MUTED, linewidth=0.6, linestyle=":")
    ax.set_xticks(range(len(xs)), _x_labels(xs), rotation=(45 if len(xs) > 12 else 0))
    ax.set_xlim(-0.4, len(xs) - 0.6)
    shown = past + [v for a in ahead for v in a[1:]]
    _value_axis(ax, "y", kind, y_label, shown, from_zero=True)
    ax.grid(axis="y")
    text = _VALUE_TEXT[kind]
    sentences = [f"Line chart by quarter, {xs[0]} to {xs[-1]}: {y_label}, published to "
                 f"{history[-1][0]}, then forecast with shaded 80% and 95% prediction "
                 "intervals."]
    sentences += [f"{q}: central forecast {text(c)} (80% interval {text(l8)} to {text(h8)}; "
                  f"95% interval {text(l9)} to {text(h9)})." for q, c, l8, h8, l9, h9 in ahead]
    return _figure(fig, fig_id, caption, sentences, None)


@_house_style
def stacked_share_chart(frame: pd.DataFrame, *, x: str, category: str, share: str,
                        y_label: str, caption: str, fig_id: str,
                        colours: Mapping[str, str] | None = None,
                        breaks: Sequence[Any] = ()) -> dict:
    """100% stacked bars of shares per x (each part's share of the published total).

    Where parts are hidden, their sum (the published total less the published parts, itself
    computed from published cells only) is one grey "suppressed" segment, so a bar adds to
    100% on the same base as the chapter's tables. An x whose shares are all hidden has no bar
    and a ``c``, as the bar charts mark a hidden value, and the caption says so.
    ``breaks`` are x values where a non-comparable series starts.
    """
    _check(frame, fig_id, "pct", [x, category, share])
    xs = sorted(frame[x].unique())
    cats = _series_values(frame, x=x, y=share, series=category, order=xs)
    if len(cats) > _MAX_SERIES:
        raise ValueError(f"{fig_id}: {len(cats)} categories; at most {_MAX_SERIES}")
    if sparse := _too_sparse(fig_id, caption, cats):
        return sparse
    sums = [sum(v for _, values in cats if not pd.isna(v := values[i]))
            for i in range(len(xs))]
    rest = [max(0.0, 1.0 - sums[i]) if sums[i] > 0 and any(
        pd.isna(values[i]) for _, values in cats) else float("nan") for i in range(len(xs))]
    rest = [0.0 if r < 0.0005 else r for r in rest]  # rounding, not a hidden part
    partial = any(not pd.isna(r) and r > 0 for r in rest)
    shown = [*cats, (SUPPRESSED_SEGMENT, rest)] if partial else cats
    palette = [*_colours(cats, colours), *([SUPPRESSED_GREY] if partial else [])]

    fig, ax = _new_figure(2.9)
    bottoms = [0.0] * len(xs)
    for (name, values), colour in zip(shown, palette, strict=True):
        heights = [0.0 if pd.isna(v) else float(v) for v in values]
        ax.bar(range(len(xs)), heights, bottom=bottoms, width=0.7, color=colour,
               edgecolor="white", linewidth=0.5, label=name)
        label_colour = _label_colour(colour)
        for i, (h, b) in enumerate(zip(heights, bottoms, strict=True)):
            if h >= 0.08:
                ax.text(i, b + h / 2, fmt_pct(h, 0), ha="center", va="center",
                        color=label_colour, fontsize=FONT_SIZE_PT - 1)
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    empty = [i for i in range(len(xs)) if all(pd.isna(values[i]) for _, values in cats)]
    for i in empty:
        _mark_hidden(ax, i, 0.01)
    _mark_breaks(ax, sorted(xs.index(b) for b in breaks if b in xs))
    ax.set_xticks(range(len(xs)), _x_labels(xs))
    _value_axis(ax, "y", "pct", y_label, [0.0, 1.0], from_zero=True)
    # Legend top-to-bottom in the order segments stack bottom-to-top, read from the top.
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], loc="center left", bbox_to_anchor=(1.01, 0.5))

    suppressed = sum(int(pd.isna(v)) for _, values in cats for v in values)
    ranked = sorted(cats, key=lambda item: -_last_valid(item[1], default=-1.0))
    sentences = [f"100% stacked bar chart by {x}, {xs[0]} to {xs[-1]}: {y_label}."]
    sentences += [_trend_sentence(name, xs, values, "pct") for name, values in ranked]
    if suppressed:
        sentences.append(f"{suppressed} suppressed {_plural(suppressed, 'share')} "
                         f"{'is' if suppressed == 1 else 'are'} left out.")
    if partial:
        sentences.append("The suppressed parts together: " + "; ".join(
            f"{x_} {fmt_pct(r)}" for x_, r in zip(xs, rest, strict=True)
            if not pd.isna(r) and r > 0) + ".")
    empty_note = (f"{SUPPRESSED} marks a {x} whose shares are all suppressed, drawn without a "
                  f"bar: {', '.join(str(xs[i]) for i in empty)}." if empty else "")
    notes = " ".join(filter(None, [SUPPRESSED_SEGMENT_NOTE if partial else "", empty_note]))
    return _figure(fig, fig_id, caption, sentences, notes or None)


@_house_style
def bar_chart(frame: pd.DataFrame, *, category: str, value: str, value_label: str,
              caption: str, fig_id: str, horizontal: bool = True,
              kind: str = "count") -> dict:
    """Bars in the frame's order (first at the top); a NaN value shows no bar and ``c``."""
    _check(frame, fig_id, kind, [category, value])
    names = [str(c) for c in frame[category]]
    values = [float("nan") if pd.isna(v) else float(v) for v in frame[value]]
    if len(set(names)) != len(names):
        raise ValueError(f"{fig_id}: duplicate categories in {category!r}")
    if sparse := _too_sparse(fig_id, caption, [(value, values)]):
        return sparse
    heights = [0.0 if math.isnan(v) else v for v in values]
    top = max(heights, default=0.0) or 1.0
    text = _VALUE_TEXT[kind]

    if horizontal:
        fig, ax = _new_figure(0.6 + 0.24 * len(names))
        ax.barh(range(len(names)), heights, height=0.65, color=OKABE_ITO[0])
        ax.set_yticks(range(len(names)), names)
        ax.invert_yaxis()
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        for i, v in enumerate(values):
            label = SUPPRESSED if math.isnan(v) else text(v)
            ax.text((0 if math.isnan(v) else v) + top * 0.01, i, label,
                    va="center", ha="left", color=INK, fontsize=FONT_SIZE_PT - 0.5)
        _value_axis(ax, "x", kind, value_label, [top * 1.12], from_zero=True)
        ax.grid(axis="x")
    else:
        fig, ax = _new_figure(2.6)
        ax.bar(range(len(names)), heights, width=0.65, color=OKABE_ITO[0])
        ax.set_xticks(range(len(names)), names, rotation=(30 if len(names) > 8 else 0),
                      ha=("right" if len(names) > 8 else "center"))
        ax.tick_params(axis="x", length=0)
        for i, v in enumerate(values):
            label = SUPPRESSED if math.isnan(v) else text(v)
            ax.text(i, (0 if math.isnan(v) else v) + top * 0.01, label,
                    ha="center", va="bottom", color=INK, fontsize=FONT_SIZE_PT - 0.5)
        _value_axis(ax, "y", kind, value_label, [top * 1.12], from_zero=True)
        ax.grid(axis="y")

    items = [f"{n} {SUPPRESSED + ' (suppressed)' if math.isnan(v) else text(v)}"
             for n, v in zip(names, values, strict=True)]
    sentences = [f"Bar chart by {category}: {value_label}.", _list_sentence(items)]
    return _figure(fig, fig_id, caption, sentences, None)


@_house_style
def grouped_bar_chart(frame: pd.DataFrame, *, x: str, series: str, value: str,
                      value_label: str, caption: str, fig_id: str,
                      kind: str = "count", colours: Mapping[str, str] | None = None,
                      breaks: Sequence[Any] = ()) -> dict:
    """Vertical bars grouped by x, one colour per series; NaN shows no bar and ``c``;
    a dashed rule marks each series break (an x value where a new series starts)."""
    _check(frame, fig_id, kind, [x, series, value])
    xs = list(pd.unique(frame[x]))
    groups = _series_values(frame, x=x, y=value, series=series, order=xs)
    if len(groups) > _MAX_SERIES:
        raise ValueError(f"{fig_id}: {len(groups)} series; at most {_MAX_SERIES}")
    if sparse := _too_sparse(fig_id, caption, groups):
        return sparse
    width = 0.8 / len(groups)
    finite = [v for _, values in groups for v in values if not pd.isna(v)]
    top = max(finite, default=0.0) or 1.0
    text = _VALUE_TEXT[kind]

    fig, ax = _new_figure(2.6)
    for k, ((name, values), colour) in enumerate(
            zip(groups, _colours(groups, colours), strict=True)):
        offsets = [i - 0.4 + width * (k + 0.5) for i in range(len(xs))]
        ax.bar(offsets, [0.0 if pd.isna(v) else v for v in values], width=width * 0.92,
               color=colour, label=name)
        for pos, v in zip(offsets, values, strict=True):
            if pd.isna(v):
                _mark_hidden(ax, pos, top * 0.01)
    _mark_breaks(ax, sorted(xs.index(b) for b in breaks if b in xs))
    ax.set_xticks(range(len(xs)), _x_labels(xs))
    ax.tick_params(axis="x", length=0)
    _value_axis(ax, "y", kind, value_label, [top * 1.08], from_zero=True)
    ax.grid(axis="y")
    _legend(fig, len(groups))

    per_x = []
    for i, xv in enumerate(xs[:_ALT_MAX_ITEMS]):
        parts = [f"{name} {SUPPRESSED if pd.isna(values[i]) else text(values[i])}"
                 for name, values in groups]
        per_x.append(f"{xv}: " + ", ".join(parts))
    sentences = [f"Grouped bar chart by {x} and {series}: {value_label}."]
    sentences.append("; ".join(per_x) + ".")
    if len(xs) > _ALT_MAX_ITEMS:
        sentences.append(f"{len(xs) - _ALT_MAX_ITEMS} further groups are not described.")
    if any(pd.isna(v) for _, values in groups for v in values):
        sentences.append(f"{SUPPRESSED} marks a suppressed value.")
    return _figure(fig, fig_id, caption, sentences, None)


@_house_style
def interval_chart(rows: Sequence[Mapping[str, Any]], *, caption: str, fig_id: str,
                   omitted: Sequence[str] = ()) -> dict:
    """Dot-and-interval (forest) chart of estimated changes, one row per judgement (first at
    the top): the estimate, its 95% interval, a line at no change and a dashed mark at the
    margin the judgement says the change exceeds; the estimate and interval as printed stand
    right of each row.

    A row is `label`, `scale`, `estimate`, `low`, `high`, `margin`. Scale ``change`` is a
    relative change (0.12 is +12%) drawn on a ratio scale, where a rise to eleven times and
    a fall by a quarter both read; ``points`` is a change in a share (0.05 is +5 pp). Rows
    of the two scales are two panels. `omitted` names judgements left out (their interval is
    not published), for the alt text.
    """
    if not _ID_RE.match(fig_id):
        raise ValueError(f"fig_id {fig_id!r} must match {_ID_RE.pattern}")
    unknown = {row["scale"] for row in rows} - set(INTERVAL_AXES)
    if unknown or not rows:
        raise ValueError(f"{fig_id}: no rows, or unknown scale(s) {sorted(unknown)}")
    panels = [(scale, [r for r in rows if r["scale"] == scale]) for scale in INTERVAL_AXES
              if any(r["scale"] == scale for r in rows)]
    fig = Figure(figsize=(TEXT_WIDTH_IN, 0.8 + 0.4 * len(rows) + 0.6 * (len(panels) - 1)),
                 layout="constrained")
    grid = fig.add_gridspec(len(panels), 2, width_ratios=[2.1, 1],
                            height_ratios=[len(panel) + 1.2 for _, panel in panels])
    ratio_axes = []
    for p, (scale, panel) in enumerate(panels):
        ax = fig.add_subplot(grid[p, 0])
        printed = fig.add_subplot(grid[p, 1], sharey=ax)
        at = (lambda v: 1.0 + v) if scale == "change" else (lambda v: v)
        text = _INTERVAL_TEXT[scale]
        ax.axvline(at(0.0), color=INK, linewidth=0.8)
        for i, row in enumerate(panel):
            first = p == 0 and i == 0
            ax.plot([at(row["low"]), at(row["high"])], [i, i], color=OKABE_ITO[0],
                    linewidth=2.2, solid_capstyle="butt", label="95% interval" if first else None)
            ax.plot([at(row["estimate"])], [i], "o", color=OKABE_ITO[0], markersize=5.5,
                    markeredgecolor="white", markeredgewidth=0.8,
                    label="Estimate" if first else None)
            ax.plot([at(row["margin"])] * 2, [i - 0.34, i + 0.34], color=OKABE_ITO[3],
                    linewidth=1.4, linestyle=(0, (2, 1.2)),
                    label="Margin the judgement states" if first else None)
            printed.text(0.02, i, f"{text(row['estimate'])} ({text(row['low'])} to "
                         f"{text(row['high'])})", va="center", ha="left", color=INK,
                         fontsize=FONT_SIZE_PT - 0.5, transform=printed.get_yaxis_transform())
        ax.set_ylim(len(panel) - 0.5, -0.5)
        ax.set_yticks(range(len(panel)), [textwrap.fill(r["label"], 30) for r in panel])
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        shown = [v for r in panel for v in (r["low"], r["high"], r["margin"], 0.0)]
        if scale == "change":
            _ratio_axis(ax, [at(v) for v in shown], INTERVAL_AXES[scale])
            ratio_axes.append(ax)
        else:
            _value_axis(ax, "x", "points", INTERVAL_AXES[scale], shown, from_zero=False)
        ax.grid(axis="x")
        printed.axis("off")
        if p == 0:
            printed.set_title("Estimate (95% interval)", loc="left", color=MUTED,
                              fontsize=FONT_SIZE_PT)
    _legend(fig, 3)
    for ax in ratio_axes:
        _ratio_ticks(ax)

    sentences = ["Dot-and-interval chart of the key judgements above, a row each: the "
                 "estimated change with its 95% interval, a line at no change and a dashed "
                 "mark at the margin the judgement says the change exceeds"
                 + ("; relative changes on a ratio scale" if panels[0][0] == "change" else "")
                 + "."]
    sentences += [_interval_sentence(row) for _, panel in panels for row in panel]
    if omitted:
        sentences.append(f"{len(omitted)} further {_plural(len(omitted), 'judgement')} "
                         f"({'; '.join(omitted)}) not drawn: "
                         f"{'its' if len(omitted) == 1 else 'their'} interval is suppressed.")
    return _figure(fig, fig_id, caption, sentences, None)


def sparkline(values: Sequence[float | None], *, kind: str = "count",
              breaks: Sequence[int] = ()) -> str:
    """A 96 × 24 px inline SVG trend line (no axes); None/NaN are gaps, the latest
    quarter is dotted in vermillion when it has a value. ``breaks`` are the positions
    where a new series starts: the line is not joined across them and a dashed rule
    marks each."""
    if kind not in _VALUE_TEXT:
        raise ValueError(f"unknown kind {kind!r}")
    points = [None if v is None or pd.isna(v) else float(v) for v in values]
    finite = [v for v in points if v is not None]
    width, height, pad = 96.0, 24.0, 3.0
    lo, hi = (min(finite), max(finite)) if finite else (0.0, 0.0)
    step = (width - 2 * pad) / max(len(points) - 1, 1)

    def y_of(v: float) -> float:
        if hi == lo:
            return height / 2
        return pad + (hi - v) / (hi - lo) * (height - 2 * pad)

    # Runs of consecutive values: a line each, or a dot when a value stands alone.
    runs: list[list[tuple[float, float]]] = [[]]
    starts = {b for b in breaks if 0 < b < len(points)}
    for i, v in enumerate(points):
        if i in starts:
            runs.append([])
        if v is None:
            runs.append([])
        else:
            runs[-1].append((pad + i * step, y_of(v)))
    shapes = [f'<line x1="{pad + (b - 0.5) * step:.2f}" y1="0" x2="{pad + (b - 0.5) * step:.2f}" '
              f'y2="{height:.0f}" stroke="{MUTED}" stroke-width="0.8" '
              'stroke-dasharray="2,1.5"/>' for b in sorted(starts)]
    for run in filter(None, runs):
        if len(run) == 1:
            shapes.append(f'<circle cx="{run[0][0]:.2f}" cy="{run[0][1]:.2f}" r="1.2" '
                          f'fill="{OKABE_ITO[0]}"/>')
        else:
            coords = " ".join(f"{px:.2f},{py:.2f}" for px, py in run)
            shapes.append(f'<polyline points="{coords}" fill="none" stroke="{OKABE_ITO[0]}" '
                          'stroke-width="1.5" stroke-linejoin="round" '
                          'stroke-linecap="round"/>')
    if runs[-1]:  # the latest quarter has a value: mark it
        px, py = runs[-1][-1]
        shapes.append(f'<circle cx="{px:.2f}" cy="{py:.2f}" r="2.2" fill="{OKABE_ITO[3]}"/>')
    alt = _sparkline_alt(points, kind)
    if starts:
        alt = alt[:-1] + f"; {len(starts)} series {_plural(len(starts), 'break')} marked."
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" '
            f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} '
            f'{height:.0f}" role="img"><title>{escape(alt)}</title>'
            + "".join(shapes) + "</svg>")


def colour_map(categories: Sequence[str]) -> dict[str, str]:
    """Okabe-Ito colours in order; pass one map to every chart of a breakdown (card,
    e-wallet, …) so that a category keeps its colour from chart to chart."""
    if len(categories) > _MAX_SERIES:
        raise ValueError(f"{len(categories)} categories; at most {_MAX_SERIES} colours")
    return {str(c): colour for c, colour in zip(categories, OKABE_ITO, strict=False)}


# ---------------------------------------------------------------------------- helpers


def _colours(groups: list[tuple[str, list[float]]],
             colours: Mapping[str, str] | None) -> list[str]:
    """The colour of each series: from `colours` when given, else Okabe-Ito in order."""
    if colours is None:
        return list(OKABE_ITO[:len(groups)])
    missing = [name for name, _ in groups if name not in colours]
    if missing:
        raise KeyError(f"no colour for {missing}; extend the colour map")
    return [colours[name] for name, _ in groups]


def _label_colour(background: str) -> str:
    """White or ink, whichever has the higher WCAG contrast on `background` (#RRGGBB)."""
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(int(background[i:i + 2], 16) / 255) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "white" if 1.05 / (luminance + 0.05) > (luminance + 0.05) / 0.05 else INK


def _check(frame: pd.DataFrame, fig_id: str, kind: str, columns: list[str]) -> None:
    """Fail early and clearly on an id, kind or frame the chart cannot draw."""
    if not _ID_RE.match(fig_id):
        raise ValueError(f"fig_id {fig_id!r} must match {_ID_RE.pattern}")
    if kind not in _VALUE_TEXT:
        raise ValueError(f"{fig_id}: unknown kind {kind!r}; use one of {sorted(_VALUE_TEXT)}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"{fig_id}: frame has no column(s) {missing}")
    if frame.empty:
        raise ValueError(f"{fig_id}: no rows to chart")


def _series_values(frame: pd.DataFrame, *, x: str, y: str, series: str | None,
                   order: list[Any]) -> list[tuple[str, list[float]]]:
    """(name, values aligned on `order`) per series in order of first appearance."""
    names = [None] if series is None else list(pd.unique(frame[series]))
    if len(names) > _MAX_SERIES:
        raise ValueError(f"{len(names)} series in {series!r}; at most {_MAX_SERIES}")
    out = []
    for name in names:
        part = frame if name is None else frame[frame[series] == name]
        if part[x].duplicated().any():
            raise ValueError(f"duplicate {x} values for series {name!r}")
        values = pd.to_numeric(part.set_index(x)[y], errors="raise").reindex(order)
        out.append(("" if name is None else str(name), [float(v) for v in values]))
    return out


def _x_labels(xs: Sequence[Any]) -> list[str]:
    """Tick labels; a long run of quarters prints as 'Q4' over '2023' so labels never collide."""
    labels = [str(v) for v in xs]
    if len(labels) > 8 and all(re.fullmatch(r"\d{4}-Q[1-4]", label) for label in labels):
        return [f"{label[5:]}\n{label[:4]}" for label in labels]
    return labels


def _segments(n: int, break_at: list[int]) -> list[tuple[int, int]]:
    """Index ranges [start, stop) between series breaks."""
    edges = [0, *break_at, n]
    return [(a, b) for a, b in zip(edges, edges[1:], strict=False) if b > a]


def _new_figure(height_in: float) -> tuple[Figure, Any]:
    """A figure the width of the text block with one axes."""
    fig = Figure(figsize=(TEXT_WIDTH_IN, height_in), layout="constrained")
    return fig, fig.add_subplot()


def _value_axis(ax: Any, which: str, kind: str, label: str, shown: Sequence[float],
                from_zero: bool = True) -> None:
    """Label the value axis (with its unit), tick it per value kind and end it on a tick.

    Ticks step by whole units of the kind (whole counts, euros, percent points where the
    range allows) and print with as many decimals as keep them distinct, so two ticks never
    read alike. The axis ends on the first tick at or above the highest value shown, so no
    point or bar stands above the top label and none is clipped.
    """
    axis = ax.yaxis if which == "y" else ax.xaxis
    finite = [float(v) for v in shown if not pd.isna(v)] or [0.0]
    lo = 0.0 if from_zero else min(finite)
    hi = max(finite)
    scale = 100.0 if kind in ("pct", "points") else 1.0
    locator = MaxNLocator(nbins=5, steps=_TICK_STEPS[kind],
                          integer=(kind in ("count", "eur")))
    if hi <= lo:
        hi = lo + (0.01 if kind == "pct" else 1.0)
    ticks = [t / scale for t in locator.tick_values(lo * scale, hi * scale)]
    bottom = max((t for t in ticks if t <= lo + 1e-12), default=lo)
    top = min((t for t in ticks if t >= hi - 1e-12), default=hi)
    axis.set_major_locator(_FixedTicks([t for t in ticks if bottom - 1e-12 <= t <= top + 1e-12]))
    axis.set_major_formatter(_DistinctTicks(kind))
    (ax.set_ylim if which == "y" else ax.set_xlim)(bottom, top)
    if which == "y":
        # Wrap a long label to the axis height (8 pt DejaVu Sans is ~4.8 pt a character).
        height_pt = ax.figure.get_figheight() * 72 * 0.8
        label = textwrap.fill(label, width=max(int(height_pt / (FONT_SIZE_PT * 0.6)), 16))
    axis.set_label_text(label)


class _FixedTicks(FixedLocator):
    """The ticks `_value_axis` chose, whatever limits matplotlib asks about."""


class _DistinctTicks(Formatter):
    """Tick labels of a value kind with the fewest decimals that keep every label distinct."""

    def __init__(self, kind: str):
        self.kind = kind
        self.digits = 0

    def format_ticks(self, values: Sequence[float]) -> list[str]:
        text = _TICK_TEXT[self.kind]
        for digits in range(4):
            labels = [text(v, digits) for v in values]
            if len(set(labels)) == len(labels):
                break
        self.digits = digits
        return labels

    def __call__(self, x: float, pos: int | None = None) -> str:
        return _TICK_TEXT[self.kind](x, self.digits)


_INTERVAL_TEXT: dict[str, Callable[..., str]] = {"change": fmt_change_pct,
                                                    "points": fmt_points}


def _ratio_axis(ax: Any, ratios: Sequence[float], label: str) -> None:
    """A log axis of ratios, to be ticked as changes by `_ratio_ticks` once laid out."""
    ticks = [1.0 + c for c in CHANGE_TICKS]
    ax.set_xscale("log")
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticks([])
    ax.set_xlim(max((t for t in ticks if t <= min(ratios)), default=ticks[0]),
                min((t for t in ticks if t >= max(ratios)), default=ticks[-1]))
    ax.set_xlabel(label)


def _ratio_ticks(ax: Any) -> None:
    """Tick a ratio axis as changes (`CHANGE_TICKS`): no change always, each end on a tick
    at or beyond the outermost value, and between them as many ticks as stand a label's
    width apart on the axis as drawn, nearest no change first."""
    ticks = [1.0 + c for c in CHANGE_TICKS]
    labels = {t: fmt_change_pct(t - 1.0, 0) for t in ticks}
    bottom, top = (min(ticks, key=lambda t, v=v: abs(math.log(t / v))) for v in ax.get_xlim())
    ax.figure.draw_without_rendering()  # the axis's width once the layout has placed it
    width_pt = ax.get_window_extent().width * 72 / ax.figure.dpi

    def apart(a: float, b: float) -> bool:  # half of each label and a space between
        room = (len(labels[a]) + len(labels[b])) / 2 * 0.75 * FONT_SIZE_PT + 8
        return abs(math.log10(a / b)) / math.log10(top / bottom) * width_pt >= room

    while not apart(bottom, 1.0) and bottom != ticks[0]:  # an end by no change: widen
        bottom = ticks[ticks.index(bottom) - 1]
    while not apart(top, 1.0) and top != ticks[-1]:
        top = ticks[ticks.index(top) + 1]
    kept = [bottom, 1.0, top]
    for tick in sorted((t for t in ticks if bottom < t < top), key=lambda t: abs(math.log(t))):
        if all(apart(tick, k) for k in kept):
            kept.append(tick)
    kept.sort()
    ax.set_xticks(kept, [labels[t] for t in kept])
    ax.set_xlim(bottom, top)


def _interval_sentence(row: Mapping[str, Any]) -> str:
    """A row of the interval chart in words: its figures and where its interval lies."""
    text = _INTERVAL_TEXT[row["scale"]]
    margin, low, high = row["margin"], row["low"], row["high"]
    if margin < 0:
        margin, low, high = -margin, -high, -low
    word = "rise" if row["margin"] > 0 else "fall"
    size = f"{margin * 100:g}" + ("%" if row["scale"] == "change" else " percentage points")
    if low > margin:
        where = "the whole interval lies beyond the margin"
    elif low > 0:
        where = f"the whole interval is a {word}, part of it within the margin"
    else:
        where = "the interval reaches across no change"
    return (f"{row['label']}: {text(row['estimate'])} (95% interval {text(row['low'])} to "
            f"{text(row['high'])}), judged a {word} of more than {size}: {where}.")


def _mark_hidden(ax, x: float, y: float) -> None:
    """The table's mark for a suppressed value, where its bar would stand."""
    ax.text(x, y, SUPPRESSED, ha="center", va="bottom", color=INK, fontsize=FONT_SIZE_PT - 1)


def _mark_breaks(ax: Any, break_at: Sequence[int]) -> None:
    """A dashed rule and 'series break' before each position where a new series starts."""
    for b in break_at:
        ax.axvline(b - 0.5, color=MUTED, linewidth=0.8, linestyle=(0, (3, 2)))
        ax.text(b - 0.45, 1.0, "series break", transform=ax.get_xaxis_transform(),
                ha="left", va="top", color=MUTED, fontsize=FONT_SIZE_PT - 1)


def _too_sparse(fig_id: str, caption: str,
                groups: Sequence[tuple[str, Sequence[float]]]) -> dict | None:
    """A chart with almost nothing to show (fewer than 3 points, or fewer than a third of
    its points published) becomes the sentence saying why, as `{"id", "withheld"}`."""
    total = sum(len(values) for _, values in groups)
    shown = sum(1 for _, values in groups for v in values if not pd.isna(v))
    if shown >= MIN_SHOWN_POINTS and shown >= MIN_SHOWN_SHARE * total:
        return None
    what = caption.split(". ")[0].rstrip(".")
    return {"id": fig_id, "withheld": (
        f"{what} is not charted: {f'only {shown}' if shown else 'none'} of its {total} "
        f"{_plural(total, 'value')} can be published ({'the others' if shown else 'they'} are "
        "suppressed or were not reported), too few to show a pattern.")}


def _legend(fig: Figure, n: int) -> None:
    """A one-row legend above the plot, left-aligned (charts carry no title)."""
    fig.legend(loc="outside upper left", ncols=min(n, 5), handlelength=1.6,
               columnspacing=1.4)


def _all_non_negative(values: pd.Series) -> bool:
    finite = pd.to_numeric(values, errors="coerce").dropna()
    return bool((finite >= 0).all())


def _figure(fig: Figure, fig_id: str, caption: str, sentences: list[str],
            gaps_note: str | None) -> dict:
    """Serialise `fig` to inline SVG with a <title>, and build the Figure dict."""
    if gaps_note:
        caption = f"{caption.rstrip()} {gaps_note.strip()}"
        sentences = [*sentences, gaps_note.strip()]
    alt = " ".join(sentences)
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata=_NO_METADATA)
    return {"id": fig_id, "svg": _inline_svg(buffer.getvalue(), fig_id, alt),
            "caption": caption, "alt": alt}


def _inline_svg(svg: str, fig_id: str, alt: str) -> str:
    """Make matplotlib's SVG file fit inside HTML.

    Drops the XML prolog and doctype, scopes every id with the figure id (two charts
    in one document would otherwise share clip-path ids), makes the image scale to the
    column and adds the alt text as <title>.
    """
    svg = svg[svg.index("<svg"):]
    # WeasyPrint's HTML style engine also reads style="" inside inline SVG and warns on
    # every SVG property; presentation attributes mean the same to its SVG renderer.
    svg = re.sub(r"\s*<defs>\s*<style[^<]*</style>\s*</defs>", "", svg, count=1)
    svg = re.sub(r'style="([^"]*)"', _presentation_attributes, svg)
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{fig_id}--\1"', svg)
    svg = re.sub(r'url\(#([^)]+)\)', rf'url(#{fig_id}--\1)', svg)
    svg = re.sub(r'xlink:href="#([^"]+)"', rf'xlink:href="#{fig_id}--\1"', svg)
    open_tag_end = svg.index(">") + 1
    open_tag = svg[:open_tag_end]
    open_tag = open_tag.replace("<svg ", f'<svg class="chart" role="img" '
                                        f'aria-labelledby="{fig_id}--title" '
                                        'stroke-linejoin="round" stroke-linecap="butt" ', 1)
    title = f'<title id="{fig_id}--title">{escape(alt)}</title>'
    return open_tag + title + svg[open_tag_end:].rstrip() + "\n"


def _presentation_attributes(match: re.Match[str]) -> str:
    """'fill: #222; stroke: none' -> 'fill="#222" stroke="none"'."""
    declarations = (d.split(":", 1) for d in match.group(1).split(";") if d.strip())
    return " ".join(f'{name.strip()}="{value.strip()}"' for name, value in declarations)


def _trend_sentence(name: str, xs: list[Any], values: list[float], kind: str) -> str:
    """'<name> rose from A to B between X0 and X1' from first and last valid points."""
    text = _VALUE_TEXT[kind]
    valid = [(x, v) for x, v in zip(xs, values, strict=True) if not pd.isna(v)]
    if not valid:
        return f"{name}: all values suppressed or missing."
    (x0, v0), (x1, v1) = valid[0], valid[-1]
    if len(valid) == 1:
        return f"{name} was {text(v0)} in {x0} (the only value shown)."
    a, b = text(v0), text(v1)
    if a == b:
        verb = f"was {b} in both {x0} and {x1}"
        return f"{name} {verb}."
    verb = "rose" if v1 > v0 else "fell"
    return f"{name} {verb} from {a} to {b} between {x0} and {x1}."


def _sparkline_alt(points: list[float | None], kind: str) -> str:
    text = _VALUE_TEXT[kind]
    finite = [v for v in points if v is not None]
    n = len(points)
    if not finite:
        return f"Trend over {n} quarters: no values shown."
    gaps = n - len(finite)
    alt = (f"Trend over {n} quarters: from {text(finite[0])} to {text(finite[-1])}, "
           f"lowest {text(min(finite))}, highest {text(max(finite))}")
    if gaps:
        alt += f"; {gaps} {_plural(gaps, 'quarter')} suppressed or missing"
    return alt + "."


def _last_valid(values: list[float], default: float) -> float:
    for v in reversed(values):
        if not pd.isna(v):
            return float(v)
    return default


def _list_sentence(items: list[str]) -> str:
    shown = items[:_ALT_MAX_ITEMS]
    more = len(items) - len(shown)
    return "; ".join(shown) + (f"; and {more} more." if more else ".")


def _plural(n: int, word: str) -> str:
    return word if n == 1 else word + "s"

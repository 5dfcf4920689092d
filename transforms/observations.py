"""From parsed text rows to the canonical observation frame: trimmed codes and numeric values.

The decimal mark is settled once per file (CONTRACT.md): evidence from any value decides
for all, and a value the file's own convention cannot settle is an error, never a guess.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from checks.problems import Problem
from transforms.parsing import COLUMNS
from transforms.periods import parse_period

SPACES = re.compile(r"[\s\u00a0\u202f']")
PLAIN = re.compile(r"^[+-]?\d+$")
ONE_MARK = re.compile(r"^[+-]?(\d+)([.,])(\d+)$")
GROUPED = re.compile(r"^[+-]?\d{1,3}(?P<sep>[.,])\d{3}(?:(?P=sep)\d{3})+$")
BOTH = re.compile(r"^[+-]?\d{1,3}(?:([.,])\d{3})*([.,])\d+$")
CODE_COLUMNS_UPPER = ("indicator", "status")
CODE_COLUMNS_LOWER = ("member_id", "dimension")


def _evidence(text: str) -> str | None:
    """The decimal mark a value proves ('.' or ','), 'ambiguous', or None when it has no mark."""
    if PLAIN.match(text):
        return None
    if m := GROUPED.match(text):
        return "," if m["sep"] == "." else "."
    if (m := BOTH.match(text)) and m[1] and m[1] != m[2]:
        return m[2]
    if m := ONE_MARK.match(text):
        whole, mark, fraction = m.groups()
        if len(fraction) == 3 and 1 <= len(whole) <= 3 and whole != "0":
            return "ambiguous"
        return mark
    return "invalid"


def settle_decimal_mark(texts: pd.Series) -> str | None:
    """The file's decimal mark from all its values: '.', ',' or None when nothing settles it.

    Raises ValueError when values prove both marks.
    """
    marks = {_evidence(t) for t in texts if t}
    proven = marks & {".", ","}
    if len(proven) > 1:
        raise ValueError("values use both a decimal point and a decimal comma")
    return proven.pop() if proven else None


def parse_value(text: str, mark: str | None) -> float | str:
    """The number `text` stands for under the file's mark, or a rule id saying why it is not one."""
    evidence = _evidence(text)
    if evidence is None:
        return float(text)
    if evidence == "invalid":
        return "value_is_number"
    if evidence == "ambiguous" and mark is None:
        return "value_decimal_mark_ambiguous"
    if evidence in {".", ","} and mark is not None and evidence != mark:
        return "value_decimal_mark_inconsistent"
    decimal = mark or evidence
    thousands = "," if decimal == "." else "."
    return float(text.replace(thousands, "").replace(decimal, "."))


VALUE_MESSAGES = {
    "value_is_number": ("'{value}' is not a number.",
                        "Write the number only (digits with one decimal mark), without units "
                        "or symbols; leave it empty only with status M or L."),
    "value_decimal_mark_ambiguous": (
        "'{value}' could be read as thousands or as a decimal; nothing else in the file "
        "settles which mark is the decimal one.",
        "Write numbers without thousands separators (1234.5 or 1234,5)."),
    "value_decimal_mark_inconsistent": (
        "'{value}' uses a different decimal mark from the rest of the file.",
        "Use one decimal mark throughout the file."),
}


def canonical_observations(rows: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """Trim and case the codes, read the values; return the frame and problems with values."""
    frame = pd.DataFrame({"source_row": rows["source_row"].astype("int64")})
    for column in COLUMNS:
        text = rows[column] if column in rows else pd.Series("", index=rows.index, dtype="str")
        frame[column] = text.fillna("").astype("str").str.strip()
    for column in CODE_COLUMNS_UPPER:
        frame[column] = frame[column].str.upper()
    for column in CODE_COLUMNS_LOWER:
        frame[column] = frame[column].str.lower()
    frame["status"] = frame["status"].where(frame["status"] != "", "A")

    problems: list[Problem] = []
    texts = frame["value"].str.replace(SPACES, "", regex=True)
    try:
        mark = settle_decimal_mark(texts)
    except ValueError:
        mark = None
        problems.append(Problem(
            severity="error", rule="value_decimal_mark_inconsistent", column="value",
            message="Some values use a decimal point and others a decimal comma.",
            fix="Use one decimal mark throughout the file."))
    values = np.full(len(frame), np.nan)
    for i, text in enumerate(texts):
        if not text:
            continue
        result = parse_value(text, mark)
        if isinstance(result, float):
            values[i] = result
        else:
            message, fix = VALUE_MESSAGES[result]
            shown = frame["value"].iat[i]
            problems.append(Problem(
                severity="error", rule=result, row=int(frame["source_row"].iat[i]),
                column="value", value=shown, message=message.format(value=shown), fix=fix))
    frame["value_text"] = frame["value"]
    frame["value"] = values
    periods = frame["period"].map(parse_period)
    frame["frequency"] = periods.map(lambda p: p.frequency if p else None)
    frame["quarter"] = periods.map(lambda p: p.quarter if p else None)
    frame["period_first_month"] = periods.map(
        lambda p: p.first_month if p else None).astype("Int64")
    return frame, problems


def uppercase_country_codes(frame: pd.DataFrame, code_list_of_dimension: dict[str, str]
                            ) -> pd.DataFrame:
    """Country categories are ISO codes: `nl` and `NL` name the same country."""
    is_country = frame["dimension"].map(code_list_of_dimension) == "country"
    out = frame.copy()
    out.loc[is_country, "category"] = out.loc[is_country, "category"].str.upper()
    return out

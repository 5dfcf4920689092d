"""What each member is told about each file: one receipt, JSON and plain text (CONTRACT.md)."""

from __future__ import annotations

import json
import os
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from checks.problems import Problem

SHOWN_PER_RULE = 5
STATE_WORDS = {
    "accepted": "ACCEPTED: loaded; every row passed.",
    "accepted_with_warnings": "ACCEPTED WITH WARNINGS: loaded; some rows are flagged below.",
    "rejected": "REJECTED: nothing was loaded. Fix the problems below and send the file again.",
    "duplicate": "DUPLICATE: byte-identical to a file already received; nothing changed.",
    "superseded": "SUPERSEDED: was loaded, later replaced by a newer accepted file; its values "
                  "stay in history.",
}
# What `efc check` says instead: the file was only checked, nothing was sent or loaded.
CHECKED_WORDS = {
    "accepted": "WOULD BE ACCEPTED: every row passes. Nothing was sent; send the file as it is.",
    "accepted_with_warnings": "WOULD BE ACCEPTED WITH WARNINGS: some rows are flagged below. "
                              "Nothing was sent.",
    "rejected": "WOULD BE REJECTED: fix the problems below before you send the file.",
}
# What a problem's row number counts, by the file's format: members asked whether the header
# is row 1 (it is, in a CSV or a sheet; a JSON file's rows are its observations).
ROW_NUMBERS = {
    "csv": "the file's line numbers, as a text editor shows them: the header row is row 1 "
           "when it is the first line",
    "xlsx": "the sheet's own row numbers, as Excel shows them: the header row and any title "
            "rows above it count",
    "json": "the observations' places in the \"observations\" list, the first being row 1",
}


# Characters that would move the cursor, end a line or reorder text when a name is printed
# (and lone surrogates, which stand for bytes of a name that were not UTF-8).
UNPRINTED = {"Cc", "Cf", "Cs", "Zl", "Zp"}
NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """`text` safe to print on one line: control, format (bidi) and line-separator characters
    escaped (\\n, \\x1b, \\u202e), so a member's file name can neither start a fake line in a
    receipt nor send escape sequences to an operator's terminal."""
    if text.isprintable():
        return text
    return "".join(
        NAMED_ESCAPES.get(ch) or (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        if unicodedata.category(ch) in UNPRINTED else ch for ch in text)


def condense(problems: list[Problem], shown: int = SHOWN_PER_RULE) -> list[dict]:
    """The first few problems of each rule, then one line counting the rest."""
    by_rule: dict[tuple[str, str], list[Problem]] = defaultdict(list)
    for problem in problems:
        by_rule[(problem.severity, problem.rule)].append(problem)
    condensed: list[dict] = []
    for (severity, rule), group in sorted(by_rule.items(), key=lambda kv: kv[0][0] != "error"):
        condensed.extend(p.as_dict() for p in group[:shown])
        if len(group) > shown:
            rest = len(group) - shown
            condensed.append({
                "severity": severity, "rule": rule, "row": None, "column": group[0].column,
                "value": None, "repeated": rest,
                "message": f"… and {rest:,} more rows with the same problem.",
                "fix": group[0].fix,
            })
    return condensed


def build_receipt(*, file: str, sha256: str, member_id: str, received_at: datetime, state: str,
                  problems: list[dict], submission_id: int | None = None,
                  file_format: str | None = None, observations: int | None = None,
                  duplicate_of: int | None = None, superseded_by: int | None = None,
                  duplicate_of_file: str | None = None, superseded_by_file: str | None = None
                  ) -> dict:
    """The receipt object of CONTRACT.md (its required fields first, then ours); where a
    problem names a row, what the format's row numbers count. The submissions a copy or a
    replaced file points to are named by file too, as the member knows them."""
    receipt = {
        "file": file, "sha256": sha256, "member_id": member_id,
        "received_at": received_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "state": state, "problems": problems, "submission_id": submission_id,
        "format": file_format, "observations": observations,
        "duplicate_of": duplicate_of, "superseded_by": superseded_by,
    }
    if duplicate_of_file is not None:
        receipt["duplicate_of_file"] = duplicate_of_file
    if superseded_by_file is not None:
        receipt["superseded_by_file"] = superseded_by_file
    if file_format in ROW_NUMBERS and any(p.get("row") for p in problems):
        receipt["row_numbers"] = ROW_NUMBERS[file_format]
    return receipt


def receipt_path(receipts_dir: Path, member_id: str, submission_id: int, sha256: str) -> Path:
    """Where a submission's JSON receipt is kept, under receipts/<member_id>/ (its plain-text
    copy lies beside it, as .txt)."""
    return receipts_dir / member_id / f"{submission_id:07d}_{sha256[:12]}.json"


def render_text(receipt: dict, *, checked: bool = False) -> str:
    """The receipt in plain words, for members who read it in a mail client. Whatever a member
    wrote (file name, folder, quoted cells) is shown escaped, one line each. `checked`: the
    file was only checked (`efc check`), so the receipt says what the night would do."""
    words = CHECKED_WORDS if checked else STATE_WORDS
    lines = [
        f"{'Check' if checked else 'Receipt'} for {printable(receipt['file'])}",
        f"Member:    {printable(receipt['member_id'])}",
        f"{'Checked:' if checked else 'Received:':<11}{receipt['received_at']}",
        f"SHA-256:   {receipt['sha256']}",
        f"State:     {words.get(receipt['state'], receipt['state'])}",
    ]
    if receipt.get("observations") is not None:
        lines.append(f"{'Rows it would load' if checked else 'Rows loaded'}: "
                     f"{receipt['observations']}")
    for key, words in (("duplicate_of", "Same bytes as"), ("superseded_by", "Replaced by")):
        if receipt.get(key):
            named = f" ({printable(receipt[key + '_file'])})" if receipt.get(key + "_file") \
                else ""
            lines.append(f"{words} submission {receipt[key]}{named}.")
    problems = receipt.get("problems") or []
    if problems:
        lines.append("")
        # a condensed entry stands for its repeated rows: count them all
        errors = sum(p.get("repeated") or 1 for p in problems if p["severity"] == "error")
        warnings = sum(p.get("repeated") or 1 for p in problems if p["severity"] == "warning")
        lines.append(f"Problems ({errors} error{'s' * (errors != 1)}, "
                     f"{warnings} warning{'s' * (warnings != 1)}):")
        if receipt.get("row_numbers"):
            lines.append(f"(Rows are {receipt['row_numbers']}.)")
        for p in problems:
            where = ", ".join(part for part in (
                f"row {p['row']}" if p.get("row") else "",
                f"column {p['column']}" if p.get("column") else "") if part) or "file"
            lines.append(printable(f"- [{p['severity']}] {p['rule']} ({where}): {p['message']}"))
            if p.get("fix"):
                lines.append(f"    How to fix: {printable(p['fix'])}")
    return "\n".join(lines) + "\n"


def write_receipts(receipts_dir: Path, receipts: Iterable[dict]) -> None:
    """Write each receipt, JSON and text, atomically where `receipt_path` keeps them. A night
    writes tens of thousands: each member's folder is made once, and the files are written as
    plain bytes (42k receipts of the 5M night spent some 10 s here)."""
    folders: set[Path] = set()
    for receipt in receipts:
        target = receipt_path(receipts_dir, receipt["member_id"], receipt["submission_id"],
                              receipt["sha256"])
        if target.parent not in folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            folders.add(target.parent)
        json_text = json.dumps(receipt, indent=2, ensure_ascii=False) + "\n"
        for path, text in ((str(target), json_text),
                           (str(target.with_suffix(".txt")), render_text(receipt))):
            with open(path + ".partial", "wb") as partial:
                partial.write(text.encode("utf-8"))
            os.replace(path + ".partial", path)

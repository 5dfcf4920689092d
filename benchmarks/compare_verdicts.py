"""Same verdicts: ingest the same inboxes with two versions of the code and compare everything
a member or an analyst sees (issue 16: the columnar intake must judge files as before).

Run: python benchmarks/compare_verdicts.py --before DIR --after DIR INBOX [INBOX ...]
     [--workdir DIR] [--perturbed SAMPLE CORPUS]

`--perturbed SAMPLE CORPUS` adds one more inbox, a night that breaks every rule among good
files: the sample's files, a seeded third of its CSV files each broken one way (a value that is
text, negative or written with the other decimal mark, an identifier in a note, an unknown
code, a column more or less, a duplicated row, a quarter in a monthly file, a future period),
and every file of the corpus, all in the same parts of the night.

Each version (a checkout of the repository) ingests each inbox in a fresh process and a fresh
EFC_HOME, as `efc ingest --inbox INBOX` (the installed stack, the version's own code first on
PYTHONPATH). Then, per inbox, it compares table by table: submissions (state, counts, problems
as told, duplicates and supersessions by file), observations (every value, open or closed),
validation results and warehouse flags (by rule), the marts, and the receipts (JSON, every
field). Times and ids the warehouse gives (received, loaded, run) are left out; a submission id
is replaced by its file. Prints one line per table with the rows compared and the rows that
differ, and exits non-zero on any difference.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import duckdb

# What is compared of each table: a query whose rows are sorted and compared as text. Ids are
# replaced by the file they stand for (member and SHA-256), times are left out.
FILE_OF = "(select member_id || '/' || sha256 from submissions f where f.submission_id = {})"
TABLES = {
    "submissions": f"""
        select member_id, sha256, file_name, file_format, size_bytes, state, observation_count,
               error_count, warning_count, problems,
               {FILE_OF.format('s.duplicate_of')} as duplicate_of,
               {FILE_OF.format('s.superseded_by')} as superseded_by
        from submissions s""",
    "observations": f"""
        select {FILE_OF.format('o.submission_id')}, member_id, period, frequency, quarter,
               indicator, dimension, category, value, status, note, valid_to is null as is_open
        from observations o""",
    "validation_results": f"""
        select {FILE_OF.format('v.submission_id')}, suite, rule, severity, success,
               unexpected_count
        from validation_results v""",
    "warehouse_flags": "select suite, rule, severity, member_id, period, indicator "
                       "from warehouse_flags",
    "quarterly_member_values": "select * from quarterly_member_values",
    "quarterly_indicator_totals": "select * from quarterly_indicator_totals",
    "reporting_coverage": "select * from reporting_coverage",
}
RECEIPT_TIMES = ("received_at", "issued_at", "submission_id", "duplicate_of", "superseded_by")


def _break_value(header: list[str], row: list[str], rng: random.Random) -> None:
    value = header.index("value")
    row[value] = rng.choice(["twelve", "-5", "1.234,5", "1,234.5", "12 EUR", "", "1e3"])


def _break_note(header: list[str], row: list[str], rng: random.Random) -> None:
    if "note" in header:
        row[header.index("note")] = rng.choice([
            "ask jane.doe@example.org", "see https://example.com/x", "call +49 30 12345678",
            "acct DE89370400440532013000", "wallet 1BoatSLRHtKNngkdXEeobR76b53LETtpyT"])


def _break_code(header: list[str], row: list[str], rng: random.Random) -> None:
    column = rng.choice([c for c in ("indicator", "category", "status", "unit", "period")
                         if c in header])
    row[header.index(column)] = rng.choice(["XX_UNKNOWN", "UK", "Z", "units", "2031-07",
                                            "2026-13", "2026-Q3"])


MUTATIONS = (_break_value, _break_note, _break_code)


def perturbed_inbox(sample: Path, corpus: Path, target: Path, seed: int = 16) -> Path:
    """The sample and the corpus in one inbox, a third of the sample's CSV files broken."""
    rng = random.Random(seed)
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(sample, target, ignore=shutil.ignore_patterns("*.csv.txt"))
    for path in sorted(corpus.rglob("*")):
        if path.is_file() and path.parent != corpus:
            copy = target / path.relative_to(corpus)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, copy.with_name("corpus-" + copy.name))
    for path in sorted(target.glob("*/*.csv")):
        if path.name.startswith("corpus-") or rng.random() > 1 / 3:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        separator = ";" if text.count(";") > text.count(",") else ","
        lines = [line.split(separator) for line in text.splitlines()]
        header = [cell.strip().lower() for cell in lines[0]]
        if "value" not in header or len(lines) < 3:
            continue
        row = lines[rng.randrange(1, len(lines))]
        kind = rng.randrange(5)
        if kind < 3:
            MUTATIONS[kind](header, row, rng)
        elif kind == 3:
            lines.append(list(row))  # the same observation twice
        elif rng.random() < 0.5:
            for line in lines:  # a column more
                line.append("extra")
        else:
            for line in lines:  # a required column less
                del line[header.index("value")]
        path.write_text("\n".join(separator.join(line) for line in lines) + "\n",
                        encoding="utf-8")
    return target


def ingest(code: Path, inbox: Path, home: Path) -> None:
    env = {**os.environ, "EFC_HOME": str(home), "PYTHONPATH": str(code),
           "PREFECT_HOME": str(home.parent / "prefect")}
    env.pop("EFC_INBOX", None)
    done = subprocess.run([sys.executable, "-m", "efc.cli", "ingest", "--inbox", str(inbox),
                           "--json"], cwd=code, env=env, capture_output=True, text=True)
    if done.returncode not in (0, 1):  # 1: some file rejected, as the corpus means it to be
        raise SystemExit(f"ingest with {code} failed ({done.returncode}):\n{done.stderr[-2000:]}")


def _settled(value: object) -> object:
    """A sum of amounts to 9 significant digits: DuckDB adds a column's values in parallel, in
    no fixed order, so the last bit of a float sum differs from one run to the next."""
    return float(f"{value:.9g}") if isinstance(value, float) else value


def seen(home: Path) -> dict[str, list[str]]:
    """Every compared table's rows as sorted text, and the receipts."""
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        tables = {name: sorted(repr(tuple(_settled(v) for v in row))
                               for row in con.execute(query).fetchall())
                  for name, query in TABLES.items()}
    receipts = []
    for path in sorted((home / "receipts").rglob("*.json")):
        receipt = json.loads(path.read_text(encoding="utf-8"))
        receipts.append(json.dumps({k: v for k, v in receipt.items() if k not in RECEIPT_TIMES},
                                   sort_keys=True, ensure_ascii=False))
    tables["receipts"] = sorted(receipts)
    return tables


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="checkout of the old code")
    parser.add_argument("--after", type=Path, required=True, help="checkout of the new code")
    parser.add_argument("inboxes", type=Path, nargs="*")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--perturbed", type=Path, nargs=2, metavar=("SAMPLE", "CORPUS"))
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="efc-verdicts-"))
    inboxes = list(args.inboxes)
    if args.perturbed:
        inboxes.append(perturbed_inbox(*args.perturbed, workdir / "perturbed-inbox"))
    differ = 0
    for inbox in inboxes:
        found = {}
        for label, code in (("before", args.before), ("after", args.after)):
            home = workdir / inbox.name / label / "home"
            shutil.rmtree(home, ignore_errors=True)
            home.mkdir(parents=True)
            ingest(code.resolve(), inbox.resolve(), home)
            found[label] = seen(home)
        for table, before in found["before"].items():
            after = found["after"][table]
            changed = sum(((Counter(before) - Counter(after))
                           + (Counter(after) - Counter(before))).values())
            differ += changed
            print(f"{inbox}  {table:<28} {len(before):>8,} rows before {len(after):>8,} after  "
                  f"{changed:>6,} differ")
    print("same verdicts" if differ == 0 else f"{differ:,} rows differ")
    return 0 if differ == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

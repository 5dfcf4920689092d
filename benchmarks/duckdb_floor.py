"""The ingest floor: bare DuckDB reads of an inbox's files into tables of a fresh database.

Run: python benchmarks/duckdb_floor.py --inbox DIR --db PATH

What is timed (a fresh database file, one table per group): for each group of files in one
dialect, one `read_csv([...], encoding = ...)`, or one `read_json([...])` with the observations
unnested. Members write in different encodings and separators, so files are grouped by member
(clones share their original's dialect) and encoding. DuckDB sniffs the separator, quoting and
column types on a group's first file; a group whose later files do not fit those types is read
again with all_varchar (counted in the output). union_by_name, which sniffs every file, was 4-5x
slower here and is not needed: a member's files share their columns. Not timed: finding the
files and reading their first bytes to tell the encoding (a real loader knows its members'
dialects).

XLSX files are counted and left out: DuckDB reads them only through its `excel` extension,
which is downloaded on first use. Prints one JSON line: seconds, rows and files per kind.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

import duckdb

CLONE = re.compile(r"-\d+$")


def encoding_of(path: Path) -> str:
    """DuckDB's name for the file's encoding: utf-16 (BOM), utf-8, or latin-1 (cp1252 data)."""
    data = path.read_bytes()
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8"


def groups(inbox: Path) -> tuple[dict[tuple[str, str, str], list[str]], list[Path]]:
    """Files by (kind, member's dialect, encoding); and the XLSX files, left out."""
    by_group: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    xlsx: list[Path] = []
    for path in sorted(inbox.glob("*/*")):
        if path.name.startswith(".") or not path.is_file():
            continue
        kind = path.suffix.lower().lstrip(".")
        dialect = CLONE.sub("", path.parent.name)
        if kind == "xlsx":
            xlsx.append(path)
        elif kind == "json":
            by_group[("json", dialect, "utf-8")].append(str(path))
        elif kind == "csv":
            by_group[("csv", dialect, encoding_of(path))].append(str(path))
    return by_group, xlsx


def load(con: duckdb.DuckDBPyConnection, by_group: dict[tuple[str, str, str], list[str]]
         ) -> tuple[dict[str, int], int]:
    """Rows read per kind, and how many CSV groups needed all_varchar (types sniffed on the
    group's first file did not fit a later one)."""
    rows: dict[str, int] = defaultdict(int)
    retried = 0
    for number, ((kind, _, encoding), files) in enumerate(sorted(by_group.items())):
        table = f"{kind}_{number}"
        if kind == "csv":
            source = f"read_csv($files, header = true, encoding = '{encoding}'{{}})"
        else:
            source = "(select unnest(observations, recursive := true) from read_json($files))"
        try:
            con.execute(f"create table {table} as select * from {source.format('')}",
                        {"files": files})
        except duckdb.Error:
            retried += 1
            con.execute(f"create table {table} as select * from "
                        f"{source.format(', all_varchar = true')}", {"files": files})
        rows[kind] += con.execute(f"select count(*) from {table}").fetchone()[0]
    return dict(rows), retried


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inbox", type=Path, required=True)
    parser.add_argument("--db", type=Path, required=True, help="a database file to create")
    args = parser.parse_args(argv)
    if args.db.exists():
        sys.exit(f"{args.db} exists: the floor loads into a fresh database")
    by_group, xlsx = groups(args.inbox)
    started = time.perf_counter()
    con = duckdb.connect(str(args.db))
    rows, retried = load(con, by_group)
    con.close()
    seconds = time.perf_counter() - started
    files = defaultdict(int)
    for (kind, _, _), names in by_group.items():
        files[kind] += len(names)
    print(json.dumps({
        "seconds": round(seconds, 3), "groups": len(by_group),
        "csv_groups_read_as_varchar": retried,
        "files": {"csv": files["csv"], "json": files["json"], "xlsx_excluded": len(xlsx)},
        "rows": {"csv": rows.get("csv", 0), "json": rows.get("json", 0)},
        "bytes_read": sum(Path(f).stat().st_size for names in by_group.values() for f in names),
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

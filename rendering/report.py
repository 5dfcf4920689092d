"""One edition of the quarterly assessment, from a read-only warehouse snapshot to files.

Writes under EFC_HOME/reports/<quarter>/: the PDF, the HTML edition from the same templates,
the printed tables as CSV and a manifest that says exactly what the report was made from.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from checks.disclosure import DisclosureLog, SuppressionPattern, load_rules
from efc.settings import REPO_ROOT, Settings
from rendering.context import build_context
from rendering.pdf import render_html, write_pdf
from transforms.assessment import AssessmentData, read_assessment_data
from transforms.catalogue import catalogue_version

CUT_OFF_FORMAT = "%Y-%m-%d %H:%M UTC"


@dataclass(frozen=True)
class ReportFiles:
    """What one edition wrote, and the cells it hid (the next edition hides them too)."""

    pdf: Path
    html: Path
    manifest: Path
    pattern: SuppressionPattern


def code_version() -> str:
    """The commit the code was built from (with +dirty for uncommitted changes)."""
    try:
        head = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short=12", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO_ROOT), "status", "--porcelain",
                                "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        from importlib.metadata import version

        return f"efc-assessment {version('efc-assessment')}"


def default_cut_off(con: duckdb.DuckDBPyConnection) -> datetime:
    """The minute after the last change of data: rerunning with no new data gives the same bytes."""
    latest = con.execute("select max(state_changed_at) from submissions").fetchone()[0]
    if latest is None:
        return datetime.now(UTC).replace(second=0, microsecond=0)
    latest = latest.astimezone(UTC)
    return latest.replace(second=0, microsecond=0) + timedelta(minutes=1)


def read_data(con: duckdb.DuckDBPyConnection, quarter: str,
              as_of: datetime | None) -> AssessmentData:
    return read_assessment_data(con, quarter, as_of or default_cut_off(con))


def previous_pattern(manifest_path: Path) -> SuppressionPattern | None:
    """The cells an earlier issue of the same quarter and edition hid, from its manifest."""
    if not manifest_path.exists():
        return None
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    return SuppressionPattern.from_dict(manifest.get("disclosure", {}).get("pattern", {}))


def write_audit(log: DisclosureLog, path: Path) -> Path:
    """Every hidden cell's attacker interval and required protection, for the secretariat.

    It holds true values, so it stays in the workspace: never attached, never published.
    """
    audits = [audit.assign(table=table) for table, audit in sorted(log.audits.items())]
    frame = pd.concat(audits, ignore_index=True) if audits else pd.DataFrame()
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n")
    os.chmod(path, 0o600)
    return path


def write_edition(data: AssessmentData, settings: Settings, edition: str,
                  forced: SuppressionPattern | None = None) -> ReportFiles:
    """Render one edition to PDF and HTML with its tables and manifest.

    `forced`: cells an earlier edition of the same run hid; they stay hidden here.
    """
    rules = load_rules(edition)
    out_dir = settings.reports_dir / data.quarter
    stem = f"assessment-{data.quarter}-{edition}"
    previous = previous_pattern(out_dir / f"{stem}.manifest.json")
    if previous is not None:  # a re-issue hides at least what the earlier issue hid
        forced = previous | forced if forced else previous
    cut_off = data.as_of.astimezone(UTC).strftime(CUT_OFF_FORMAT)
    version = catalogue_version(settings.reference_dir)
    code = code_version()
    narrative = settings.home / "narratives" / f"{data.quarter}.md"
    context, tables, log = build_context(data, rules, cut_off=cut_off, code_version=code,
                                         catalogue_version=version, forced=forced,
                                         narrative=narrative)
    pattern = log.pattern | forced if forced else log.pattern
    attachments = [(f"{name}.csv", frame.to_csv(index=False, lineterminator="\n").encode())
                   for name, frame in sorted(tables.frames.items())]
    manifest = {
        "quarter": data.quarter, "edition": edition, "tlp": rules.tlp, "cut_off": cut_off,
        "narrative_sha256": hashlib.sha256(narrative.read_bytes()).hexdigest()
        if narrative.exists() else None,
        "code_version": code, "catalogue_version": version,
        "disclosure": {"version": rules.version, "rules": dict(rules.describe()),
                       "pattern": pattern.to_dict()},
        "cells_hidden": [{"table": t, "rule": r, "hidden": h, "published": p}
                         for t, r, h, p in log.rows()],
        "submissions": [{"submission_id": int(r.submission_id), "member_id": r.member_id,
                         "sha256": r.sha256} for r in data.submissions_used.itertuples()],
        "attachments": {name: hashlib.sha256(body).hexdigest() for name, body in attachments},
    }
    manifest_bytes = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    html = render_html(context)
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / f"{stem}.html"
    html_path.write_text(html, encoding="utf-8")
    manifest_path = out_dir / f"{stem}.manifest.json"
    manifest_path.write_bytes(manifest_bytes)
    tables_dir = out_dir / f"{stem}-tables"
    tables_dir.mkdir(exist_ok=True)
    for name, body in attachments:
        (tables_dir / name).write_bytes(body)
    write_audit(log, out_dir / f"{stem}.disclosure-audit.csv")
    pdf_path = write_pdf(html, out_dir / f"{stem}.pdf", title=f"{context['title']} "
                         f"({data.quarter}, {rules.label})",
                         attachments=attachments + [("manifest.json", manifest_bytes)])
    return ReportFiles(pdf=pdf_path, html=html_path, manifest=manifest_path, pattern=pattern)

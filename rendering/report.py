"""One edition of the quarterly assessment, from a read-only warehouse snapshot to files.

Writes under EFC_HOME/reports/<quarter>/: the PDF, the HTML edition from the same templates,
the printed tables as CSV and a manifest that says exactly what the report was made from, as
a numbered version that `rendering.review` keeps and a reviewer approves.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import subprocess
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

import pandas as pd

from checks.disclosure import (
    DisclosureLog,
    DisclosureRules,
    IssuedCells,
    SuppressionPattern,
    load_rules,
)
from checks.release_check import ReleaseInputs
from efc.settings import REPO_ROOT, Settings
from rendering.context import build_context
from rendering.pdf import CUT_OFF_FORMAT
from rendering.review import EditionBuild, History
from transforms.assessment import AssessmentData
from transforms.catalogue import catalogue_version


@dataclass(frozen=True)
class ReportFiles:
    """Where an edition stands (the stable paths of its latest version) and the cells it hid
    (the next edition hides them too)."""

    pdf: Path
    html: Path
    manifest: Path
    pattern: SuppressionPattern
    version: int
    status: str  # DRAFT or FINAL
    issued: bool  # False: the data had not changed, the latest version stands
    withheld_named: tuple[str, ...] = ()  # names in the narrative this edition withheld


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


def audit_csv(log: DisclosureLog) -> bytes:
    """Every hidden cell's attacker interval and required protection, for the secretariat.

    It holds true values, so it stays in the workspace: never attached, never published.
    """
    audits = [audit.assign(table=table) for table, audit in sorted(log.audits.items())]
    frame = pd.concat(audits, ignore_index=True) if audits else pd.DataFrame()
    return frame.to_csv(index=False, lineterminator="\n").encode()


def build_edition(data: AssessmentData, settings: Settings, rules: DisclosureRules,
                  inherited: SuppressionPattern,
                  forced: SuppressionPattern | None = None,
                  earlier: IssuedCells | None = None) -> EditionBuild:
    """What one edition says about the data, with its tables, manifest and disclosure audit.

    `inherited`: cells hidden because an earlier issue hid them; `forced`: cells an earlier
    edition of the same run hid. Both stay hidden here. `earlier`: the cells of the issue this
    one replaces; no cell may be narrowed below its protection by a reader of both.
    """
    hide = inherited | forced if forced else inherited
    cut_off = data.as_of.astimezone(UTC).strftime(CUT_OFF_FORMAT)
    version = catalogue_version(settings.reference_dir)
    code = code_version()
    narrative = settings.home / "narratives" / f"{data.quarter}.md"
    content, tables, log = build_context(data, rules, cut_off=cut_off, code_version=code,
                                         catalogue_version=version, forced=hide,
                                         narrative=narrative, earlier=earlier)
    # the public edition names no member: the release check searches it for every code
    members = () if rules.member_detail else tuple(data.members["member_id"])
    pattern = log.pattern | hide
    attachments = {f"{name}.csv": frame.to_csv(index=False, lineterminator="\n").encode()
                   for name, frame in sorted(tables.frames.items())}
    manifest = {
        "quarter": data.quarter, "edition": rules.edition, "tlp": rules.tlp, "cut_off": cut_off,
        "as_of": data.as_of.astimezone(UTC).isoformat(),  # the exact moment cut_off prints
        "narrative_sha256": hashlib.sha256(narrative.read_bytes()).hexdigest()
        if narrative.exists() else None,
        "code_version": code, "catalogue_version": version,
        "disclosure": {"version": rules.version, "rules": dict(rules.describe()),
                       "pattern": pattern.to_dict(), "inherited": inherited.to_dict()},
        "cells_hidden": [{"table": t, "rule": r, "hidden": h, "published": p}
                         for t, r, h, p in log.rows()],
        # headline figures: the KPI tiles' quarter values (a range is not one)
        "information_kept": log.information_kept([t["published"] for t in content["kpis"]]),
        "inputs": inputs(data, rules, manifest_key(settings.private_dir)),
        "attachments": {name: hashlib.sha256(body).hexdigest()
                        for name, body in attachments.items()},
    }
    return EditionBuild(content=content, tables=attachments, manifest=manifest,
                        audit=audit_csv(log),
                        issued_cells=json.dumps(log.issued.to_dict()).encode(),
                        pattern=pattern, inherited=inherited,
                        withheld_named=tuple(log.withheld_named),
                        release=ReleaseInputs.from_log(
                            log, members, counts=[len(data.submissions_used),
                                                  *data.submissions_used["submission_id"]]))


def inputs(data: AssessmentData, rules: DisclosureRules, key: bytes) -> dict:
    """The manifest's account of the files the edition was made from.

    A bare SHA-256 of a small file gives its contents back by brute force (a one-row
    correction is found among a few million candidates in a second), so the coalition edition
    names each file by a keyed hash (HMAC-SHA256 with the workspace's secret): the
    secretariat can still match it to the archive, a reader cannot invert it. The public
    edition names no member and no file, only how many files there were.
    """
    used = data.submissions_used
    if not rules.member_detail:
        return {"files": len(used)}
    return {"files": len(used), "key": "HMAC-SHA256 of the file's SHA-256, workspace key",
            "submissions": [{"submission_id": int(r.submission_id), "member_id": r.member_id,
                             "file_hmac": hmac.new(key, bytes.fromhex(r.sha256),
                                                   "sha256").hexdigest()}
                            for r in used.itertuples()]}


def manifest_key(private_dir: Path) -> bytes:
    """The workspace's secret for keyed file hashes: made once, owner-only, never published."""
    path = private_dir / "manifest.key"
    if not path.exists():
        private_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.touch(mode=0o600)
        partial.write_bytes(secrets.token_bytes(32))
        partial.replace(path)
    return path.read_bytes()


def write_edition(data: AssessmentData, settings: Settings, edition: str,
                  forced: SuppressionPattern | None = None) -> ReportFiles:
    """Issue one edition: a new draft version when what it says has changed, else none.

    Drafts are reproducible, so the edition is first rebuilt as the latest version was built
    (hiding the same inherited cells, audited against the same issue before it) and compared
    with it. A changed edition is issued hiding every cell the earlier issues hid, audited
    together with the latest. `forced`: cells an earlier edition of the same run hid.
    """
    rules = load_rules(edition, waivers=settings.reference_dir / "disclosure_waivers.csv")
    history = History(settings.reports_dir, data.quarter, edition,
                      private_dir=settings.private_dir)
    with history.lock(settings.lock_timeout_s):
        latest = history.latest()
        hidden_before = history.hidden_before()
        inherited = latest.inherited() if latest else hidden_before
        built_against = (history.version(latest.number - 1).cells()
                         if latest and latest.number > 1 else None)
        build = build_edition(data, settings, rules, inherited, forced, built_against)
        unchanged = (latest is not None and covers(build.pattern, hidden_before)
                     and build.content_sha256 == latest.record()["content_sha256"])
        if unchanged:
            version = latest
        else:
            earlier = latest.cells() if latest else None
            if inherited != hidden_before or earlier != built_against:
                build = build_edition(data, settings, rules, hidden_before, forced, earlier)
            version = history.issue(build, latest)
        history.publish(version)
    return ReportFiles(pdf=history.pdf, html=history.html, manifest=history.manifest,
                       pattern=build.pattern, version=version.number,
                       status=history.status(version), issued=not unchanged,
                       withheld_named=build.withheld_named)


def covers(pattern: SuppressionPattern, other: SuppressionPattern) -> bool:
    """True when `pattern` hides every cell `other` hides."""
    return all(cells <= pattern.forced(table) for table, cells in other.tables.items())

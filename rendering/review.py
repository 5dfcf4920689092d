"""Versions and approvals: an edition is a DRAFT until a reviewer approves it.

Every issued version of an edition keeps its own folder, never overwritten, under
EFC_HOME/reports/<quarter>/versions/<edition>-v<n>/ (stem: assessment-<quarter>-<edition>-v<n>):

    <stem>-draft.pdf, -draft.html, -draft.manifest.json   the draft as issued by `efc assess`
    <stem>.context.json        what the edition says (every figure already formatted)
    <stem>-tables/*.csv        the published tables, as attached; change logs compare these
    <stem>.pdf, .html, .manifest.json   the final, written by `efc approve`

`reports/` holds only what its editions may show, so that the folder people copy to publish
holds nothing else. What holds a true suppressed value (each version's disclosure audit) lives
in the owner-only EFC_HOME/private/<quarter>/, mirroring the layout above.

`reports/<quarter>/approvals.json` records every approval (who, when, the SHA-256 of the draft
PDF approved). An edition's rules say how many distinct reviewers must approve the same draft
before its final is written (`reviewers_required` in checks/disclosure_rules.toml: one for the
coalition edition; two for the public edition, four eyes as output checkers require); the
approval that completes the count writes the final and records its SHA-256. The unversioned
files beside it (assessment-<quarter>-<edition>.pdf and so on) are a copy of the latest version
as it stands, draft or final: the paths scripts rely on.

A new version is issued only when what the edition says has changed (`content_sha256`: the
context and tables, provenance aside), so rerunning on the same data issues nothing. The draft
and the final are rendered from the same stored context, so the final prints the very figures
the reviewer approved, whatever the warehouse or the code has done since.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import re
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from checks.disclosure import IssuedCells, SuppressionPattern, load_rules
from checks.release_check import ReleaseBlocked, ReleaseInputs, check_rendered
from efc.locks import exclusive_lock
from rendering.pdf import render_html, write_pdf

DRAFT, FINAL = "DRAFT", "FINAL"  # rendering.pdf draws the DRAFT watermark unless FINAL
NOT_PUBLISHED, BLANK = "not published", "(blank)"
AUTHOR = "The coalition's strategic analysis team"
DISTRIBUTION = {  # who may receive an edition, by its TLP 2.0 label
    "TLP:RED": "Named recipients only",
    "TLP:AMBER+STRICT": "Coalition members' staff who need to know, within their own "
                        "organisation",
    "TLP:AMBER": "Coalition members: staff who need to know, and their clients who need to know",
    "TLP:GREEN": "The coalition's community, not published",
    "TLP:CLEAR": "Unrestricted: may be published",
}
MAX_REVIEWER = 120


class ReviewError(RuntimeError):
    """An issue or approval that cannot go ahead; the message says what to do instead."""


# --------------------------------------------------------------------------- what changed


@dataclass(frozen=True)
class Change:
    """One published cell that differs between two versions (None: not published there)."""

    table: str
    row: str
    column: str
    old: str | None
    new: str | None


def changed_figures(old: Mapping[str, bytes], new: Mapping[str, bytes]) -> list[Change]:
    """Every published cell that differs between two versions' CSV attachments.

    Only the attachments are compared, so only published values (hidden cells read `c`)
    can ever appear. A row is matched by its leading label columns (the shortest prefix
    unique in both versions), so a table that gains or loses a row lists just that row.
    """
    changes = []
    for name in sorted(set(old) | set(new)):
        table = name.removesuffix(".csv")
        before, after = _read_csv(old.get(name)), _read_csv(new.get(name))
        if before is None or after is None:
            changes.append(Change(table, "(whole table)", "", _row_count(before),
                                  _row_count(after)))
            continue
        columns = after[0] + [c for c in before[0] if c not in after[0]]
        labels = _key_columns([c for c in after[0] if c in before[0]], before[1], after[1])
        rows_before, rows_after = _keyed(before[1], labels), _keyed(after[1], labels)
        values = [c for c in columns if c not in labels]  # the row's name says the labels
        for key in list(rows_after) + [k for k in rows_before if k not in rows_after]:
            was, now = rows_before.get(key), rows_after.get(key)
            if not values and (was is None) != (now is None):  # a row of labels only
                changes.append(Change(table, key, "(whole row)", None if was is None else key,
                                      None if now is None else key))
            for column in values:
                old_cell = None if was is None else was.get(column)
                new_cell = None if now is None else now.get(column)
                if old_cell != new_cell:
                    changes.append(Change(table, key, column, old_cell, new_cell))
    return changes


def _read_csv(body: bytes | None) -> tuple[list[str], list[dict[str, str]]] | None:
    if body is None:
        return None
    reader = csv.DictReader(io.StringIO(body.decode("utf-8")))
    return list(reader.fieldnames or []), list(reader)


def _row_count(table: tuple[list[str], list[dict[str, str]]] | None) -> str | None:
    return None if table is None else f"{len(table[1])} rows"


def _key_columns(common: list[str], *tables: list[dict[str, str]]) -> list[str]:
    """The shortest prefix of the shared columns that tells every row apart in each table."""
    for width in range(1, len(common) + 1):
        key = common[:width]
        if all(len({tuple(r[c] for c in key) for r in rows}) == len(rows) for rows in tables):
            return key
    return []  # no unique label: rows are matched by position


def _keyed(rows: list[dict[str, str]], key: list[str]) -> dict[str, dict[str, str]]:
    if not key:
        return {f"row {i}": row for i, row in enumerate(rows, 1)}
    return {" · ".join(row[c] for c in key): row for row in rows}


# ------------------------------------------------------------------------ which issue


@dataclass(frozen=True)
class Approval:
    """Who approved which draft, and when (UTC, to the second)."""

    reviewer: str
    approved_at: str  # ISO 8601, e.g. 2026-10-20T14:03:12Z
    draft_sha256: str


@dataclass(frozen=True)
class Issue:
    """Which issue of an edition a rendering is: its version, what it replaces, and the
    approvals that released it (none for a draft)."""

    version: int
    supersedes: dict[str, Any] | None = None  # version, status, cut_off, pdf_sha256
    changes: tuple[Change, ...] = ()
    approvals: tuple[Approval, ...] = ()

    @property
    def status(self) -> str:
        return FINAL if self.approvals else DRAFT

    def approved(self, approvals: tuple[Approval, ...]) -> Issue:
        return Issue(self.version, self.supersedes, self.changes, approvals)

    def record(self) -> dict[str, Any]:
        """The manifest's `issue` block."""
        return {"version": self.version, "status": self.status, "supersedes": self.supersedes,
                "change_log": [asdict(c) for c in self.changes],
                "approvals": [asdict(a) for a in self.approvals]}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Issue:
        return cls(version=int(record["version"]), supersedes=record.get("supersedes"),
                   changes=tuple(Change(**c) for c in record.get("change_log", [])),
                   approvals=tuple(Approval(**a) for a in record.get("approvals", [])))

    def control_rows(self, content: Mapping[str, Any]) -> list[tuple[str, str]]:
        """The document-control rows that say which issue this is, who wrote and reviewed it,
        who may receive it (from the edition's TLP in `content`) and what changed."""
        rows = [("Version", str(self.version)),
                ("Status", "Final, approved" if self.approvals else "Draft, awaiting approval"),
                ("Author", AUTHOR),
                ("Distribution", DISTRIBUTION.get(content.get("tlp", ""),
                                                  f"As {content.get('tlp', 'marked')} allows")),
                ("Change log", f"Version {self.version} replaces version "
                 f"{self.supersedes['version']}: {len(self.changes)} published "
                 f"{'figure' if len(self.changes) == 1 else 'figures'} changed, listed in the "
                 "Change log annex" if self.supersedes else "Version 1, first issue")]
        if not self.approvals:  # once approved, 'Approved by' names the reviewers
            rows.append(("Reviewers", "None yet: a named reviewer approves the draft"))
        if self.approvals:
            at = datetime.fromisoformat(self.approvals[-1].approved_at.replace("Z", "+00:00"))
            rows += [("Approved by", " and ".join(a.reviewer for a in self.approvals)),
                     ("Approved on", f"{at:%Y-%m-%d %H:%M} UTC"),
                     ("Approved draft (SHA-256)", self.approvals[-1].draft_sha256)]
        if self.supersedes:
            state = "approved" if self.supersedes["status"] == FINAL else "draft"
            rows.append(("Supersedes", f"Version {self.supersedes['version']} ({state}, data "
                         f"as at {self.supersedes['cut_off']}); the figures that changed are "
                         "listed in the Change log annex"))
        return rows

    def change_log_annex(self) -> dict[str, Any]:
        """Annex listing the published figures that changed since the superseded version."""
        before, now = self.supersedes["version"], self.version
        summary = [f"Version {now} replaces version {before}, which showed the data as at "
                   f"{self.supersedes['cut_off']}. Only published values are compared, cell "
                   "by cell in the attached tables: a hidden cell reads c in both."]
        rows = [[c.table, c.row, c.column, _shown(c.old), _shown(c.new)] for c in self.changes]
        if not rows:
            summary.append("No figure in the published tables changed; the text, the charts "
                           "or the data cut-off did.")
        tables = [{"id": "change_log",
                   "caption": f"Published figures changed since version {before}",
                   "columns": ["Table", "Row", "Column", f"Version {before}", f"Version {now}"],
                   "rows": rows, "numeric": [False] * 5,
                   "notes": ["Table: the attached CSV file of that name. Row: its label "
                             "columns."]}] if rows else []
        return {"id": "change_log", "title": "Change log", "summary": summary,
                "missing": None, "tables": tables, "figures": [], "notes": []}


def _shown(cell: str | None) -> str:
    return NOT_PUBLISHED if cell is None else cell or BLANK


def stamp(content: Mapping[str, Any], issue: Issue) -> dict[str, Any]:
    """The report context of one issue: what the edition says, marked with which issue it is.

    The change log is the last annex, so the other annexes keep their letters across versions.
    """
    context = dict(content)
    context["version"], context["status"] = str(issue.version), issue.status
    context["document_control"] = [*issue.control_rows(content), *content["document_control"]]
    if issue.supersedes:
        context["annexes"] = [*content["annexes"], issue.change_log_annex()]
    return context


def content_sha256(content: Mapping[str, Any], tables: Mapping[str, bytes]) -> str:
    """Fingerprint of what an edition says: equal for the same data, cut-off and layout.

    The code version is provenance, not content: new code that prints the same figures is not
    a new version of the document (the standing version's manifest says what made it).
    """
    code = content["code_version"]
    said = {key: value for key, value in content.items() if key != "code_version"}
    said["document_control"] = [row for row in content["document_control"] if row[1] != code]
    digest = hashlib.sha256(_canonical(said))
    for name, body in sorted(tables.items()):
        digest.update(name.encode() + b"\0" + hashlib.sha256(body).digest())
    return digest.hexdigest()


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=_plain).encode()


def _plain(value: Any) -> Any:
    """A numpy scalar that slipped into the context, as the Python number it prints as."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{value!r} in the report context is not JSON")


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------- files of a version


@dataclass(frozen=True)
class EditionBuild:
    """One edition as built from the data, before it is issued as a version."""

    content: dict[str, Any]  # the report context, without version, status or approval
    tables: dict[str, bytes]  # the published tables as CSV, by attachment name
    manifest: dict[str, Any]  # what it was made from
    audit: bytes  # hidden cells' true values: never attached, never published
    pattern: SuppressionPattern  # every cell it hides
    inherited: SuppressionPattern  # every cell the earlier issues hid: hidden here too
    release: ReleaseInputs | None = None  # what the release check searches the draft for
    withheld_named: tuple[str, ...] = ()  # analysts' named values this edition withheld
    issued_cells: bytes = b"{}"  # IssuedCells, true values: private, the next issue's baseline

    @property
    def content_sha256(self) -> str:
        return content_sha256(self.content, self.tables)


@dataclass(frozen=True)
class Version:
    """The folder of one issued version and the files in it (its audit in the private folder)."""

    number: int
    folder: Path
    stem: str  # assessment-<quarter>-<edition>-v<n>
    private_folder: Path

    def _file(self, suffix: str) -> Path:
        return self.folder / f"{self.stem}{suffix}"

    draft_pdf = property(lambda self: self._file("-draft.pdf"))
    draft_html = property(lambda self: self._file("-draft.html"))
    draft_manifest = property(lambda self: self._file("-draft.manifest.json"))
    pdf = property(lambda self: self._file(".pdf"))
    html = property(lambda self: self._file(".html"))
    manifest = property(lambda self: self._file(".manifest.json"))
    context = property(lambda self: self._file(".context.json"))
    tables_dir = property(lambda self: self._file("-tables"))
    audit = property(lambda self: self.private_folder / f"{self.stem}.disclosure-audit.csv")
    release_check = property(lambda self: self.private_folder / f"{self.stem}.release-check.json")
    issued_cells = property(lambda self: self.private_folder / f"{self.stem}.issued-cells.json")

    def record(self) -> dict[str, Any]:
        """The draft's manifest: what the version was made from and which issue it is."""
        return json.loads(self.draft_manifest.read_text(encoding="utf-8"))

    def tables(self) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted(self.tables_dir.glob("*.csv"))}

    def inherited(self) -> SuppressionPattern:
        """The cells the earlier issues had hidden, which it was built to hide as well."""
        return SuppressionPattern.from_dict(self.record()["disclosure"]["inherited"])

    def cells(self) -> IssuedCells | None:
        """Every cell it protected, as it printed them (None for a version issued before they
        were kept): the next issue is audited together with them."""
        if not self.issued_cells.exists():
            return None
        return IssuedCells.from_dict(json.loads(self.issued_cells.read_text(encoding="utf-8")))


def render_issue(content: Mapping[str, Any], issue: Issue, manifest: Mapping[str, Any],
                 tables: Mapping[str, bytes], pdf: Path, html: Path, manifest_path: Path) -> None:
    """Write one issue (draft or final) of a version: HTML, manifest, and the PDF with the
    tables and manifest attached. Its dates are the data cut-off, so a draft is reproducible."""
    context = stamp(content, issue)
    manifest_bytes = _json_bytes({**manifest, "issue": issue.record()})
    text = render_html(context)
    html.write_text(text, encoding="utf-8")
    manifest_path.write_bytes(manifest_bytes)
    write_pdf(text, pdf, title=f"{context['title']} ({context['quarter']}, {context['edition']})",
              attachments=[*sorted(tables.items()), ("manifest.json", manifest_bytes)])


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=_plain)
            + "\n").encode()


# ------------------------------------------------------------------ an edition's history


class History:
    """Every issued version of one edition of a quarter, their approvals, and the stable copy
    of the latest under the unversioned names."""

    def __init__(self, reports_dir: Path, quarter: str, edition: str, *, private_dir: Path):
        self.quarter, self.edition = quarter, edition
        self.folder = reports_dir / quarter
        self.private_folder = private_dir / quarter
        self.versions_dir = self.folder / "versions"
        self.approvals_path = self.folder / "approvals.json"
        self.stem = f"assessment-{quarter}-{edition}"
        self.pdf = self.folder / f"{self.stem}.pdf"
        self.html = self.folder / f"{self.stem}.html"
        self.manifest = self.folder / f"{self.stem}.manifest.json"
        self.tables_dir = self.folder / f"{self.stem}-tables"
        self.audit = self.private_folder / f"{self.stem}.disclosure-audit.csv"

    def version(self, number: int) -> Version:
        name = f"{self.edition}-v{number}"
        return Version(number, self.versions_dir / name, f"{self.stem}-v{number}",
                       self.private_folder / "versions" / name)

    def latest(self) -> Version | None:
        pattern = re.compile(rf"{re.escape(self.edition)}-v(\d+)")
        numbers = [int(m[1]) for p in self.versions_dir.glob(f"{self.edition}-v*")
                   if (m := pattern.fullmatch(p.name))]
        return self.version(max(numbers)) if numbers else None

    def approvals_of(self, number: int) -> list[dict[str, Any]]:
        """The approvals recorded for one version, in the order they were given."""
        return [a for a in self._approvals() if a["edition"] == self.edition
                and a["version"] == number]

    def released(self, number: int) -> bool:
        """True once the approval that completed the count has written the final."""
        return any(a.get("final_sha256") for a in self.approvals_of(number))

    def _approvals(self) -> list[dict[str, Any]]:
        if not self.approvals_path.exists():
            return []
        return json.loads(self.approvals_path.read_text(encoding="utf-8"))["approvals"]

    def status(self, version: Version) -> str:
        return FINAL if self.released(version.number) else DRAFT

    def hidden_before(self) -> SuppressionPattern:
        """Every cell an earlier issue hid: a new issue hides them too, or the two could be
        differenced. The stable manifest counts as well (it may predate versioning)."""
        latest = self.latest()
        hidden = SuppressionPattern()
        for manifest in [self.manifest, *([latest.draft_manifest] if latest else [])]:
            if manifest.exists():
                record = json.loads(manifest.read_text(encoding="utf-8"))
                hidden |= SuppressionPattern.from_dict(
                    record.get("disclosure", {}).get("pattern", {}))
        return hidden

    @contextlib.contextmanager
    def lock(self, timeout_s: int) -> Iterator[None]:
        """One issuer or approver of a quarter at a time, so version numbers stay in order."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / ".review.lock"

        def busy() -> ReviewError:
            return ReviewError(
                f"another `efc assess` or `efc approve` of {self.quarter} is still running (it "
                f"holds {path}); waited {timeout_s} s. Try again when it has finished.")

        with exclusive_lock(path, timeout_s, busy):
            yield

    def issue(self, build: EditionBuild, latest: Version | None) -> Version:
        """Write `build` as the next version, a draft with its change log against `latest`.

        It is written in a hidden folder and renamed, so a version is complete or absent.
        """
        number = latest.number + 1 if latest else 1
        version = self.version(number)
        supersedes, changes = None, ()
        if latest is not None:
            previous = self.status(latest)
            supersedes = {"version": latest.number, "status": previous,
                          "cut_off": latest.record()["cut_off"],
                          "pdf_sha256": sha256_of(latest.pdf if previous == FINAL
                                                  else latest.draft_pdf)}
            changes = tuple(changed_figures(latest.tables(), build.tables))
        # Rendered from the stored JSON, as the final will be: the same input, to the byte.
        content = json.loads(_canonical(build.content))
        manifest = {**build.manifest, "content_sha256": build.content_sha256}
        staging = Version(number, self.versions_dir / f".{version.folder.name}.partial",
                          version.stem, version.private_folder)
        shutil.rmtree(staging.folder, ignore_errors=True)
        staging.tables_dir.mkdir(parents=True)
        staging.context.write_bytes(_json_bytes(content))
        for name, body in build.tables.items():
            (staging.tables_dir / name).write_bytes(body)
        _write_private(version.audit, build.audit)
        _write_private(version.issued_cells, build.issued_cells)
        render_issue(content, Issue(number, supersedes, changes), manifest, build.tables,
                     staging.draft_pdf, staging.draft_html, staging.draft_manifest)
        if build.release is not None:
            report = check_rendered(self.edition, build.release, pdf=staging.draft_pdf,
                                    html=staging.draft_html.read_text(encoding="utf-8"),
                                    tables=build.tables,
                                    manifest=staging.draft_manifest.read_bytes())
            _write_private(version.release_check, _json_bytes(report.to_dict()))
            if report.blocked:
                shutil.rmtree(staging.folder)
                raise ReleaseBlocked(report, build.pattern)
        staging.folder.rename(version.folder)
        return version

    def publish(self, version: Version) -> None:
        """Make the unversioned files a copy of `version` as it stands (final once approved)."""
        final = self.status(version) == FINAL
        _copy(version.pdf if final else version.draft_pdf, self.pdf)
        _copy(version.html if final else version.draft_html, self.html)
        _copy(version.manifest if final else version.draft_manifest, self.manifest)
        self._move_legacy_audits(version)
        _copy(version.audit, self.audit)  # owner-only, as its source
        self.tables_dir.mkdir(exist_ok=True)
        names = {p.name for p in version.tables_dir.glob("*.csv")}
        for stale in self.tables_dir.glob("*.csv"):
            if stale.name not in names:
                stale.unlink()
        for name in sorted(names):
            _copy(version.tables_dir / name, self.tables_dir / name)

    def _move_legacy_audits(self, version: Version) -> None:
        """Workspaces from before the private folder kept audits beside the reports: move the
        version's into the private folder and remove the stable copy from reports/."""
        legacy = version.folder / version.audit.name
        if legacy.exists() and not version.audit.exists():
            _write_private(version.audit, legacy.read_bytes())
        legacy.unlink(missing_ok=True)
        (self.folder / self.audit.name).unlink(missing_ok=True)

    def record_approval(self, version: Version, approval: Approval,
                        final_sha256: str | None) -> None:
        """Add one approval; `final_sha256` is set by the one that completed the count."""
        approvals = [*self._approvals(), {"edition": self.edition, "version": version.number,
                                          **asdict(approval), "final_sha256": final_sha256}]
        partial = self.approvals_path.with_name(self.approvals_path.name + ".partial")
        partial.write_bytes(_json_bytes({"quarter": self.quarter, "approvals": approvals}))
        partial.replace(self.approvals_path)


def _copy(source: Path, target: Path) -> None:
    """Copy unless the bytes are already there; a reader never sees half a file."""
    body = source.read_bytes()
    if target.exists() and target.read_bytes() == body:
        return
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(body)
    os.chmod(partial, source.stat().st_mode & 0o777)
    partial.replace(target)


def _write_private(path: Path, body: bytes) -> None:
    """Write a file only its owner can read, in folders only its owner can open."""
    for folder in reversed([path.parent, *path.parent.parents]):
        if not folder.exists():
            folder.mkdir(mode=0o700)
            os.chmod(folder, 0o700)  # whatever the umask
    partial = path.with_name(path.name + ".partial")
    partial.touch(mode=0o600)
    os.chmod(partial, 0o600)
    partial.write_bytes(body)
    partial.replace(path)


# ------------------------------------------------------------------------------ approve


@dataclass(frozen=True)
class Approved:
    """What `approve` did: the approval recorded and, if it completed the count, the final."""

    quarter: str
    edition: str
    version: int
    approval: Approval
    approvals_needed: int  # further approvals, by other reviewers, before the final
    pdf: Path | None  # the stable path, now the final; None while approvals are needed
    final_sha256: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"quarter": self.quarter, "edition": self.edition, "version": self.version,
                **asdict(self.approval), "approvals_needed": self.approvals_needed,
                "final_sha256": self.final_sha256,
                "pdf": str(self.pdf) if self.pdf else None}


def _same_reviewer(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def approve(reports_dir: Path, quarter: str, edition: str, reviewer: str, *,
            private_dir: Path, version: int | None = None,
            lock_timeout_s: int = 60) -> Approved:
    """Record a reviewer's approval of the latest draft of an edition; once the edition's
    `reviewers_required` distinct reviewers have approved it, write its final from the same
    stored context.

    `version`, when given, must be the latest: a reviewer approves the draft they read, never
    a newer one issued meanwhile.
    """
    reviewer = " ".join(reviewer.split())
    if not reviewer or len(reviewer) > MAX_REVIEWER:
        raise ReviewError(f"the reviewer's name must be 1 to {MAX_REVIEWER} characters")
    history = History(reports_dir, quarter, edition, private_dir=private_dir)
    _require_drafts(history)
    reviewers_required = load_rules(edition).reviewers_required
    with history.lock(lock_timeout_s):
        latest = history.latest()
        if version is not None and version != latest.number:
            raise ReviewError(
                f"version {version} of the {edition} edition of {quarter} is not the latest: "
                f"version {latest.number} supersedes it. Read {latest.draft_pdf} and approve "
                f"it with --version {latest.number}.")
        given = history.approvals_of(latest.number)
        if history.released(latest.number):
            names = " and ".join(a["reviewer"] for a in given)
            raise ReviewError(
                f"version {latest.number} of the {edition} edition of {quarter} was already "
                f"approved by {names} on {given[-1]['approved_at']}. A correction is "
                "issued as a new version by `efc assess`, then approved.")
        if mine := next((a for a in given if _same_reviewer(a["reviewer"], reviewer)), None):
            raise ReviewError(
                f"{mine['reviewer']} already approved version {latest.number} of the {edition} "
                f"edition of {quarter} on {mine['approved_at']}; it needs "
                f"{reviewers_required - len(given)} more approval(s) by a different reviewer "
                f"({reviewers_required} distinct reviewers in all).")
        record = latest.record()
        content = json.loads(latest.context.read_text(encoding="utf-8"))
        tables = latest.tables()
        if content_sha256(content, tables) != record["content_sha256"]:
            raise ReviewError(f"the stored context or tables of {latest.folder} differ from "
                              "the draft issued; restore them before approving.")
        moment = datetime.now(UTC).replace(microsecond=0)
        approval = Approval(reviewer, moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
                            sha256_of(latest.draft_pdf))
        needed = reviewers_required - len(given) - 1
        if needed > 0:
            history.record_approval(latest, approval, None)
            return Approved(quarter, edition, latest.number, approval, needed, None, None)
        approvals = (*(Approval(a["reviewer"], a["approved_at"], a["draft_sha256"])
                       for a in given), approval)
        issue = Issue.from_record(record["issue"]).approved(approvals)
        manifest = {k: v for k, v in record.items() if k != "issue"}
        render_issue(content, issue, manifest, tables, latest.pdf, latest.html, latest.manifest)
        final_sha256 = sha256_of(latest.pdf)
        history.record_approval(latest, approval, final_sha256)
        history.publish(latest)
    return Approved(quarter, edition, latest.number, approval, 0, history.pdf, final_sha256)


def _require_drafts(history: History) -> None:
    """Refuse, saying what to run, when there is nothing of this quarter or edition to approve."""
    if history.latest() is not None:
        return
    issued = sorted({p.name.rsplit("-v", 1)[0] for p in history.versions_dir.glob("*-v*")
                     if not p.name.startswith(".")})
    if issued:
        raise ReviewError(f"no draft of a {history.edition!r} edition of {history.quarter}; "
                          f"drafts exist for: {', '.join(issued)}.")
    raise ReviewError(f"no draft of {history.quarter} to approve in {history.folder}: build it "
                      f"first with `efc assess --quarter {history.quarter}`.")

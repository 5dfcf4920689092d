"""The `efc` command line (CONTRACT.md): a thin layer over the library.

Commands that do not orchestrate never import Prefect; `ingest`, `assess` and `demo` run the
Prefect flows, importing them only when called.
"""

from __future__ import annotations

import argparse
import errno
import gc
import ipaddress
import json
import logging
import os
import shutil
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

from efc.prefect_env import quiet_prefect
from efc.settings import REPO_ROOT, Settings, SettingsError, keep_workspace_private

EXIT_OK, EXIT_REJECTED, EXIT_COULD_NOT_RUN = 0, 1, 2
EXIT_BLOCKED = 1  # efc assess: an edition was blocked by the release check


class PipelineStopped(RuntimeError):
    """A flow ended in a state it explained (the warehouse busy, say): print it, no traceback."""
DEMO_MARKER = "DEMO_WORKSPACE"


def _quarter(text: str) -> str:
    from transforms.periods import parse_period

    period = parse_period(text)
    if period is None or period.frequency != "quarter" or text.startswith("0000"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a quarter like 2026-Q3")
    return text


def _as_of(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date-time like 2026-10-15T02:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _state(text: str) -> str:
    """A submission state as receipts name it (transforms.intake.STATES, read only when given,
    so `efc --help` stays light)."""
    from transforms.intake import STATES

    if text not in STATES:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a submission state; one of {', '.join(STATES)}")
    return text


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _show_progress() -> None:
    """Progress of long work (our `efc.*` loggers) on standard error, one line a step."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("  %(message)s"))
    logger = logging.getLogger("efc")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def _failures_said_once() -> None:
    """Keep Prefect's console from reporting a failed run (a traceback for the task, another for
    the flow): main() says the failure itself, in one line when it is known and with its
    traceback when it is a bug. The run's log on the Prefect API keeps everything."""
    def not_a_run_failure(record: logging.LogRecord) -> bool:
        return not (record.levelno >= logging.ERROR
                    and record.name.startswith(("prefect.flow_runs", "prefect.task_runs")))

    for handler in logging.getLogger().handlers:
        if type(handler).__name__ == "PrefectConsoleHandler":
            handler.addFilter(not_a_run_failure)


# --- check -----------------------------------------------------------------------------

def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    from transforms.catalogue import load_catalogue
    from transforms.inbox import Arrival, file_sha256
    from transforms.intake import Submission, examine, validate
    from transforms.receipts import build_receipt, condense, render_text

    path = Path(args.file)
    if not path.is_file():
        _say(f"efc check: {path} is not a readable file")
        return EXIT_COULD_NOT_RUN
    info = path.stat()
    arrival = Arrival(args.member, path.name, path, file_sha256(path), info.st_size,
                      info.st_mtime_ns)
    submission = Submission(key=0, arrival=arrival, received_at=datetime.now(UTC))
    try:
        catalogue = load_catalogue(settings.reference_dir)
    except (OSError, UnicodeDecodeError, ValueError) as exc:  # missing, junk or inconsistent
        _say(f"efc check: the reference data in {settings.reference_dir} cannot be read "
             f"({' '.join(str(exc).split())}); set EFC_REFERENCE_DIR to a complete copy of the "
             "repository's reference/")
        return EXIT_COULD_NOT_RUN
    data = path.read_bytes() if info.st_size <= settings.max_file_bytes else None
    examine(submission, data, catalogue, max_file_bytes=settings.max_file_bytes,
            max_rows=settings.max_rows)
    validate([submission], catalogue, date.today(), engine="pandas")  # fast: no GX import
    receipt = build_receipt(
        file=submission.shown_file_name, sha256=arrival.sha256, member_id=args.member,
        received_at=submission.received_at, state=submission.state,
        problems=condense(submission.problems), file_format=submission.file_format,
        observations=None if submission.rows_in_part is None or submission.state == "rejected"
        else submission.observation_count)
    print(json.dumps(receipt, indent=2, ensure_ascii=False) if args.json
          else render_text(receipt, checked=True), end="" if not args.json else "\n")
    return EXIT_REJECTED if submission.state == "rejected" else EXIT_OK


# --- ingest / assess / demo ------------------------------------------------------------

def run_ingest(settings: Settings, inbox: Path | None, label: str,
               arrivals: Path | None = None) -> dict:
    from efc.prefect_api import flow_runs_on, local_prefect_api
    from flows.examining_process import start_ahead

    quiet_prefect()
    _show_progress()
    api = local_prefect_api()  # boots on the other core while this process imports the flow
    start_ahead(inbox or settings.inbox, settings.part_files)  # so does the second process
    from flows.nightly_aggregation import nightly_aggregation
    _failures_said_once()
    with flow_runs_on(api):
        state = nightly_aggregation(inbox=str(inbox) if inbox else None, run_label=label,
                                    arrivals=str(arrivals) if arrivals else None,
                                    return_state=True)
    if state.is_failed():
        raise PipelineStopped(state.message or "the nightly aggregation failed")
    return state.result()


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    inbox = Path(args.inbox) if args.inbox else None
    if inbox is not None and not inbox.is_dir():
        _say(f"efc ingest: the inbox {inbox} is not a folder")
        return EXIT_COULD_NOT_RUN
    from transforms.warehouse import writer_lock

    with writer_lock(settings):  # fail fast, before Prefect starts, if another run writes
        pass
    _say(f"Ingesting {inbox or settings.inbox} into {settings.home} …")
    started = time.monotonic()
    summary = run_ingest(settings, inbox, "cli")
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        states = ", ".join(f"{n} {s}" for s, n in summary["files_by_state"].items()) or "none"
        print(f"{summary['files']} new file(s): {states}; "
              f"{summary['observations_loaded']:,} observations loaded; "
              f"receipts in {settings.receipts_dir} ({time.monotonic() - started:.1f} s)")
    return EXIT_OK


def run_assess(quarter: str, as_of: datetime | None) -> list[str]:
    from efc.prefect_api import flow_runs_on, local_prefect_api

    quiet_prefect()
    api = local_prefect_api()  # boots on the other core while this process imports the flow
    from flows.quarterly_assessment import quarterly_assessment
    _failures_said_once()
    with flow_runs_on(api):
        return quarterly_assessment(quarter=quarter, as_of=as_of)


def assessed_editions(quarter: str, as_of: datetime | None, command: str) -> list[str] | None:
    """Every edition's PDF, or None when the release check blocked one: the editions written
    are printed and the blocked ones named, so the operator sees both."""
    from checks.release_check import EditionsBlocked

    try:
        return run_assess(quarter, as_of)
    except EditionsBlocked as stopped:
        for pdf in stopped.written:
            print(pdf)
        _say(f"efc {command}: {stopped}")
        return None


def cmd_assess(args: argparse.Namespace, settings: Settings) -> int:
    from transforms.assessment import check_assessable
    from transforms.warehouse import snapshot_path

    # In seconds, not after Prefect has started: what cannot be assessed, or written.
    check_assessable(snapshot_path(settings), args.quarter, args.as_of, datetime.now(UTC))
    settings.ensure_folders()
    _say(f"Building the assessment of {args.quarter} from {settings.home} …")
    started = time.monotonic()
    pdfs = assessed_editions(args.quarter, args.as_of, "assess")
    if pdfs is None:
        return EXIT_BLOCKED
    kept = {Path(pdf).stem.rsplit("-", 1)[-1]: json.loads(
        Path(pdf).with_name(Path(pdf).stem + ".manifest.json").read_text())["information_kept"]
        for pdf in pdfs}
    if args.json:
        print(json.dumps({"quarter": args.quarter, "pdf": pdfs, "information_kept": kept},
                         indent=2))
    else:
        for pdf in pdfs:
            print(pdf)
        shares = ", ".join(f"{edition} {k['share_of_cells_published']:.0%} of cells and "
                           f"{k['headline_published']}/{k['headline']} headline figures"
                           for edition, k in kept.items())
        _say(f"built {len(pdfs)} edition(s) in {time.monotonic() - started:.1f} s; "
             f"published: {shares}")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """A fresh workspace, the bundled sample ingested, its latest complete quarter assessed.

    A demo device: the sample's files take the arrival times recorded beside them, so its
    history (on time, late, corrected) reads as a real one would; the demo's "today" is the
    day the last of them arrived. A real ingest records when each file is received."""
    from transforms.nightly import recorded_arrivals
    from transforms.periods import last_complete_quarter

    sample = REPO_ROOT / "data" / "sample"
    arrivals = sample / "arrivals.csv"
    marker = settings.home / DEMO_MARKER
    if settings.warehouse_path.exists() and not marker.exists():
        _say(f"efc demo: {settings.home} holds a workspace that the demo did not make; the "
             "demo starts from an empty workspace and will not overwrite it. Set EFC_HOME "
             "to another folder (for example EFC_HOME=./var-demo).")
        return EXIT_COULD_NOT_RUN
    for stale in ("warehouse.duckdb", "warehouse.duckdb.wal", "warehouse.snapshot.duckdb"):
        (settings.home / stale).unlink(missing_ok=True)
    for folder in (settings.archive_dir, settings.quarantine_dir, settings.receipts_dir,
                   settings.reports_dir):
        shutil.rmtree(folder, ignore_errors=True)
    settings.ensure_folders()
    marker.write_text("This workspace was made by `efc demo` and is rebuilt by it.\n")
    narratives = settings.home / "narratives"  # the analysts' part, as they would write it
    narratives.mkdir(mode=0o700, exist_ok=True)
    for narrative in sorted((sample.parent / "narratives").glob("*.md")):
        shutil.copyfile(narrative, narratives / narrative.name)
    _say(f"Demo workspace {settings.home}: ingesting {sample} …")
    started = time.monotonic()
    summary = run_ingest(settings, sample, "demo", arrivals)
    _say(f"  {summary['files']} files: " + ", ".join(
        f"{n} {s}" for s, n in summary["files_by_state"].items()))
    today = max(recorded_arrivals(arrivals, datetime.now(UTC)).values()).date()
    _say(f"  received as recorded in {arrivals.name} (a demo device; a real ingest records "
         f"when each file arrives): the last on {today}")
    quarter = args.quarter or last_complete_quarter(today)
    _say(f"Assessing {quarter} …")
    pdfs = assessed_editions(quarter, None, "demo")
    if pdfs is None:
        return EXIT_BLOCKED
    for pdf in pdfs:
        print(pdf)
    _say(f"demo done in {time.monotonic() - started:.1f} s")
    return EXIT_OK


# --- approve ---------------------------------------------------------------------------

def cmd_approve(args: argparse.Namespace, settings: Settings) -> int:
    """Record a reviewer's approval of the latest draft and write the final from it."""
    from rendering.review import ReviewError, approve

    started = time.monotonic()
    try:
        approved = approve(settings.reports_dir, args.quarter, args.edition, args.reviewer,
                           private_dir=settings.private_dir, version=args.version,
                           lock_timeout_s=settings.lock_timeout_s)
    except ReviewError as exc:
        _say(f"efc approve: {exc}")
        return EXIT_COULD_NOT_RUN
    if args.json:
        print(json.dumps(approved.to_dict(), indent=2, ensure_ascii=False))
    elif approved.pdf:
        print(approved.pdf)
    what = (f"version {approved.version} of the {args.edition} edition of {args.quarter} "
            f"(draft sha256 {approved.approval.draft_sha256[:12]}…) for "
            f"{approved.approval.reviewer}")
    if approved.approvals_needed:
        _say(f"recorded the approval of {what}; it needs {approved.approvals_needed} more, by a "
             "different reviewer, before its final is written")
    else:
        _say(f"approved {what}; final written in {time.monotonic() - started:.1f} s")
    return EXIT_OK


# --- serve -----------------------------------------------------------------------------

def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Serve both deployments against the configured Prefect API until interrupted."""
    quiet_prefect()
    _show_progress()
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL

    if refusal := open_api_refusal(PREFECT_API_URL.value(), PREFECT_API_AUTH_STRING.value()):
        _say(f"efc serve: {refusal}")
        return EXIT_COULD_NOT_RUN
    from flows.deployments import serve_deployments

    settings.ensure_folders()
    _say(f"Serving nightly-aggregation and quarterly-assessment for {settings.home} "
         f"against {os.environ.get('PREFECT_API_URL') or 'the local ephemeral API'} …")
    serve_deployments()
    return EXIT_OK


def open_api_refusal(api_url: str | None, auth_string: str | None) -> str | None:
    """Why serving against `api_url` would be unsafe, or None: a Prefect API reachable from
    other machines runs whatever deployment anyone creates there, so it needs basic auth."""
    if not api_url or auth_string:
        return None
    host = urlsplit(api_url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name other than localhost
        loopback = False
    if loopback:
        return None
    return (f"PREFECT_API_URL={api_url} is not on this machine and PREFECT_API_AUTH_STRING is "
            "not set: set it to the server's PREFECT_SERVER_API_AUTH_STRING (README: Running "
            "on a Prefect server)")


# --- submissions -----------------------------------------------------------------------

def cmd_submissions(args: argparse.Namespace, settings: Settings) -> int:
    from transforms.warehouse import received_submissions

    records = received_submissions(settings, member_id=args.member, state=args.state)
    if args.json:
        print(json.dumps(records, indent=2, default=str))
        return EXIT_OK
    from transforms.receipts import printable  # names as members wrote them: shown escaped

    for r in records:
        print(f"{r['submission_id']:>7}  {printable(r['member_id']):<14} {r['state']:<23} "
              f"{r['observations']:>7}  {r['received_at']:%Y-%m-%d %H:%M}  "
              f"{printable(r['file'])}")
    print(f"{len(records)} submission(s)")
    return EXIT_OK


# --- template --------------------------------------------------------------------------

def cmd_template(args: argparse.Namespace, settings: Settings) -> int:
    from transforms.submission_template import TemplateError, build_template, template_file_name

    try:
        content = build_template(settings.reference_dir, args.member, args.period, args.format)
    except TemplateError as exc:
        _say(f"efc template: {exc}")
        return EXIT_COULD_NOT_RUN
    target = Path(args.out) if args.out else Path(
        template_file_name(args.member, args.period, args.format))
    if target.is_dir():
        target = target / template_file_name(args.member, args.period, args.format)
    if not target.parent.is_dir():
        _say(f"efc template: the folder {target.parent} does not exist; create it or give "
             "--out an existing folder")
        return EXIT_COULD_NOT_RUN
    target.write_bytes(content)
    print(target)
    return EXIT_OK


# --- quarantine ------------------------------------------------------------------------

def cmd_quarantine_purge(args: argparse.Namespace, settings: Settings) -> int:
    from transforms.quarantine import parse_duration, purge_quarantine
    from transforms.warehouse import publish_snapshot, writer

    try:
        older_than = parse_duration(args.older_than)
    except ValueError as exc:
        _say(f"efc quarantine purge: {exc}")
        return EXIT_COULD_NOT_RUN
    with writer(settings) as con:
        erased = purge_quarantine(con, settings, older_than)
        publish_snapshot(con, settings)
    if args.json:
        print(json.dumps(erased, indent=2))
    else:
        print(f"erased {len(erased)} quarantined file(s) older than {args.older_than}; "
              "each erasure is recorded in the warehouse (quarantine_erasures)")
    return EXIT_OK


# --- rebuild ---------------------------------------------------------------------------

def cmd_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    """Rebuild from the observations what nightly runs keep up to date one night at a time."""
    from checks.warehouse_checks import run_warehouse_suite, store_results
    from transforms.marts import MARTS, refresh_marts
    from transforms.warehouse import now_utc, publish_snapshot, writer

    started = time.monotonic()
    with writer(settings) as con:
        as_of = now_utc()
        refresh_marts(con, as_of)
        validation = run_warehouse_suite(con, as_of=as_of, today=as_of.date())
        store_results(con, validation, run_at=as_of)
        snapshot = publish_snapshot(con, settings, full=True)
        rows = {name: con.execute(f"select count(*) from {name}").fetchall()[0][0]
                for name in MARTS}
    flags = validation.flagged["rule"].value_counts()
    summary = {"as_of": as_of.isoformat(), "mart_rows": rows,
               "warehouse_flags_by_rule": {rule: int(n) for rule, n in flags.items()},
               "snapshot": str(snapshot), "seconds": round(time.monotonic() - started, 1)}
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"rebuilt {len(rows)} marts ({sum(rows.values()):,} rows), the warehouse suite's "
              f"verdicts ({int(flags.sum()):,} rows flagged) and the readers' snapshot as of "
              f"{as_of:%Y-%m-%d %H:%M} UTC in {summary['seconds']} s")
    return EXIT_OK


# --- parser ----------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="efc", description="Members' aggregated statistics in, a quarterly strategic "
        "assessment out. All state lives under EFC_HOME (default ./var).")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", help="check one file offline and print its receipt",
                                description="Parse, screen and validate one file as the "
                                "nightly run would; nothing is stored. Exit 0 accepted "
                                "(with or without warnings), 1 rejected, 2 could not run.")
    check.add_argument("file", metavar="FILE",
                       help="the CSV, XLSX or JSON file you are about to send")
    check.add_argument("--member", required=True, metavar="ID",
                       help="your registered member code, e.g. hl-north")
    check.add_argument("--json", action="store_true", help="print the receipt as JSON")
    check.set_defaults(handler=cmd_check)

    ingest = commands.add_parser("ingest", help="run the nightly aggregation once",
                                 description="Discover new files in the inbox, screen, "
                                 "validate and load them, refresh the aggregates and write "
                                 "receipts.")
    ingest.add_argument("--inbox", metavar="DIR", help="read this inbox instead of "
                        "EFC_HOME/inbox (one folder per member)")
    ingest.add_argument("--json", action="store_true", help="print the run summary as JSON")
    ingest.set_defaults(handler=cmd_ingest)

    assess = commands.add_parser("assess", help="build the quarterly strategic assessment",
                                 description="Build the assessment of a quarter as the data "
                                 "stood at a cut-off; prints the PDF's path.")
    assess.add_argument("--quarter", required=True, type=_quarter, metavar="YYYY-Qn")
    assess.add_argument("--as-of", type=_as_of, metavar="DATETIME",
                        help="cut-off (ISO 8601, UTC if no zone); default: the last data change")
    assess.add_argument("--json", action="store_true", help="print the result as JSON")
    assess.set_defaults(handler=cmd_assess)

    approve = commands.add_parser(
        "approve", help="approve an edition's latest draft; write the final PDF once approved",
        description="Record who approved the latest draft version of an edition (reviewer, "
        "time, SHA-256 of the draft PDF) in EFC_HOME/reports/<quarter>/approvals.json. Once "
        "the edition's number of distinct reviewers have approved the same draft (one for the "
        "coalition edition, two for the public edition: checks/disclosure_rules.toml), write "
        "the final: the same figures, without the DRAFT watermark, with the approvals in its "
        "document control, and print its path. Exit 0 recorded, 2 refused (no draft, already "
        "approved, the same reviewer twice, not the latest version).")
    approve.add_argument("--quarter", required=True, type=_quarter, metavar="YYYY-Qn")
    approve.add_argument("--edition", required=True, metavar="EDITION",
                         help="coalition or public")
    approve.add_argument("--reviewer", required=True, metavar="NAME",
                         help="who approves, as printed in the document control")
    approve.add_argument("--version", type=int, metavar="N",
                         help="the version the reviewer read; refused unless it is the latest")
    approve.add_argument("--json", action="store_true", help="print the approval as JSON")
    approve.set_defaults(handler=cmd_approve)

    demo = commands.add_parser("demo", help="ingest the bundled sample and assess it",
                               description="Ingest data/sample into a fresh workspace and build "
                               "the assessment of its latest complete quarter.")
    demo.add_argument("--quarter", type=_quarter, metavar="YYYY-Qn",
                      help="assess this quarter instead of the latest complete one")
    demo.set_defaults(handler=cmd_demo)

    serve = commands.add_parser("serve", help="serve the scheduled deployments",
                                description="Serve nightly-aggregation (02:00 Europe/Brussels) "
                                "and quarterly-assessment (first day of each quarter) against "
                                "the Prefect API in PREFECT_API_URL, until interrupted.")
    serve.set_defaults(handler=cmd_serve)

    submissions = commands.add_parser("submissions", help="list every file received",
                                      description="List received files with their state.")
    submissions.add_argument("--member", metavar="ID")
    submissions.add_argument("--state", type=_state, metavar="STATE",
                             help="only files in this state, as their receipts name it")
    submissions.add_argument("--json", action="store_true")
    submissions.set_defaults(handler=cmd_submissions)
    template = commands.add_parser("template", help="write a ready submission file to fill in",
                                   description="Write a submission file for a member and period "
                                   "with the member's indicators pre-filled, dropdowns for codes "
                                   "(XLSX) and an instructions sheet.")
    template.add_argument("--member", required=True, metavar="ID")
    template.add_argument("--period", required=True, metavar="PERIOD",
                          help="a month (2026-07) or a quarter (2026-Q3)")
    template.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    template.add_argument("--out", metavar="PATH", help="file or folder (default: current folder)")
    template.set_defaults(handler=cmd_template)

    rebuild = commands.add_parser(
        "rebuild", help="rebuild the marts, warehouse verdicts and readers' snapshot in full",
        description="Rebuild every mart from the observations, run the warehouse suite over the "
        "whole history and copy the warehouse whole to the readers' snapshot. Nightly runs "
        "refresh only what a night changed; use this after restoring a warehouse, or to check "
        "that the nightly refresh kept up.")
    rebuild.add_argument("--json", action="store_true", help="print the result as JSON")
    rebuild.set_defaults(handler=cmd_rebuild)

    quarantine = commands.add_parser("quarantine", help="manage quarantined identifying files",
                                     description="Files rejected for identifying data are kept "
                                     "owner-only in EFC_HOME/quarantine until purged.")
    actions = quarantine.add_subparsers(dest="action", required=True, metavar="ACTION")
    purge = actions.add_parser("purge", help="erase quarantined files older than a duration",
                               description="Erase quarantined files older than the given "
                               "duration and record each erasure (hash, member, when).")
    purge.add_argument("--older-than", required=True, metavar="DURATION",
                       help="e.g. 30d or 12h")
    purge.add_argument("--json", action="store_true", help="print what was erased as JSON")
    purge.set_defaults(handler=cmd_quarantine_purge)
    return parser


def could_not_run(exc: Exception) -> str | None:
    """The one line an operator can act on for a failure the command could not get past (the
    environment, the workspace, the data asked for); None for anything else, which is a bug and
    keeps its traceback."""
    import duckdb

    from checks.release_check import ReleaseBlocked
    from efc.prefect_api import PrefectAPIUnavailable
    from rendering.narrative import NarrativeError
    from rendering.review import ReviewError
    from transforms.assessment import NotAssessable
    from transforms.catalogue import ReferenceDataError
    from transforms.warehouse import WarehouseBusy

    if isinstance(exc, PipelineStopped | WarehouseBusy | ReviewError | NarrativeError
                  | NotAssessable | ReferenceDataError | ReleaseBlocked | PrefectAPIUnavailable):
        return str(exc)
    if isinstance(exc, OSError) and exc.errno in OS_FAILURES:
        return f"{exc.strerror}: {exc.filename}; {OS_FAILURES[exc.errno]}"
    if isinstance(exc, duckdb.IOException | duckdb.FatalException):
        text = str(exc)
        advice = next((what for errno_, what in OS_FAILURES.items()
                       if os.strerror(errno_) in text), "check the workspace's disk and files")
        return f"{' '.join(text.split())}; {advice}"
    return None


OS_FAILURES = {  # errors of the machine, not of the code, and what the operator does about them
    errno.EACCES: "the workspace (EFC_HOME) and its files must be readable and writable by the "
                  "user running efc",
    errno.EPERM: "the workspace (EFC_HOME) must belong to the user running efc",
    errno.EROFS: "EFC_HOME must be on a writable file system",
    errno.ENOSPC: "free space on that disk and run again",
    errno.EDQUOT: "the disk quota is used up: free space and run again",
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    keep_workspace_private()
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        _say(f"efc: {exc}")
        return EXIT_COULD_NOT_RUN
    try:
        return args.handler(args, settings)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last line an operator sees must say what failed
        message = could_not_run(exc)
        if message is None:
            raise
        _say(f"efc {args.command}: {' '.join(message.split())}")  # one line, whatever it quotes
        return EXIT_COULD_NOT_RUN


def run() -> NoReturn:
    """The `efc` command: main(), then an exit that skips the interpreter's last collection of
    every object the stack made (a second after `efc ingest`). The process is ending: what that
    would free goes with it, and files and the warehouse are closed by then."""
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    run()

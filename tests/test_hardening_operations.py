"""Issue 18, the operations half: an owner-only workspace, Data Docs that call no other host,
Prefect's telemetry off and its server closed, and every failure an operator can act on said in
one line (exit 2) instead of a traceback."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pdfplumber
import pytest

from efc.cli import could_not_run, main, open_api_refusal
from efc.settings import REPO_ROOT, Settings
from tests.conftest import SAMPLE
from transforms.assessment import NotAssessable, check_assessable
from transforms.periods import quarter_of, shift_quarter
from transforms.warehouse import publish_snapshot, snapshot_path, writer

BIN = Path(sys.executable).parent
GOOD_FILE = SAMPLE / "hl-north" / "hotline-stats-2026-07.csv"
NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def one_line(stderr: str, command: str) -> str:
    """The single line a refused command prints, checked to be that and no traceback."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"efc {command}: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


def small_workspace(settings: Settings) -> Settings:
    """A warehouse holding one member's July 2026 and its published snapshot."""
    from tests.test_warehouse_checks import put

    with writer(settings) as con:
        put(con, "hl-north", "2026-07", "HL_URLS_CONFIRMED", 80)
        publish_snapshot(con, settings)
    return settings


def can_mount() -> bool:
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    with tempfile.TemporaryDirectory() as where:
        probe = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", where],
                               capture_output=True)
        if probe.returncode == 0:
            subprocess.run(["umount", where], check=True)
        return probe.returncode == 0


needs_mount = pytest.mark.skipif(not can_mount(), reason="needs root and mount (tmpfs, bind)")


@contextlib.contextmanager
def mounted(where: Path, *options: str) -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", *options, str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[Path]:
    """`folder` seen through a read-only bind mount, as a read-only EFC_HOME is."""
    view = folder.parent / f"{folder.name}-read-only"
    with mounted(view, "--bind", str(folder)):
        subprocess.run(["mount", "-o", "remount,ro,bind", str(view)], check=True)
        yield view


# ------------------------------------------------------------------ 7. owner-only workspace

def test_workspace_folders_are_made_owner_only_and_earlier_ones_tightened(workspace):
    workspace.receipts_dir.mkdir(parents=True, mode=0o755)
    os.chmod(workspace.receipts_dir, 0o755)  # as an earlier version left it
    with umask(0o022):
        workspace.ensure_folders()
    for folder in (workspace.home, workspace.archive_dir, workspace.quarantine_dir,
                   workspace.receipts_dir, workspace.data_docs_dir, workspace.reports_dir):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


@pytest.mark.slow
def test_ingest_and_assess_under_umask_022_leave_nothing_readable_by_others(tmp_path):
    home = tmp_path / "home"
    env = {**os.environ, "EFC_HOME": str(home)}
    runs = [subprocess.run([str(BIN / "efc"), *command], env=env, capture_output=True,
                           text=True, timeout=1200, preexec_fn=lambda: os.umask(0o022))
            for command in (["ingest", "--inbox", str(SAMPLE)], ["assess", "--quarter", "2026-Q3"])]
    assert runs[0].returncode == 0, runs[0].stderr
    # Whatever the assessment's outcome (the release check may hold an edition back), what it
    # wrote follows the same rule.
    folders = [p for p in [home, *home.rglob("*")] if p.is_dir()]
    assert [p for p in folders if stat.S_IMODE(p.stat().st_mode) != 0o700] == []
    others = [p for p in home.rglob("*") if stat.S_IMODE(p.stat().st_mode) & 0o007]
    assert others == []
    made = [home / "warehouse.duckdb", home / "warehouse.snapshot.duckdb",
            *home.glob("receipts/*/*"), *home.glob("data_docs/**/*.html"),
            *home.glob("reports/**/*.*")]
    assert len(made) > 100
    assert [p for p in made if p.is_file() and stat.S_IMODE(p.stat().st_mode) != 0o600] == []


# ------------------------------------------------------------------ 8. Data Docs offline

class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []  # (tag, src or href)

    def handle_starttag(self, tag, attrs):
        self.found += [(tag, value) for name, value in attrs if name in ("src", "href") and value]


def test_data_docs_load_nothing_from_another_host(tmp_path, catalogue):
    from checks.data_docs import build_data_docs
    from checks.validation import validate_batch
    from tests.test_data_docs import index_rows
    from tests.test_validation import GOOD, frame_of

    result = validate_batch(frame_of(GOOD, key=0), catalogue, date(2026, 11, 27)).suite_result
    docs = tmp_path / "data_docs"
    index = build_data_docs(docs, [result], run_name="nightly-test",
                            run_time=datetime(2026, 11, 27, 2, tzinfo=UTC))
    pages = list(docs.rglob("*.html"))
    assert len(pages) >= 3  # the index, a validation page, a suite page
    for page in pages:
        parser = _References()
        parser.feed(page.read_text(encoding="utf-8"))
        assert parser.found, page  # the parser did read the page's links
        elsewhere = [url for _, url in parser.found if urlsplit(url).netloc
                     or urlsplit(url).scheme not in ("", "file")]
        assert elsewhere == [], page
        for tag, url in parser.found:  # and the pages it links to are there
            if tag == "a" and urlsplit(url).path:
                assert (page.parent / urlsplit(url).path).exists(), (page, url)
    # Listed without any script: the validation result is in the index's HTML itself.
    assert [(row["suite"], row["status"]) for row in index_rows(index)] == [
        ("submission", "Passed")]


# ------------------------------------------------------------------ 9, 16. Prefect server

def test_the_documented_server_start_is_closed_and_quiet():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Running on a Prefect server", 1)[1].split("\n## ", 1)[0]
    start = next(line for line in section.splitlines() if "prefect server start" in line)
    assert "--host 127.0.0.1" in start
    assert "PREFECT_SERVER_ANALYTICS_ENABLED=false" in section
    assert 'PREFECT_SERVER_API_AUTH_STRING="efc:$(' in section  # from a secret, not a literal
    assert "PREFECT_API_AUTH_STRING=" in section and "TLS" in section


@pytest.mark.parametrize(("url", "auth", "refused"), [
    (None, None, False),  # the local ephemeral API
    ("http://127.0.0.1:4200/api", None, False),
    ("http://localhost:4200/api", None, False),
    ("http://[::1]:4200/api", None, False),
    ("http://10.0.0.5:4200/api", None, True),
    ("https://prefect.coalition.example/api", None, True),
    ("https://prefect.coalition.example/api", "efc:secret", False),
])
def test_serve_refuses_a_remote_api_without_authentication(url, auth, refused):
    assert (open_api_refusal(url, auth) is not None) == refused


@pytest.mark.slow
def test_efc_serve_says_so_in_one_line_with_telemetry_off(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PREFECT_SERVER_ANALYTICS", "PREFECT_API_AUTH"))}
    env.update(EFC_HOME=str(tmp_path / "home"), PREFECT_HOME=str(tmp_path / "prefect"),
               PREFECT_API_URL="http://192.0.2.10:4200/api")
    code = ("import sys; from efc.cli import main; rc = main(['serve']); "
            "from prefect.settings import PREFECT_SERVER_ANALYTICS_ENABLED as A; "
            "print(rc, A.value())")
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=300, cwd=REPO_ROOT)
    assert run.stdout.split() == ["2", "False"], run.stdout + run.stderr
    line = one_line(run.stderr, "serve")
    assert "PREFECT_API_AUTH_STRING" in line and "192.0.2.10" in line


# ------------------------------------------------------------------ 11. efc check cannot run

def test_check_of_an_unreadable_file_exits_2_in_one_line(workspace, capsys):
    folder = Path(tempfile.mkdtemp())  # not under pytest's owner-only tmp: others may enter
    try:
        os.chmod(folder, 0o755)
        unreadable = folder / "hotline.csv"
        shutil.copy(GOOD_FILE, unreadable)
        os.chmod(unreadable, 0o000)
        # Root reads any file: read as nobody, as a service account without the right would.
        as_nobody = os.geteuid() == 0
        import transforms.intake  # noqa: F401  imported before giving up root's reach
        import transforms.receipts  # noqa: F401
        could_not_run(OSError())  # imports what it names while it still can
        if as_nobody:
            os.seteuid(65534)
        try:
            assert main(["check", str(unreadable), "--member", "hl-north"]) == 2
        finally:
            if as_nobody:
                os.seteuid(0)
    finally:
        shutil.rmtree(folder)
    line = one_line(capsys.readouterr().err, "check")
    assert str(unreadable) in line and "Permission denied" in line


@pytest.mark.parametrize("damage", ["no indicators.csv", "code_lists.csv of binary junk"])
def test_check_with_unusable_reference_data_exits_2_in_one_line(damage, tmp_path, monkeypatch,
                                                                 capsys):
    reference = tmp_path / "reference"
    shutil.copytree(REPO_ROOT / "reference", reference)
    if damage == "no indicators.csv":
        (reference / "indicators.csv").unlink()
    else:
        (reference / "code_lists.csv").write_bytes(bytes(range(256)) * 40)
    monkeypatch.setenv("EFC_REFERENCE_DIR", str(reference))
    monkeypatch.setenv("EFC_HOME", str(tmp_path / "home"))
    assert main(["check", str(GOOD_FILE), "--member", "hl-north"]) == 2
    line = one_line(capsys.readouterr().err, "check")
    assert str(reference) in line and "EFC_REFERENCE_DIR" in line


# ------------------------------------------------------------------ 12, 13. efc assess refuses

@pytest.mark.parametrize(("args", "says"), [
    (["--quarter", "2019-Q1"], "no member contributed data for 2019-Q1; the warehouse holds "
                               "2026-Q3 to 2026-Q3"),
    (["--quarter", "2026-Q3", "--as-of", "1999-01-01"],
     "no member contributed data for 2026-Q3 as the data stood at 1999-01-01 00:00 UTC"),
    (["--quarter", "9999-Q4"], "9999-Q4 has not begun"),
    (["--quarter", shift_quarter(quarter_of(date.today()), 4)], "has not begun"),
    (["--quarter", quarter_of(date.today())], "has not ended"),
    (["--quarter", "2026-Q3", "--as-of", f"{date.today() + timedelta(days=2):%Y-%m-%d}"],
     "is in the future"),
])
def test_assess_refuses_in_one_line_before_starting(args, says, workspace, capsys):
    small_workspace(workspace)
    assert main(["assess", *args]) == 2
    assert says in one_line(capsys.readouterr().err, "assess")
    assert not list(workspace.reports_dir.iterdir())  # nothing was started


def test_assess_of_an_empty_workspace_says_to_ingest_first(workspace, capsys):
    assert main(["assess", "--quarter", "2026-Q3"]) == 2
    assert "run efc ingest first" in one_line(capsys.readouterr().err, "assess")


def test_assess_of_quarter_zero_is_a_usage_error(workspace, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["assess", "--quarter", "0000-Q1"])
    assert stop.value.code == 2
    assert "'0000-Q1' is not a quarter" in capsys.readouterr().err


def test_assess_of_a_corrupted_snapshot_says_what_to_do(workspace, capsys):
    small_workspace(workspace)
    snapshot = snapshot_path(workspace)
    snapshot.write_bytes(os.urandom(4096) + snapshot.read_bytes()[4096:])
    assert main(["assess", "--quarter", "2026-Q3"]) == 2
    line = one_line(capsys.readouterr().err, "assess")
    assert str(snapshot) in line and "delete it and run again" in line


def test_future_quarters_and_cut_offs_are_refused_as_of_a_given_day(tmp_path):
    missing = tmp_path / "warehouse.snapshot.duckdb"
    for quarter, as_of in [("2027-Q4", None), ("2026-Q4", None),
                           ("2026-Q3", NOW + timedelta(minutes=1))]:
        with pytest.raises(NotAssessable):
            check_assessable(missing, quarter, as_of, NOW)
    with pytest.raises(NotAssessable, match="holds no data yet"):  # past the time checks
        check_assessable(missing, "2026-Q3", NOW - timedelta(days=1), NOW)


@needs_mount
def test_assess_and_ingest_on_a_read_only_workspace_say_so(workspace, monkeypatch, capsys):
    small_workspace(workspace)
    with read_only(workspace.home) as view:
        monkeypatch.setenv("EFC_HOME", str(view))
        for command in (["assess", "--quarter", "2026-Q3"], ["ingest"]):
            assert main(command) == 2
            line = one_line(capsys.readouterr().err, command[0])
            assert "Read-only file system" in line and "writable" in line


def test_template_into_a_missing_folder_says_so(workspace, capsys):
    assert main(["template", "--member", "hl-north", "--period", "2026-Q3",
                 "--out", "/nonexistent/dir/t.xlsx"]) == 2
    assert "/nonexistent/dir does not exist" in one_line(capsys.readouterr().err, "template")


def test_only_known_failures_become_one_line():
    assert "free space" in could_not_run(OSError(errno.ENOSPC, "No space left on device", "f"))
    assert "No space left" in could_not_run(
        duckdb.IOException('Could not write file "x": No space left on device'))
    # A bug keeps its traceback: main() re-raises what could_not_run does not know.
    for bug in (KeyError("quarter"), AttributeError("x"), ValueError("table has no rows"),
                OSError(errno.ENOENT, "No such file or directory", "f")):
        assert could_not_run(bug) is None


def test_a_narrative_not_in_utf8_is_named_with_its_line(tmp_path):
    from rendering.narrative import NarrativeError, apply_narrative

    narrative = tmp_path / "2026-Q3.md"
    narrative.write_bytes("## Outlook\n\nFirst line.\nThe coalition’s view.\n".encode("cp1252"))
    with pytest.raises(NarrativeError, match=rf"{narrative}, line 4: byte 0x92 is not UTF-8"):
        apply_narrative([], narrative, {}, quarter="2026-Q3")


@pytest.mark.slow
def test_assess_with_a_narrative_in_cp1252_names_the_file_and_line(sample_copy):
    home = sample_copy("cp1252")
    narrative = home / "narratives" / "2026-Q3.md"
    narrative.parent.mkdir()
    narrative.write_bytes("## Outlook\n\nThe coalition’s view.\n".encode("cp1252"))
    run = subprocess.run([str(BIN / "efc"), "assess", "--quarter", "2026-Q3"],
                         env={**os.environ, "EFC_HOME": str(home)}, capture_output=True,
                         text=True, timeout=900)
    assert run.returncode == 2, run.stderr
    line = one_line(run.stderr.split("…\n", 1)[-1], "assess")  # after the 'Building' line
    assert f"{narrative}, line 3" in line


@pytest.mark.slow
@needs_mount
def test_assess_on_a_full_disk_says_so(sample_copy, tmp_path):
    home = sample_copy("full")
    shutil.rmtree(home / "reports", ignore_errors=True)
    size = sum(p.stat().st_size for p in home.rglob("*")) + 256 * 1024 * 1024
    with mounted(tmp_path / "disk", "-t", "tmpfs", "-o", f"size={size}", "tmpfs") as disk:
        shutil.copytree(home, disk / "home")
        free = shutil.disk_usage(disk).free  # fill it, leaving less than one edition needs
        (disk / "filler").write_bytes(b"\0" * (free - 256 * 1024))
        run = subprocess.run([str(BIN / "efc"), "assess", "--quarter", "2026-Q3"],
                             env={**os.environ, "EFC_HOME": str(disk / "home")},
                             capture_output=True, text=True, timeout=900)
    assert run.returncode == 2, run.stderr
    line = one_line(run.stderr.split("…\n", 1)[-1], "assess")
    assert "No space left on device" in line and "free space" in line


# ------------------------------------------------------------------ 15. leftovers, long words

@needs_mount
def test_a_snapshot_that_fails_on_a_full_disk_leaves_no_partial_file(tmp_path, monkeypatch):
    with mounted(tmp_path / "disk", "-t", "tmpfs", "-o", "size=8m", "tmpfs") as disk:
        monkeypatch.setenv("EFC_HOME", str(disk / "home"))
        settings = Settings.from_env()
        with writer(settings) as con:
            con.execute("checkpoint")
            free = shutil.disk_usage(disk).free  # leave less room than a copy of the warehouse
            (disk / "filler").write_bytes(b"\0" * (free - settings.warehouse_path.stat().st_size
                                                   // 2))
            with pytest.raises(OSError, match="No space left on"):  # the copy is a file's
                publish_snapshot(con, settings)
        left = sorted(p.name for p in settings.home.iterdir())
    assert [name for name in left if "snapshot" in name] == []
    assert "warehouse.duckdb" in left  # the warehouse itself is untouched


@pytest.mark.slow  # renders a whole PDF (about 50 s on the shared 2-core machine)
def test_a_word_longer_than_the_page_wraps_inside_it(tmp_path):
    from rendering.pdf import render_html, write_pdf
    from tests.test_rendering import report_context

    word = "x" * 3_000  # 30 lines' worth; 100,000 behave the same but take minutes to lay out
    context = report_context()
    context["key_findings"].append(word)
    table = context["chapters"][0]["tables"][0]
    table["rows"][0] = [word, *table["rows"][0][1:]]
    out = tmp_path / "long-word.pdf"
    write_pdf(render_html(context), out, title=context["title"], attachments=[])
    with pdfplumber.open(out) as pdf:
        outside = [(page.page_number, c["text"]) for page in pdf.pages for c in page.chars
                   if c["x0"] < 0 or c["x1"] > page.width or c["top"] < 0
                   or c["bottom"] > page.height]
        printed = sum(c["text"] == "x" for page in pdf.pages for c in page.chars)
    assert outside == []
    assert printed >= 2 * len(word)  # both copies printed whole, not clipped


def test_a_narrative_word_too_long_to_lay_out_is_refused_with_its_line(tmp_path):
    """A 100,000-character word took WeasyPrint about ten minutes per edition to wrap: the
    narrative refuses it at once, naming the file and line."""
    from rendering.narrative import MAX_WORD, NarrativeError, apply_narrative

    narrative = tmp_path / "2026-Q3.md"
    narrative.write_text('+++\nquarter = "2026-Q3"\n+++\n\n## Outlook\nFine words.\n\n'
                         + "x" * 100_000 + "\n", encoding="utf-8")
    with pytest.raises(NarrativeError, match=r"2026-Q3\.md, line 8: a word of 100,000 char"):
        apply_narrative([], narrative, {}, quarter="2026-Q3")
    narrative.write_text('+++\nquarter = "2026-Q3"\n+++\n\n## Outlook\n' + "y" * MAX_WORD + "\n",
                         encoding="utf-8")
    assert apply_narrative([], narrative, {}, quarter="2026-Q3").outlook == ["y" * MAX_WORD]

"""Shared fixtures: a workspace in a temporary folder, one Prefect test harness, the ingested
sample and its assessment (each built once per run), and the guard that keeps the everyday tier
fast."""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest

from efc.locks import exclusive_lock
from efc.settings import REPO_ROOT, Settings
from transforms.catalogue import load_catalogue

SAMPLE = REPO_ROOT / "data" / "sample"
NARRATIVES = REPO_ROOT / "data" / "narratives"
ASSESSED_QUARTER = "2026-Q3"  # the sample's latest complete quarter, as `efc demo` assesses
TESTS = Path(__file__).parent

# Fixtures that run whole flows (in this process, on Prefect's test server): a test that uses one
# belongs in the slow tier. The sample workspace is built by a nightly flow run, its assessment
# by a quarterly one.
FLOW_FIXTURES = ("prefect_harness", "sample_home", "sample_copy", "assessed_home",
                 "assessed_copy")
STARTS_A_PROCESS = re.compile(r"\bsubprocess\.|\bPopen\(")
DEF = re.compile(r"^\s*(async\s+)?def\s", re.MULTILINE)
SAMPLE_BUILD_TIMEOUT_S = 1800  # a worker waits this long for another worker's build
UNMARKED_SLOW = pytest.StashKey[list[tuple[str, str]]]()


def why_slow(fixture_names: Iterable[str], sources: Iterable[str]) -> str | None:
    """Why a test belongs in the slow tier (it runs a whole flow, a subprocess or a server), or
    None. `sources` are the test's own code and its fixtures' code."""
    for name in FLOW_FIXTURES:
        if name in fixture_names:
            return f"uses the {name} fixture (a flow run)"
    for source in sources:
        if STARTS_A_PROCESS.search(source):
            return "starts a subprocess"
    return None


@functools.cache
def _code_of(function: Callable) -> str:
    """A function's code from `def` on (decorators hold data), if tests/ defines it."""
    with contextlib.suppress(OSError, TypeError):
        if Path(inspect.getsourcefile(function) or "").parent == TESTS:
            source = inspect.getsource(function)
            return source[DEF.search(source).start():]
    return ""


def _sources(item: pytest.Function) -> list[str]:
    """The test function's code and the code of every fixture it uses that tests/ defines."""
    functions = [item.function]
    for definitions in item._fixtureinfo.name2fixturedefs.values():
        functions += [d.func for d in definitions]
    return [_code_of(function) for function in functions]


def slowest_files_first(items: list[pytest.Item]) -> list[pytest.Item]:
    """The tests, whole files at a time, those with the most slow-tier tests first (ties and
    each file's own tests keep their order)."""
    slow = Counter(item.path for item in items if item.get_closest_marker("slow"))
    return sorted(items, key=lambda item: -slow[item.path])


def pytest_configure(config: pytest.Config) -> None:
    """`make test` hands whole files to two pytest-xdist workers, by default those with the
    most tests first, which leaves the files that run flows (a few long tests each) to the end,
    one worker idle while the other finishes them. Keep the order slowest_files_first gives
    instead: the long files start early and the many fast ones even the workers out."""
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Note every test that runs a flow, subprocess or server without the slow marker
    (before -m/-k deselect anything); tests/test_tiers.py fails while there is one. Then order
    the files for the workers (see pytest_configure)."""
    unmarked = []
    for item in items:
        if isinstance(item, pytest.Function) and item.get_closest_marker("slow") is None:
            reason = why_slow(item.fixturenames, _sources(item))
            if reason:
                unmarked.append((item.nodeid, reason))
    config.stash[UNMARKED_SLOW] = unmarked
    items[:] = slowest_files_first(items)


@pytest.fixture
def unmarked_slow_tests(request: pytest.FixtureRequest) -> list[tuple[str, str]]:
    """(test, why it is slow) for each collected test that lacks the slow marker."""
    return request.config.stash[UNMARKED_SLOW]


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings for an empty EFC_HOME under tmp_path."""
    monkeypatch.setenv("EFC_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("EFC_INBOX", raising=False)
    monkeypatch.setenv("EFC_LOCK_TIMEOUT_S", "5")
    monkeypatch.setenv("EFC_SETTLE_S", "0")  # a test's files are written whole before a run
    return Settings.from_env()


@pytest.fixture(scope="session")
def catalogue():
    return load_catalogue(REPO_ROOT / "reference")


@pytest.fixture(scope="session")
def prefect_harness():
    """One ephemeral Prefect API for the whole session (it costs ~12 s to start)."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


@contextlib.contextmanager
def efc_home(home: Path) -> Iterator[None]:
    """EFC_HOME set to `home` for the block (flows read their settings from the environment)."""
    old = os.environ.get("EFC_HOME")
    os.environ["EFC_HOME"] = str(home)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("EFC_HOME", None)
        else:
            os.environ["EFC_HOME"] = old


def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The temporary folder of the whole run: shared by every pytest-xdist worker (each worker
    has its own base folder inside it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def fingerprint(folder: Path) -> dict[str, list[int]]:
    """Every file and folder under `folder` with its size and modification time."""
    return {str(p.relative_to(folder)): [p.stat().st_size, p.stat().st_mtime_ns]
            for p in sorted(folder.rglob("*"))}


def changed_paths(before: dict[str, list[int]], after: dict[str, list[int]]) -> list[str]:
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


def build_once(folder: Path, build: Callable[[Path], None], timeout_s: float) -> Path:
    """`folder`/home made by `build(home)` once, by whichever process asks first; the others
    wait on a file lock, then reuse it. done.json (what was built) is written last, so a build
    that was interrupted is redone."""
    folder.mkdir(parents=True, exist_ok=True)
    home, done = folder / "home", folder / "done.json"

    def busy() -> Exception:
        return TimeoutError(f"{folder / 'build.lock'} was held for over {timeout_s} s by "
                            "another process building the same workspace")

    with exclusive_lock(folder / "build.lock", timeout_s, busy):
        if not done.exists():
            shutil.rmtree(home, ignore_errors=True)
            build(home)
            done.write_text(json.dumps(fingerprint(home)))
    return home


def shared_workspace(folder: Path, build: Callable[[Path], None]) -> Iterator[Path]:
    """The workspace `build` makes in `folder`, once per run (see build_once); a test that
    wrote into it fails the teardown."""
    home = build_once(folder, build, SAMPLE_BUILD_TIMEOUT_S)
    built = json.loads((home.parent / "done.json").read_text())
    yield home
    changed = changed_paths(built, fingerprint(home))
    assert not changed, ("a test wrote into a shared workspace (work on a copy): "
                         f"{changed[:10]}")


def copier(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """copy(name): a fresh copy of the workspace `shared`, as `name`/home in a new temporary
    folder (so a test's inbox can sit beside it)."""

    def copy(name: str) -> Path:
        home = tmp_path_factory.mktemp(name) / "home"
        shutil.copytree(shared, home)
        return home

    return copy


@pytest.fixture(scope="session")
def sample_home(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
                ) -> Iterator[Path]:
    """A workspace with data/sample ingested by the nightly flow, once per run.

    Under pytest-xdist the first worker to need it builds it (the only one that starts Prefect
    for it); the others wait, then reuse it. Read-only: a test that assesses, approves or
    corrects works on its own `sample_copy`; a test that wrote into it fails the teardown.
    """

    def ingest(home: Path) -> None:
        request.getfixturevalue("prefect_harness")
        from flows.nightly_aggregation import nightly_aggregation

        with efc_home(home):
            summary = nightly_aggregation(inbox=str(SAMPLE), run_label="tests",
                                          arrivals=str(SAMPLE / "arrivals.csv"))  # as efc demo
        (home / "nightly_summary.json").write_text(json.dumps(summary))

    yield from shared_workspace(run_folder(tmp_path_factory) / "sample", ingest)


@pytest.fixture(scope="session")
def sample_copy(sample_home: Path, tmp_path_factory: pytest.TempPathFactory
                ) -> Callable[[str], Path]:
    """sample_copy(name): a fresh copy of the ingested sample workspace (warehouse, snapshot,
    archive, receipts) for a test that writes, under a new temporary folder `name`."""
    return copier(sample_home, tmp_path_factory)


@pytest.fixture(scope="session")
def assessed_home(sample_home: Path, tmp_path_factory: pytest.TempPathFactory,
                  request: pytest.FixtureRequest) -> Iterator[Path]:
    """The ingested sample with the demo's narratives, assessed for ASSESSED_QUARTER by the
    quarterly flow (both editions, version 1 drafts), as `efc demo` leaves it; once per run.

    Each edition costs tens of seconds to build, so the modules that read an assessment share
    this one. Read-only, as sample_home is: a test that re-issues, approves or corrects works
    on its own `assessed_copy`. What the run wrote or blocked: `assessment_run(home)`.
    """

    def assess(home: Path) -> None:
        request.getfixturevalue("prefect_harness")
        from checks.release_check import EditionsBlocked
        from flows.quarterly_assessment import quarterly_assessment

        shutil.copytree(sample_home, home)
        narratives = home / "narratives"
        narratives.mkdir(mode=0o700)
        for narrative in sorted(NARRATIVES.glob("*.md")):
            shutil.copyfile(narrative, narratives / narrative.name)
        blocked = {}
        with efc_home(home):
            try:
                pdfs = quarterly_assessment(quarter=ASSESSED_QUARTER)
            except EditionsBlocked as stopped:  # the tests that need an edition say so
                pdfs = stopped.written
                blocked = {b.report.edition: str(b) for b in stopped.blocked}
        record = {"quarter": ASSESSED_QUARTER, "blocked": blocked,
                  "pdfs": [str(Path(pdf).relative_to(home)) for pdf in pdfs]}
        (home / "assessment_run.json").write_text(json.dumps(record))

    yield from shared_workspace(run_folder(tmp_path_factory) / "assessed", assess)


@pytest.fixture(scope="session")
def assessed_copy(assessed_home: Path, tmp_path_factory: pytest.TempPathFactory
                  ) -> Callable[[str], Path]:
    """assessed_copy(name): a fresh copy of the assessed sample workspace, for a test that
    writes (a re-issue, an approval, a correction), under a new temporary folder `name`."""
    return copier(assessed_home, tmp_path_factory)


def assessment_run(home: Path) -> tuple[list[Path], dict[str, str]]:
    """The PDFs the shared assessment wrote in `home` (the shared workspace or a copy of it),
    in the flow's order, and why the release check blocked any edition."""
    record = json.loads((home / "assessment_run.json").read_text())
    return [home / pdf for pdf in record["pdfs"]], record["blocked"]

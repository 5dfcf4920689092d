"""Great Expectations' own Data Docs site under EFC_HOME/data_docs, from each suite's latest run.

GX renders the site from the validation results in its store. Ours is a folder of JSON files
beside the site (`validation_results/`) that keeps the latest run of each suite, so a night
without new files still shows the submission suite's last verdicts next to tonight's
warehouse checks. Submission results keep counts only (the nightly run passes on the result of
the validation that judged the files, `validate_batch`, so the batch is not validated twice);
warehouse results name keys.

The site works offline and tells no one it was opened: GX's pages load Bootstrap, jQuery,
Vega, Font Awesome and a logo from public CDNs, and its index draws the list of results with
those scripts. So the index is our own plain HTML, written from the same store, and every
reference to another host is taken out of GX's pages (they are server-rendered HTML that reads
without the scripts; a small inline style keeps their tables legible).
"""

from __future__ import annotations

import copy
import html
import re
import shutil
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from great_expectations.core import ExpectationSuiteValidationResult, ExpectationValidationResult
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)

from checks.warehouse_checks import expectation_suite, gx_context

SITE = "efc"
RESULTS_FOLDER = "validation_results"
PAGES = ("index.html", "validations", "expectations")  # what GX writes; rebuilt every time


_SUMMED = ("element_count", "missing_count", "unexpected_count")


def night_of_parts(parts: Sequence[ExpectationSuiteValidationResult]
                   ) -> ExpectationSuiteValidationResult:
    """One result for a suite's counts-only results of a night's parts (the submission suite):
    each expectation's counts summed and its percentages taken of the sums, as GX gives them
    for one batch. Parts are how the night keeps memory flat; a reader of the site wants the
    night's files judged together (and a page per part took some 0.14 s to render: 22 parts
    on the 5M inbox). Expectations are matched by position, as one suite ran on every part."""
    first = parts[0]
    results = []
    for runs in zip(*(part.results for part in parts), strict=True):
        counts = {key: sum(run.result[key] for run in runs) for key in _SUMMED
                  if key in runs[0].result}
        results.append(ExpectationValidationResult(
            success=_succeeds(runs[0].expectation_config.kwargs, counts),
            expectation_config=runs[0].expectation_config,
            result=counts | _percentages(counts), meta=runs[0].meta,
            exception_info=runs[0].exception_info))
    met = sum(result.success for result in results)
    return ExpectationSuiteValidationResult(
        success=met == len(results), results=results, suite_name=first.suite_name,
        suite_parameters=first.suite_parameters, statistics={
            "evaluated_expectations": len(results), "successful_expectations": met,
            "unsuccessful_expectations": len(results) - met,
            "success_percent": 100.0 * met / len(results) if results else None},
        # a part's batch markers (its load time, its frame's fingerprint) describe that part
        meta={key: value for key, value in first.meta.items() if key != "batch_markers"})


def _percentages(counts: dict) -> dict:
    """GX's percentages of a column map result, from its counts (None where nothing counted):
    of every row, of the rows not missing, and the headline one, of the rows judged."""
    def share(part: int, whole: int) -> float | None:
        return 100.0 * part / whole if whole else None

    rows, unexpected = counts["element_count"], counts["unexpected_count"]
    if "missing_count" not in counts:  # nothing is missing to an expectation of nulls
        return {"unexpected_percent": share(unexpected, rows)}
    judged = rows - counts["missing_count"]
    return {"missing_percent": share(counts["missing_count"], rows),
            "unexpected_percent": share(unexpected, judged),
            "unexpected_percent_total": share(unexpected, rows),
            "unexpected_percent_nonmissing": share(unexpected, judged)}


def _succeeds(kwargs: dict, counts: dict) -> bool:
    """GX's verdict on a column map result from its counts: the share of judged rows that
    are as expected reaches `mostly` (all of them without it); true when none was judged."""
    judged = counts["element_count"] - counts.get("missing_count", 0)
    return judged == 0 or (judged - counts["unexpected_count"]) / judged >= kwargs.get("mostly", 1)


def _docs_context(data_docs_dir: Path):
    """A GX context whose docs site and validation results live in `data_docs_dir`."""
    return gx_context(results_dir=data_docs_dir / RESULTS_FOLDER, data_docs_sites={SITE: {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                          "base_directory": str(data_docs_dir)},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder",
                               "show_cta_footer": False},
    }})


def _key(result: ExpectationSuiteValidationResult, run_id: RunIdentifier, part: str
         ) -> ValidationResultIdentifier:
    batch = (result.meta.get("active_batch_definition") or {}).get("data_asset_name")
    return ValidationResultIdentifier(ExpectationSuiteIdentifier(result.suite_name), run_id,
                                      (batch or result.suite_name) + part)


def build_data_docs(data_docs_dir: Path, runs: Sequence[ExpectationSuiteValidationResult], *,
                    run_name: str, run_time: datetime) -> Path:
    """Add `runs` (GX results of one run) to the site and rebuild it; return its index.html.

    Each suite keeps only its latest run: a run replaces the earlier results of its suites.
    A suite validated in several parts (the warehouse suite's slices of members) keeps every
    part.
    """
    data_docs_dir.mkdir(parents=True, exist_ok=True)
    context = _docs_context(data_docs_dir)
    store = context.validation_results_store
    run_id = RunIdentifier(run_name=run_name, run_time=run_time)
    parts = Counter(run.suite_name for run in runs)
    for key in store.list_keys():
        if key.expectation_suite_identifier.name in parts:
            store.remove_key(key)
    seen: Counter = Counter()
    for run in runs:
        result = copy.copy(run)
        result.meta = {**run.meta, "run_id": run_id, "validation_time": run_id.run_time}
        seen[run.suite_name] += 1
        part = (f"-part-{seen[run.suite_name]}-of-{parts[run.suite_name]}"
                if parts[run.suite_name] > 1 else "")
        store.set(_key(result, run_id, part), result)

    for key in store.list_keys():  # the suites' pages, from the expectations each result ran
        result = store.get(key)
        context.suites.add_or_update(expectation_suite(
            result.suite_name, [r.expectation_config.to_json_dict() for r in result.results]))
    for name in PAGES:
        path = data_docs_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    context.build_data_docs(site_names=[SITE])
    for page in data_docs_dir.rglob("*.html"):
        page.write_text(offline(page.read_text(encoding="utf-8")), encoding="utf-8")
    index = data_docs_dir / "index.html"
    index.write_text(index_page([(key, store.get(key)) for key in store.list_keys()]),
                     encoding="utf-8")
    return index


# A tag that loads from another host (http:, https: or protocol-relative), with its closing tag.
_REMOTE = r'\b(?:src|href)\s*=\s*["\']?(?:https?:)?//'
_REMOTE_ASSET = re.compile(
    rf'<script\b[^>]*{_REMOTE}[^>]*>\s*</script>|<(?:link|img)\b[^>]*{_REMOTE}[^>]*>', re.I)
_REMOTE_HREF = re.compile(r'\s+href\s*=\s*(["\'])(?:https?:)?//.*?\1', re.I)
_OFFLINE_STYLE = ("<style>/* efc: no CDN styles offline */ body{font-family:sans-serif;margin:1em}"
                  " table{border-collapse:collapse;margin:.5em 0} td,th{border:1px solid #ccc;"
                  "padding:2px 6px;vertical-align:top}</style>")


def offline(page: str) -> str:
    """A GX page with every script, stylesheet and image from another host removed and every
    link to one made plain text; a small inline style stands in for Bootstrap's."""
    page = _REMOTE_ASSET.sub("", page)
    page = _REMOTE_HREF.sub("", page)
    return page.replace("</head>", _OFFLINE_STYLE + "</head>", 1)


def _page_path(key: ValidationResultIdentifier) -> str:
    """Where GX's site builder writes the page of a validation result, from the site root."""
    return "validations/" + "/".join(key.to_tuple()) + ".html"


def index_page(results: Sequence[tuple[ValidationResultIdentifier,
                                       ExpectationSuiteValidationResult]]) -> str:
    """The site's index: one row per kept validation result, newest run first, plain HTML."""
    rows = []
    for key, result in sorted(results, key=lambda kr: (-kr[0].run_id.run_time.timestamp(),
                                                        kr[1].suite_name, _page_path(kr[0]))):
        stats = result.statistics
        suite = html.escape(result.suite_name)
        suite_page = "expectations/" + "/".join(result.suite_name.split(".")) + ".html"
        rows.append(
            f'<tr><td><a href="{html.escape(suite_page)}">{suite}</a></td>'
            f'<td>{html.escape(key.batch_identifier)}</td>'
            f"<td>{html.escape(key.run_id.run_name)}</td>"
            f"<td>{key.run_id.run_time.astimezone(UTC):%Y-%m-%d %H:%M} UTC</td>"
            f'<td class="{"passed" if result.success else "failed"}">'
            f'{"Passed" if result.success else "Failed"}</td>'
            f'<td class="num">{stats["successful_expectations"]} of '
            f'{stats["evaluated_expectations"]}</td>'
            f'<td><a href="{html.escape(_page_path(key))}">details</a></td></tr>')
    body = "\n".join(rows) or '<tr><td colspan="7">No validation results yet.</td></tr>'
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Data Docs: validation results</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #1a1a1a; }}
table {{ border-collapse: collapse; }}
th, td {{ border-bottom: 1px solid #d9d9d9; padding: 4px 10px; text-align: left; }}
th {{ border-bottom: 2px solid #1f3a5f; color: #1f3a5f; }}
td.num {{ text-align: right; }}
td.passed {{ color: #1b7f3b; }}
td.failed {{ color: #b00020; font-weight: bold; }}
</style>
</head>
<body>
<h1>Data Docs: validation results</h1>
<p>The latest run of each Great Expectations suite: the checks of the files received and of the
warehouse. Every page is served from this folder; nothing is loaded from elsewhere.</p>
<table id="validation-results">
<thead><tr><th>Suite</th><th>Data</th><th>Run</th><th>Run time</th><th>Status</th>
<th>Expectations met</th><th>Page</th></tr></thead>
<tbody>
{body}
</tbody>
</table>
</body>
</html>
"""

"""Great Expectations' own Data Docs site under EFC_HOME/data_docs, from each suite's latest run.

GX renders the site from the validation results in its store. Ours is a folder of JSON files
beside the site (`validation_results/`) that keeps the latest run of each suite, so a night
without new files still shows the submission suite's last verdicts next to tonight's
warehouse checks. Submission results keep counts only (the nightly run passes on the result of
the validation that judged the files, `validate_batch`, so the batch is not validated twice);
warehouse results name keys.
"""

from __future__ import annotations

import copy
import shutil
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from great_expectations.core import ExpectationSuiteValidationResult
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)

from checks.warehouse_checks import expectation_suite, gx_context

SITE = "efc"
RESULTS_FOLDER = "validation_results"
PAGES = ("index.html", "validations", "expectations")  # what GX writes; rebuilt every time


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
    A suite validated in several parts (a large night's batches) keeps every part.
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
    return data_docs_dir / "index.html"

"""Where a night's time goes: the nightly flow's steps run as the plain functions its tasks call,
each timed, in one process and without Prefect's engine (issue 16: ingest within 3 x the DuckDB
floor plus P, the time of a hello-world flow).

Run: EFC_HOME=DIR python benchmarks/night_phases.py INBOX

EFC_HOME should be a fresh folder: the inbox is ingested into its warehouse (read, never
emptied). Prints seconds per step beside the total, the observations loaded and the process's
peak memory (RSS); the imports line is what the night imports besides the steps themselves.
"""

from __future__ import annotations

import argparse
import resource
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

started = time.perf_counter()
from efc.settings import Settings  # noqa: E402
from flows.nightly_aggregation import night_parts  # noqa: E402
from transforms import intake, marts, nightly, warehouse  # noqa: E402

IMPORTS_S = time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inbox", type=Path)
    inbox = parser.parse_args().inbox
    spent: dict[str, float] = defaultdict(float)
    spent["imports (the flow, GX, pandas, DuckDB)"] = IMPORTS_S

    def timed(step: str, function: Callable, *args):
        start = time.perf_counter()
        result = function(*args)
        spent[step] += time.perf_counter() - start
        return result

    settings = Settings.from_env().with_inbox(inbox)
    settings.ensure_folders()
    night = datetime.now(UTC).replace(microsecond=0)
    summary = nightly.NightlySummary(started_at=night, inbox=str(inbox))
    with warehouse.writer(settings) as con:
        reception = timed("receive (sight, read, hash, copy)", nightly.open_reception, con,
                          settings, night, None)
        catalogue = reception.catalogue
        results = []
        for sightings in night_parts(reception.sightings, settings.part_files):
            part = timed("receive (sight, read, hash, copy)", nightly.receive_files, reception,
                         sightings)
            if not part:
                continue
            part = timed("examine (parse, screen, read values, keep)", nightly.examine_part,
                         part, catalogue, settings)
            results.append(timed("validate (Great Expectations)", intake.validate, part,
                                 catalogue, night.date()))
            summary.files_found = reception.expected
            summary = timed("load", nightly.load_submissions, con, part, summary)
        as_of = datetime.now(UTC)
        timed("marts", marts.refresh_changed, con, as_of)
        checked = timed("warehouse suite", nightly.check_warehouse, con, as_of, night.date())
        timed("readers' snapshot", warehouse.publish_snapshot, con, settings)
        timed("receipts", nightly.issue_receipts, con, settings, night)
    timed("Data Docs", nightly.publish_data_docs, settings,
          [r for r in results if r is not None], checked, night)
    for step, seconds in spent.items():
        print(f"{step:45s} {seconds:8.2f} s")
    print(f"{'total':45s} {sum(spent.values()):8.2f} s   {summary.observations_loaded:,} "
          f"observations in {reception.submissions:,} files, peak "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()

"""The release check finds suppressed values and member codes in what an edition prints."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from checks.disclosure import DisclosureLog, load_rules, protect_table
from checks.release_check import (
    ReleaseInputs,
    check_release,
    significant_digits,
    suppressed_cells,
    visible_text,
)

COALITION = load_rules("coalition")


def planted_table() -> tuple[DisclosureLog, dict]:
    """LI is one hotline's (43,210 of it; two others reported 0): it must be hidden."""
    rows = [("NL", "hl-a", 20_000), ("NL", "hl-b", 15_000), ("NL", "hl-c", 12_345),
            ("LI", "hl-a", 43_210), ("LI", "hl-b", 0), ("LI", "hl-c", 0),
            ("US", "hl-a", 9_000), ("US", "hl-b", 8_000), ("US", "hl-c", 7_500)]
    log = DisclosureLog()
    result = protect_table(pd.DataFrame(rows, columns=["country", "member_id", "value"]),
                           rules=COALITION, log=log, table="hosting", row="country")
    cells = result.cells.set_index("country")
    return log, cells


def run(texts=None, tables=None, documents=None, codes=()):
    log, _ = planted_table()
    return check_release("public", texts=texts or {}, tables=tables or {},
                         documents=documents or {}, suppressed=suppressed_cells(log),
                         published_values=log.published_values, member_codes=codes)


def test_the_gate_hides_the_planted_cell():
    log, cells = planted_table()
    assert pd.isna(cells.loc["LI", "value"]) and cells.loc["LI", "suppressed_by"] == "threshold"
    assert 43_210 in set(log.audits["hosting"]["value"])


@pytest.mark.parametrize("printed", ["43210", "43,210", "43 210", "43\u202f210", "43.2k",
                                     "43,210.0"])
def test_a_suppressed_value_in_free_text_blocks(printed):
    report = run(texts={"pdf": f"Liechtenstein hosted {printed} URLs this quarter."})
    assert report.blocked
    assert report.findings[0].what == "suppressed cell hosting [LI]"
    assert printed not in report.findings[0].message()  # the message never repeats the value


def test_published_values_pages_and_years_do_not_block():
    log, cells = planted_table()
    published = [f"{v:,.0f}" for v in cells["value"].dropna()]
    text = (f"Page 12 of 47. In 2026-Q3 (cut-off 2026-10-02) the Netherlands hosted "
            f"{published[0]} URLs; chapter 5.2; 3 members; the year 2026.")
    assert not run(texts={"pdf": text}).blocked


def test_a_share_of_the_published_total_blocks_when_printed_with_a_decimal():
    log, cells = planted_table()
    total = cells.loc["Total", "value"]
    if pd.isna(total):
        pytest.skip("the planted total is itself hidden")
    share = 43_210 / total * 100
    assert run(texts={"html": f"LI: {share:.1f}% of all URLs"}).blocked
    assert not run(texts={"html": f"LI: {share:.0f}% of all URLs"}).blocked


def test_attachments_and_manifests_are_read_cell_by_cell():
    csv_body = b"country,URLs\nNL,\"47,345\"\nLI,43210\n"
    assert run(tables={"hosting.csv": csv_body}).blocked
    assert not run(tables={"hosting.csv": b"country,URLs\nNL,c\nLI,c\n"}).blocked
    manifest = {"cells": [{"table": "hosting", "value": 43210}]}
    assert run(documents={"manifest.json": manifest}).blocked
    assert not run(documents={"manifest.json": json.loads('{"pages": 47}')}).blocked


def test_member_codes_block_an_edition_that_names_no_member():
    report = run(texts={"pdf": "Files from HL-North were late."}, codes=["hl-north", "hl-a"])
    assert report.blocked and report.findings[0].what == "member code HL-North"
    assert not run(texts={"pdf": "Files from hotlines were late."}, codes=["hl-north"]).blocked


def test_a_member_code_in_the_html_source_blocks_where_the_text_does_not_show_it():
    """Markup and styles ship with the HTML edition: anyone can read them."""
    log, _ = planted_table()

    def checked(html: str):
        return check_release("public", texts={"HTML edition": visible_text(html)}, tables={},
                             documents={}, suppressed=suppressed_cells(log),
                             published_values=log.published_values,
                             member_codes=["hl-north"], sources={"HTML edition's source": html})

    report = checked("<style>/* one word a cell: hl-north */</style><p>Hotlines sent.</p>")
    assert report.blocked
    assert [f.artefact for f in report.findings] == ["HTML edition's source"]
    assert not checked("<style>/* one word a cell: 2024-Q3 */</style><p>Hotlines sent.</p>"
                       ).blocked


def test_significant_digits():
    assert [significant_digits(v) for v in (43210, 150, 7, 1229136.7, 0.05)] == [4, 2, 1, 8, 1]


def test_signed_changes_are_not_levels():
    assert not run(texts={"pdf": "Referrals 33,203 (−43,210, −1.2%) on the year"}).blocked
    log, cells = planted_table()
    share = 43_210 / cells.loc["Total", "value"] * 100
    assert not run(texts={"pdf": f"Change on quarter +{share:.1f}%"}).blocked
    assert run(texts={"pdf": "Referrals 33,203 (43,210 a year earlier)"}).blocked


def test_the_editions_own_counts_are_not_hits():
    log, _ = planted_table()
    inputs = ReleaseInputs.from_log(log, counts=[43_210])
    report = check_release("coalition", texts={"pdf": "43,210 files were received"}, tables={},
                           documents={}, suppressed=inputs.suppressed,
                           published_values=inputs.published_values)
    assert not report.blocked


def test_a_blocked_edition_survives_pickling_as_an_orchestrator_stores_it():
    import pickle

    from checks.release_check import EditionsBlocked, ReleaseBlocked

    report = run(texts={"pdf": "43,210"})
    stopped = EditionsBlocked([ReleaseBlocked(report)], ["/r/coalition.pdf"])
    again = pickle.loads(pickle.dumps(stopped))
    assert str(again) == str(stopped) and again.written == ["/r/coalition.pdf"]
    assert "public edition" in str(again) and "43,210" not in str(again)


def test_a_share_is_a_hit_only_beside_its_category():
    log, cells = planted_table()
    share = f"{43_210 / cells.loc['Total', 'value'] * 100:.1f}%"
    assert run(texts={"pdf": f"Liechtenstein {share} of all URLs"}).blocked
    assert not run(texts={"pdf": f"cyberlocker {share}; forum 8.8%"}).blocked  # a coincidence
    row = f"Liechtenstein,{share}\n".encode()
    assert run(tables={"hosting.csv": b"country,share\n" + row}).blocked
    assert not run(tables={"sites.csv": f"site type,share\nforum,{share}\n".encode()}).blocked


def test_a_share_names_its_quarter_too():
    from checks.release_check import SuppressedCell

    cell = SuppressedCell("T by takedown_bucket", ("not_removed", "2026-Q1"), 120.0, 0.04)
    assert cell.named_in("not removed was", "not removed was 4.0% in 2026-Q1")
    assert not cell.named_in("not removed was", "not removed was 4.0% in 2025-Q3")
    assert not cell.named_in("over 28 days was", "over 28 days was 4.0% in 2026-Q1")


def test_a_share_takes_its_quarter_from_its_own_sentence():
    from checks.release_check import SuppressedCell

    cell = SuppressedCell("T by takedown_bucket", ("not_removed", "2026-Q2"), 1234.0, 0.051)
    def blocked(text: str) -> bool:
        return check_release("public", texts={"html": text}, tables={}, documents={},
                             suppressed=[cell], published_values=[]).blocked
    # Another series' last quarter ends the sentence before: a coincidence, not this cell
    assert not blocked("1-3 days rose from 30.1% to 31.0% between 2025-Q1 and 2026-Q2. "
                       "not removed was 5.1% in both 2026-Q1 and 2026-Q3.")
    assert blocked("not removed was 5.1% in 2026-Q2, 4.9% in 2026-Q3.")


def test_the_editions_cell_totals_are_not_hits():
    log, _ = planted_table()
    kept = log.information_kept([])
    total = kept["cells_hidden"] + kept["cells_published"]
    inputs = ReleaseInputs.from_log(log)
    assert {kept["cells_hidden"], kept["cells_published"], total} <= inputs.published_values

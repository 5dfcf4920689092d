"""Builds tests/corpus: members' files in every dialect, one or more per rule, and expected.csv.

Run once with `python -m tests.corpus_builder` and commit what it writes; the tests read the
committed files, never this module, so a reader can open every file the tests judge. The
files are written here rather than by hand because several are binary (XLSX, UTF-16,
Windows-1252, a fake encrypted workbook, a zip bomb) and their exact bytes matter.

Every accepted file reports a (member, period, indicator) no other accepted file reports, so
a nightly run over the whole corpus supersedes nothing; every file's bytes are distinct, so
none is a duplicate.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import openpyxl

CORPUS = Path(__file__).parent / "corpus"
HEADER = ["member_id", "period", "indicator", "dimension", "category", "value", "unit",
          "status", "note"]
FIXED_TIME = datetime(2026, 11, 2, 9, 0, 0)

# The identifiers planted in the identifying files, as written there (tests/test_corpus.py
# lists them again, with their compact forms, and searches the whole workspace for them).
EMAIL = "jan.jansen@example.org"
PHONE = "+44 20 7946 0958"
IBAN = "DE89 3704 0044 0532 0130 00"
CARD = "4111 1111 1111 1111"
IP_ADDRESS = "203.0.113.45"
URL = "https://images.example.net/gallery/7731"
WALLET = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
NAME_EMAIL = "j.devries@example.net"
HEADER_URL = "https://portal.example.org/export/42"


@dataclass(frozen=True)
class Case:
    """One corpus file and what a check of it must say."""

    member_id: str
    file: str
    expected_state: str
    expected_rule: str
    content: Callable[[], bytes]
    why: str


# --- writers ---------------------------------------------------------------------------

def csv_bytes(rows: list[list[str]], *, header: list[str] = HEADER, sep: str = ",",
              newline: str = "\n", encoding: str = "utf-8") -> bytes:
    """Rows under a header, quoted only where needed (as spreadsheet exports do)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def text(lines: str, encoding: str = "utf-8") -> bytes:
    """A file written out literally (for layouts csv.writer would not produce)."""
    return lines.encode(encoding)


def xlsx_bytes(sheets: dict[str, list[list[object]]], *,
               saved_values: dict[str, str] | None = None, macro: bool = False,
               hidden: dict[str, str] | None = None) -> bytes:
    """A workbook with the sheets in order; `saved_values` adds cached formula results,
    `hidden` a sheet state ("hidden", "veryHidden") per sheet title.

    openpyxl writes formulas without the value Excel saves beside them (`<v/>`); a workbook
    saved by Excel has both, so `saved_values` (formula text -> value) patches them in.
    """
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        sheet.sheet_state = (hidden or {}).get(title, "visible")
        for row in rows:
            sheet.append(row)
    workbook.properties.creator = "EFC test corpus"
    workbook.properties.created = FIXED_TIME
    workbook.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    workbook.save(buffer)
    if not saved_values and not macro:
        return buffer.getvalue()
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            data = source.read(entry.filename)
            if saved_values and entry.filename.startswith("xl/worksheets/"):
                for formula, value in saved_values.items():
                    data = data.replace(f"<f>{formula}</f><v />".encode(),
                                        f"<f>{formula}</f><v>{value}</v>".encode())
            target.writestr(entry, data)
        if macro:
            target.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"\0" * 60)
    return out.getvalue()


def ole2_bytes(*stream_names: str) -> bytes:
    """A minimal compound-file (OLE2) lookalike: its signature and directory entry names.

    Enough for the parser, which looks only at the signature and the stream names; an
    encrypted OOXML workbook is an OLE2 file holding `EncryptionInfo` and `EncryptedPackage`.
    """
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16 + b"\x3e\x00\x03\x00\xfe\xff"
    header = header.ljust(512, b"\0")
    directory = b"".join(
        (name.encode("utf-16-le") + b"\0\0").ljust(64, b"\0")[:64] + b"\0" * 64
        for name in ("Root Entry", *stream_names))
    return header + directory.ljust(1024, b"\0")


def zip_bomb() -> bytes:
    """An .xlsx-shaped zip whose sheet inflates to 210 MiB of one repeated byte (bzip2: ~1 KB)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_BZIP2, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            chunk = b" " * (1024 * 1024)
            for _ in range(210):
                sheet.write(chunk)
    return out.getvalue()


def json_bytes(document: object) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def row(member: str, period: str, indicator: str, value: str, *, dimension: str = "",
        category: str = "", unit: str = "", status: str = "", note: str = "") -> list[str]:
    return [member, period, indicator, dimension, category, value, unit, status, note]


# --- the corpus ------------------------------------------------------------------------

def good_files() -> list[Case]:
    """Accepted files, one per dialect the contract allows."""
    north = [
        row("hl-north", "2026-07", "HL_URLS_CONFIRMED", "1250", unit="count"),
        row("hl-north", "2026-07", "HL_URLS_CONFIRMED", "700", dimension="hosting_country",
            category="NL"),
        row("hl-north", "2026-07", "HL_URLS_CONFIRMED", "300", dimension="hosting_country",
            category="us"),
        row("hl-north", "2026-07", "HL_URLS_CONFIRMED", "250", dimension="hosting_country",
            category="ZZ"),
        row("hl-north", "2026-07", "HL_MEDIAN_TAKEDOWN_DAYS", "2.5", unit="days"),
        row("hl-north", "2026-07", "HL_MEDIAN_TAKEDOWN_DAYS", "1.5",
            dimension="hosting_region", category="europe", unit="days"),
    ]
    west = [
        row("hl-west", "2026-07", "HL_REPORTS_RECEIVED", "480", unit="count",
            note="Zählung über alle Kanäle"),
        row("hl-west", "2026-07", "HL_REPORTS_RECEIVED", "300", dimension="source_channel",
            category="public"),
        row("hl-west", "2026-07", "HL_REPORTS_RECEIVED", "150", dimension="source_channel",
            category="proactive"),
        row("hl-west", "2026-07", "HL_REPORTS_RECEIVED", "30", dimension="source_channel",
            category="police"),
    ]
    alpha_header = ["member_id", "period", "indicator", "value", "unit", "dimension",
                    "category", "status", "note"]
    alpha = [
        ["le-alpha", "2026-Q2", "LE_REFERRALS_RECEIVED", "2651", "count", "", "", "", ""],
        ["le-alpha", "2026-Q2", "LE_REFERRALS_RECEIVED", "1000", "count", "origin", "hotline",
         "", ""],
        ["le-alpha", "2026-Q2", "LE_REFERRALS_RECEIVED", "1200", "count", "origin", "industry",
         "", ""],
        ["le-alpha", "2026-Q2", "LE_REFERRALS_RECEIVED", "451", "count", "origin",
         "foreign_law_enforcement", "", "Überweisungen aus dem Ausland"],
        ["le-alpha", "2026-Q2", "LE_ASSETS_SEIZED_EUR", "125000.50", "EUR", "", "", "", ""],
    ]
    cardnet = [
        row("pay-cardnet", "2026-08", "PAY_FLAGGED_TXN_COUNT", "1.234", unit="count"),
        row("pay-cardnet", "2026-08", "PAY_FLAGGED_TXN_VALUE", "12.345,67", unit="EUR",
            note="Beträge in € umgerechnet"),
        row("pay-cardnet", "2026-08", "PAY_MEDIAN_TXN_EUR", "9,99", unit="EUR"),
    ]
    south = [
        row("hl-south", "2026-08", "HL_URLS_CONFIRMED", "90"),
        row("hl-south", "2026-08", "HL_URLS_CONFIRMED", "50", dimension="site_type",
            category="image_host"),
        row("hl-south", "2026-08", "HL_URLS_CONFIRMED", "25", dimension="site_type",
            category="forum"),
        row("hl-south", "2026-08", "HL_URLS_CONFIRMED", "15", dimension="site_type",
            category="other", note="più siti, stesso gestore"),
    ]
    gamma_header = ["member_id", "period", "indicator", "dimension", "category", "value"]
    gamma = [
        ["le-gamma", "2026-Q3", "LE_ARRESTS", "", "", "14"],
        ["le-gamma", "2026-Q3", "LE_ARRESTS", "offence_type", "possession_distribution", "10"],
        ["le-gamma", "2026-Q3", "LE_ARRESTS", "offence_type", "production", "1"],
        ["le-gamma", "2026-Q3", "LE_ARRESTS", "offence_type", "other", "3"],
    ]
    wallet_sheet = [
        ["Walletra Payments – EFC statistics, August 2026"],
        [],
        HEADER,
        ["pay-wallet", datetime(2026, 8, 1), "PAY_TEST_PURCHASES", None, None, 12, "count"],
        ["pay-wallet", datetime(2026, 8, 1), "PAY_TEST_PURCHASES", "payment_method", "card", 7],
        ["pay-wallet", datetime(2026, 8, 1), "PAY_TEST_PURCHASES", "payment_method", "e_wallet",
         5],
        ["pay-wallet", "2026-08", "PAY_FLAGGED_TXN_VALUE", None, None, 1520.75, "EUR"],
    ]
    remit_sheets = {
        "Read me": [["This workbook holds RemitBridge's statistics for the coalition."],
                    ["The figures are on the sheet named data."]],
        "data": [HEADER,
                 row("pay-remit", "2026-08", "PAY_SAR_FILED", "17"),
                 ["pay-remit", "2026-08", "PAY_SAR_FILED", "beneficiary_country", "PH", 9],
                 ["pay-remit", "2026-08", "PAY_SAR_FILED", "beneficiary_country", "ZZ", 8]],
    }
    imagehost_rows = [
        HEADER,
        ["ind-imagehost", "2026-08", "IND_ITEMS_REMOVED", None, None, "=SUM(F3:F4)", "count"],
        ["ind-imagehost", "2026-08", "IND_ITEMS_REMOVED", "service_type", "image_hosting", 100],
        ["ind-imagehost", "2026-08", "IND_ITEMS_REMOVED", "service_type", "other", 30],
    ]
    isp = {"member_id": "ind-isp", "observations": [
        {"period": "2026-07", "indicator": "IND_HASH_MATCH_BLOCKS", "value": 3200},
        {"period": "2026-08", "indicator": "IND_HASH_MATCH_BLOCKS", "value": 2950.0},
        {"period": "2026-09", "indicator": "IND_HASH_MATCH_BLOCKS", "value": "3110",
         "status": "A"},
    ]}
    helpline = {"member_id": "ngo-helpline", "period": "2026-10", "observations": [
        {"indicator": "NGO_HELPLINE_CONTACTS", "value": 310, "unit": "count"},
        {"indicator": "NGO_HELPLINE_CONTACTS", "dimension": "topic", "category": "sextortion",
         "value": 120},
        {"indicator": "NGO_HELPLINE_CONTACTS", "dimension": "topic", "category": "grooming",
         "value": 90},
        {"indicator": "NGO_HELPLINE_CONTACTS", "dimension": "topic", "category": "other",
         "value": 100, "note": "incl. chats, forwarded calls"},
    ]}
    return [
        Case("hl-north", "hotline-stats-2026-07.csv", "accepted", "",
             lambda: csv_bytes(north), "UTF-8, comma, decimal point, lower-case country"),
        Case("hl-west", "stats_2026-07_utf8_bom.csv", "accepted", "",
             lambda: b"\xef\xbb\xbf" + csv_bytes(west), "UTF-8 with BOM"),
        Case("le-alpha", "lagebild_2026_Q2.csv", "accepted", "",
             lambda: csv_bytes(alpha, header=alpha_header, sep="\t", newline="\r\n",
                               encoding="utf-16"),
             "UTF-16 with BOM, tab-separated, columns in another order, quarterly"),
        Case("pay-cardnet", "cardnet_efc_2026-08.csv", "accepted", "",
             lambda: csv_bytes(cardnet, sep=";", newline="\r\n", encoding="cp1252"),
             "Windows-1252, semicolon, decimal comma with thousands dots (1.234 = 1234)"),
        Case("hl-south", "statistiche_2026-08.csv", "accepted", "",
             lambda: csv_bytes(south, newline="\r\n"), "CRLF line ends"),
        Case("hl-east", "ntd_2026-08.csv", "accepted", "", lambda: text(
            ",".join(HEADER) + "\n"
            'hl-east,2026-08,HL_NTD_NOTICES_SENT,,,42,count,,"Counted once per notice, as '
            'agreed; includes ""re-sent"" notices"\n'
            'hl-east,2026-08,HL_NTD_NOTICES_SENT,hosting_country,PL,40,count,,'
            '"Poland, incl. mirrors"\n'
            '"hl-east","2026-08","HL_NTD_NOTICES_SENT","hosting_country","ZZ","2","","",'
            '"two notices;\nthe host is unknown"\n'),
            "quoted fields with separators, doubled quotes and a line break"),
        Case("le-gamma", "gamma_2026-Q3.tsv", "accepted", "",
             lambda: csv_bytes(gamma, header=gamma_header, sep="\t"),
             ".tsv, tab, only the required and breakdown columns"),
        Case("pay-wallet", "walletra_2026-08.xlsx", "accepted", "",
             lambda: xlsx_bytes({"Statistics": wallet_sheet}),
             "XLSX: title row and blank row above the header; months typed as dates"),
        Case("pay-remit", "remit_2026-08.xlsx", "accepted", "",
             lambda: xlsx_bytes(remit_sheets), "XLSX: sheet `data` is not the first sheet"),
        Case("ind-imagehost", "pixeldock_2026-08_saved_formulas.xlsx", "accepted", "",
             lambda: xlsx_bytes({"data": imagehost_rows}, saved_values={"SUM(F3:F4)": "130"}),
             "XLSX: a formula with its saved value (as Excel saves it) counts by that value"),
        Case("ind-isp", "isp_2026-Q3.json", "accepted", "", lambda: json_bytes(isp),
             "JSON with a period per observation"),
        Case("ngo-helpline", "helpline_2026-10.json", "accepted", "",
             lambda: json_bytes(helpline), "JSON with the period at the top"),
        Case("hl-north", "hotline-stats-2026-09-estimated.csv", "accepted_with_warnings",
             "value_estimated", lambda: csv_bytes([
                 row("hl-north", "2026-09", "HL_REPORTS_RECEIVED", "2210", status="E",
                     note="September estimated; final figure in October"),
                 row("hl-north", "2026-09", "HL_REPORTS_ASSESSED", "2105")]),
             "status E: loaded, flagged"),
        Case("hl-west", "stats_2026-08_with_comment.csv", "accepted_with_warnings",
             "unknown_column", lambda: csv_bytes(
                 [row("hl-west", "2026-08", "HL_URLS_CONFIRMED", "55") + ["checked twice"]],
                 header=[*HEADER, "comment"]),
             "a column outside the contract: loaded without it, flagged"),
    ]


def parse_failures() -> list[Case]:
    """Files that cannot be read as a submission at all."""
    title_rows = [
        ["CardNet Europe Scheme"], [], HEADER,
        row("pay-cardnet", "2026-06", "PAY_TEST_PURCHASES", "4")]
    return [
        Case("hl-north", "legacy_2026-06.xls", "rejected", "format_not_accepted",
             lambda: ole2_bytes("Workbook", "SummaryInformation"), "legacy .xls"),
        Case("pay-cardnet", "cardnet_macro_2026-06.xlsm", "rejected", "format_not_accepted",
             lambda: xlsx_bytes({"data": title_rows}, macro=True), "macro workbook .xlsm"),
        Case("le-alpha", "lagebild_2026_Q1.pdf", "rejected", "format_not_accepted",
             lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
                     b"trailer\n<< /Root 1 0 R >>\n%%EOF\n", "a PDF report"),
        Case("hl-south", "statistiche_2026-06.xlsx", "rejected", "format_not_accepted",
             lambda: ole2_bytes("Workbook", "DocumentSummaryInformation"),
             "a legacy .xls renamed to .xlsx"),
        Case("pay-wallet", "walletra_2026-06_protected.xlsx", "rejected", "workbook_protected",
             lambda: ole2_bytes("EncryptionInfo", "EncryptedPackage"),
             "password-protected workbook (an OLE2 file with an EncryptedPackage stream)"),
        Case("hl-south", "statistiche_2026-05.xlsx", "rejected", "not_a_workbook",
             lambda: csv_bytes([row("hl-south", "2026-05", "HL_URLS_CONFIRMED", "80")]),
             "a CSV saved under the name .xlsx"),
        Case("ind-isp", "isp_2026-06_everything.xlsx", "rejected", "workbook_too_large",
             zip_bomb, "zip bomb: 210 MiB inflated from about a kilobyte"),
        Case("hl-east", "screenshot_2026-06.csv", "rejected", "not_a_text_file",
             lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x02\x80\x00\x00\x01\xe0"
                     b"\x08\x06\x00\x00\x00" + bytes(range(256)) * 2, "an image named .csv"),
        Case("hl-west", "portal_export_2026-06.csv", "rejected", "html_not_csv", lambda: text(
            "\n<!DOCTYPE html>\n<html><head><title>Session expired</title></head>\n"
            "<body><p>Your session has expired. Please sign in again.</p></body></html>\n"),
             "a portal's error page saved as CSV"),
        Case("le-beta", "statistiques_2026T3_large.csv", "rejected", "wide_table", lambda: text(
            "member_id;indicator;2026-07;2026-08;2026-09\n"
            "le-beta;LE_CASES_OPENED;41;38;44\n"
            "le-beta;LE_ARRESTS;9;12;7\n", "cp1252"), "periods as columns"),
        Case("le-gamma", "gamma_2026-Q2_counts.csv", "rejected", "missing_column", lambda: text(
            "member_id,period,indicator,count\nle-gamma,2026-Q2,LE_ARRESTS,11\n"),
             "the value column named count"),
        Case("ngo-helpline", "helpline_2026-09.csv", "rejected", "empty_file", lambda: b"",
             "zero bytes"),
        Case("hl-north", "hotline-stats-2026-05.csv", "rejected", "field_count", lambda: text(
            ",".join(HEADER) + "\n"
            "hl-north,2026-05,HL_REPORTS_RECEIVED,,,800,count,,\n"
            "hl-north,2026-05,HL_URLS_CONFIRMED,,,410,count,,includes mirrors, as agreed\n"),
             "an unquoted comma in a note (row 3)"),
        Case("ind-imagehost", "pixeldock_2026-07.json", "rejected", "json_invalid",
             lambda: json_bytes({"member_id": "ind-imagehost", "period": "2026-07",
                                 "observations": [{"indicator": "IND_ITEMS_REMOVED",
                                                   "value": 120}]})[:-12],
             "a JSON export cut off"),
        Case("ind-isp", "isp_2026-05.json", "rejected", "json_shape", lambda: json_bytes([
            {"member_id": "ind-isp", "period": "2026-05", "indicator": "IND_ITEMS_REMOVED",
             "value": 75}]), "a list of observations without the document around it"),
        Case("hl-south", "statistiche_2026-04.csv", "rejected", "no_observations",
             lambda: csv_bytes([]), "a header and nothing else"),
        Case("hl-north", "hotline-stats-2026-04.csv", "rejected", "encoding_unreadable",
             lambda: b"\xef\xbb\xbf" + csv_bytes([row("hl-north", "2026-04", "HL_URLS_CONFIRMED",
                                                      "300", note="caf\xe9")], encoding="cp1252"),
             "a UTF-8 byte-order mark on a Windows-1252 file"),
    ]


def value_failures() -> list[Case]:
    return [
        Case("hl-west", "stats_2026-06.csv", "rejected", "value_is_number", lambda: csv_bytes([
            row("hl-west", "2026-06", "HL_URLS_CONFIRMED", "120 URLs"),
            row("hl-west", "2026-06", "HL_REPORTS_RECEIVED", "n/a")]), "units and n/a"),
        Case("pay-remit", "remit_2026-07.csv", "rejected", "value_decimal_mark_ambiguous",
             lambda: csv_bytes([
                 row("pay-remit", "2026-07", "PAY_FLAGGED_TXN_VALUE", "1,250", unit="EUR"),
                 row("pay-remit", "2026-07", "PAY_SAR_FILED", "17")]),
             "1,250 with nothing else in the file to settle the decimal mark"),
        Case("pay-wallet", "walletra_2026-07.csv", "rejected", "value_decimal_mark_inconsistent",
             lambda: csv_bytes([
                 row("pay-wallet", "2026-07", "PAY_FLAGGED_TXN_VALUE", "1520.75", unit="EUR"),
                 row("pay-wallet", "2026-07", "PAY_MEDIAN_TXN_EUR", "12,5", unit="EUR")]),
             "a decimal point and a decimal comma in one file"),
    ]


def suite_failures() -> list[Case]:
    """One file per rule of checks/suites/submission.json that rejects."""
    long_note = ("Figures for the second quarter follow the revised counting guidance agreed "
                 "at the working group: each referral is counted once, at receipt, under the "
                 "unit that received it, and referrals forwarded between units are not counted "
                 "again. Earlier quarters were counted at assignment and are not comparable "
                 "without the bridge table.")
    assert len(long_note) > 280
    title_error = [
        ["Northern Lights Reporting Centre"], [], HEADER,
        row("hl-north", "2026-06", "HL_URLS_CONFIRMED", "900"),
        ["hl-north", "2026-06", "HL_URLS_CONFIRMED", "hosting_country", "NL", -40],
        ["hl-north", "2026-06", "HL_URLS_CONFIRMED", "hosting_country", "ZZ", 940],
    ]
    unsaved = [
        HEADER,
        ["ind-imagehost", "2026-06", "IND_ITEMS_REMOVED", None, None, "=SUM(F3:F4)", "count"],
        ["ind-imagehost", "2026-06", "IND_ITEMS_REMOVED", "service_type", "image_hosting", 80],
        ["ind-imagehost", "2026-06", "IND_ITEMS_REMOVED", "service_type", "other", 20],
    ]
    return [
        Case("hl-nord", "stats_2026-07.csv", "rejected", "member_registered", lambda: csv_bytes([
            row("hl-nord", "2026-07", "HL_URLS_CONFIRMED", "10")]),
             "a folder that is no member (a typo of hl-north)"),
        Case("hl-north", "west-stats-2026-06.csv", "rejected", "member_matches_inbox",
             lambda: csv_bytes([row("hl-west", "2026-06", "HL_REPORTS_RECEIVED", "320")]),
             "another member's file in this inbox"),
        Case("hl-south", "statistiche_2026-03.csv", "rejected", "period_format", lambda: csv_bytes([
            row("hl-south", "2026-3", "HL_URLS_CONFIRMED", "80"),
            row("hl-south", "March 2026", "HL_REPORTS_RECEIVED", "95")]), "2026-3, March 2026"),
        Case("hl-east", "ntd_2062-08.csv", "rejected", "period_not_future", lambda: csv_bytes([
            row("hl-east", "2062-08", "HL_NTD_NOTICES_SENT", "12")]), "2062 for 2026"),
        Case("le-alpha", "lagebild_2026_Q3_monthly.csv", "rejected", "one_frequency_per_indicator",
             lambda: csv_bytes([row("le-alpha", "2026-Q3", "LE_ARRESTS", "40"),
                                row("le-alpha", "2026-07", "LE_ARRESTS", "13")]),
             "a quarter and a month of one indicator"),
        Case("hl-west", "stats_2026-05.csv", "rejected", "indicator_in_catalogue",
             lambda: csv_bytes([row("hl-west", "2026-05", "HL_URLS_CONFIRMED_TOTAL", "61")]),
             "an indicator code that does not exist"),
        Case("hl-north", "hotline-stats-2026-03-payments.csv", "rejected",
             "indicator_allowed_for_sector",
             lambda: csv_bytes([row("hl-north", "2026-03", "PAY_SAR_FILED", "3")]),
             "a payment indicator from a hotline"),
        Case("hl-south", "statistiche_2026-02.csv", "rejected", "dimension_allowed",
             lambda: csv_bytes([row("hl-south", "2026-02", "HL_URLS_CONFIRMED", "70"),
                                row("hl-south", "2026-02", "HL_URLS_CONFIRMED", "70",
                                    dimension="payment_method", category="card")]),
             "a breakdown the catalogue does not list for the indicator"),
        Case("hl-east", "ntd_2026-05.csv", "rejected", "category_in_code_list", lambda: csv_bytes([
            row("hl-east", "2026-05", "HL_NTD_NOTICES_SENT", "20"),
            row("hl-east", "2026-05", "HL_NTD_NOTICES_SENT", "20", dimension="hosting_country",
                category="UK")]), "UK for GB"),
        Case("pay-cardnet", "cardnet_efc_2026-05.csv", "rejected", "unit_matches_catalogue",
             lambda: csv_bytes([row("pay-cardnet", "2026-05", "PAY_FLAGGED_TXN_VALUE", "8800",
                                    unit="USD")]), "dollars for euro"),
        Case("le-beta", "statistiques_2026T2.csv", "rejected", "status_code", lambda: csv_bytes([
            row("le-beta", "2026-Q2", "LE_CASES_OPENED", "120", status="X")]), "status X"),
        Case("le-gamma", "gamma_2026-Q1.csv", "rejected", "value_present", lambda: csv_bytes([
            row("le-gamma", "2026-Q1", "LE_ARRESTS", "", note="not yet known")]),
             "an empty value with status A"),
        Case("ind-imagehost", "pixeldock_2026-05.csv", "rejected", "value_non_negative",
             lambda: csv_bytes([row("ind-imagehost", "2026-05", "IND_ITEMS_REMOVED", "-3")]),
             "a negative count"),
        Case("ind-isp", "isp_2026-04.csv", "rejected", "count_whole_number", lambda: csv_bytes([
            row("ind-isp", "2026-04", "IND_ITEMS_REMOVED", "12.5")]), "half an item"),
        Case("ngo-helpline", "helpline_2026-08.csv", "rejected", "observation_unique",
             lambda: csv_bytes([row("ngo-helpline", "2026-08", "NGO_HELPLINE_CONTACTS", "280"),
                                row("ngo-helpline", "2026-08", "NGO_HELPLINE_CONTACTS", "15")]),
             "the same observation twice"),
        Case("hl-north", "hotline-stats-2026-08-payments.csv", "rejected",
             "category_within_total", lambda: csv_bytes([
                 row("hl-north", "2026-08", "HL_PAYMENT_OPTIONS_SEEN", "40"),
                 row("hl-north", "2026-08", "HL_PAYMENT_OPTIONS_SEEN", "55",
                     dimension="payment_method", category="card")]),
             "a category above the total of a non-exhaustive breakdown"),
        Case("hl-west", "stats_2026-04.csv", "rejected", "categories_sum_to_total",
             lambda: csv_bytes([
                 row("hl-west", "2026-04", "HL_URLS_CONFIRMED", "100"),
                 row("hl-west", "2026-04", "HL_URLS_CONFIRMED", "60",
                     dimension="hosting_country", category="NL"),
                 row("hl-west", "2026-04", "HL_URLS_CONFIRMED", "30",
                     dimension="hosting_country", category="ZZ")]),
             "an exhaustive breakdown that misses 10"),
        Case("le-gamma", "gamma_2026-Q2.csv", "rejected", "note_length", lambda: csv_bytes([
            row("le-gamma", "2026-Q2", "LE_REFERRALS_RECEIVED", "1400", note=long_note)]),
             "a note over 280 characters"),
        Case("hl-north", "hotline-stats-2026-06.xlsx", "rejected", "value_non_negative",
             lambda: xlsx_bytes({"data": title_error}),
             "XLSX with a title row: the negative value is on line 5 of the sheet"),
        Case("hl-east", "ntd_2026-04.csv", "rejected", "value_non_negative", lambda: text(
            ",".join(HEADER) + "\n"
            'hl-east,2026-04,HL_NTD_NOTICES_SENT,,,30,count,,"notices sent\nand confirmed"\n'
            "\n"
            "hl-east,2026-04,HL_NTD_NOTICES_SENT,hosting_country,PL,-30,count,,\n"),
             "a note over two lines and a blank line before the negative value on line 5"),
        Case("ind-imagehost", "pixeldock_2026-06_formulas.xlsx", "rejected", "value_present",
             lambda: xlsx_bytes({"data": unsaved}),
             "XLSX whose formula has no saved value (written by a program that does not "
             "calculate, like openpyxl): the contract counts formulas by their saved values, "
             "so the total is empty and status A requires one"),
        Case("hl-north", "hotline-stats-2026-01-zeros.csv", "rejected", "value_plausible",
             lambda: csv_bytes([row("hl-north", "2026-01", "HL_URLS_CONFIRMED", "1" + "0" * 400)]),
             "1 and 400 zeros: infinite as a number, far above any plausible count"),
        Case("pay-cardnet", "cardnet_efc_2026-03.xlsx", "rejected", "value_plausible",
             lambda: xlsx_bytes({"data": [HEADER, ["pay-cardnet", "2026-03",
                                                   "PAY_FLAGGED_TXN_VALUE", None, None, 1e300,
                                                   "EUR"]]}),
             "1e300 euro in a workbook cell"),
        Case("pay-wallet", "walletra_2026-05.xlsx", "rejected", "sheet_hidden",
             lambda: xlsx_bytes({"Sheet1": [HEADER, row("pay-wallet", "2026-05",
                                                        "PAY_SAR_FILED", "4")],
                                 "data": [HEADER, row("pay-wallet", "2026-05",
                                                      "PAY_SAR_FILED", "400")]},
                                hidden={"data": "veryHidden"}),
             "a veryHidden sheet named data behind a visible one: never read silently"),
    ]


def identifying_files() -> list[Case]:
    return [
        Case("hl-north", "hotline-stats-2026-02.csv", "rejected", "identifying_email",
             lambda: csv_bytes([row("hl-north", "2026-02", "HL_URLS_CONFIRMED", "980",
                                    note=f"questions to {EMAIL}")]), "e-mail in a note"),
        Case("hl-west", "stats_2026-03.csv", "rejected", "identifying_phone", lambda: csv_bytes([
            row("hl-west", "2026-03", "HL_REPORTS_RECEIVED", "410",
                note=f"call the duty analyst on {PHONE}")]), "phone number in a note"),
        Case("pay-remit", "remit_2026-06_sar_detail.csv", "rejected", "identifying_iban",
             lambda: csv_bytes([row("pay-remit", "2026-06", "PAY_SAR_FILED", "1",
                                    note=f"beneficiary account {IBAN}")], sep=";"),
             "IBAN in a note"),
        Case("pay-cardnet", "cardnet_test_purchases_2026-04.xlsx", "rejected",
             "identifying_card_number", lambda: xlsx_bytes({"data": [
                 HEADER, row("pay-cardnet", "2026-04", "PAY_TEST_PURCHASES", "3",
                             note=f"test card {CARD}")]}), "card number in an XLSX cell"),
        Case("hl-south", "statistiche_2026-01.json", "rejected", "identifying_ip_address",
             lambda: json_bytes({"member_id": "hl-south", "period": "2026-01", "observations": [
                 {"indicator": "HL_URLS_CONFIRMED", "value": 64},
                 {"indicator": "HL_HIDDEN_SERVICES_NEW", "value": 2,
                  "note": f"one served from {IP_ADDRESS}"}]}),
             "IP address in observation 2 of a JSON file"),
        Case("hl-east", "ntd_2026-03.csv", "rejected", "identifying_url", lambda: csv_bytes([
            row("hl-east", "2026-03", "HL_NTD_NOTICES_SENT", "18",
                note=f"worst offender {URL}")]), "URL in a note"),
        Case("pay-wallet", "walletra_2026-05.csv", "rejected", "identifying_wallet_address",
             lambda: csv_bytes([row("pay-wallet", "2026-05", "PAY_CRYPTO_ALERT_HITS", "6",
                                    note=f"most hits on {WALLET}")]), "bech32 wallet address"),
        Case("hl-south", f"stats_for_{NAME_EMAIL}.csv", "rejected", "identifying_email",
             lambda: csv_bytes([row("hl-south", "2025-12", "HL_URLS_CONFIRMED", "71")]),
             "an e-mail address in the file name"),
        Case("ind-isp", "isp_2026-03.csv", "rejected", "identifying_url", lambda: csv_bytes(
            [row("ind-isp", "2026-03", "IND_ITEMS_REMOVED", "45") + ["yes"]],
            header=[*HEADER, HEADER_URL]), "a URL as a column name"),
    ]


def all_cases() -> list[Case]:
    return good_files() + parse_failures() + value_failures() + suite_failures() + \
        identifying_files()


def build(corpus: Path = CORPUS) -> None:
    cases = all_cases()
    assert len({(c.member_id, c.file) for c in cases}) == len(cases), "two cases, one path"
    if corpus.exists():
        shutil.rmtree(corpus)
    written: dict[bytes, str] = {}
    for case in cases:
        data = case.content()
        assert data not in written, f"{case.file} has the same bytes as {written.get(data)}"
        written[data] = case.file
        path = corpus / case.member_id / case.file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    with open(corpus / "expected.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["member_id", "file", "expected_state", "expected_rule", "why"])
        for case in sorted(cases, key=lambda c: (c.member_id, c.file)):
            writer.writerow([case.member_id, case.file, case.expected_state,
                             case.expected_rule, re.sub(r"\s+", " ", case.why)])


if __name__ == "__main__":
    build()
    print(f"wrote {len(all_cases())} files to {CORPUS}")

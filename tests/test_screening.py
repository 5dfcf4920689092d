"""The identifying-data screen: what it must catch, what it must leave alone, how it reports."""

from __future__ import annotations

import hashlib
import json
import random
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from checks.problems import Problem
from checks.screening import mask, screen_cells, screen_frame

REPO_ROOT = Path(__file__).resolve().parents[1]
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


# --- small generators, written independently of the code under test ---------------------------

def iban_with_check_digits(country: str, bban: str) -> str:
    """Compact IBAN with ISO 7064 mod 97-10 check digits."""
    numeric = "".join(str(int(char, 36)) for char in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


def luhn_complete(partial: str) -> str:
    total = 0
    for index, char in enumerate(reversed(partial)):
        digit = int(char) * (2 if index % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return partial + str((10 - total % 10) % 10)


def base58check(version: int, payload: bytes) -> str:
    raw = bytes([version]) + payload
    raw += hashlib.sha256(hashlib.sha256(raw).digest()).digest()[:4]
    number, out = int.from_bytes(raw, "big"), ""
    while number:
        number, remainder = divmod(number, 58)
        out = B58[remainder] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + out


def findings(text: str, column: str = "note") -> list[tuple[str, str]]:
    return [(p.rule, p.value) for p in screen_cells([(7, column, text)])]


def rules(text: str, column: str = "note") -> list[str]:
    return [rule for rule, _ in findings(text, column)]


# --- positives -------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Kontakt: jane.doe@example.org",
    "Hinweis von J.Doe+csam@mail.example.co.uk weitergeleitet",
    "écrire à jane [at] example [dot] org",
    "mail: jane(at)example.org",
    "MAX.MUSTERMANN@BEISPIEL.DE",
])
def test_email_addresses_are_found(text: str) -> None:
    assert rules(text) == ["identifying_email"]


@pytest.mark.parametrize("text", [
    "Tel. +49 30 12345678",
    "bellen: 0049 30 12345678",
    "+33 6 12 34 56 78",
    "+44 20 7946 0958",
    "+1 (202) 555-0143",
    "Rückruf unter 030 12345678",
    "Tel:0301234567",
    "Tel. 030/1234567",
    "appeler le 06 12 34 56 78",
    "Tel. 06.12.34.56.78",
    "US office (202) 555-0143",
    "móvil 612 34 56 78",
    "Telefon 612 345 678",  # grouped like a count, but a phone word stands before it
    "Im Q3 2026 (+31 10 123 7812) 1.234 Fälle",
    "01.07.2026 – 30.09.2026 über 0171 1234567",
])
def test_phone_numbers_are_found(text: str) -> None:
    assert rules(text) == ["identifying_phone"]


@pytest.mark.parametrize("country, bban", [
    ("DE", "370400440532013000"),
    ("GB", "WEST12345698765432"),
    ("NL", "ABNA0417164300"),
    ("FR", "30006000011234567890189"),
    ("AT", "1904300234573201"),
    ("IT", "X0542811101000000123456"),
    ("BE", "096123456769"),
    ("LU", "0010001234567891"),
])
@pytest.mark.parametrize("layout", ["compact", "spaced", "in_sentence"])
def test_ibans_are_found(country: str, bban: str, layout: str) -> None:
    compact = iban_with_check_digits(country, bban)
    spaced = " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))
    text = {"compact": compact, "spaced": spaced,
            "in_sentence": f"Konto {spaced} wurde gemeldet, Betrag 1.234,50 EUR"}[layout]
    assert findings(text) == [("identifying_iban", f"{compact[:4]}…{compact[-4:]}")]


@pytest.mark.parametrize("text", [
    "Karte 4111 1111 1111 1111 gesperrt",
    "carte 5555-5555-5555-4444",
    "Amex 3782 822463 10005",
    "6011111111111117",
    f"UnionPay {luhn_complete('621234567890123456')}",
    f"Maestro {luhn_complete('675912345678901')}",
    f"Mastercard 2-series {luhn_complete('222100000000000')}",
])
def test_card_numbers_are_found(text: str) -> None:
    assert rules(text) == ["identifying_card_number"]


@pytest.mark.parametrize("text", [
    "Zugriff von 10.0.0.1 blockiert",
    "Router 192.168.178.100",
    "8.8.8.8",
    "Quelle 2001:db8::1",
    "fe80::1ff:fe23:4567:890a%eth0 im Log",
    "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
    "mapped ::ffff:192.0.2.1",
])
def test_ip_addresses_are_found(text: str) -> None:
    assert rules(text) == ["identifying_ip_address"]


@pytest.mark.parametrize("text", [
    "siehe https://example.org/gallery?id=12",
    "http://bad-site.com/a/b",
    "www.example.com",
    "gemeldet: imgshare.net/abc123",
    "defanged hxxps://example[.]org/x",
    "hidden service abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion",
    "http://10.0.0.1/admin",  # an address inside a URL is reported once, as the URL
])
def test_urls_are_found(text: str) -> None:
    assert rules(text) == ["identifying_url"]


@pytest.mark.parametrize("address", [
    "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",                           # bitcoin P2PKH
    "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",                           # bitcoin P2SH
    base58check(0x00, bytes(range(20))),
    base58check(0x05, bytes(range(100, 120))),
    base58check(0x41, bytes(range(50, 70))),                         # tron
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",                   # BIP-173, bech32
    "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
    "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",  # BIP-350, bech32m
    "0x52908400098527886E0F7030069857D2E4169EE7",                    # ethereum
    "4" + "A" * 94,                                                  # monero, by shape
])
def test_wallet_addresses_are_found(address: str) -> None:
    assert rules(f"Zahlung an {address} erfolgt") == ["identifying_wallet_address"]


def test_generated_checksum_identifiers_are_all_caught() -> None:
    rng = random.Random(5)
    digits = "0123456789"
    for _ in range(300):
        country, length = rng.choice([("DE", 18), ("AT", 16), ("PL", 24), ("PT", 21), ("BE", 12)])
        iban = iban_with_check_digits(country, "".join(rng.choice(digits) for _ in range(length)))
        assert rules(f"Konto {iban} gemeldet") == ["identifying_iban"], iban
        prefix = rng.choice(["4", "51", "55", "2221", "6011", "3528"])
        card = luhn_complete(prefix + "".join(rng.choice(digits) for _ in range(15 - len(prefix))))
        spaced = " ".join(card[i:i + 4] for i in range(0, 16, 4))
        assert rules(f"Karte {spaced} gesperrt") == ["identifying_card_number"], card
        wallet = base58check(rng.choice([0x00, 0x05]), rng.randbytes(20))
        assert rules(f"an {wallet}.") == ["identifying_wallet_address"], wallet


# --- negatives -------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "24000", "1.234,50", "12,5", "12,5 %", "+12,5 %", "1.234.567", "1 234 567", "1,234,567",
    "1.234.567.890", "1.200.000.000", "1.234.567,89", "2.345.678.901 EUR", "4 111 111 111 111",
    "2026-07-31", "31.07.2026", "31/07/2026", "01.07.2026-30.09.2026", "2026-Q3", "2026-07",
    "Q3 2026", "2024-2026", "2024/2025/2026", "10:30:00", "2026-07-31T12:30:00",
    "1.2.3", "v2.3.1.4", "Version 2.0.0.1", "siehe Abschnitt 4.1.2.3", "§ 1.2.3.4",
    "HL_URLS_CONFIRMED", "PAY_ACCOUNTS_CLOSED", "hosting_country", "hl-north",
    "DE", "FR", "NL", "ZZ", "AT, DE, FR", "KW31 2026", "ratio 3:1", "24/7",
    "z.B./bzw. EUR/Monat i.d.R./Jahr", "Richtlinie 2011/93/EU Art. 25", "§ 184b StGB",
    "123456789012", "Anzahl: 1234567890 Meldungen",
    "1229136.70", "1229136,70 EUR",  # amounts with cents (found at 5M generated observations)
    "Werte je Quartal: 2.541.149 / 68.135 / 2.703.710.762 / 2.567.709 Meldungen.",
    "Volumes trimestriels : 85 788 ; 4 028 769 779 ; 3 012 024 507 ; 92.",
    "2 061 363 672 signalements",
    "example.com",  # a bare domain without a path is not a full URL
    "Österreich (AT) und Deutschland (DE)",
])
def test_ordinary_values_raise_nothing(text: str) -> None:
    assert findings(text) == []


@pytest.mark.parametrize("text", [
    "Zwischen dem 01.07.2026 und dem 30.09.2026 wurden 1.234.567 Meldungen bearbeitet "
    "(12,5 % mehr als im Vorquartal); gesperrt wurden Zahlungen über 1.234.567,89 EUR.",
    "Im 2026-Q3 lag der Anteil aus Deutschland bei 43,2 %; Median 3,5 Tage, Stand 31.07.2026.",
    "Entre le 01/07/2026 et le 30/09/2026, 1 234 567 signalements ont été traités, "
    "soit 12,5 % de plus ; montant bloqué 12 345,67 €.",
    "Délai moyen de retrait : 2,5 jours au T3 2026 (version 1.4.2 du catalogue).",
    "Tussen 01-07-2026 en 30-09-2026 zijn 1.234.567 meldingen verwerkt, een stijging van "
    "12,5 %; totaal € 1.234.567,89.",
    "Week 31: 4.512 meldingen, waarvan 3.987 bevestigd; om 14:30 uur bijgewerkt.",
    "Between 2026-07-01 and 2026-09-30 we processed 1,234,567 reports, up 12.5% on Q2 2026; "
    "EUR 1,234,567.89 refunded across 27 countries (DE, FR, NL, ZZ).",
    "Figures for 2024-2026 restated; indicator HL_URLS_CONFIRMED estimated (status E).",
])
def test_ordinary_sentences_raise_nothing(text: str) -> None:
    assert findings(text) == []


def test_invalid_checksums_are_not_reported() -> None:
    iban = iban_with_check_digits("DE", "370400440532013000")
    wrong_iban = iban[:2] + f"{(int(iban[2:4]) + 1) % 100:02d}" + iban[4:]
    card = luhn_complete("411111111111111")
    wrong_card = card[:-1] + str((int(card[-1]) + 1) % 10)
    wallet = base58check(0x00, bytes(range(20)))
    wrong_wallet = wallet[:-1] + ("2" if wallet[-1] != "2" else "3")
    wrong_bech32 = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5"
    wrong_case = "bc1qW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
    for text in (wrong_iban, wrong_card, wrong_wallet, wrong_bech32, wrong_case,
                 "300.1.2.3", "1.2.3.256", "0x1234"):
        assert findings(f"Wert {text} geprüft") == [], text


def test_dotted_quad_count_in_value_column_is_a_number() -> None:
    assert findings("1.234.123.100", column="value") == []
    assert findings("1.234.123.100 EUR") == []
    assert rules("1.234.123.100") == ["identifying_ip_address"]  # outside `value`: an address


# --- reporting -------------------------------------------------------------------------------

def test_problem_fields_speak_to_the_member() -> None:
    [problem] = screen_cells([(12, "note", "Kontakt jane.doe@example.org")])
    assert isinstance(problem, Problem)
    assert problem.severity == "error"
    assert problem.rule == "identifying_email"
    assert (problem.row, problem.column, problem.value) == (12, "note", "ja…@…le.org")
    assert "e-mail address" in problem.message and "note" in problem.message
    assert "remove the e-mail address" in problem.fix.lower()
    assert "aggregated counts only" in problem.fix
    assert "jane.doe" not in json.dumps(problem.as_dict())


def test_every_rule_id_is_used_exactly_as_specified() -> None:
    text = ("a jane@example.org b +49 30 12345678 c DE89 3704 0044 0532 0130 00 "
            "d 4111 1111 1111 1111 e 10.0.0.1 f https://example.org/x "
            "g 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")
    assert sorted(rules(text)) == sorted([
        "identifying_email", "identifying_phone", "identifying_iban", "identifying_card_number",
        "identifying_ip_address", "identifying_url", "identifying_wallet_address"])


def test_each_identifier_is_reported_once_per_cell() -> None:
    assert rules("jane@example.org, again jane@example.org") == ["identifying_email"]
    assert rules("jane@example.org and john@example.org") == ["identifying_email"] * 2
    assert rules("030 12345678 oder +49 30 12345678") == ["identifying_phone"]  # same number


def test_findings_come_in_the_order_they_appear_in_the_cell() -> None:
    text = "Tel +49 30 12345678, mail jane@example.org, web www.example.com"
    assert rules(text) == ["identifying_phone", "identifying_email", "identifying_url"]


def test_many_identical_findings_are_returned_in_full() -> None:
    cells = [(row, "note", "jane@example.org") for row in range(2, 10_002)]
    problems = screen_cells(cells)
    assert len(problems) == 10_000
    assert [p.row for p in problems[:3]] == [2, 3, 4]


IDENTIFIERS = [
    "jane.doe@example.org", "+49 30 12345678", "030 12345678",
    "DE89 3704 0044 0532 0130 00", "GB29NWBK60161331926819", "4111-1111-1111-1111",
    "3782 822463 10005", "10.0.0.1", "192.168.178.100", "2001:db8::1", "8.8.8.8",
    "https://example.org/gallery?id=12", "www.example.com", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "0x52908400098527886E0F7030069857D2E4169EE7",
]


@pytest.mark.parametrize("identifier", IDENTIFIERS)
def test_masked_values_never_reveal_the_identifier(identifier: str) -> None:
    [problem] = screen_cells([(3, "note", f"gemeldet: {identifier} (entfernen)")])
    masked = problem.value
    compact = re.sub(r"[\s\-.:/()]", "", identifier)
    assert "…" in masked
    assert identifier not in masked and identifier not in problem.message
    assert compact not in re.sub(r"[\s\-.:/()…]", "", masked)
    hidden = len(re.sub(r"\W", "", identifier)) - len(re.sub(r"\W", "", masked))
    assert hidden >= len(re.sub(r"\W", "", identifier)) // 2


def test_mask_keeps_little_of_each_end() -> None:
    assert mask("DE89 3704 0044 0532 0130 00") == "DE89…3000"
    assert mask("jane.doe@example.org") == "ja…@…le.org"
    assert mask("4111 1111 1111 1111") == "41…11"
    assert mask("10.0.0.1") == "1…1"
    assert mask("abc") == "…"


# --- screen_frame ----------------------------------------------------------------------------

def test_screen_frame_reports_member_rows_and_columns() -> None:
    frame = pd.DataFrame({
        "indicator": ["HL_URLS_CONFIRMED", "HL_URLS_CONFIRMED", "PAY_BLOCKED_EUR"],
        "value": ["1.234", "12,5", "1.234.123.100"],
        "note": ["ok", np.nan, "Rückfragen an jane@example.org"],
        "stray": [np.nan, "Konto DE89 3704 0044 0532 0130 00", np.nan],
    })
    problems = screen_frame(frame, [4, 5, 6], header_row=3)
    assert [(p.rule, p.row, p.column) for p in problems] == [
        ("identifying_email", 6, "note"),
        ("identifying_iban", 5, "stray"),
    ]


def test_screen_frame_screens_numbers_and_header_names() -> None:
    frame = pd.DataFrame({
        "value": [4111111111111111, 12],
        "contact jane@example.org": ["x", "y"],
    })
    problems = screen_frame(frame, [2, 3], header_row=1)
    by_rule = {(p.rule, p.row): p for p in problems}
    card = by_rule[("identifying_card_number", 2)]
    assert card.column == "value"
    header = by_rule[("identifying_email", 1)]
    assert header.column == "column 2"  # the identifying name itself is never repeated
    assert "jane" not in json.dumps([p.as_dict() for p in problems])
    assert len(problems) == 2


def test_screen_frame_handles_str_dtype_and_missing_values() -> None:
    frame = pd.DataFrame({"note": pd.array(["a", None, "www.example.com"], dtype="str")})
    problems = screen_frame(frame, [10, 11, 12])
    assert [(p.rule, p.row) for p in problems] == [("identifying_url", 12)]


def test_screen_frame_accepts_numpy_row_numbers() -> None:
    frame = pd.DataFrame({"note": ["jane@example.org"]})
    [problem] = screen_frame(frame, np.array([9]))
    assert type(problem.row) is int
    json.dumps(problem.as_dict())


def test_screen_frame_wants_one_row_number_per_row() -> None:
    with pytest.raises(ValueError):
        screen_frame(pd.DataFrame({"note": ["a", "b"]}), [2])


# --- cost ------------------------------------------------------------------------------------

@pytest.mark.slow
def test_import_is_light() -> None:
    """No heavy dependency at import time, and well under 0.2 s (best of three, for noisy CI)."""
    code = ("import sys, time; t = time.perf_counter(); import checks.screening; "
            "print(time.perf_counter() - t); "
            "print(sorted(m for m in ('phonenumbers', 'stdnum', 'pandas', 'prefect', "
            "'great_expectations') if m in sys.modules))")
    timings = []
    for _ in range(3):
        result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT,
                                capture_output=True, text=True, check=True)
        seconds, heavy = result.stdout.splitlines()
        assert heavy == "[]"
        timings.append(float(seconds))
    assert min(timings) < 0.2


def test_an_identifier_in_a_code_column_says_what_to_write_instead():
    """Removed and left empty, a breakdown row's category would count nothing."""
    [in_category] = screen_cells([(18, "category", "NL91ABNA0417164300")])
    [in_note] = screen_cells([(18, "note", "NL91ABNA0417164300")])
    assert "In its place write the category the row counts" in in_category.fix
    assert "'ZZ' where the country is unknown" in in_category.fix
    assert "In its place" not in in_note.fix

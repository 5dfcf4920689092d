"""The identifying-data screen: every cell of a submission searched for forbidden identifiers.

CONTRACT.md ("What may be sent") allows aggregated, non-identifying statistics only; a file
holding an e-mail address, phone number, IBAN, card number, IP address, URL or wallet address
is rejected whole. This module finds them; the caller decides what to do with the file.

Each detector finds candidates with a regular expression and keeps only those that pass the
identifier's own validation (a checksum, a numbering plan, an address parser), so that
ordinary notes full of counts, amounts, dates and periods raise no alarm.

Decisions worth knowing:
- Phone numbers need a `+`/`00` international prefix, or national formatting with at least
  9 digits that `phonenumbers` accepts as VALID for an EU, UK or US region. A bare run of
  digits without a leading 0 is a number, and so is such a run with cents (`1229136.70`).
  A national number grouped exactly like a thousands-separated count (`612 345 678`) is
  read as a count unless a word such as `Tel`, `phone` or `mobile` stands just before it.
  Dates, year ranges and periods never are phones.
- A dotted quad right after `version`, `Abschnitt`, `section`, `Art.`, `§` … is a release
  or section number. A dotted quad whose last three groups have three digits each
  (`1.234.123.100`) is an IP address, unless a decimal comma, a currency or a percent sign
  beside it, or its being the whole cell of the `value` column, shows it is a number written
  with thousands separators. Octets with leading zeros (`1.200.000.000`) are never an IP
  address (`ipaddress` refuses them), so round amounts never are.
- A URL needs a scheme (`http://`, `https://`, `ftp://`, defanged `hxxp://`), `www.`, a
  domain followed by a path (`example.com/abc`), or a `.onion` host; a bare `example.com`
  is not reported. Indicator and category codes never contain a dot, so they never match.
- Wallets: base58check addresses are verified (bitcoin `1…`/`3…`, and litecoin, dogecoin
  and tron, which share the scheme), bech32/bech32m `bc1…`/`ltc1…` by their checksum;
  ethereum (`0x` + 40 hex) and monero (`4`/`8` + 94 base58) by pattern only.
"""

from __future__ import annotations

import hashlib
import ipaddress
import numbers
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from checks.problems import Problem

if TYPE_CHECKING:
    import pandas as pd

    from transforms.cells import CellColumn

ELLIPSIS = "…"

# rule id -> (what was found, in a sentence; the thing to remove, in the fix)
KINDS: dict[str, tuple[str, str]] = {
    "identifying_email": ("an e-mail address", "e-mail address"),
    "identifying_phone": ("a phone number", "phone number"),
    "identifying_iban": ("a bank account number (IBAN)", "IBAN"),
    "identifying_card_number": ("a payment card number", "card number"),
    "identifying_ip_address": ("an IP address", "IP address"),
    "identifying_url": ("a web address (URL)", "web address"),
    "identifying_wallet_address": ("a crypto-currency wallet address", "wallet address"),
}

# EU member states, the UK and the US: the regions whose national phone formats are checked.
PHONE_REGIONS = (
    "DE", "FR", "NL", "BE", "GB", "IE", "AT", "IT", "ES", "PT", "LU", "DK", "SE", "FI",
    "PL", "CZ", "SK", "HU", "SI", "HR", "RO", "BG", "GR", "CY", "MT", "EE", "LV", "LT", "US",
)

# Columns that by the contract hold only a number: a bare `1.234.123.100` there is a count.
NUMERIC_COLUMNS = frozenset({"value"})
# What a code column must hold instead of an identifier: left empty, the row would count nothing
# (a reviewer's receipt said to remove an IBAN from a breakdown row's category, and no more).
REPLACE_WITH = {
    "category": " In its place write the category the row counts (a country code, a payment "
                "method: see the template), or 'ZZ' where the country is unknown.",
    "dimension": " In its place write the dimension of the breakdown (see the template), or "
                 "leave it empty on the total's row.",
}

# A cell that matches none of these cannot hold any identifier we look for: skip it cheaply.
_GATE = re.compile(
    r"[@/]|www\d{0,3}\.|\.onion|[\[({](?:at|AT|@)[\])}]"
    r"|\d(?:[^\w\n]{0,3}\d){8,}"                      # 9+ digits: phones, cards
    r"|(?<![A-Za-z0-9])[A-Za-z]{2}\d\d"                # IBAN start
    r"|\d\.\d{1,3}\.\d{1,3}\.\d"                       # IPv4
    r"|[0-9A-Fa-f]{0,4}::|[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:"  # IPv6
    r"|0x[0-9A-Fa-f]{40}|(?:bc|BC|ltc|LTC)1|[1-9A-HJ-NP-Za-km-z]{25}"  # wallets
)

# --- e-mail ---------------------------------------------------------------------------------
_AT = r"(?:\s?@\s?|\s?\[(?:at|AT|@)\]\s?|\s?\((?:at|@)\)\s?|\s?\{(?:at|@)\}\s?)"
_DOT = r"(?:\.|\s?\[(?:dot|DOT|\.)\]\s?|\s?\((?:dot|\.)\)\s?)"
_EMAIL = re.compile(
    rf"(?<![\w.+%'-])\w[\w.+%'-]{{0,63}}{_AT}(?:[\w-]{{1,63}}{_DOT})+[^\W\d_]{{2,24}}(?![\w-])"
)
_EMAIL_HINT = re.compile(r"@|[\[({](?:at|AT)[\])}]")
_DEOBFUSCATE_AT = re.compile(rf"{_AT}")
_DEOBFUSCATE_DOT = re.compile(r"\s?[\[(](?:dot|DOT|\.)[\])]\s?")

# --- URL --------------------------------------------------------------------------------------
_URL = re.compile(
    r"(?:\b(?:https?|hxxps?|ftp|sftp)://|(?<![\w.@/-])www\d{0,3}\.)[^\s<>\"']+"
    r"|(?<![\w.@/-])(?:[a-z0-9][a-z0-9-]{0,62}(?:\.|\[\.\]))+(?:[a-z]{2,24}|xn--[a-z0-9-]+)"
    r"(?::\d{2,5})?/[^\s<>\"']*"
    r"|(?<![\w.@/-])[a-z2-7]{16}(?:[a-z2-7]{40})?\.onion\b",
    re.IGNORECASE,
)
_URL_TRAILING = ".,;:!?)]}>\"'"

# --- IBAN -------------------------------------------------------------------------------------
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ -]?[A-Za-z0-9]){11,30}(?![A-Za-z0-9])")
_IBAN_SHAPE = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}")

# --- payment card -----------------------------------------------------------------------------
_CARD = re.compile(r"(?<![\w.,+])\d(?:[ -]?\d){12,30}(?![\w]|[.,]\d)")

# --- IP addresses -----------------------------------------------------------------------------
_IPV4 = re.compile(r"(?<![\w.,])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|[.,]\d)")
_IPV4_THOUSANDS = re.compile(r"[1-9]\d{0,2}(?:\.\d{3}){3}")
_NUMBER_AFTER = re.compile(r"\s?(?:€|EUR\b|[Ee]uros?\b|%)")
_NUMBER_BEFORE = re.compile(r"(?:€|EUR)\s?$")
# `Abschnitt 4.1.2.3`, `version 2.0.0.1`: a numbered section or release, not an address
_SECTION_BEFORE = re.compile(
    r"(?i)(?:\b(?:version|release|build|v|abschnitt|section|kapitel|chapter|ziffer|punkt"
    r"|tabelle|table|tab|annex|anhang|bijlage|article|artikel|art|nr|no|n°)\.?|§)\s?$"
)
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?"
    r"(?:%\w+)?(?![\w:])"
)

# --- wallets ----------------------------------------------------------------------------------
_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {char: index for index, char in enumerate(_B58_ALPHABET)}
_B58 = "1-9A-HJ-NP-Za-km-z"
_BASE58CHECK = re.compile(rf"(?<![A-Za-z0-9])[{_B58}]{{25,35}}(?![A-Za-z0-9])")
# version bytes: bitcoin P2PKH/P2SH, litecoin L/M, dogecoin D/A, tron T
_BASE58_VERSIONS = frozenset({0x00, 0x05, 0x30, 0x32, 0x1E, 0x16, 0x41})
_BECH32 = re.compile(
    r"(?<![A-Za-z0-9])(?:bc|BC|ltc|LTC)1[02-9ac-hj-np-zAC-HJ-NP-Z]{11,87}(?![A-Za-z0-9])"
)
_BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_INDEX = {char: index for index, char in enumerate(_BECH32_CHARSET)}
_BECH32_CONSTANTS = (1, 0x2BC830A3)  # bech32 (BIP-173), bech32m (BIP-350)
_BECH32_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_ETHEREUM = re.compile(r"(?<![A-Za-z0-9])0x[0-9a-fA-F]{40}(?![A-Za-z0-9])")
_MONERO = re.compile(rf"(?<![A-Za-z0-9])[48][{_B58}]{{94}}(?:[{_B58}]{{11}})?(?![A-Za-z0-9])")

# --- phone numbers ----------------------------------------------------------------------------
# `+` or `00`, a country code, then 6 to 14 more digits in the usual groupings
_PHONE_INTERNATIONAL = re.compile(
    r"(?:(?<![\w+])\+|(?<![\w.,:/+-])(?<!\d\s)00)\s?(?:\(\s?)?[1-9]\d{0,2}(?:\s?\))?"
    r"(?:(?:\s?[-/.]\s?|\s)?(?:\(\d{1,4}\)|\d)){6,14}(?!\w|[.,]\d)"
)
# an area code as `(030)`, `030/` or `030 - `, then digits joined by single spaces, dashes or dots
# (a spaced ` / ` or ` - ` elsewhere separates two counts, not the parts of a number)
_PHONE_NATIONAL = re.compile(
    r"(?<![\w+.,/-])(?:\(\d{1,5}(?:[ -]\d{1,4})?\)\s?|0\d{1,4}\s?[/-]\s?)?"
    r"\d(?:[-.\s]?\d){3,16}(?!\w|[.,:/-]\d)"
)
# `12.345` inside a candidate is a count written with a thousands dot
_DOTTED_THOUSANDS_INSIDE = re.compile(r"(?<![\d.])[1-9]\d{0,2}\.\d{3}(?![\d])")
_PHONE_CUE = re.compile(
    r"(?i)\b(?:tel|telefon|t[ée]l[ée]phone|telefoon|phone|mobile?|handy|gsm|portable|fax"
    r"|whats\s?app|sms|signal|telegram|n[uú]mero|nummer|number|kontakt|contact|call|anruf)\b"
)
# dates (`31.07.2026`, `2026-07-31`, `31.07.26` but not `06.12.34.56.78`) and year ranges
_DATE_INSIDE = re.compile(
    r"(?<!\d)(?:0?[1-9]|[12]\d|3[01])\s?([./-])\s?(?:0?[1-9]|1[0-2])\s?\1\s?"
    r"(?:(?:19|20)\d{2}(?!\d)|\d{2}(?![./]?\d))"
    r"|(?<!\d)(?:19|20)\d{2}\s?[./-]\s?(?:0?[1-9]|1[0-2])"
    r"(?:\s?[./-]\s?(?:0?[1-9]|[12]\d|3[01]))?(?!\d)"
    r"|(?<!\d)(?:19|20)\d{2}\s?[-/]\s?(?:19|20)\d{2}(?!\d)"
)
_THOUSANDS = re.compile(r"[1-9]\d{0,2}([ .,'])\d{3}(?:\1\d{3})*")
_THOUSANDS_PREFIX = re.compile(r"[1-9]\d{0,2}([ .,'])\d{3}(?:\1\d{3})*(?!\d)")
_US_SHAPE = re.compile(r"\(?[2-9]\d{2}\)?[ .-]?[2-9]\d{2}[ .-]\d{4}")
_DECIMAL_AMOUNT = re.compile(r"[1-9]\d*[.,]\d{1,2}")  # 1229136.70: an amount, not a phone
_DOTTED_THOUSANDS_INTL = re.compile(r"\+\s?\d{1,3}(?:[.,]\d{3})+")

_phonenumbers: Any = None
_iban: Any = None
_luhn: Any = None


def _load_phonenumbers() -> Any:
    """Import phonenumbers on first use: its metadata costs ~70 ms that most cells never need."""
    global _phonenumbers
    if _phonenumbers is None:
        import phonenumbers

        _phonenumbers = phonenumbers
    return _phonenumbers


def _load_stdnum() -> tuple[Any, Any]:
    """Import python-stdnum on first use: its package import costs ~90 ms."""
    global _iban, _luhn
    if _iban is None:
        from stdnum import iban, luhn

        _iban, _luhn = iban, luhn
    return _iban, _luhn


# A finding inside one cell: (start, end, the identifier as written, a normalised form).
Span = tuple[int, int, str, str]


@dataclass(slots=True)
class _Cell:
    """One cell's text, whether its column holds only numbers, and the spans already reported."""

    text: str
    numeric: bool = False
    taken: list[tuple[int, int]] = field(default_factory=list)

    def is_free(self, start: int, end: int) -> bool:
        """Whether no earlier detector reported anything between `start` and `end`."""
        return not any(start < taken_end and taken_start < end
                       for taken_start, taken_end in self.taken)


def _emails(cell: _Cell) -> list[Span]:
    """E-mail addresses, also written as `name [at] domain [dot] org`."""
    if not _EMAIL_HINT.search(cell.text):
        return []
    found = []
    for match in _EMAIL.finditer(cell.text):
        plain = _DEOBFUSCATE_DOT.sub(".", _DEOBFUSCATE_AT.sub("@", match.group()))
        if plain.count("@") == 1:
            found.append((match.start(), match.end(), plain, plain.lower()))
    return found


def _urls(cell: _Cell) -> list[Span]:
    """Web addresses with a scheme, `www.`, a path after a domain, or an onion host."""
    lowered = cell.text.lower()
    if "/" not in lowered and "www" not in lowered and ".onion" not in lowered:
        return []
    found = []
    for match in _URL.finditer(cell.text):
        url = match.group().rstrip(_URL_TRAILING)
        if len(url) < 6 or url.lower().rstrip("/").endswith("://"):
            continue
        found.append((match.start(), match.start() + len(url), url, url.lower()))
    return found


def _valid_iban_prefix(candidate: str) -> tuple[str, str] | None:
    """The longest valid IBAN at the start of `candidate`, dropping trailing groups (words)."""
    iban = _load_stdnum()[0]
    while True:
        compact = re.sub(r"[ -]", "", candidate).upper()
        if len(compact) < 15:
            return None
        if iban.is_valid(compact, check_country=False):
            return candidate, compact
        cut = max(candidate.rfind(" "), candidate.rfind("-"))
        if cut <= 4:
            return None
        candidate = candidate[:cut]


def _ibans(cell: _Cell) -> list[Span]:
    """IBANs (mod-97 and the country's BBAN layout), compact or in groups of four."""
    found: list[Span] = []
    position = 0
    while (match := _IBAN.search(cell.text, position)) is not None:
        hit = _valid_iban_prefix(match.group()) if cell.is_free(*match.span()) else None
        if hit is None:
            position = match.start() + 1  # an IBAN may still start inside this candidate
            continue
        written, compact = hit
        end = match.start() + len(written)
        found.append((match.start(), end, written, compact))
        position = end
    return found


def _iin_is_plausible(digits: str) -> bool:
    """Whether the leading digits and length fit a card scheme (Visa, Mastercard, Amex, …)."""
    length = len(digits)
    two, four = int(digits[:2]), int(digits[:4])
    if digits[0] == "4":
        return length in (13, 16, 19)
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return length == 16
    if two in (34, 37):
        return length == 15
    if 2200 <= four <= 2204 or two in (35, 36, 38, 39) or 300 <= int(digits[:3]) <= 305:
        return 14 <= length <= 19
    if two == 50 or 56 <= two <= 69:
        return 13 <= length <= 19
    return False


def _card_grouping_is_plausible(groups: list[str]) -> bool:
    """Cards are written compact, in fours, or 4-6-5 / 4-6-4 (Amex, Diners); counts are not."""
    sizes = [len(group) for group in groups]
    if len(sizes) == 1 or sizes in ([4, 6, 5], [4, 6, 4]):
        return True
    return all(size == 4 for size in sizes[:-1]) and 1 <= sizes[-1] <= 4


def _card_in(groups: list[str], offsets: list[int]) -> tuple[int, int, str] | None:
    """(first offset, last offset + length, digits) of the longest run of groups that is a card."""
    luhn = _load_stdnum()[1]
    for size in range(len(groups), 0, -1):
        for first in range(len(groups) - size + 1):
            chosen = groups[first:first + size]
            digits = "".join(chosen)
            if (13 <= len(digits) <= 19 and _card_grouping_is_plausible(chosen)
                    and _iin_is_plausible(digits) and luhn.is_valid(digits)):
                last = first + size - 1
                return offsets[first], offsets[last] + len(groups[last]), digits
    return None


def _cards(cell: _Cell) -> list[Span]:
    """Luhn-valid 13-19 digit numbers with a card scheme's prefix and a card-like grouping."""
    found: list[Span] = []
    for match in _CARD.finditer(cell.text):
        if not cell.is_free(*match.span()):
            continue
        groups, offsets, offset = [], [], match.start()
        for part in re.split(r"([ -])", match.group()):
            if part not in (" ", "-"):
                groups.append(part)
                offsets.append(offset)
            offset += len(part)
        card = _card_in(groups, offsets)
        if card is not None:
            start, end, digits = card
            found.append((start, end, cell.text[start:end], digits))
    return found


def _looks_like_a_number(cell: _Cell, match: re.Match[str]) -> bool:
    """A count such as `1.234.123.100 EUR`, or a section number, rather than an address."""
    text = cell.text
    if _SECTION_BEFORE.search(text, max(0, match.start() - 12), match.start()):
        return True
    if not _IPV4_THOUSANDS.fullmatch(match.group()):
        return False
    return bool(_NUMBER_AFTER.match(text, match.end())
                or _NUMBER_BEFORE.search(text, 0, match.start())
                or (cell.numeric and text.strip() == match.group()))


def _ip_addresses(cell: _Cell) -> list[Span]:
    """IPv4 (four octets 0-255, no leading zeros) and IPv6 addresses that `ipaddress` accepts."""
    found: list[Span] = []
    for match in _IPV4.finditer(cell.text) if cell.text.count(".") >= 3 else ():
        candidate = match.group()
        try:
            ipaddress.IPv4Address(candidate)
        except ValueError:
            continue
        if not _looks_like_a_number(cell, match):
            found.append((match.start(), match.end(), candidate, candidate))
    if cell.text.count(":") >= 2:
        for match in _IPV6.finditer(cell.text):
            candidate = match.group()
            if candidate.strip(":") == "":
                continue
            try:
                address = ipaddress.IPv6Address(candidate)
            except ValueError:
                continue
            found.append((match.start(), match.end(), candidate, str(address)))
    return found


def _b58decode(text: str) -> bytes:
    """Decode base58 (bitcoin alphabet); leading '1's stand for zero bytes."""
    number = 0
    for char in text:
        number = number * 58 + _B58_INDEX[char]
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def _base58check_is_valid(text: str) -> bool:
    """A 25-byte payload with a known version byte and a double-SHA256 checksum that matches."""
    raw = _b58decode(text)
    if len(raw) != 25 or raw[0] not in _BASE58_VERSIONS:
        return False
    return hashlib.sha256(hashlib.sha256(raw[:-4]).digest()).digest()[:4] == raw[-4:]


def _bech32_is_valid(text: str) -> bool:
    """BIP-173/350 checksum: the polymod over the expanded prefix and data is a known constant."""
    if text != text.lower() and text != text.upper():
        return False
    hrp, _, data = text.lower().rpartition("1")
    if len(data) < 6 or any(char not in _BECH32_INDEX for char in data):
        return False
    values = [ord(char) >> 5 for char in hrp] + [0] + [ord(char) & 31 for char in hrp]
    values += [_BECH32_INDEX[char] for char in data]
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for bit, generator in enumerate(_BECH32_GENERATOR):
            if (top >> bit) & 1:
                checksum ^= generator
    return checksum in _BECH32_CONSTANTS


def _wallets(cell: _Cell) -> list[Span]:
    """Crypto-currency addresses: base58check and bech32 verified, ethereum and monero by shape."""
    text = cell.text
    found: list[Span] = []
    for match in _BECH32.finditer(text):
        if _bech32_is_valid(match.group()):
            found.append((match.start(), match.end(), match.group(), match.group().lower()))
    for match in _BASE58CHECK.finditer(text):
        if _base58check_is_valid(match.group()):
            found.append((match.start(), match.end(), match.group(), match.group()))
    for pattern in (_ETHEREUM, _MONERO):
        for match in pattern.finditer(text):
            found.append((match.start(), match.end(), match.group(), match.group().lower()))
    return found


def _national_phone_regions(candidate: str, digits: str) -> tuple[str, ...]:
    """Regions worth trying for a number written without an international prefix."""
    if digits.startswith("0"):
        return PHONE_REGIONS[:-1]  # NANP numbers never start with 0
    if _US_SHAPE.fullmatch(candidate):
        return ("US", *PHONE_REGIONS[:-1])
    if candidate.isdigit() or _DECIMAL_AMOUNT.fullmatch(candidate):
        return ()  # a bare run of digits without a leading 0 is a number, not a phone
    return PHONE_REGIONS[:-1]  # grouped like a phone in a country without trunk prefix


def _valid_phone_number(candidate: str, regions: Iterable[str | None]) -> str | None:
    """The E.164 form of `candidate` for the first region where phonenumbers finds it VALID."""
    pn = _load_phonenumbers()
    for region in regions:
        try:
            number = pn.parse(candidate, region)
        except pn.NumberParseException:
            continue
        if not pn.is_valid_number(number):
            continue
        # the matcher adds VALID's own checks (a national prefix where one is required, …)
        for match in pn.PhoneNumberMatcher(candidate, region, leniency=pn.Leniency.VALID):
            if len(match.raw_string) == len(candidate):
                return pn.format_number(match.number, pn.PhoneNumberFormat.E164)
    return None


def _phone_at(text: str, start: int, candidate: str) -> tuple[str, str] | None:
    """(as written, E.164) for the longest phone number at the start of `candidate`.

    The candidate may run on into a following count (`+31 10 123 7812 1.234 Fälle`), so
    trailing groups are dropped one at a time until the rest is valid or too short.
    """
    international = candidate.startswith(("+", "00"))
    while candidate:
        digits = re.sub(r"\D", "", candidate)
        if len(digits) < (7 if international else 9):
            return None
        if len(digits) <= 15 and not _DATE_INSIDE.search(candidate):
            number = None
            if international:
                if not _DOTTED_THOUSANDS_INTL.fullmatch(candidate):
                    written = "+" + candidate[2:] if candidate.startswith("00") else candidate
                    number = _valid_phone_number(written, (None,))
            elif _DOTTED_THOUSANDS_INSIDE.search(candidate) and not _US_SHAPE.fullmatch(candidate):
                pass
            elif not _THOUSANDS.fullmatch(candidate) or _PHONE_CUE.search(
                    text, max(0, start - 25), start):
                number = _valid_phone_number(candidate, _national_phone_regions(candidate, digits))
            if number is not None:
                return candidate, number
        cut = max(candidate.rfind(separator) for separator in " -/.")
        candidate = candidate[:cut].rstrip(" -/.(") if cut > 0 else ""
    return None


def _phones(cell: _Cell) -> list[Span]:
    """Phone numbers that phonenumbers finds VALID: international, or nationally formatted."""
    text = cell.text
    found: list[Span] = []
    patterns = (_PHONE_INTERNATIONAL, _PHONE_NATIONAL) if "+" in text or "00" in text else (
        _PHONE_NATIONAL,)
    for pattern in patterns:
        position = 0
        while (match := pattern.search(text, position)) is not None:
            start, end = match.span()
            # on failure a number may still start at a later group, but never inside a count
            count = _THOUSANDS_PREFIX.match(text, start)
            position = count.end() if count else start + 1
            if not cell.is_free(start, end) or any(
                    found_start < end and start < found_end
                    for found_start, found_end, _, _ in found):
                continue
            hit = _phone_at(text, start, match.group())
            if hit is not None:
                written, number = hit
                found.append((start, start + len(written), written, number))
                position = start + len(written)
    return found


# Earlier detectors win where findings overlap: an IP inside a URL is reported as the URL.
_DETECTORS: tuple[tuple[str, Callable[[_Cell], list[Span]]], ...] = (
    ("identifying_url", _urls),
    ("identifying_email", _emails),
    ("identifying_iban", _ibans),
    ("identifying_wallet_address", _wallets),
    ("identifying_card_number", _cards),
    ("identifying_ip_address", _ip_addresses),
    ("identifying_phone", _phones),
)


def _findings(text: str, *, numeric: bool = False) -> list[tuple[str, str]]:
    """(rule, identifier as written) for each distinct identifier in one cell, in text order."""
    if not _GATE.search(text):
        return []
    cell = _Cell(text, numeric)
    seen: set[tuple[str, str]] = set()
    result = []
    for rule, detector in _DETECTORS:
        for start, end, written, normal in detector(cell):
            if not cell.is_free(start, end):
                continue
            cell.taken.append((start, end))
            if (rule, normal) not in seen:
                seen.add((rule, normal))
                result.append((start, rule, written))
    return [(rule, written) for _, rule, written in sorted(result)]


def _keep(length: int) -> int:
    """How many characters may stay visible at each end: never enough to guess the rest."""
    if length >= 12:
        return 2
    if length >= 6:
        return 1
    return 0


def _mask_email(text: str) -> str:
    """`ja…@…le.org`: the top-level domain says nothing about the person."""
    local, _, domain = text.rpartition("@")
    head = local[:2] if len(local) >= 5 else local[:1] if len(local) >= 3 else ""
    host, dot, top_level = domain.rpartition(".")
    if not dot or len(top_level) > 6:
        return f"{head}{ELLIPSIS}@{ELLIPSIS}"
    tail = host[-2:] if len(host) >= 5 else ""
    return f"{head}{ELLIPSIS}@{ELLIPSIS}{tail}.{top_level}"


def mask(text: str) -> str:
    """Hide the middle of an identifier so a receipt can point at it without repeating it."""
    text = text.strip()
    if text.count("@") == 1:
        return _mask_email(text)
    compact = re.sub(r"[ -]", "", text).upper()
    if _IBAN_SHAPE.fullmatch(compact):
        # country and check digits say nothing about the account; the last four help find it
        return f"{compact[:4]}{ELLIPSIS}{compact[-4:]}"
    keep = _keep(len(text))
    if keep == 0:
        return ELLIPSIS
    return f"{text[:keep]}{ELLIPSIS}{text[-keep:]}"


def _problem(rule: str, identifier: str, row: int | None, column: str, *, header: bool) -> Problem:
    """The member-facing error for one identifier; only its masked form leaves this module."""
    what, noun = KINDS[rule]
    masked = mask(identifier)
    if header:
        message = (f"A column name holds {what}: {masked}. Files may hold aggregated, "
                   "non-identifying figures only, and that includes their headers.")
        fix = (f"Rename the column so that its name holds no {noun}; send aggregated counts "
               "only.")
    else:
        message = (f"Column '{column}' holds {what}: {masked}. Files may hold aggregated, "
                   "non-identifying figures only.")
        fix = (f"Remove the {noun} from the '{column}' column and send the file again; send "
               "aggregated counts only." + REPLACE_WITH.get(column, ""))
    return Problem(severity="error", rule=rule, message=message, fix=fix, row=row,
                   column=column, value=masked)


def screen_cells(cells: Iterable[tuple[int, str, str]]) -> list[Problem]:
    """One error per identifier found in (member's row number, column, cell text) triples."""
    problems = []
    for row, column, text in cells:
        if not text:
            continue
        for rule, identifier in _findings(text, numeric=column in NUMERIC_COLUMNS):
            problems.append(_problem(rule, identifier, row, column, header=False))
    return problems


def _as_text(value: object) -> str | None:
    """A cell as the member wrote it; numbers read as numbers become digits again (no `.0`)."""
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        number = float(value)
        if number != number:
            return None
        if number.is_integer() and abs(number) < 1e19:
            return str(int(number))
        return str(number)
    text = str(value)
    return None if text in ("<NA>", "NaT", "nan") else text


def screen_frame(
    frame: pd.DataFrame, row_numbers: Sequence[int], *, header_row: int | None = None
) -> list[Problem]:
    """Screen every cell and every column name of `frame` (column names unique, as the
    parsers make them); rows are reported as `row_numbers`."""
    if len(row_numbers) != len(frame):
        raise ValueError(f"{len(row_numbers)} row numbers for {len(frame)} rows")
    from transforms.cells import CellColumn

    columns = [str(name) for name in frame.columns]
    cells = {name: CellColumn.encode(map(_as_text, frame.iloc[:, position]))
             for position, name in enumerate(columns)}
    return screen_batch(cells, [0] * len(frame), row_numbers, {0: (columns, header_row)}
                        ).get(0, [])


def screen_batch(columns: dict[str, CellColumn], keys: Sequence[int],
                 source_rows: Sequence[int], layout: dict[int, tuple[list[str], int | None]]
                 ) -> dict[int, list[Problem]]:
    """Screen every cell and column name of many files at once: each file's problems, in the
    order a reader of that file meets them (column by column, then row by row).

    `columns` holds the files' cells (missing where a file lacks the column), one row per
    file row; `keys[i]` names the file of row i and `source_rows[i]` its row there.
    `layout` gives each file its column names, in its own order, and its header row. Each
    distinct text is screened once: the cheap pattern that every identifier must match runs
    over them all, and the validators (checksums, numbering plans) only on what it lets through.
    """
    import numpy as np

    cells: dict[tuple[int, str], list[tuple[int, list[tuple[str, str]]]]] = {}
    for name, column in columns.items():
        found = {code: findings for code, cell in enumerate(column.texts)
                 if (findings := _findings(cell, numeric=name in NUMERIC_COLUMNS))}
        for i in np.flatnonzero(np.isin(column.codes, list(found))) if found else ():
            cells.setdefault((int(keys[i]), name), []).append(
                (int(source_rows[i]), found[int(column.codes[i])]))
    problems: dict[int, list[Problem]] = {}
    for key, (names, header_row) in layout.items():
        found_here: list[Problem] = []
        for position, name in enumerate(names):
            label, header_findings = name, _findings(name)
            if header_findings:
                # never repeat an identifying column name in the clear: point at its position
                label = f"column {position + 1}"
                found_here += [_problem(rule, identifier, header_row, label, header=True)
                               for rule, identifier in header_findings]
            found_here += [_problem(rule, identifier, row, label, header=False)
                           for row, findings in cells.get((key, name), [])
                           for rule, identifier in findings]
        if found_here:
            problems[key] = found_here
    return problems

"""The report's fixed texts, kept as TOML beside the templates (`report_templates/texts/`).

Glossary, TLP key, caveats and the probability yardstick are prose an editor may reword
without touching Python; each reader here returns plain tuples and says which file and
entry is wrong when one is malformed.
"""

from __future__ import annotations

import functools
import tomllib
from typing import Any

from rendering.pdf import TEMPLATES_DIR

TEXTS_DIR = TEMPLATES_DIR / "texts"


class TextsError(ValueError):
    """A texts file is missing, not valid TOML, or lacks an entry the report prints."""


@functools.cache
def _load(name: str) -> dict[str, Any]:
    path = TEXTS_DIR / f"{name}.toml"
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise TextsError(f"{path}: cannot be read ({error.strerror})") from None
    except tomllib.TOMLDecodeError as error:
        raise TextsError(f"{path}: not valid TOML ({error})") from None


def _entries(name: str, table: str, keys: tuple[str, ...],
             kinds: tuple[type, ...] | None = None) -> tuple[tuple, ...]:
    """The `[[table]]` entries of texts/<name>.toml as tuples of `keys`, in file order."""
    entries = _load(name).get(table)
    if not entries or not isinstance(entries, list):
        raise TextsError(f"{TEXTS_DIR / name}.toml: no [[{table}]] entries")
    kinds = kinds or (str,) * len(keys)
    rows = []
    for number, entry in enumerate(entries, start=1):
        missing = [key for key in keys if key not in entry]
        wrong = [key for key, kind in zip(keys, kinds, strict=True)
                 if key in entry and not isinstance(entry[key], kind)]
        if missing or wrong:
            raise TextsError(f"{TEXTS_DIR / name}.toml: [[{table}]] number {number} needs "
                             + ", ".join(f"{key} ({kind.__name__})" for key, kind
                                         in zip(keys, kinds, strict=True)))
        rows.append(tuple(entry[key] for key in keys))
    return tuple(rows)


def _text(name: str, key: str) -> Any:
    if key not in _load(name):
        raise TextsError(f"{TEXTS_DIR / name}.toml: no {key}")
    return _load(name)[key]


def glossary() -> tuple[tuple[str, str], ...]:
    """(term, meaning) in the order printed."""
    return _entries("glossary", "term", ("term", "meaning"))


def tlp_key() -> tuple[tuple[str, str], ...]:
    """(TLP label, who may receive it) in the order printed."""
    return _entries("tlp", "label", ("label", "recipients"))


def caveats() -> tuple[str, ...]:
    """What a reader must keep in mind when reading any figure."""
    items = _text("caveats", "caveats")
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise TextsError(f"{TEXTS_DIR / 'caveats'}.toml: caveats must be a list of strings")
    return tuple(items)


def yardstick() -> tuple[tuple[str, float, float], ...]:
    """(term, lowest, highest probability it covers), weakest first."""
    return _entries("yardstick", "term", ("term", "low", "high"), (str, float, float))


def evidence_to_yardstick() -> tuple[tuple[str, str, str], ...]:
    """(term, probability band, rule): how statistical evidence becomes a term."""
    return _entries("yardstick", "evidence", ("term", "probability", "rule"))


def evidence_note() -> str:
    """How the probability behind a term is read from the statistics."""
    return str(_text("yardstick", "evidence_note"))


def forecast_method() -> tuple[str, ...]:
    """Paragraphs on how the outlook's forecasts are made and tested."""
    items = _text("yardstick", "forecast_method")
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise TextsError(f"{TEXTS_DIR / 'yardstick'}.toml: forecast_method must be a list of "
                         "strings")
    return tuple(items)


def confidence_rules() -> tuple[tuple[str, str], ...]:
    """(confidence level, when it applies), highest first."""
    return _entries("yardstick", "confidence", ("level", "when"))

"""The analysts' narrative for a quarter: their judgements, outlook and recommendations.

A narrative is a Markdown file with TOML front matter (read with `tomllib`), for example:

    +++
    quarter = "2026-Q3"
    drop = ["reports_received.yoy"]          # drafted judgements left out
    order = ["vc_share.yoy", "livestream"]   # optional: these first, in this order

    [judgement."urls_confirmed.yoy"]         # a drafted judgement: may lower, never raise
    confidence = "moderate"

    [judgement.livestream]                   # the analysts' own: both are required
    probability = "realistic possibility"
    confidence = "low"
    +++

    ## Judgement: urls_confirmed.yoy
    Hotlines confirmed {urls_confirmed.change_yoy} more URLs than a year earlier ...

    ## Outlook
    Paragraphs, separated by blank lines.

    ## Recommendations
    - One item per bullet.

Drafted judgements are kept as drafted unless dropped or reworded. Texts name figures as
`{name}` (see `rendering.judgements.Draft.values`); an unknown name is an error, so a
sentence never carries a stale or invented figure. Everything comes back as plain text:
nothing is interpreted as Markdown or HTML (the template escapes it like any other text).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from rendering.judgements import (
    CONFIDENCE_LEVELS,
    TERMS,
    Judgement,
    UnknownValueError,
    fill_values,
    judgement_values,
    term_rank,
)

FRONT_MATTER = "+++"
SECTION = re.compile(r"^##\s+(.*?)\s*$")
TITLE = re.compile(r"^#\s+(.*?)\s*$")
JUDGEMENT_HEADING = re.compile(r"^judgement:?\s+(\S+)$", re.IGNORECASE)
ITEM = re.compile(r"^\s*(?:[-*]|\d+[.)])\s+(.*)$")
FRONT_KEYS = {"quarter", "drop", "order", "judgement", "title"}
JUDGEMENT_KEYS = {"probability", "confidence"}
MAX_WORD = 200  # characters: longer than any word of prose, short enough to lay out at once
LONG_WORD = re.compile(rf"\S{{{MAX_WORD + 1},}}")


class NarrativeError(ValueError):
    """The narrative file cannot be applied as written; the message says where and why."""


@dataclass(frozen=True)
class Narrative:
    """The final key judgements and the analysts' text, all plain strings."""

    judgements: list[Judgement]
    outlook: list[str] = field(default_factory=list)          # paragraphs
    recommendations: list[str] = field(default_factory=list)  # items
    dropped: tuple[str, ...] = ()
    title: str = ""
    quarter: str | None = None


@dataclass
class _Section:
    kind: str    # judgement | outlook | recommendations
    key: str
    line: int    # 1-based line of the heading
    lines: list[str] = field(default_factory=list)


def _split_front_matter(text: str, source: str) -> tuple[dict, list[str], int]:
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != FRONT_MATTER:
        return {}, lines, 0
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == FRONT_MATTER)
    except StopIteration:
        raise NarrativeError(f"{source}: front matter opened with +++ on line 1 is never "
                             "closed with a +++ line") from None
    try:
        meta = tomllib.loads("\n".join(lines[1:end]))
    except tomllib.TOMLDecodeError as error:
        raise NarrativeError(f"{source}: front matter is not valid TOML ({error}); line "
                             "numbers count from the line after the opening +++") from None
    return meta, lines[end + 1:], end + 1


def _flatten(table: dict, source: str, prefix: str = "") -> dict[str, dict]:
    """`[judgement.urls_confirmed.yoy]` and `[judgement."urls_confirmed.yoy"]` alike."""
    out: dict[str, dict] = {}
    for name, value in table.items():
        key = f"{prefix}.{name}" if prefix else name
        if not isinstance(value, dict):
            raise NarrativeError(f"{source}: judgement.{prefix or name} must be a table of "
                                 f"{', '.join(sorted(JUDGEMENT_KEYS))}")
        if value and all(isinstance(v, dict) for v in value.values()):
            out |= _flatten(value, source, key)
        else:
            unknown = set(value) - JUDGEMENT_KEYS
            if unknown:
                raise NarrativeError(
                    f"{source}: [judgement.\"{key}\"] has unknown setting(s) "
                    f"{', '.join(sorted(unknown))}; allowed: {', '.join(sorted(JUDGEMENT_KEYS))}")
            out[key] = value
    return out


def _sections(lines: list[str], offset: int, source: str) -> tuple[str, list[_Section]]:
    title, sections = "", []
    for number, line in enumerate(lines, start=offset + 1):
        if match := SECTION.match(line):
            heading = match.group(1)
            if judgement := JUDGEMENT_HEADING.match(heading):
                sections.append(_Section("judgement", judgement.group(1), number))
            elif heading.lower() in {"outlook", "recommendations"}:
                sections.append(_Section(heading.lower(), heading.lower(), number))
            else:
                raise NarrativeError(
                    f"{source}, line {number}: unknown section '## {heading}'; use "
                    "'## Judgement: <key>', '## Outlook' or '## Recommendations'")
        elif sections:
            sections[-1].lines.append(line)
        elif (match := TITLE.match(line)) and not title:
            title = match.group(1)
        elif line.strip():
            raise NarrativeError(f"{source}, line {number}: text before the first section; "
                                 "start with a '## ...' heading")
    return title, sections


def _paragraphs(lines: list[str]) -> list[str]:
    paragraphs, current = [], []
    for line in lines + [""]:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    return paragraphs


def _items(lines: list[str]) -> list[str]:
    """Bulleted or numbered items (continuation lines join their item); else paragraphs."""
    if not any(ITEM.match(line) for line in lines):
        return _paragraphs(lines)
    items: list[list[str]] = []
    for line in lines:
        if match := ITEM.match(line):
            items.append([match.group(1).strip()])
        elif line.strip() and items:
            items[-1].append(line.strip())
        elif line.strip():
            items.append([line.strip()])
    return [" ".join(parts) for parts in items]


def _fill(text: str, values: dict[str, str], where: str) -> str:
    try:
        return fill_values(text, values)
    except UnknownValueError as error:
        raise NarrativeError(f"{where}: {error.args[0]}") from None


def _read(narrative: Path | str) -> tuple[str, str]:
    if isinstance(narrative, Path):
        data = narrative.read_bytes()
        try:
            text, source = data.decode("utf-8"), str(narrative)
        except UnicodeDecodeError as error:  # an editor's cp1252 or Latin-1, say
            line = data.count(b"\n", 0, error.start) + 1
            raise NarrativeError(
                f"{narrative}, line {line}: byte 0x{data[error.start]:02x} is not UTF-8; save "
                "the file as UTF-8 and run again") from None
    else:
        text, source = narrative, "narrative"
    if long := LONG_WORD.search(text):
        line = text.count("\n", 0, long.start()) + 1
        raise NarrativeError(
            f"{source}, line {line}: a word of {len(long.group(0)):,} characters (the most is "
            f"{MAX_WORD:,}); no sentence of a report needs one, and the PDF renderer takes "
            "minutes to break it across lines. Shorten it or add spaces.")
    return text, source


def apply_narrative(judgements: list[Judgement], narrative: Path | str | None,
                    values: dict[str, str], *, quarter: str | None = None) -> Narrative:
    """The final judgements after the analysts' narrative; `narrative` is a Path or its text.

    Raises NarrativeError for a narrative of another quarter, an unknown key or value name,
    a term stronger than the drafted evidence reaches, or a malformed file.
    """
    values = dict(values)
    if narrative is None:
        return Narrative([replace(j, text=_fill(j.template or j.text, values, j.key))
                          for j in judgements], quarter=quarter)
    text, source = _read(narrative)
    meta, body, offset = _split_front_matter(text, source)
    unknown = set(meta) - FRONT_KEYS
    if unknown:
        raise NarrativeError(f"{source}: unknown front-matter setting(s) "
                             f"{', '.join(sorted(unknown))}; allowed: "
                             f"{', '.join(sorted(FRONT_KEYS))}")
    if quarter and meta.get("quarter") and meta["quarter"] != quarter:
        raise NarrativeError(f"{source} is the narrative for {meta['quarter']}, not {quarter}")
    settings = _flatten(meta.get("judgement", {}), source)
    title, sections = _sections(body, offset, source)

    drafted = {j.key: j for j in judgements}
    drop = list(meta.get("drop", []))
    for key in drop:
        if key in settings:
            raise NarrativeError(f"{source}: judgement {key!r} is both dropped and given "
                                 "settings")
        if key not in drafted:
            raise NarrativeError(f"{source}: drop names {key!r}, which is not a drafted "
                                 f"judgement this quarter (drafted: "
                                 f"{', '.join(drafted) or 'none'})")
    texts: dict[str, _Section] = {}
    outlook: list[str] = []
    recommendations: list[str] = []
    for section in sections:
        where = f"{source}, line {section.line}"
        if section.kind == "outlook":
            outlook += [_fill(p, values, where) for p in _paragraphs(section.lines)]
        elif section.kind == "recommendations":
            recommendations += [_fill(i, values, where) for i in _items(section.lines)]
        elif section.key in texts:
            raise NarrativeError(f"{where}: judgement {section.key!r} appears twice (first on "
                                 f"line {texts[section.key].line})")
        elif section.key in drop:
            raise NarrativeError(f"{where}: judgement {section.key!r} is both dropped and "
                                 "reworded")
        else:
            texts[section.key] = section

    final: dict[str, Judgement] = {}
    for judgement in judgements:
        if judgement.key in drop:
            continue
        final[judgement.key] = _override(judgement, settings.get(judgement.key, {}), source)
    for key, section in texts.items():
        if key not in drafted and key not in settings:
            raise NarrativeError(
                f"{source}, line {section.line}: judgement {key!r} is not drafted this "
                f"quarter; to add your own, give it [judgement.\"{key}\"] with probability and "
                "confidence in the front matter (drafted: "
                f"{', '.join(drafted) or 'none'})")
    for key, setting in settings.items():
        if key in drafted:
            continue
        if key not in texts:
            raise NarrativeError(f"{source}: [judgement.\"{key}\"] has no '## Judgement: {key}' "
                                 "section with its text")
        missing = JUDGEMENT_KEYS - set(setting)
        if missing:
            raise NarrativeError(f"{source}: judgement {key!r} is the analysts' own and needs "
                                 f"{' and '.join(sorted(missing))}")
        final[key] = _checked(Judgement(key=key, text="", probability_term=setting["probability"],
                                        confidence=setting["confidence"], source="analyst"),
                              source)

    for judgement in final.values():
        values |= judgement_values(judgement)
    for key, judgement in list(final.items()):
        if key in texts:
            section = texts[key]
            template = "\n\n".join(_paragraphs(section.lines))
            if not template:
                raise NarrativeError(f"{source}, line {section.line}: judgement {key!r} has "
                                     "no text")
            source_kind = "analyst" if judgement.source == "analyst" else "reworded"
            final[key] = replace(judgement, template=template, source=source_kind)
        where = f"{source}, line {texts[key].line}" if key in texts else f"judgement {key!r}"
        final[key] = replace(final[key], text=_fill(final[key].template or final[key].text,
                                                    values, where))

    return Narrative(judgements=_ordered(final, list(meta.get("order", [])), source),
                     outlook=outlook, recommendations=recommendations, dropped=tuple(drop),
                     title=_fill(str(meta.get("title", title)), values, f"{source}: title"),
                     quarter=meta.get("quarter", quarter))


def _checked(judgement: Judgement, source: str) -> Judgement:
    if judgement.probability_term not in TERMS:
        raise NarrativeError(f"{source}: judgement {judgement.key!r}: "
                             f"{judgement.probability_term!r} is not a yardstick term; use one "
                             f"of: {', '.join(TERMS)}")
    if judgement.confidence not in CONFIDENCE_LEVELS:
        raise NarrativeError(f"{source}: judgement {judgement.key!r}: confidence "
                             f"{judgement.confidence!r} is not one of "
                             f"{', '.join(CONFIDENCE_LEVELS)}")
    return judgement


def _override(judgement: Judgement, setting: dict, source: str) -> Judgement:
    """A drafted judgement's term and confidence may be lowered, never raised."""
    changed = _checked(replace(
        judgement, probability_term=setting.get("probability", judgement.probability_term),
        confidence=setting.get("confidence", judgement.confidence)), source)
    if term_rank(changed.probability_term) > term_rank(judgement.probability_term):
        raise NarrativeError(
            f"{source}: judgement {judgement.key!r}: {changed.probability_term!r} claims more "
            f"than the evidence reaches ({judgement.probability_term!r}, from a probability "
            f"of {judgement.strength:.0%}); keep or lower the term")
    if CONFIDENCE_LEVELS.index(changed.confidence) > CONFIDENCE_LEVELS.index(
            judgement.confidence):
        raise NarrativeError(
            f"{source}: judgement {judgement.key!r}: confidence {changed.confidence!r} is "
            f"higher than coverage and data quality support ({judgement.confidence!r})")
    return changed


def _ordered(final: dict[str, Judgement], order: list[str], source: str) -> list[Judgement]:
    for key in order:
        if key not in final:
            raise NarrativeError(f"{source}: order names {key!r}, which is not among the "
                                 f"judgements ({', '.join(final) or 'none'})")
    return [final[k] for k in order] + [j for k, j in final.items() if k not in order]

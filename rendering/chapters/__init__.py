"""The report's chapters, one module each, and the outline that orders them.

A chapter or annex is a module here with `build(edition) -> dict | None`: it reads its
figures through `core.Edition` (disclosure-checked) and returns a `core.section`, or None
where the edition does not carry it. Adding a chapter is one new module and one line below.
Chapter 1 (key judgements, `key_judgements`) opens every edition and is not listed.
"""

from __future__ import annotations

import importlib
from types import ModuleType

CHAPTERS = (  # numbered from 2, in this order
    "methodology",
    "hotlines",
    "commercial",
    "hosting",
    "payments",
    "darknet",
    "livestreaming",
    "response",
    "outlook",
    "changes",
    "recommendations",
)
ANNEXES = (  # lettered from A, in this order
    "catalogue",
    "indicator_figures",
    "data_quality",
    "yardstick",
    "forecast_backtest",
    "tlp",
    "glossary",
    "member_coverage",
    "disclosure",  # last: it counts the cells every other table hid
)


def modules(names: tuple[str, ...]) -> list[ModuleType]:
    """The chapter modules of an outline, in its order."""
    return [importlib.import_module(f"{__name__}.{name}") for name in names]

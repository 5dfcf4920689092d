"""Annex: the terms this assessment uses."""

from __future__ import annotations

from rendering import texts
from rendering.chapters.core import Edition, section, table


def build(edition: Edition) -> dict:
    return section(
        "glossary", "Glossary",
        tables=[table("glossary", "Terms used in this assessment", ["Term", "Meaning"],
                      [list(row) for row in texts.glossary()], [False, False])])

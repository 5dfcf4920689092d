"""Annex: the Traffic Light Protocol labels, and which one this edition carries."""

from __future__ import annotations

from rendering import texts
from rendering.chapters.core import Edition, section, table


def build(edition: Edition) -> dict:
    return section(
        "tlp", "Traffic Light Protocol",
        summary=[f"This edition is marked {edition.rules.tlp}. The marking on every page says "
                 "how far its reader may share it (TLP version 2.0)."],
        tables=[table("tlp_key", "TLP labels", ["Label", "Who may receive it"],
                      [list(row) for row in texts.tlp_key()], [False, False])])

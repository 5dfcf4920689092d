"""Recommendations: the analysts' own, numbered, from the quarter's narrative file."""

from __future__ import annotations

from rendering.chapters.core import Edition, section


def build(edition: Edition) -> dict:
    recommendations = edition.narrative.recommendations
    return section(
        "recommendations", "Recommendations",
        summary=[f"{i}. {text}" for i, text in enumerate(recommendations, start=1)],
        missing=None if recommendations else
        "The analysts have not yet written recommendations for this quarter (the narrative "
        f"file EFC_HOME/narratives/{edition.quarter}.md).")

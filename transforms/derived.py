"""The figures one assessment derives from its data, each computed once.

An assessment run reads its data once (`AssessmentData`) and builds both editions from it.
What is derived from that data alone, and so is the same for every edition (the statistics'
slices of the member values, estimates of changes, concentration and signals, the drafted
judgements), is kept here and shared. What depends on an edition's disclosure rules (its
protected cells) belongs to that edition, not here.

Each `AssessmentData` makes its own `DerivedFigures`, so the cache lives exactly as long as
the data it derives from; a copy with other member values (`dataclasses.replace`) starts
empty. Keys name the figure and its arguments, never an object's identity.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class DerivedFigures:
    """Figures derived from one assessment's data, by what they are and their arguments."""

    def __init__(self) -> None:
        self._figures: dict[tuple[Hashable, ...], Any] = {}

    def once(self, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
        """The figure `key` names, computed by `compute` the first time it is asked for.

        `key` starts with the figure's name (`("count_change", indicator, quarter, base)`);
        it must hold every argument the figure depends on besides the data.
        """
        if key not in self._figures:
            self._figures[key] = compute()
        return self._figures[key]

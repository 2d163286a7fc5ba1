"""HubSpot merges → merges rows (loser → winner), one per merged-away record.

HubSpot reports a merge in several places. The contact merge audit has one
row per merge, with its time. The ``hs_merged_object_ids`` property of the
surviving record lists every id ever merged into it, including ids merged into
a record that was itself merged into it later. Fivetran's merged_deal table
has one row per merged-away deal. A loser can appear in several of them.

The audit and the merged_deal table are kept over the property. Between two
properties, the winner that was not merged away itself is kept. A chain A→B→C
is so stored as A→B and B→C, or as A→C, and :func:`abmkpi.derive.resolve_merges`
resolves both to C for people and accounts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from abmkpi.sources.base import FileReport, ImportBatch
from abmkpi.sources.hubspot.ids import SOURCE, hubspot_id
from abmkpi.vocabulary import N_

Entity = Literal["person", "account", "opportunity"]

# Lower numbers win when two sources name different winners for one loser.
AUDIT = 0
MERGED_TABLE = 1
MERGED_IDS = 2

_ALREADY_RECORDED = N_("merge already recorded by another row")


@dataclass(frozen=True)
class MergeEdge:
    """One loser → winner pair, where it was read, and how much to trust it."""

    loser: str
    winner: str
    merged_at: datetime | None
    priority: int
    path: Path
    line: int
    key_header: str | None
    counted: bool

    def values(self, entity: Entity) -> dict[str, Any]:
        return {
            "entity": entity,
            "loser_id": hubspot_id(self.loser),
            "winner_id": hubspot_id(self.winner),
            "source_system": SOURCE,
            "merged_at": self.merged_at,
        }


@dataclass
class MergeBook:
    """The merges of one entity read in a run."""

    entity: Entity
    candidates: dict[str, list[MergeEdge]] = field(default_factory=dict)

    def add(self, edge: MergeEdge) -> None:
        if edge.loser != edge.winner:
            self.candidates.setdefault(edge.loser, []).append(edge)

    def losers(self) -> set[str]:
        return set(self.candidates)

    def resolve(self) -> dict[str, MergeEdge]:
        """Return the edge kept for each loser."""
        losers = self.losers()
        return {
            loser: min(edges, key=lambda edge: _rank(edge, losers))
            for loser, edges in self.candidates.items()
        }

    def emit(self, batch: ImportBatch, reports: dict[Path, FileReport]) -> None:
        """Add one merges record per loser, and count the edges left out as skips."""
        for loser, best in self.resolve().items():
            values = best.values(self.entity)
            batch.add("merges", values, best.path, best.line, best.key_header)
            for edge in self.candidates[loser]:
                if edge is not best and edge.counted:
                    reports[edge.path].skipped[_ALREADY_RECORDED] += 1


def _rank(edge: MergeEdge, losers: set[str]) -> tuple[int, bool, bool]:
    """Order the edges of one loser: audit first, then a winner that was not
    merged away itself (a later step of the chain), then one with a time."""
    return (edge.priority, edge.winner in losers, edge.merged_at is None)

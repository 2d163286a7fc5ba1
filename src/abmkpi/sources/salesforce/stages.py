"""Opportunity stage definitions: closed and won flags per stage name.

Salesforce derives an opportunity's IsClosed and IsWon from its stage's
definition (the OpportunityStage object). Exports that carry the flags need
nothing else. Exports without them (a report with a few columns, or
OpportunityHistory, which has no flags at all) take them from the stage.
The stage's flags come from an OpportunityStage file of the same run, else
from the flags seen on opportunities of the same run, else from the
``opportunity_stages`` rows an earlier import stored. A stage known nowhere
leaves the flags NULL, and KPIs fall back to the configured stage outcomes.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from abmkpi.errors import UserMessage
from abmkpi.sources.base import FileReport, ImportBatch, Record, StoreLookup
from abmkpi.sources.salesforce.common import SOURCE

logger = logging.getLogger(__name__)

FLAG_COLUMNS = ("is_closed", "is_won")


@dataclass(frozen=True)
class StageFlags:
    """A stage's closed and won flags and sort order, from a definition or a row."""

    is_closed: bool | None
    is_won: bool | None
    sort_order: int | None

    def value(self, column: str) -> Any:
        return getattr(self, column)


@dataclass
class _Sighting:
    report: FileReport
    line: int
    counts: Counter[StageFlags] = field(default_factory=Counter)


class StageBook:
    """Stage flags known in one import run, and the records that need them."""

    def __init__(self) -> None:
        self.defined: dict[str, StageFlags] = {}
        self._seen: dict[str, _Sighting] = {}
        self._pending: list[tuple[Record, str, tuple[str, ...]]] = []

    def define(self, stage: str, flags: StageFlags) -> None:
        """Record a definition read from an OpportunityStage file."""
        self.defined[stage] = flags

    def observe(
        self, stage: str, flags: StageFlags, report: FileReport, line: int
    ) -> None:
        """Record the flags an opportunity row in stage ``stage`` carries."""
        if flags == StageFlags(None, None, None):
            return
        sighting = self._seen.setdefault(stage, _Sighting(report, line))
        sighting.counts[flags] += 1

    def fill_later(self, record: Record, stage: str, columns: tuple[str, ...]) -> None:
        """Set the flag columns of ``record`` from the stage once the run is read.

        Waiting for the end of the run makes the result independent of the
        order in which the files of one run are read.
        """
        self._pending.append((record, stage, columns))

    def flags_of(self, stage: str) -> StageFlags | None:
        if stage in self.defined:
            return self.defined[stage]
        sighting = self._seen.get(stage)
        return sighting.counts.most_common(1)[0][0] if sighting else None

    def finish(self, batch: ImportBatch) -> None:
        """Fill pending flags and add a stage row for each stage seen."""
        for record, stage, columns in self._pending:
            _fill(record, stage, columns, self.flags_of(stage))
        self._pending.clear()
        for stage, sighting in self._seen.items():
            if stage not in self.defined:
                _add_seen_stage(batch, stage, sighting)


def _fill(
    record: Record, stage: str, columns: tuple[str, ...], flags: StageFlags | None
) -> None:
    missing = []
    for column in columns:
        value = None if flags is None else flags.value(column)
        record.values[column] = value
        if value is None:
            missing.append(column)
    if missing:
        lookup = StoreLookup(
            "opportunity_stages",
            (("source_system", SOURCE), ("stage", stage)),
            partial(_stored_flags, tuple(missing)),
        )
        record.lookups = (*record.lookups, lookup)


def _stored_flags(
    columns: tuple[str, ...], row: dict[str, Any] | None
) -> dict[str, Any]:
    if row is None:
        return {}
    return {column: row[column] for column in columns}


def _add_seen_stage(batch: ImportBatch, stage: str, sighting: _Sighting) -> None:
    (flags, _), *others = sighting.counts.most_common()
    if others:
        sighting.report.notes.append(
            UserMessage(
                "stage %(stage)r has different IsClosed/IsWon/StageSortOrder "
                "values on different rows; its stage row keeps the most common "
                "ones",
                stage=stage,
            )
        )
        logger.warning(
            "%s: stage %r has conflicting flags", sighting.report.path, stage
        )
    values: dict[str, Any] = {"source_system": SOURCE, "stage": stage}
    for column, value in (
        ("is_closed", flags.is_closed),
        ("is_won", flags.is_won),
        ("sort_order", flags.sort_order),
    ):
        if value is not None:
            values[column] = value
    path: Path = sighting.report.path
    batch.add("opportunity_stages", values, path, sighting.line, "StageName")

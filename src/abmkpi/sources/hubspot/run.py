"""The state of one HubSpot import run, shared by the file readers.

Definition and association tables (pipeline stages, engagement types and
associations, email event details, form names) are read before the object
tables, so the object readers can name stages, type engagements and attribute
them to contacts and companies.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from abmkpi.errors import InputProblem
from abmkpi.sources.base import FileReport, ImportBatch
from abmkpi.sources.hubspot.ids import SOURCE, id_list
from abmkpi.sources.hubspot.merges import MergeBook
from abmkpi.sources.hubspot.stages import StageBook


@dataclass
class EngagementLinks:
    """Associations of engagements to contacts, companies and deals, in file order."""

    by_object: dict[str, dict[str, list[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )

    def add(self, linked_object: str, engagement_id: str, object_id: str) -> None:
        linked = self.by_object[linked_object][engagement_id]
        if object_id not in linked:
            linked.append(object_id)

    def first(self, linked_object: str, engagement_id: str) -> str | None:
        linked = self.by_object.get(linked_object, {}).get(engagement_id)
        return linked[0] if linked else None

    def count(self, linked_object: str, engagement_id: str) -> int:
        return len(self.by_object.get(linked_object, {}).get(engagement_id, []))


@dataclass
class ImportRun:
    """The batch being built, the per-file reports and the run's lookups."""

    batch: ImportBatch = field(default_factory=lambda: ImportBatch(SOURCE))
    reports: dict[Path, FileReport] = field(default_factory=dict)
    stages: StageBook = field(default_factory=StageBook)
    person_merges: MergeBook = field(default_factory=lambda: MergeBook("person"))
    account_merges: MergeBook = field(default_factory=lambda: MergeBook("account"))
    deal_merges: MergeBook = field(default_factory=lambda: MergeBook("opportunity"))
    engagement_types: dict[str, str] = field(default_factory=dict)
    engagement_links: EngagementLinks = field(default_factory=EngagementLinks)
    # Event id → the columns of its row in a per-type detail table, by type.
    email_details: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    form_names: dict[str, str] = field(default_factory=dict)
    # Deal id → its associated company ids, in file order.
    deal_companies: dict[str, list[str]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # Deal id → its primary company id, when an association is marked primary.
    primary_companies: dict[str, str] = field(default_factory=dict)
    # Deal id → the opportunities record read for it, to mark merged deals.
    deals: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add_report(self, report: FileReport) -> None:
        self.reports[report.path] = report

    def read_id_list(
        self,
        report: FileReport,
        line: int,
        header: str | None,
        text: str | None,
    ) -> list[str] | None:
        """Split a ';'-separated id list, or reject the row on an invalid id."""
        try:
            return id_list(text)
        except ValueError as error:
            report.rejects.append(
                InputProblem(report.path, line, header, text, str(error))
            )
            return None

"""Checklist items, their statuses and the diagnostics report.

Every item carries its evidence as plain data (numbers, ids, names) and its
texts as English message ids with ``%(name)s`` placeholders, translated when
the report is serialised, so one report serves both languages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from abmkpi.i18n import LANGUAGES, translate


def N_(message: str) -> str:
    """Mark a message for extraction without translating it yet."""
    return message


class CheckStatus(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"


# Worse statuses rank higher; not applicable never makes a report worse.
SEVERITY = {
    CheckStatus.NOT_APPLICABLE: 0,
    CheckStatus.PASS: 1,
    CheckStatus.WARN: 2,
    CheckStatus.FAIL: 3,
}


def worst(*statuses: CheckStatus) -> CheckStatus:
    """Return the most severe of the statuses (pass when there are none)."""
    return max(statuses, key=SEVERITY.__getitem__, default=CheckStatus.PASS)


STATUS_LABELS = {
    CheckStatus.PASS: N_("Pass"),
    CheckStatus.WARN: N_("Warning"),
    CheckStatus.FAIL: N_("Fail"),
    CheckStatus.NOT_APPLICABLE: N_("Not applicable"),
}


class Part(StrEnum):
    DIAGNOSIS = "diagnosis"
    SETTING = "setting"
    IMPLEMENTATION = "implementation"
    OPERATION = "operation"


PART_TITLES = {
    Part.DIAGNOSIS: N_("Diagnosis: are the KPIs used and the data linked?"),
    Part.SETTING: N_("Setting: are the goals and targets defined?"),
    Part.IMPLEMENTATION: N_("Implementation: is the measurement wired up?"),
    Part.OPERATION: N_("Operation: are the KPIs reviewed and acted on?"),
}


@dataclass(frozen=True)
class Message:
    """A translatable text: an English message id and its placeholder values."""

    text: str
    values: dict[str, Any] = field(default_factory=dict)

    def render(self, language: str) -> str:
        template = translate(self.text, language)
        # Always formatted, so a literal percent sign is written %% in every
        # message, with or without placeholders.
        return template % self.values

    def to_dict(self) -> dict[str, str]:
        return {language: self.render(language) for language in LANGUAGES}


def message(text: str, **values: Any) -> Message:
    return Message(text, values)


@dataclass
class CheckItem:
    """One evaluated checklist item.

    ``summary`` states the finding with its numbers; ``fix`` names the
    command or config key that changes the status, and is None on a pass.
    ``evidence`` is JSON-ready data: counts, rates and the offending records.
    """

    id: str
    part: Part
    title: str
    status: CheckStatus
    summary: Message
    evidence: dict[str, Any] = field(default_factory=dict)
    fix: Message | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "part": str(self.part),
            "title": message(self.title).to_dict(),
            "status": str(self.status),
            "summary": self.summary.to_dict(),
            "evidence": self.evidence,
            "fix": self.fix.to_dict() if self.fix is not None else None,
        }


@dataclass
class DiagnosticsReport:
    """Every checklist item of a workspace, evaluated at one instant (UTC)."""

    checked_at: datetime
    items: list[CheckItem]

    def counts(self) -> dict[str, int]:
        counts = {str(status): 0 for status in CheckStatus}
        for item in self.items:
            counts[str(item.status)] += 1
        return counts

    def status(self) -> CheckStatus:
        """Return the worst status of any item."""
        return worst(*(item.status for item in self.items))

    def find(self, item_id: str) -> CheckItem:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(f"no checklist item {item_id!r}")

    def by_part(self) -> list[tuple[Part, list[CheckItem]]]:
        return [(part, [i for i in self.items if i.part == part]) for part in Part]

    def fails_at(self, threshold: CheckStatus) -> bool:
        """Return whether any item is at least as severe as ``threshold``."""
        return any(SEVERITY[item.status] >= SEVERITY[threshold] for item in self.items)

    def to_dict(self) -> dict[str, Any]:
        return {
            "checked_at": self.checked_at.isoformat(timespec="seconds") + "Z",
            "status": str(self.status()),
            "counts": self.counts(),
            "parts": [
                {"id": str(part), "title": message(PART_TITLES[part]).to_dict()}
                for part in Part
            ],
            "items": [item.to_dict() for item in self.items],
        }

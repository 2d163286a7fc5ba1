"""The message every notification channel sends: handoffs, SLA breaches and
report packs alike.

A message is plain data, so a delivery row stores it as JSON and a retry
hours later sends exactly what was queued.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Message:
    """One notification: a title, lines of text, labelled fields and a link.

    ``record_id``, ``owner_id``, ``due_date`` and ``priority`` fill the
    Salesforce Task columns of the CSV queue (WhatId, OwnerId, ActivityDate,
    Priority). ``owner_email`` is added to the e-mail recipients when set.
    ``attachment`` and ``attachments`` are file paths, relative to the
    workspace or absolute, that e-mail attaches and the webhook names.
    """

    title: str
    lines: list[str] = field(default_factory=list)
    fields: list[tuple[str, str]] = field(default_factory=list)
    link: str | None = None
    attachment: str | None = None
    attachments: list[str] = field(default_factory=list)
    record_id: str | None = None
    owner_id: str | None = None
    owner_email: str | None = None
    due_date: date | None = None
    priority: str = "Normal"

    @property
    def files(self) -> list[str]:
        """Every attached file: ``attachment`` first, then ``attachments``."""
        return [*([self.attachment] if self.attachment else []), *self.attachments]

    @property
    def text(self) -> str:
        """The message as plain text: title, lines, fields and link."""
        parts = [self.title, "", *self.lines]
        if self.fields:
            parts.append("")
            parts.extend(f"{label}: {value}" for label, value in self.fields)
        if self.link:
            parts.extend(["", self.link])
        return "\n".join(parts).strip() + "\n"

    def to_dict(self) -> dict[str, Any]:
        document = asdict(self)
        document["fields"] = [list(pair) for pair in self.fields]
        document["due_date"] = self.due_date.isoformat() if self.due_date else None
        return document

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> Message:
        due = document.get("due_date")
        return cls(
            title=document["title"],
            lines=list(document.get("lines") or []),
            fields=[(str(k), str(v)) for k, v in document.get("fields") or []],
            link=document.get("link"),
            attachment=document.get("attachment"),
            attachments=[str(path) for path in document.get("attachments") or []],
            record_id=document.get("record_id"),
            owner_id=document.get("owner_id"),
            owner_email=document.get("owner_email"),
            due_date=date.fromisoformat(due) if due else None,
            priority=document.get("priority") or "Normal",
        )

"""Activity rows of one simulated week as parallel numpy arrays.

Rows refer to companies, people, campaigns and assets by index. The writer
turns indices into ids and strings only when it hands a block to DuckDB.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from abmkpi.canonical import ActivityType

ACTIVITY_TYPES = list(ActivityType)
TYPE_CODE = {activity: code for code, activity in enumerate(ACTIVITY_TYPES)}

_CHANNELS = {
    ActivityType.WEB_VISIT: "web",
    ActivityType.CONTENT_DOWNLOAD: "content",
    ActivityType.FORM_FILL: "web",
    ActivityType.EVENT_ATTENDED: "event",
    ActivityType.AD_CLICK: "ads",
    ActivityType.INTENT_SIGNAL: "intent",
    ActivityType.SALES_MEETING: "sales",
    ActivityType.SALES_CALL: "sales",
    ActivityType.SALES_EMAIL: "sales",
    ActivityType.OTHER: "other",
}
CHANNEL_BY_CODE = [_CHANNELS.get(activity, "email") for activity in ACTIVITY_TYPES]

# Source labels as an MA tool (marketing) or a CRM (sales) names the types.
_RAW_TYPES = {
    ActivityType.WEB_VISIT: "Visit Webpage",
    ActivityType.CONTENT_DOWNLOAD: "Download Content",
    ActivityType.EMAIL_OPEN: "Open Email",
    ActivityType.EMAIL_CLICK: "Click Email",
    ActivityType.FORM_FILL: "Fill Out Form",
    ActivityType.EVENT_ATTENDED: "Attended Event",
    ActivityType.AD_CLICK: "Click Ad",
    ActivityType.INTENT_SIGNAL: "Intent Surge",
    ActivityType.SALES_MEETING: "Meeting",
    ActivityType.SALES_CALL: "Call",
    ActivityType.SALES_EMAIL: "Email",
    ActivityType.EMAIL_SEND: "Send Email",
    ActivityType.EMAIL_DELIVERED: "Email Delivered",
    ActivityType.EMAIL_BOUNCE: "Email Bounced",
    ActivityType.EMAIL_UNSUBSCRIBE: "Unsubscribe Email",
    ActivityType.OTHER: "Other",
}
RAW_TYPE_BY_CODE = [_RAW_TYPES[activity] for activity in ACTIVITY_TYPES]


@dataclass
class Rows:
    """Activities as index arrays; -1 means no person, campaign or asset."""

    company: np.ndarray
    person: np.ndarray
    kind: np.ndarray
    at: np.ndarray  # naive UTC microseconds
    campaign: np.ndarray
    asset: np.ndarray
    # The source links the activity to its account (CRM tasks, intent data).
    account_link: np.ndarray
    # Known only by company (reverse-IP web visits): company name and state.
    anonymous: np.ndarray

    def __len__(self) -> int:
        return len(self.kind)

    @classmethod
    def of(
        cls,
        activity: ActivityType,
        company: np.ndarray,
        person: np.ndarray,
        at: np.ndarray,
        campaign: np.ndarray | int = -1,
        asset: np.ndarray | int = -1,
        account_link: bool = False,
    ) -> Rows:
        count = len(company)
        return cls(
            company=company.astype(np.int64),
            person=person.astype(np.int64),
            kind=np.full(count, TYPE_CODE[activity], dtype=np.int8),
            at=at.astype(np.int64),
            campaign=np.broadcast_to(campaign, count).astype(np.int64),
            asset=np.broadcast_to(asset, count).astype(np.int64),
            account_link=np.full(count, account_link),
            anonymous=np.zeros(count, dtype=bool),
        )

    @classmethod
    def concat(cls, parts: list[Rows]) -> Rows:
        parts = [part for part in parts if len(part)]
        if not parts:
            return cls.empty()
        return cls(
            **{
                f.name: np.concatenate([getattr(part, f.name) for part in parts])
                for f in fields(cls)
            }
        )

    @classmethod
    def empty(cls) -> Rows:
        none = np.zeros(0, dtype=np.int64)
        return cls(
            none, none, none.astype(np.int8), none, none, none,
            none.astype(bool), none.astype(bool),
        )  # fmt: skip

    def select(self, keep: np.ndarray) -> Rows:
        return Rows(**{f.name: getattr(self, f.name)[keep] for f in fields(self)})

    def count_of(self, activity: ActivityType, companies: int) -> np.ndarray:
        """Return how many rows of one type each company has."""
        mine = self.kind == TYPE_CODE[activity]
        return np.bincount(self.company[mine], minlength=companies)

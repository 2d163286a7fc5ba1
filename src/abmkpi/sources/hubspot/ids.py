"""Canonical ids of HubSpot records, and lists of record ids in one field.

Companies, contacts, deals and email campaigns use ``hubspot:<id>``. The
activities table mixes three HubSpot id spaces (engagements, marketing email
events and form submissions), so activity ids carry the kind as a prefix:
``hubspot:engagement:19732910159``, ``hubspot:email-event:<uuid>``,
``hubspot:form-submission:<conversion id>``.
"""

from __future__ import annotations

import re

from abmkpi.canonical import SourceSystem, canonical_id

SOURCE = SourceSystem.HUBSPOT.value

_RECORD_ID = re.compile(r"^\d+$")


def hubspot_id(source_id: str) -> str:
    return canonical_id(SOURCE, source_id)


def optional_id(source_id: str | None) -> str | None:
    return None if source_id is None else hubspot_id(source_id)


def prefixed_source_id(kind: str, source_id: str) -> str:
    """Return the source id of an activity: ``engagement:123``."""
    return f"{kind}:{source_id}"


def id_list(text: str | None) -> list[str]:
    """Split a list of record ids as HubSpot writes them: ``101;102;103``.

    Raise ValueError when an item is not a HubSpot record id (digits only).
    """
    if text is None:
        return []
    items = [item.strip() for item in re.split(r"[;,]", text)]
    ids = [item for item in items if item]
    bad = [item for item in ids if not _RECORD_ID.match(item)]
    if bad:
        raise ValueError(
            f"not a list of HubSpot record ids separated by ';' ({bad[0]!r})"
        )
    return ids

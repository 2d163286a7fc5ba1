"""Canonical ids of Pardot records, and the Salesforce ids Pardot syncs with.

Pardot records use ``pardot:<id>``. A prospect synced with Salesforce names
its CRM records by Salesforce id; those become ``salesforce:<18-character
id>``, the form Salesforce's Data Export writes.
"""

from __future__ import annotations

import re

from abmkpi.canonical import SourceSystem, canonical_id

SOURCE = SourceSystem.PARDOT.value

_SALESFORCE_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
_CHECKSUM_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

CONTACT_PREFIX = "003"


def pardot_id(source_id: str) -> str:
    return canonical_id(SOURCE, source_id)


def optional_pardot_id(source_id: str | None) -> str | None:
    return None if source_id is None else pardot_id(source_id)


def salesforce_id(value: str | None) -> str | None:
    """Return a Salesforce record id in its 18-character form, or None.

    Values that are not 15 or 18 letters and digits (empty, hashed by the
    connector) are not Salesforce ids.
    """
    if value is None or not _SALESFORCE_ID.match(value):
        return None
    return value if len(value) == 18 else value + _checksum(value)


def _checksum(id15: str) -> str:
    """Return the 3-character suffix that makes a 15-character id case-safe.

    Each suffix character encodes, as a 5-bit number, which of the five
    characters of one 5-character block are upper-case letters.
    """
    suffix = ""
    for start in range(0, 15, 5):
        block = id15[start : start + 5]
        bits = sum(1 << index for index, char in enumerate(block) if "A" <= char <= "Z")
        suffix += _CHECKSUM_CHARACTERS[bits]
    return suffix


def salesforce_id_in_url(url: str | None) -> str | None:
    """Return the record id at the end of a Salesforce record URL, or None."""
    if not url:
        return None
    last = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return salesforce_id(last)


def salesforce_record_id(value: str) -> str:
    return canonical_id(SourceSystem.SALESFORCE, value)

"""Canonical ids of Mautic records.

Contacts and companies exported from Mautic carry their id and become
``mautic:<id>``. Import-shaped files (the columns of Mautic's own CSV import,
without ids) identify a contact by e-mail address and a company by name, as
Mautic's import does: ``mautic:email:<address>``, ``mautic:name:<name>``.
Points-log rows have their own id space: ``mautic:points:<id>``.
"""

from __future__ import annotations

import unicodedata

from abmkpi.canonical import SourceSystem, canonical_id

SOURCE = SourceSystem.MAUTIC.value


def mautic_id(source_id: str) -> str:
    return canonical_id(SOURCE, source_id)


def email_source_id(email: str) -> str:
    return f"email:{email}"


def name_source_id(name: str) -> str:
    """Return the source id of a company known only by name, ignoring case."""
    key = " ".join(unicodedata.normalize("NFKC", name).casefold().split())
    return f"name:{key}"


def points_source_id(log_id: str) -> str:
    return f"points:{log_id}"

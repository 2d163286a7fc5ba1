"""Canonical ids of Marketo records.

Leads, activities and smart campaigns use ``marketo:<id>``. Programs share
their id space with smart campaigns (both can be 1001), so their ids carry a
``program:`` prefix: ``marketo:program:1001``.
"""

from __future__ import annotations

from abmkpi.canonical import SourceSystem, canonical_id

SOURCE = SourceSystem.MARKETO.value


def marketo_id(source_id: str) -> str:
    return canonical_id(SOURCE, source_id)


def program_source_id(program_id: str) -> str:
    return f"program:{program_id}"


def program_record_id(program_id: str) -> str:
    return canonical_id(SOURCE, program_source_id(program_id))

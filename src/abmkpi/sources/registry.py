"""The importers by source system name (``marketo``, ``salesforce``, …)."""

from __future__ import annotations

from collections.abc import Callable

from abmkpi.errors import AbmkpiError
from abmkpi.sources.base import Importer
from abmkpi.sources.hubspot import HubSpotImporter
from abmkpi.sources.marketo import MarketoImporter

IMPORTERS: dict[str, Callable[[], Importer]] = {
    "hubspot": HubSpotImporter,
    "marketo": MarketoImporter,
}


def get_importer(name: str) -> Importer:
    """Return a new importer for a source name such as ``marketo``."""
    factory = IMPORTERS.get(name.strip().lower())
    if factory is None:
        known = ", ".join(sorted(IMPORTERS))
        raise AbmkpiError(f"unknown source {name!r}; choose one of: {known}")
    return factory()

"""The importers by source system name (``marketo``, ``salesforce``, …)."""

from __future__ import annotations

from collections.abc import Callable

from abmkpi.errors import AbmkpiError
from abmkpi.sources.base import Importer
from abmkpi.sources.marketo import MarketoImporter
from abmkpi.sources.mautic import MauticImporter
from abmkpi.sources.pardot import PardotImporter

IMPORTERS: dict[str, Callable[[], Importer]] = {
    "marketo": MarketoImporter,
    "mautic": MauticImporter,
    "pardot": PardotImporter,
}


def get_importer(name: str) -> Importer:
    """Return a new importer for a source name such as ``marketo``."""
    factory = IMPORTERS.get(name.strip().lower())
    if factory is None:
        known = ", ".join(sorted(IMPORTERS))
        raise AbmkpiError(f"unknown source {name!r}; choose one of: {known}")
    return factory()

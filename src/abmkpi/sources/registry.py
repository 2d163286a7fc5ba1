"""Importers by source name (``salesforce``, …), for the import command.

Each entry builds its importer on demand, so that naming one source never
imports the modules of the others.
"""

from __future__ import annotations

from collections.abc import Callable

from abmkpi.errors import ConfigError
from abmkpi.sources.base import Importer


def _salesforce() -> Importer:
    from abmkpi.sources.salesforce import SalesforceImporter

    return SalesforceImporter()


IMPORTERS: dict[str, Callable[[], Importer]] = {
    "salesforce": _salesforce,
}


def get_importer(name: str) -> Importer:
    """Return a new importer for a source name; raise ConfigError if unknown."""
    factory = IMPORTERS.get(name.strip().lower())
    if factory is None:
        known = ", ".join(sorted(IMPORTERS))
        raise ConfigError(f"unknown source {name!r}; known sources: {known}")
    return factory()

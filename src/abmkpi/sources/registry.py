"""Importers by the source name the ``abmkpi import`` command takes."""

from __future__ import annotations

from collections.abc import Callable

from abmkpi.errors import NotFoundError
from abmkpi.sources.base import Importer
from abmkpi.sources.generic import GenericCsvImporter
from abmkpi.sources.marketo import MarketoImporter

IMPORTERS: dict[str, Callable[[], Importer]] = {
    "csv": GenericCsvImporter,
    "marketo": MarketoImporter,
}


def get_importer(name: str) -> Importer:
    """Return a new importer for the source name; raise NotFoundError if unknown."""
    factory = IMPORTERS.get(name.strip().lower())
    if factory is None:
        raise NotFoundError(
            f"unknown source {name!r}; choose one of {', '.join(sorted(IMPORTERS))}"
        )
    return factory()

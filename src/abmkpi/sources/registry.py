"""Importers by the source name the ``abmkpi import`` command takes.

Each entry builds its importer on demand, so that naming one source never
imports the modules of the others. :func:`native_shapes` loads every native
source's file shapes, for detecting the source of a run's files.
"""

from __future__ import annotations

from collections.abc import Callable

from abmkpi.errors import NotFoundError, UserMessage
from abmkpi.sources.base import Importer, SourceShapes


def _csv() -> Importer:
    from abmkpi.sources.generic import GenericCsvImporter

    return GenericCsvImporter()


def _hubspot() -> Importer:
    from abmkpi.sources.hubspot import HubSpotImporter

    return HubSpotImporter()


def _marketo() -> Importer:
    from abmkpi.sources.marketo import MarketoImporter

    return MarketoImporter()


def _mautic() -> Importer:
    from abmkpi.sources.mautic import MauticImporter

    return MauticImporter()


def _pardot() -> Importer:
    from abmkpi.sources.pardot import PardotImporter

    return PardotImporter()


def _salesforce() -> Importer:
    from abmkpi.sources.salesforce_shapes import SalesforceFilesImporter

    return SalesforceFilesImporter()


IMPORTERS: dict[str, Callable[[], Importer]] = {
    "csv": _csv,
    "hubspot": _hubspot,
    "marketo": _marketo,
    "mautic": _mautic,
    "pardot": _pardot,
    "salesforce": _salesforce,
}


def get_importer(name: str) -> Importer:
    """Return a new importer for the source name; raise NotFoundError if unknown."""
    factory = IMPORTERS.get(name.strip().lower())
    if factory is None:
        raise NotFoundError(
            UserMessage(
                "unknown source %(name)r; choose one of %(known)s",
                name=name,
                known=", ".join(sorted(IMPORTERS)),
            )
        )
    return factory()


def native_shapes() -> list[SourceShapes]:
    """Return the file shapes of every source that reads its vendor's own exports."""
    from abmkpi.sources.hubspot.files import SHAPES as HUBSPOT
    from abmkpi.sources.marketo.files import SHAPES as MARKETO
    from abmkpi.sources.mautic.files import SHAPES as MAUTIC
    from abmkpi.sources.pardot.files import SHAPES as PARDOT
    from abmkpi.sources.salesforce_shapes import SHAPES as SALESFORCE

    return [SALESFORCE, HUBSPOT, MARKETO, PARDOT, MAUTIC]

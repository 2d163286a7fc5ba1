"""Marketo lead and activity exports, in the REST/bulk extract and Fivetran shapes."""

from abmkpi.sources.marketo.importer import MarketoImporter

__all__ = ["MarketoImporter"]

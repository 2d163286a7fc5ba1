"""Salesforce Account Engagement (Pardot) exports: Fivetran tables and API exports."""

from abmkpi.sources.pardot.importer import PardotImporter

__all__ = ["PardotImporter"]

"""Mautic contact, company and points-log exports."""

from abmkpi.sources.mautic.importer import MauticImporter

__all__ = ["MauticImporter"]

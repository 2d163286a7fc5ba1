"""HubSpot CRM and marketing data: Fivetran-landed tables and UI exports."""

from abmkpi.sources.hubspot.importer import HubSpotImporter

__all__ = ["HubSpotImporter"]

"""Deciding which Salesforce object a CSV file contains.

The file name decides first (``Account.csv``, ``opportunityhistory.csv``:
the object's API name in any case, or the name of a configured account-link
object). A file with another name, such as a downloaded report
(``report1717123456789.csv``), is identified by its columns. They are tried
in this order: the key prefix of its record ids (``001`` accounts, ``006``
opportunities, …), the id columns of a configured account-link object, the
labels of a report's key columns (商談 ID, Opportunity Name), and API-name
columns only one object has. A file that none of these identify, or that
contains an object abmkpi does not import (Product2, UserRole, …), is skipped
and listed in the import summary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from abmkpi.sources.csvfile import CsvFile
from abmkpi.sources.salesforce import labels_ja
from abmkpi.sources.salesforce.activities import ACTIVITY, EVENT, TASK
from abmkpi.sources.salesforce.campaigns import CAMPAIGN, CAMPAIGN_MEMBER
from abmkpi.sources.salesforce.common import SalesforceObject
from abmkpi.sources.salesforce.contracts import (
    CONTRACT,
    CURRENCY_TYPE,
    DATED_CONVERSION_RATE,
)
from abmkpi.sources.salesforce.links import (
    OPPORTUNITY_CONTACT_ROLE,
    OPPORTUNITY_PARTNER,
    PARTNER,
)
from abmkpi.sources.salesforce.opportunities import (
    OPPORTUNITY,
    OPPORTUNITY_HISTORY,
    OPPORTUNITY_STAGE,
)
from abmkpi.sources.salesforce.people import ACCOUNT, CONTACT, LEAD
from abmkpi.sources.salesforce.report import LANGUAGES, normalize_label

# In reading order: definitions that later objects use come first (stage
# flags, campaign types), and opportunities before their history.
OBJECTS: tuple[SalesforceObject, ...] = (
    OPPORTUNITY_STAGE,
    CURRENCY_TYPE,
    DATED_CONVERSION_RATE,
    CAMPAIGN,
    ACCOUNT,
    CONTACT,
    LEAD,
    OPPORTUNITY,
    OPPORTUNITY_HISTORY,
    OPPORTUNITY_PARTNER,
    PARTNER,
    OPPORTUNITY_CONTACT_ROLE,
    CAMPAIGN_MEMBER,
    TASK,
    EVENT,
    CONTRACT,
)

_BY_NAME = {spec.name.casefold(): spec for spec in OBJECTS}
_BY_PREFIX = {spec.id_prefix: spec for spec in OBJECTS if spec.id_prefix}

# Key prefixes of common objects that abmkpi does not import, so that their
# files are reported under their own name.
_OTHER_PREFIXES = {
    "005": "User",
    "00E": "UserRole",
    "00k": "OpportunityLineItem",
    "02Z": "AccountContactRole",
    "012": "RecordType",
    "01s": "Pricebook2",
    "01t": "Product2",
    "01u": "PricebookEntry",
    "500": "Case",
    "801": "Order",
    "0Q0": "Quote",
}

# Columns that only one object has, tried in order; each entry needs all of
# the columns in one of its groups.
_SIGNATURES: tuple[tuple[SalesforceObject, tuple[tuple[str, ...], ...]], ...] = (
    (OPPORTUNITY_STAGE, (("MasterLabel", "IsWon"), ("MasterLabel", "IsClosed"))),
    (DATED_CONVERSION_RATE, (("IsoCode", "ConversionRate", "StartDate"),)),
    (CURRENCY_TYPE, (("IsoCode", "ConversionRate"),)),
    (OPPORTUNITY_HISTORY, (("OpportunityId", "StageName"),)),
    (OPPORTUNITY_PARTNER, (("OpportunityId", "AccountToId"),)),
    (OPPORTUNITY_CONTACT_ROLE, (("OpportunityId", "ContactId"),)),
    (OPPORTUNITY, (("StageName", "CloseDate"), ("StageName", "IsWon"))),
    (CAMPAIGN_MEMBER, (("CampaignId", "HasResponded"),)),
    (CONTRACT, (("ContractTerm",), ("ContractNumber",))),
    (EVENT, (("StartDateTime",), ("DurationInMinutes",), ("IsAllDayEvent",))),
    (TASK, (("TaskSubtype",), ("WhoId",), ("WhatId",))),
    (LEAD, (("Company", "LastName"), ("Company", "IsConverted"), ("Company", "Email"))),
    (CONTACT, (("AccountId", "Email"), ("AccountId", "LastName"))),
    (CAMPAIGN, (("BudgetedCost",), ("ActualCost",), ("NumberSent",))),
    (
        ACCOUNT,
        (
            ("Name", "Website"),
            ("Name", "Industry"),
            ("Name", "BillingState"),
            ("Name", "BillingCountry"),
            ("Name", "NumberOfEmployees"),
        ),
    ),
)


@dataclass(frozen=True)
class Identified:
    """The object in a file: a spec to import, or the name of another object.

    ``evidence`` is what identified it ("file name", "record ids", "report
    columns", "columns"), or empty when nothing did.
    """

    spec: SalesforceObject | None
    name: str
    evidence: str


def identify(
    csv_file: CsvFile, link_objects: Sequence[SalesforceObject] = ()
) -> Identified:
    """Return the object in a file, from its name, ids or columns.

    ``link_objects`` are the configured custom objects that link
    opportunities to accounts.
    """
    stem = csv_file.path.stem.casefold()
    if stem in _BY_NAME:
        return Identified(_BY_NAME[stem], _BY_NAME[stem].name, "file name")
    for spec in link_objects:
        if stem == spec.name.casefold():
            return Identified(spec, spec.name, "file name")
    prefix = _id_prefix(csv_file)
    if prefix in _BY_PREFIX:
        return Identified(_BY_PREFIX[prefix], _BY_PREFIX[prefix].name, "record ids")
    if prefix in _OTHER_PREFIXES:
        return Identified(None, _OTHER_PREFIXES[prefix], "record ids")
    for spec in link_objects:
        if all(csv_file.column(*field.headers) for field in spec.fields[:2]):
            return Identified(spec, spec.name, "columns")
    report_spec = _report_object(csv_file)
    if report_spec is not None:
        return Identified(report_spec, report_spec.name, "report columns")
    for spec, groups in _SIGNATURES:
        if any(csv_file.has_columns(*group) for group in groups):
            return Identified(spec, spec.name, "columns")
    return Identified(None, csv_file.path.stem, "")


def reading_position(spec: SalesforceObject) -> int:
    """Return where files of an object come in the reading order."""
    return OBJECTS.index(spec) if spec in OBJECTS else len(OBJECTS)


# Objects by the name their key labels have in the label modules.
_BY_REPORT_NAME = {
    "Opportunity": OPPORTUNITY,
    "Contract": CONTRACT,
    "Campaign": CAMPAIGN,
    "Lead": LEAD,
    "Contact": CONTACT,
    "Account": ACCOUNT,
}
_EVENT_ONLY = ("StartDateTime", "ActivityDateTime", "IsAllDayEvent", "EventSubtype")


def _report_object(csv_file: CsvFile) -> SalesforceObject | None:
    """Return the object of a report export from its key column labels."""
    keys = {normalize_label(header) for header in csv_file.header}
    for object_name in labels_ja.KEY_LABELS:
        labels = [
            label
            for module in LANGUAGES.values()
            for label in module.KEY_LABELS.get(object_name, ())
        ]
        if not any(normalize_label(label) in keys for label in labels):
            continue
        if object_name == "Activity":
            return _activity_object(keys)
        return _BY_REPORT_NAME[object_name]
    return None


def _activity_object(keys: set[str]) -> SalesforceObject:
    """Return Task, Event, or both, from the columns of an activity report."""

    def has_field(object_name: str, api_name: str) -> bool:
        return any(
            normalize_label(label) in keys
            for module in LANGUAGES.values()
            for label in module.LABELS[object_name].get(api_name, ())
        )

    if has_field("Task", "IsTask"):
        return ACTIVITY
    if any(has_field("Event", name) for name in _EVENT_ONLY):
        return EVENT
    return TASK


def _id_prefix(csv_file: CsvFile) -> str | None:
    header = csv_file.column("Id")
    if header is None:
        return None
    for row in csv_file.rows[:20]:
        value = (row.values.get(header) or "").strip()
        if 15 <= len(value) <= 18 and value.isalnum():
            return value[:3]
    return None

"""Deciding which Salesforce object a CSV file contains.

The file name decides first (``Account.csv``, ``opportunityhistory.csv``:
the object's API name in any case). A file with another name is identified
by the key prefix of its record ids (``001`` accounts, ``006``
opportunities, …), else by columns only one object has. A file that none of
these identify, or that contains an object abmkpi does not import (Product2,
UserRole, …), is skipped and listed in the import summary.
"""

from __future__ import annotations

from dataclasses import dataclass

from abmkpi.sources.csvfile import CsvFile
from abmkpi.sources.salesforce.activities import EVENT, TASK
from abmkpi.sources.salesforce.campaigns import CAMPAIGN, CAMPAIGN_MEMBER
from abmkpi.sources.salesforce.common import SalesforceObject
from abmkpi.sources.salesforce.contracts import (
    CONTRACT,
    CURRENCY_TYPE,
    DATED_CONVERSION_RATE,
)
from abmkpi.sources.salesforce.opportunities import (
    OPPORTUNITY,
    OPPORTUNITY_HISTORY,
    OPPORTUNITY_STAGE,
)
from abmkpi.sources.salesforce.people import ACCOUNT, CONTACT, LEAD

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
    "00K": "OpportunityContactRole",
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

    ``evidence`` is what identified it ("file name", "record ids", "columns"),
    or empty when nothing did.
    """

    spec: SalesforceObject | None
    name: str
    evidence: str


def identify(csv_file: CsvFile) -> Identified:
    """Return the object in a file, from its name, ids or columns."""
    stem = csv_file.path.stem.casefold()
    if stem in _BY_NAME:
        return Identified(_BY_NAME[stem], _BY_NAME[stem].name, "file name")
    prefix = _id_prefix(csv_file)
    if prefix in _BY_PREFIX:
        return Identified(_BY_PREFIX[prefix], _BY_PREFIX[prefix].name, "record ids")
    if prefix in _OTHER_PREFIXES:
        return Identified(None, _OTHER_PREFIXES[prefix], "record ids")
    for spec, groups in _SIGNATURES:
        if any(csv_file.has_columns(*group) for group in groups):
            return Identified(spec, spec.name, "columns")
    return Identified(None, csv_file.path.stem, "")


def _id_prefix(csv_file: CsvFile) -> str | None:
    header = csv_file.column("Id")
    if header is None:
        return None
    for row in csv_file.rows[:20]:
        value = (row.values.get(header) or "").strip()
        if 15 <= len(value) <= 18 and value.isalnum():
            return value[:3]
    return None

"""Account, Contact and Lead: the accounts and people tables."""

from __future__ import annotations

from abmkpi.sources.fields import Field, ParsedRow
from abmkpi.sources.salesforce.common import (
    FileContext,
    SalesforceObject,
    first_value,
    person_name,
    present,
    record_base,
    references,
    sf_id,
)


def convert_account(row: ParsedRow, ctx: FileContext) -> None:
    values = row.values
    record = {
        **record_base(values),
        **present(
            values,
            {
                "name": "Name",
                "website": "Website",
                "industry": "Industry",
                "employees": "NumberOfEmployees",
                "annual_revenue": "AnnualRevenue",
                "owner": "OwnerId",
                "account_type": "Type",
                "created_at": "CreatedDate",
            },
        ),
        **references(
            values,
            {
                "source_parent_id": "ParentId",
                "source_merged_into_id": "MasterRecordId",
            },
        ),
    }
    # The billing address is the account's address. Orgs that fill only the
    # shipping address still locate the account by it.
    if ctx.has("BillingCountry", "ShippingCountry"):
        record["country"] = first_value(values, "BillingCountry", "ShippingCountry")
    if ctx.has("BillingState", "ShippingState"):
        record["state"] = first_value(values, "BillingState", "ShippingState")
    ctx.add("accounts", record, row.line)


_PERSON_COLUMNS = {
    "email": "Email",
    "first_name": "FirstName",
    "last_name": "LastName",
    "title": "Title",
    "lead_source": "LeadSource",
    "created_at": "CreatedDate",
}


def convert_contact(row: ParsedRow, ctx: FileContext) -> None:
    values = row.values
    record = {
        **record_base(values),
        "kind": "contact",
        **present(
            values,
            {
                **_PERSON_COLUMNS,
                "department": "Department",
                "state": "MailingState",
                "country": "MailingCountry",
            },
        ),
        **references(
            values,
            {
                "source_account_id": "AccountId",
                "source_merged_into_id": "MasterRecordId",
            },
        ),
    }
    if ctx.has("Name", "FirstName", "LastName"):
        record["name"] = person_name(values)
    ctx.add("people", record, row.line)


def convert_lead(row: ParsedRow, ctx: FileContext) -> None:
    values = row.values
    record = {
        **record_base(values),
        "kind": "lead",
        **present(
            values,
            {
                **_PERSON_COLUMNS,
                "company_name": "Company",
                "website": "Website",
                "state": "State",
                "country": "Country",
                "lead_status": "Status",
                "is_converted": "IsConverted",
            },
        ),
        **references(
            values,
            {
                "converted_contact_id": "ConvertedContactId",
                "source_merged_into_id": "MasterRecordId",
            },
        ),
    }
    if "is_converted" in record:
        record["is_converted"] = bool(record["is_converted"])
    if ctx.has("Name", "FirstName", "LastName"):
        record["name"] = person_name(values)
    # A converted lead belongs to the account it was converted into. An
    # unconverted lead gets its account from matching.
    if ctx.has("ConvertedAccountId"):
        converted = values.get("IsConverted") or "IsConverted" not in ctx.headers
        account = values.get("ConvertedAccountId") if converted else None
        record["source_account_id"] = sf_id(account)
    ctx.add("people", record, row.line)


_ID = Field.of("Id", kind="id", required=True)
_PERSON_FIELDS = (
    _ID,
    Field.of("Email", kind="email"),
    Field.of("FirstName"),
    Field.of("LastName"),
    Field.of("Name"),
    Field.of("Title"),
    Field.of("LeadSource"),
    Field.of("MasterRecordId", kind="id"),
    Field.of("CreatedDate", kind="datetime"),
)

ACCOUNT = SalesforceObject(
    name="Account",
    table="accounts",
    id_prefix="001",
    fields=(
        _ID,
        Field.of("Name"),
        Field.of("Website"),
        Field.of("Industry"),
        Field.of("NumberOfEmployees", kind="int"),
        Field.of("AnnualRevenue", kind="number"),
        Field.of("BillingCountry"),
        Field.of("BillingState"),
        Field.of("ShippingCountry"),
        Field.of("ShippingState"),
        Field.of("ParentId", kind="id"),
        Field.of("OwnerId", kind="id"),
        Field.of("Type"),
        Field.of("CreatedDate", kind="datetime"),
        Field.of("MasterRecordId", kind="id"),
    ),
    convert=convert_account,
)

CONTACT = SalesforceObject(
    name="Contact",
    table="people",
    id_prefix="003",
    fields=(
        *_PERSON_FIELDS,
        Field.of("AccountId", kind="id"),
        Field.of("Department"),
        Field.of("MailingState"),
        Field.of("MailingCountry"),
    ),
    convert=convert_contact,
)

LEAD = SalesforceObject(
    name="Lead",
    table="people",
    id_prefix="00Q",
    fields=(
        *_PERSON_FIELDS,
        Field.of("Company"),
        Field.of("Website"),
        Field.of("State"),
        Field.of("Country"),
        Field.of("Status"),
        Field.of("IsConverted", kind="bool"),
        Field.of("ConvertedContactId", kind="id"),
        Field.of("ConvertedAccountId", kind="id"),
    ),
    convert=convert_lead,
)

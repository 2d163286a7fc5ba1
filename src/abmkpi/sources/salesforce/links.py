"""Opportunities linked to several accounts and people.

A Salesforce opportunity has one account (AccountId), but a deal often
involves more: a reseller and its end customer, a group company and its
subsidiaries. Three sources add them to ``opportunity_accounts``, each link
with its role from the file:

- OpportunityPartner rows (OpportunityId, AccountToId, Role, IsPrimary), and
  the rows of the Partner object that name an opportunity;
- custom junction objects named in the config (``salesforce.account_links``),
  one row per opportunity and account.

OpportunityContactRole rows (OpportunityId, ContactId, Role, IsPrimary) add
the opportunity's people to ``opportunity_people``. A primary partner or
contact role keeps its role with " (primary)" appended, because the
canonical ``is_primary`` column marks the opportunity's own account. A pair
listed twice, in one file or across files, is one link with both roles.

AccountContactRole is not imported: a contact's role at another account does
not change which account the contact's activities count for.

The KPI engine counts a deal once, as a target deal when any linked account
is a target (see :mod:`abmkpi.metrics.context`).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from abmkpi.config import AccountLinkObject, Settings
from abmkpi.sources.base import Record
from abmkpi.sources.fields import Field, ParsedRow
from abmkpi.sources.salesforce.common import (
    SOURCE,
    FileContext,
    SalesforceObject,
    sf_id,
)
from abmkpi.vocabulary import N_

DELETED_LINK = N_("deleted link")
REPEATED_LINK = N_("link already read; roles combined")
ACCOUNT_PARTNER = N_("partner of an account, not of an opportunity")


def convert_partner(row: ParsedRow, ctx: FileContext) -> None:
    values = row.values
    if values.get("OpportunityId") is None:
        ctx.skip(ACCOUNT_PARTNER)
        return
    role = role_of(values.get("Role"), values.get("IsPrimary"), "partner")
    _add_account_link(row, ctx, values["OpportunityId"], values["AccountToId"], role)


def convert_junction(default_role: str, row: ParsedRow, ctx: FileContext) -> None:
    values = row.values
    role = values.get("Role") or default_role
    _add_account_link(row, ctx, values["OpportunityId"], values["AccountId"], role)


def convert_contact_role(row: ParsedRow, ctx: FileContext) -> None:
    values = row.values
    key = (sf_id(values["OpportunityId"]), sf_id(values["ContactId"]))
    role = role_of(values.get("Role"), values.get("IsPrimary"), None)
    deleted = _is_deleted(values)
    earlier = ctx.state.people_links.get(key)
    if earlier is not None:
        _combine(earlier, role, deleted)
        ctx.skip(REPEATED_LINK)
        return
    record = {
        "opportunity_id": key[0],
        "person_id": key[1],
        "role": role,
        "source_system": SOURCE,
        "is_deleted": deleted,
    }
    ctx.state.people_links[key] = ctx.add("opportunity_people", record, row.line)


def role_of(
    role: str | None, is_primary: bool | None, default: str | None
) -> str | None:
    """Return the stored role: the file's role, marked when it is the primary."""
    text = role or default
    if not is_primary:
        return text
    return f"{text} (primary)" if text else "primary"


def _add_account_link(
    row: ParsedRow, ctx: FileContext, opportunity: str, account: str, role: str | None
) -> None:
    # The links table has no deleted flag, so a deleted link is left out.
    # NOTE: a link stored by an earlier import stays after Salesforce deletes
    # it; clearing it needs a fresh workspace.
    if _is_deleted(row.values):
        ctx.skip(DELETED_LINK)
        return
    key = (sf_id(opportunity), sf_id(account))
    earlier = ctx.state.account_links.get(key)
    if earlier is not None:
        _combine(earlier, role, False)
        ctx.skip(REPEATED_LINK)
        return
    record = {
        "opportunity_id": key[0],
        "source_account_id": key[1],
        "role": role,
        "source_system": SOURCE,
    }
    ctx.state.account_links[key] = ctx.add("opportunity_accounts", record, row.line)


def _combine(record: Record, role: str | None, deleted: bool) -> None:
    """Merge a repeated link into the record read first.

    A live link wins over a deleted one, and the roles of live links add up.
    """
    values = record.values
    if deleted and not values.get("is_deleted"):
        return
    if values.get("is_deleted") and not deleted:
        values["is_deleted"] = False
        values["role"] = role
        return
    roles = [text for text in (values.get("role"), role) if text]
    values["role"] = "; ".join(dict.fromkeys(roles)) or None


def _is_deleted(values: dict[str, Any]) -> bool:
    return bool(values.get("IsDeleted") or values.get("_fivetran_deleted"))


def link_objects(settings: Settings) -> list[SalesforceObject]:
    """Return the configured custom account-link objects as object specs."""
    return [junction_object(item) for item in settings.salesforce.account_links]


def junction_object(config: AccountLinkObject) -> SalesforceObject:
    """Describe a custom junction object; its first two fields identify it."""
    fields = [
        Field("OpportunityId", (config.opportunity_column,), "id", required=True),
        Field("AccountId", (config.account_column,), "id", required=True),
        Field.of("Id", kind="id"),
    ]
    if config.role_column:
        fields.append(Field("Role", (config.role_column,)))
    return SalesforceObject(
        name=config.object_name,
        table="opportunity_accounts",
        fields=tuple(fields),
        convert=partial(convert_junction, config.role),
    )


_PARTNER_FIELDS = (
    Field.of("Id", kind="id", required=True),
    Field.of("AccountToId", kind="id", required=True),
    Field.of("Role"),
    Field.of("IsPrimary", kind="bool"),
)

OPPORTUNITY_PARTNER = SalesforceObject(
    name="OpportunityPartner",
    table="opportunity_accounts",
    fields=(Field.of("OpportunityId", kind="id", required=True), *_PARTNER_FIELDS),
    convert=convert_partner,
)

# Partner rows link two accounts, or an opportunity and an account.
PARTNER = SalesforceObject(
    name="Partner",
    table="opportunity_accounts",
    fields=(
        Field.of("OpportunityId", kind="id"),
        Field.of("AccountFromId", kind="id"),
        *_PARTNER_FIELDS,
    ),
    convert=convert_partner,
)

OPPORTUNITY_CONTACT_ROLE = SalesforceObject(
    name="OpportunityContactRole",
    table="opportunity_people",
    id_prefix="00K",
    fields=(
        Field.of("Id", kind="id", required=True),
        Field.of("OpportunityId", kind="id", required=True),
        Field.of("ContactId", kind="id", required=True),
        Field.of("Role"),
        Field.of("IsPrimary", kind="bool"),
    ),
    convert=convert_contact_role,
)

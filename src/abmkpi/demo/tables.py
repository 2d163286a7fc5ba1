"""Arrow tables of the demo's accounts, people, campaigns, deals and contracts.

Columns are the source columns of the canonical schema; ``n`` and ``*_n``
columns hold record numbers that :func:`abmkpi.demo.writer.insert` turns
into ids.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from abmkpi.demo.campaigns import Schedule
from abmkpi.demo.clock import BusinessClock
from abmkpi.demo.companies import Companies
from abmkpi.demo.contracts import Book
from abmkpi.demo.deals import RAW_TYPES
from abmkpi.demo.people import LEAD_SOURCES, LEAD_STATUSES, People
from abmkpi.demo.pipeline import Pipeline
from abmkpi.demo.stages import STAGE_PROBABILITY, sort_order

_DAY_MICROS = 86_400 * 1_000_000


def _optional_numbers(values: list[int | None]) -> pa.Array:
    return pa.array([None if v is None or v < 0 else v + 1 for v in values], pa.int64())


def account_created_micros(
    rng: np.random.Generator, companies: Companies, book: Book, clock: BusinessClock
) -> np.ndarray:
    """Return creation instants: 1-8 years before the window and any contract."""
    start = clock.local_micros(0, 0, clock.zone_index(clock.business_zone))
    days_before = rng.uniform(30, 8 * 365, companies.count)
    first_contract = np.minimum(book.customer_from, 0) - 120
    days_before = np.maximum(days_before, -first_contract)
    seconds = rng.integers(9 * 3600, 19 * 3600, companies.count)
    return start - (days_before.astype(np.int64) * 86_400 - seconds) * 1_000_000


def accounts_table(companies: Companies, book: Book, created: np.ndarray) -> pa.Table:
    count = companies.accounts
    places = companies.places[:count]
    return pa.table(
        {
            "n": np.arange(1, count + 1),
            "name": companies.names[:count],
            "website": companies.websites[:count],
            "industry": [companies.industry_label(i) for i in range(count)],
            "employees": companies.employees[:count],
            "annual_revenue": companies.revenue[:count].astype(float),
            "country": [place.country for place in places],
            "region": [place.region for place in places],
            "state": [place.state for place in places],
            "parent_n": _optional_numbers(companies.parent[:count].tolist()),
            "owner": companies.owners[:count],
            "account_type": book.account_types()[:count],
            "created_at": pa.array(created[:count], type=pa.timestamp("us")),
        }
    )


def people_table(
    rng: np.random.Generator,
    people: People,
    companies: Companies,
    clock: BusinessClock,
    account_created: np.ndarray,
) -> pa.Table:
    count = people.count
    company, contact = people.company, people.is_contact
    linked = contact & (company < companies.accounts)

    # Created after their account and within the last three years.
    end = clock.end_us
    since = np.maximum(account_created[company], end - 3 * 365 * _DAY_MICROS)
    seconds = (rng.random(count) * (end - since) / 1_000_000).astype(np.int64)
    created = since + seconds * 1_000_000

    names = [
        f"{last} {first}" if japanese else f"{first} {last}"
        for first, last, japanese in zip(
            people.first_name, people.last_name, people.japanese, strict=True
        )
    ]
    source = rng.integers(0, len(LEAD_SOURCES), count)
    return pa.table(
        {
            "n": np.arange(1, count + 1),
            "kind": ["contact" if c else "lead" for c in contact],
            "account_n": pa.array(np.where(linked, company + 1, 0), mask=~linked),
            "email": people.email,
            "first_name": people.first_name,
            "last_name": people.last_name,
            "name": names,
            "title": people.title,
            "department": people.department,
            "lead_source": [LEAD_SOURCES[s] for s in source],
            **_lead_columns(rng, people, companies),
            "created_at": pa.array(created, type=pa.timestamp("us")),
        }
    )


def _lead_columns(
    rng: np.random.Generator, people: People, companies: Companies
) -> dict[str, list]:
    """Return the columns only leads fill; a fifth of leads give a website."""
    lead = ~people.is_contact
    status = rng.integers(0, len(LEAD_STATUSES), people.count)
    with_website = lead & (rng.random(people.count) < 0.2)
    places = [companies.places[c] for c in people.company]
    return {
        "lead_status": [
            LEAD_STATUSES[s] if is_lead else None
            for is_lead, s in zip(lead, status, strict=True)
        ],
        "company_name": people.company_name,
        "website": [
            companies.websites[c] if show else None
            for c, show in zip(people.company, with_website, strict=True)
        ],
        "state": [
            place.state if is_lead else None
            for is_lead, place in zip(lead, places, strict=True)
        ],
        "country": [
            place.country if is_lead else None
            for is_lead, place in zip(lead, places, strict=True)
        ],
    }


def campaigns_table(schedule: Schedule, clock: BusinessClock) -> pa.Table:
    today = clock.date_of(clock.days - 1)
    campaigns = schedule.campaigns
    return pa.table(
        {
            "n": np.arange(1, len(campaigns) + 1),
            "name": [c.name for c in campaigns],
            "channel": [c.channel for c in campaigns],
            "type": [c.kind for c in campaigns],
            "status": [
                "Completed" if c.end < today else "In Progress" for c in campaigns
            ],
            "start_date": [c.start for c in campaigns],
            "end_date": [c.end for c in campaigns],
            "cost": [c.cost for c in campaigns],
            "currency": ["JPY"] * len(campaigns),
            "parent_n": _optional_numbers([c.parent for c in campaigns]),
        }
    )


def opportunities_table(pipeline: Pipeline, companies: Companies) -> pa.Table:
    deals = pipeline.opportunities
    last = [deal.last for deal in deals]
    return pa.table(
        {
            "n": np.arange(1, len(deals) + 1),
            "account_n": [deal.company + 1 for deal in deals],
            "name": [deal.name for deal in deals],
            "raw_type": [RAW_TYPES[deal.kind] for deal in deals],
            "amount": [change.amount for change in last],
            "currency": [deal.currency for deal in deals],
            "created_at": pa.array(
                [deal.created_at for deal in deals], pa.timestamp("us")
            ),
            "close_date": [change.close_date for change in last],
            "stage": [change.stage for change in last],
            "is_closed": [deal.is_closed for deal in deals],
            "is_won": [deal.is_won for deal in deals],
            "probability": [STAGE_PROBABILITY[change.stage] for change in last],
            "owner": [companies.owners[deal.company] for deal in deals],
            "lead_source": [deal.lead_source for deal in deals],
            "campaign_n": _optional_numbers([deal.campaign for deal in deals]),
            "renewed_contract_n": _optional_numbers([deal.renews for deal in deals]),
            "stage_sort_order": [sort_order(change.stage) for change in last],
            "product": [deal.product for deal in deals],
        }
    )


def stage_history_table(pipeline: Pipeline) -> pa.Table:
    columns: dict[str, list] = {
        "opportunity_n": [],
        "stage": [],
        "amount": [],
        "close_date": [],
        "is_closed": [],
        "is_won": [],
        "changed_at": [],
    }
    for number, deal in enumerate(pipeline.opportunities, 1):
        for change in deal.history:
            columns["opportunity_n"].append(number)
            columns["stage"].append(change.stage)
            columns["amount"].append(change.amount)
            columns["close_date"].append(change.close_date)
            columns["is_closed"].append(change.stage in ("Closed Won", "Closed Lost"))
            columns["is_won"].append(change.stage == "Closed Won")
            columns["changed_at"].append(change.changed_at)
    table = pa.table(
        {**columns, "changed_at": pa.array(columns["changed_at"], pa.timestamp("us"))}
    )
    return table.append_column("n", pa.array(np.arange(1, table.num_rows + 1)))


def contracts_table(book: Book, clock: BusinessClock) -> pa.Table:
    today = clock.date_of(clock.days - 1)
    contracts = book.contracts
    return pa.table(
        {
            "n": np.arange(1, len(contracts) + 1),
            "account_n": [c.company + 1 for c in contracts],
            "start_date": [c.start for c in contracts],
            "end_date": [c.end for c in contracts],
            "arr": [c.arr for c in contracts],
            "mrr": [round(c.arr / 12, 2) for c in contracts],
            "currency": [c.currency for c in contracts],
            "status": [c.status(today) for c in contracts],
            "renewed_contract_n": _optional_numbers([c.renews for c in contracts]),
            "renewal_opportunity_n": _optional_numbers(
                [c.renewal_opportunity for c in contracts]
            ),
        }
    )

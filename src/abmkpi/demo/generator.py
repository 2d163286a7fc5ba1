"""Deterministic synthetic workspace: a year of ABM data that behaves like one.

:func:`generate` fills an empty workspace with accounts that have Japanese
and English names, prefectures and states, heavy-tailed sizes and parents.
It adds contacts and leads, campaigns with costs, a year of activities,
deals with stage histories, contracts, renewals and NPS responses, all from
source system ``demo``. The same seed and end date give the same store
contents.

The model, which later analyses should be able to recover:

- Each company has a *buying intent* (how often it starts a buying
  episode, about five weeks long) and a *reach* (how much marketing
  reaches it). Only a fifth of the other companies are nurtured. The rest
  are dormant records that marketing barely reaches, so about half of the
  accounts show no contact in a quarter. Targets are all nurtured, with 1.5
  times the reach and 1.4 times the average intent.
- During episodes, and almost only then, people attend events, download
  pricing and case-study assets and meet sales (discovery meetings).
  Reach drives web visits, general downloads, form fills, e-mail clicks and
  intent signals, in bursts of their own. E-mail opens (a quarter of people
  sit behind privacy proxies that open everything) and ad clicks come from
  traits drawn independently of intent, reach and target status.
- Each week every free buying unit of an account opens a new-business deal
  with probability ``1 - exp(-h)``, with
  ``h = 0.001 + 0.05·E/Ē + 0.04·C/C̄ + 0.07·M/M̄`` over the four previous
  weeks' event attendances E, pricing/case-study downloads C and discovery
  meetings M, each relative to its count in four weeks of an episode.
  E-mail opens and ad clicks have no effect on it, nor does any other type.
  Other accounts buy as one unit, so they stop buying new business while
  they are customers. Targets' divisions buy separately (6, 4 and 3 units
  by tier), and reps hold discovery meetings with tier-1 and tier-2
  targets all year, so a target closes several deals a year.
- Targets win new business more often (60% against 30%), take longer (1.6
  times the stage dwell) and their deals are about 1.7 times larger on
  average (log-normal around a median of ¥3.6M ARR for others, ¥6.5M for
  targets). Lost deals sit in their last stage a while before they close,
  and some deals stall. Won deals start annual contracts; renewals open 90
  days before a contract ends and are won more often at healthy customers,
  who also give higher NPS scores.

With the default size, the latest complete fiscal quarter typically shows
a contact rate near 50% for other accounts and near 100% for targets,
several won and lost target deals, and 20 to 35 won deals of other
accounts; a slow test checks such bounds for seed 7 at five end dates.

Details live in :mod:`abmkpi.demo.engagement`, :mod:`abmkpi.demo.pipeline`,
:mod:`abmkpi.demo.stages` and :mod:`abmkpi.demo.contracts`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from abmkpi import derive, targets
from abmkpi.demo import tables, writer
from abmkpi.demo.campaigns import Schedule, build_schedule
from abmkpi.demo.catalog import CASE_STUDY_TITLES_EN, CASE_STUDY_TITLES_JA
from abmkpi.demo.clock import BusinessClock
from abmkpi.demo.companies import Companies, build_companies
from abmkpi.demo.contracts import Book
from abmkpi.demo.money import FxRates, build_fx
from abmkpi.demo.nps import nps_table
from abmkpi.demo.people import People, build_people
from abmkpi.demo.pipeline import Pipeline
from abmkpi.demo.settings import apply_demo_settings
from abmkpi.demo.simulation import Simulation
from abmkpi.demo.stages import stage_table
from abmkpi.errors import WorkspaceError
from abmkpi.handoff.run import run_handoffs
from abmkpi.periods import today_in
from abmkpi.store import schema
from abmkpi.store.database import Store
from abmkpi.workspace import Workspace

logger = logging.getLogger(__name__)

WINDOW_DAYS = 365
FX_HISTORY_YEARS = 5


@dataclass(frozen=True)
class DemoSize:
    """How much data to generate; activities are spread over one year."""

    accounts: int = 2_000
    people_per_account: float = 6.0
    activities: int = 150_000
    target_accounts: int = 15

    def __post_init__(self) -> None:
        if self.accounts < 50:
            raise ValueError(
                f"the demo needs at least 50 accounts (--accounts), got {self.accounts}"
            )
        if self.people_per_account < 1:
            raise ValueError(
                "people per account (--people-per-account) must be at least 1, "
                f"got {self.people_per_account}"
            )
        if self.activities < 10 * self.accounts:
            raise ValueError(
                f"activities (--activities) must be at least 10 per account, so at "
                f"least {10 * self.accounts:,} for {self.accounts:,} accounts; got "
                f"{self.activities:,}"
            )
        if not 1 <= self.target_accounts <= self.accounts // 5:
            raise ValueError(
                f"target accounts (--targets) must be between 1 and a fifth of the "
                f"accounts, {self.accounts // 5}; got {self.target_accounts}"
            )

    @classmethod
    def benchmark(cls) -> DemoSize:
        """Return the size the KPI recompute benchmark runs at."""
        return cls(accounts=100_000, people_per_account=10.0, activities=10_000_000)


PRESETS = {"default": DemoSize(), "benchmark": DemoSize.benchmark()}


@dataclass
class DemoSummary:
    """Dates, row counts and targets of one :func:`generate` run."""

    seed: int
    start_date: date
    end_date: date
    rows: dict[str, int]
    targets: list[dict[str, Any]]
    seconds: float
    derived: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        return (
            f"generated {self.rows['accounts']:,} accounts "
            f"({len(self.targets)} targets), {self.rows['people']:,} people, "
            f"{self.rows['activities']:,} activities and "
            f"{self.rows['opportunities']:,} opportunities from "
            f"{self.start_date} to {self.end_date} in {self.seconds:.1f}s"
        )


def generate(
    workspace: Workspace,
    size: DemoSize,
    seed: int = 7,
    end_date: date | None = None,
) -> DemoSummary:
    """Fill an empty workspace with a year of demo data ending on ``end_date``.

    ``end_date`` defaults to yesterday in the business time zone. Everything is
    written in one transaction, then derived columns are recomputed once.
    """
    started = time.perf_counter()
    settings = apply_demo_settings(workspace)
    # By default the data ends yesterday, so no activity lies in the future
    # of the moment the demo is built.
    end = end_date or today_in(settings.workspace.time_zone) - timedelta(days=1)
    start = end - timedelta(days=WINDOW_DAYS - 1)
    with workspace.open_store() as store:
        _require_empty(store, workspace)
        with store.transaction():
            rows, companies = _write(store, workspace, size, seed, start, end)
            entries = [
                targets.TargetEntry(
                    writer.record_id(writer.ACCOUNT, i + 1), "id", int(t)
                )
                for i, t in enumerate(companies.tier[: companies.accounts])
                if t > 0
            ]
            report = targets.set_list(store, settings, entries)
            derived = derive.refresh(store, settings)
        # Accounts hot at this moment become handoffs, so the queue has rows;
        # data that ends long ago has decayed below the threshold.
        run_handoffs(store, settings, workspace.root, deliver=False, trigger="demo")
    summary = DemoSummary(
        seed, start, end, rows, report.targets, time.perf_counter() - started, derived
    )
    logger.info("%s", summary.describe())
    return summary


def _require_empty(store: Store, workspace: Workspace) -> None:
    for table in ("accounts", "people", "activities", "opportunities"):
        if store.scalar(f"SELECT count(*) FROM {table}"):
            raise WorkspaceError(
                f"workspace {workspace.root} is not empty: it already contains "
                f"{table}, and the demo needs an empty workspace. Run "
                "'abmkpi init DIR' on a new directory"
            )


def _streams(seed: int):
    def stream(key: int) -> np.random.Generator:
        return np.random.default_rng([seed, key])

    return stream


@dataclass
class _Model:
    """Everything the simulation decided, ready to be written as records."""

    companies: Companies
    people: People
    clock: BusinessClock
    book: Book
    schedule: Schedule
    fx: FxRates
    pipeline: Pipeline


def _write(
    store: Store,
    workspace: Workspace,
    size: DemoSize,
    seed: int,
    start: date,
    end: date,
) -> tuple[dict[str, int], Companies]:
    """Simulate the year, writing activities as it goes, then every other table."""
    stream = _streams(seed)
    business_zone = workspace.settings.workspace.time_zone
    companies = build_companies(stream(1), size.accounts, size.target_accounts)
    people = build_people(stream(2), companies, size.people_per_account)
    zones = sorted({place.time_zone for place in companies.places} | {business_zone})
    clock = BusinessClock(start, WINDOW_DAYS, zones, business_zone)
    book = Book(stream(3), companies, clock)
    customers = book.choose_customers()
    schedule = build_schedule(
        stream(4), clock, workspace.calendar, _case_studies(companies, customers)
    )
    fx = build_fx(stream(5), date(start.year - FX_HISTORY_YEARS, 1, 1), end)
    simulation = Simulation(
        stream, companies, people, clock, schedule, fx, book, size.activities
    )
    simulation.seed_customers(customers)
    activity_writer = writer.ActivityWriter(
        store,
        companies.names,
        [place.state for place in companies.places],
        schedule.assets.values,
    )
    simulation.run(activity_writer.write)
    logger.info("simulated %d weeks: %s", clock.blocks, simulation.summary())

    model = _Model(companies, people, clock, book, schedule, fx, simulation.pipeline)
    rows = {"activities": activity_writer.written}
    rows.update(_write_records(store, model, stream(6), stream(7)))
    return rows, companies


def _write_records(
    store: Store,
    model: _Model,
    rng: np.random.Generator,
    nps_rng: np.random.Generator,
) -> dict[str, int]:
    companies, clock, book = model.companies, model.clock, model.book
    created = tables.account_created_micros(rng, companies, book, clock)
    account = {"source_account_id": (writer.ACCOUNT, "account_n")}
    return {
        "accounts": writer.insert(
            store,
            schema.ACCOUNTS,
            tables.accounts_table(companies, book, created),
            writer.ACCOUNT,
            {"source_parent_id": (writer.ACCOUNT, "parent_n")},
        ),
        "people": writer.insert(
            store,
            schema.PEOPLE,
            tables.people_table(rng, model.people, companies, clock, created),
            writer.PERSON,
            account,
        ),
        "campaigns": writer.insert(
            store,
            schema.CAMPAIGNS,
            tables.campaigns_table(model.schedule, clock),
            writer.CAMPAIGN,
            {"source_parent_id": (writer.CAMPAIGN, "parent_n")},
        ),
        "opportunities": writer.insert(
            store,
            schema.OPPORTUNITIES,
            tables.opportunities_table(model.pipeline, companies),
            writer.OPPORTUNITY,
            {
                **account,
                "campaign_id": (writer.CAMPAIGN, "campaign_n"),
                "renewed_contract_id": (writer.CONTRACT, "renewed_contract_n"),
            },
        ),
        "opportunity_stage_history": writer.insert(
            store,
            schema.OPPORTUNITY_STAGE_HISTORY,
            tables.stage_history_table(model.pipeline),
            writer.STAGE_CHANGE,
            {"opportunity_id": (writer.OPPORTUNITY, "opportunity_n")},
        ),
        "opportunity_stages": writer.insert(
            store, schema.OPPORTUNITY_STAGES, stage_table()
        ),
        "contracts": writer.insert(
            store,
            schema.CONTRACTS,
            tables.contracts_table(book, clock),
            writer.CONTRACT,
            {
                **account,
                "renewed_contract_id": (writer.CONTRACT, "renewed_contract_n"),
                "renewal_opportunity_id": (writer.OPPORTUNITY, "renewal_opportunity_n"),
            },
        ),
        "nps_responses": writer.insert(
            store,
            schema.NPS_RESPONSES,
            nps_table(nps_rng, book, model.people, clock),
            writer.NPS,
            {**account, "person_id": (writer.PERSON, "person_n")},
        ),
        "fx_rates": writer.insert(
            store, schema.FX_RATES, model.fx.table(), writer.FX_RATE
        ),
    }


def _case_studies(companies: Companies, customers: list[int]) -> list[str]:
    """Return case-study titles named after a few existing customers."""
    titles = []
    for company in customers[:6]:
        name = companies.names[company]
        template = (
            CASE_STUDY_TITLES_JA
            if companies.stems[company].language == "ja"
            else CASE_STUDY_TITLES_EN
        )
        titles.append(template.format(name=name))
    return titles

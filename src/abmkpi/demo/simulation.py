"""The weekly loop that ties engagement, opportunities and sales touches together.

Each week, deals that closed free their accounts and every company's
episode and burst state moves on. Then the week's marketing counts are
drawn, deals open from the hazard over the four previous weeks, renewals
due this week open, and reps log meetings and calls on open deals and on
target accounts. The rows go to the writer, and the week's predictive
counts enter the four-week window.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

import numpy as np

from abmkpi.canonical import ActivityType, OpportunityType
from abmkpi.demo.campaigns import Schedule
from abmkpi.demo.clock import BusinessClock
from abmkpi.demo.companies import Companies
from abmkpi.demo.contracts import Book
from abmkpi.demo.deals import business_instant
from abmkpi.demo.engagement import Engagement
from abmkpi.demo.money import FxRates, month_index, month_start, new_business_amount_jpy
from abmkpi.demo.people import People
from abmkpi.demo.pipeline import INFLUENCE_WEEKS, SIGNAL_WEIGHTS, Pipeline
from abmkpi.demo.rows import TYPE_CODE, Rows
from abmkpi.demo.touches import Touches

logger = logging.getLogger(__name__)

WINDOW_WEEKS = 4
_TENURE_YEARS = (1, 2, 3, 4)
_TENURE_WEIGHTS = (0.3, 0.3, 0.25, 0.15)
_DELIVERY = np.array(
    [
        TYPE_CODE[ActivityType.EMAIL_SEND],
        TYPE_CODE[ActivityType.EMAIL_DELIVERED],
        TYPE_CODE[ActivityType.EMAIL_BOUNCE],
    ]
)


class Simulation:
    """One year of weeks over every company, written as it goes."""

    def __init__(
        self,
        streams: Callable[[int], np.random.Generator],
        companies: Companies,
        people: People,
        clock: BusinessClock,
        schedule: Schedule,
        fx: FxRates,
        book: Book,
        activities: int,
    ):
        self.rng = streams(10)
        self.companies = companies
        self.people = people
        self.clock = clock
        self.schedule = schedule
        self.fx = fx
        self.book = book
        self.engagement = Engagement(streams(11), companies, people, clock, activities)
        self.touches = Touches(
            streams(12), companies, people, clock, schedule, self.engagement, activities
        )
        self.pipeline = Pipeline(streams(13), companies, clock, fx, book, schedule)
        count = companies.count
        # Per signal type (in SIGNAL_WEIGHTS order), week and company: counts of
        # the last four weeks, and what four weeks of an episode bring. Sales
        # meetings count only when they are discovery meetings.
        self.recent = np.zeros((len(SIGNAL_WEIGHTS), WINDOW_WEEKS, count))
        self.expected = np.array(
            [
                self.engagement.expected_episode_count(name, WINDOW_WEEKS)
                for name in (
                    "event_attended",
                    "predictive_download",
                    "discovery_meeting",
                )
            ]
        )
        self.last_campaign = np.full(count, -1, dtype=np.int64)
        self.last_campaign_block = np.full(count, -(10**6), dtype=np.int64)

    def seed_customers(self, customers: list[int]) -> None:
        """Give existing customers their first deal and renewals before the window."""
        rng, clock = self.rng, self.clock
        for company in customers:
            years = int(rng.choice(_TENURE_YEARS, p=_TENURE_WEIGHTS))
            months_back = int(rng.integers(0, 12)) + 12 * (years - 1)
            first_term = month_start(month_index(clock.start) - months_back)
            created_day = first_term - timedelta(days=int(rng.integers(60, 110)))
            created = business_instant(rng, created_day, clock.business_zone)
            currency = self.companies.currency(company)
            target = bool(self.companies.is_target[company])
            amount = new_business_amount_jpy(rng, target) * self.fx.rate(
                currency, created_day
            )
            self.pipeline.create(
                company, OpportunityType.NEW_BUSINESS, created, True, amount, currency
            )
        # A won renewal adds a term whose own renewal may also fall before the
        # window, so keep opening renewals until none is due before day 0.
        while due := [day for day in self.book.renewals_due if day < 0]:
            self.pipeline.open_renewals(min(due), -1)

    def run(self, write: Callable[[Rows], None]) -> None:
        for block in range(self.clock.blocks):
            write(self._week(block))
        write(self.touches.duplicate_form_fills())

    def _week(self, block: int) -> Rows:
        first_day, count = self.clock.block_days(block)
        share = count / 7
        self.pipeline.start_block(block)
        self.engagement.advance()
        counts = self.engagement.weekly_counts(share)
        recent = block - self.last_campaign_block <= INFLUENCE_WEEKS
        campaign = np.where(recent, self.last_campaign, -1)
        self.pipeline.open_new_deals(block, self._signal(), share, campaign)
        self.pipeline.open_renewals(first_day, first_day + count - 1)
        rows = Rows.concat(
            [
                self.touches.marketing(block, counts),
                self.touches.email(block),
                self.touches.sales(block, self.pipeline.sales_counts(share)),
            ]
        )
        rows = rows.select(self.clock.within(rows.at))
        self._remember(block, rows)
        return rows

    def _signal(self) -> np.ndarray:
        """Return each company's engagement term of the opportunity hazard."""
        weights = np.array(list(SIGNAL_WEIGHTS.values()))
        totals = self.recent.sum(axis=1)
        return (weights[:, None] * totals / self.expected[:, None]).sum(axis=0)

    def _remember(self, block: int, rows: Rows) -> None:
        """Add the week's signal counts to the window and note campaign touches.

        Only discovery meetings count as sales meetings in the signal, so
        meetings on deals already open do not open more deals.
        """
        companies = self.companies.count
        downloads = rows.kind == TYPE_CODE[ActivityType.CONTENT_DOWNLOAD]
        predictive = downloads & np.isin(rows.asset, self.schedule.predictive_assets)
        meetings = rows.kind == TYPE_CODE[ActivityType.SALES_MEETING]
        discovery = meetings & np.isin(rows.asset, self.schedule.subjects["discovery"])
        self.recent = np.roll(self.recent, 1, axis=1)
        self.recent[0, 0] = rows.count_of(ActivityType.EVENT_ATTENDED, companies)
        self.recent[1, 0] = np.bincount(rows.company[predictive], minlength=companies)
        self.recent[2, 0] = np.bincount(rows.company[discovery], minlength=companies)

        touched = np.flatnonzero((rows.campaign >= 0) & ~np.isin(rows.kind, _DELIVERY))
        newest_first = touched[np.argsort(rows.at[touched], kind="stable")[::-1]]
        company = rows.company[newest_first]
        campaign = rows.campaign[newest_first]
        _, latest = np.unique(company, return_index=True)
        self.last_campaign[company[latest]] = campaign[latest]
        self.last_campaign_block[company[latest]] = block

    def summary(self) -> dict[str, int]:
        deals = self.pipeline.opportunities
        return {
            "new_business": sum(d.kind == OpportunityType.NEW_BUSINESS for d in deals),
            "won": sum(d.is_won for d in deals),
            "open": sum(not d.is_closed for d in deals),
        }

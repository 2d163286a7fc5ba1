"""Opportunities: when engagement creates them, and what their outcomes do.

Every account has buying units that can each hold one open new-business
deal: one for most accounts, several for targets, whose divisions and group
companies sales pursues one by one (6, 4 and 3 for tiers 1, 2 and 3). Each
week every free unit opens a deal with probability ``1 - exp(-hazard)``,
where

    hazard = 0.001 + 0.05 * E/Ē + 0.04 * C/C̄ + 0.07 * M/M̄

and E, C, M are the account's event attendances, pricing or case-study
downloads and discovery meetings (first meetings and demos with sales) in
the four preceding weeks. Each is divided by its expected count over four
weeks of a buying episode (Ē, C̄, M̄). No other activity type enters the
hazard, and neither do meetings on deals already open. An account with one
unit has none free while it is a customer, and for 12 weeks after a deal
closes. Targets keep buying unit by unit while they are customers. Reps
also hold discovery meetings with tier-1 and tier-2 targets all year
(outbound), and those meetings raise the hazard like any other.

Customers open expansion deals with a hazard of 0.002 plus half the same
engagement term, and renewals open 90 days before a contract ends. Outcomes
are drawn at creation: targets win 60% of new business, other accounts 30%.
The stage path is simulated and cut at the end of the window, which leaves
later deals open. Won new business starts an annual contract on the first
of the next month, a won renewal starts the next term, and a won expansion
adds to the ARR of the contract it expands.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

import numpy as np

from abmkpi.canonical import OpportunityType
from abmkpi.demo.campaigns import Schedule
from abmkpi.demo.clock import BusinessClock, micros_to_datetime
from abmkpi.demo.companies import Companies
from abmkpi.demo.contracts import Book, Contract, one_year_after
from abmkpi.demo.deals import (
    Opportunity,
    business_instant,
    choose_product,
    deal_name,
    lead_source,
    stage_history,
)
from abmkpi.demo.money import FxRates, new_business_amount_jpy
from abmkpi.demo.stages import simulate_path
from abmkpi.periods import business_date

BASE_NEW_BUSINESS = 0.001
SIGNAL_WEIGHTS = {
    "event_attended": 0.05,
    "predictive_download": 0.04,
    "sales_meeting": 0.07,
}
BASE_EXPANSION = 0.002
EXPANSION_SIGNAL_SHARE = 0.5
# Weeks after a new-business deal closes before an account with one buying
# unit can open another.
NEW_BUSINESS_COOLDOWN_WEEKS = 12
INFLUENCE_WEEKS = 13  # a campaign touched this recently is the deal's source
# Divisions and group companies of a target that sales pursues separately,
# by tier. Every other account buys as one unit.
TARGET_BUYING_UNITS = {1: 6, 2: 4, 3: 3}

_WIN_CHANCE = {"new_business": 0.3, "target_new_business": 0.6, "expansion": 0.55}
# Weekly sales touches per open deal, and outbound per target account by
# tier (1, 2, 3). Discovery meetings are the ones that enter the hazard.
# NOTE: sales touches are not calibrated to the requested activity total, so
# with a fifth of the accounts as targets the total comes out about 20% high.
_SALES_PER_OPEN_DEAL = {"discovery": 0.0, "meeting": 0.55, "call": 0.8, "email": 1.2}
_OUTBOUND_PER_TARGET = {
    "discovery": (0.2, 0.05, 0.0),
    "meeting": (0.0, 0.0, 0.0),
    "call": (0.25, 0.25, 0.25),
    "email": (0.35, 0.35, 0.35),
}


class Pipeline:
    """Every opportunity of the demo and which accounts have deals open."""

    def __init__(
        self,
        rng: np.random.Generator,
        companies: Companies,
        clock: BusinessClock,
        fx: FxRates,
        book: Book,
        schedule: Schedule,
    ):
        self.rng = rng
        self.companies = companies
        self.clock = clock
        self.fx = fx
        self.book = book
        self.schedule = schedule
        self.opportunities: list[Opportunity] = []
        count = companies.count
        self.units = buying_units(companies)
        self.open_new_business = np.zeros(count, dtype=np.int64)
        self.open_expansion = np.zeros(count, dtype=bool)
        self.cooldown_until = np.zeros(count, dtype=np.int64)
        self.open_deals = np.zeros(count, dtype=np.int64)
        self.outbound = {
            kind: np.array([0.0, *rates])[companies.tier]
            for kind, rates in _OUTBOUND_PER_TARGET.items()
        }
        # Per block: (company, +1 or -1, kind) of deals that opened or closed.
        self._changes: dict[int, list[tuple[int, int, OpportunityType]]] = defaultdict(
            list
        )
        self.end = micros_to_datetime(clock.end_us)
        self.block = -1  # the block being simulated; -1 before the window

    # Weekly model -------------------------------------------------------------

    def start_block(self, block: int) -> None:
        """Apply the deals that opened or closed before this block."""
        self.block = block
        for company, delta, kind in self._changes.pop(block, []):
            self.open_deals[company] += delta
            if delta < 0 and kind == OpportunityType.NEW_BUSINESS:
                self.open_new_business[company] -= 1
                if self.units[company] == 1:
                    self.cooldown_until[company] = block + NEW_BUSINESS_COOLDOWN_WEEKS
            if delta < 0 and kind == OpportunityType.EXPANSION:
                self.open_expansion[company] = False

    def open_new_deals(
        self,
        block: int,
        signal: np.ndarray,
        day_share: float,
        last_campaign: np.ndarray,
    ) -> None:
        """Draw this week's new-business and expansion deals from the hazard.

        Each free buying unit of an account opens a new-business deal with
        the account's weekly chance. An account with one unit has none free
        while it is a customer, has a deal open or cools down after one.
        """
        accounts = self.companies.accounts
        first_day, _ = self.clock.block_days(block)
        customer = self.book.is_customer(first_day)[:accounts]
        units = self.units[:accounts]
        free = np.maximum(units - self.open_new_business[:accounts], 0)
        free[(units == 1) & customer] = 0
        free[self.cooldown_until[:accounts] > block] = 0
        hazard = (BASE_NEW_BUSINESS + signal[:accounts]) * day_share
        new_business = self.rng.binomial(free, 1 - np.exp(-hazard))
        upsell = (
            BASE_EXPANSION + EXPANSION_SIGNAL_SHARE * signal[:accounts]
        ) * day_share
        expansion = (
            customer
            & ~self.open_expansion[:accounts]
            & (self.rng.random(accounts) < 1 - np.exp(-upsell))
        )
        for company in np.flatnonzero(new_business):
            for _ in range(new_business[company]):
                self._new_deal(
                    int(company),
                    block,
                    OpportunityType.NEW_BUSINESS,
                    int(last_campaign[company]),
                )
        for company in np.flatnonzero(expansion):
            self._new_deal(
                int(company),
                block,
                OpportunityType.EXPANSION,
                int(last_campaign[company]),
            )

    def open_renewals(self, first_day: int, last_day: int) -> None:
        for day, contract in self.book.due_in(first_day, last_day):
            self.renew(contract, self.clock.date_of(day))

    def sales_counts(self, day_share: float) -> dict[str, np.ndarray]:
        """Draw this week's meetings, calls and e-mails reps log per account.

        Touches grow with the square root of an account's open deals, since
        one meeting often covers several deals at the same account.
        """
        deals = np.sqrt(self.open_deals)
        counts = {}
        for kind, per_deal in _SALES_PER_OPEN_DEAL.items():
            rate = per_deal * deals + self.outbound[kind]
            counts[kind] = self.rng.poisson(rate * day_share)
        return counts

    # Creating deals -----------------------------------------------------------

    def _new_deal(
        self, company: int, block: int, kind: OpportunityType, campaign: int
    ) -> None:
        first_day, count = self.clock.block_days(block)
        day = self.clock.date_of(first_day + int(self.rng.integers(count)))
        created = business_instant(self.rng, day, self.clock.business_zone)
        currency = self.companies.currency(company)
        if kind == OpportunityType.NEW_BUSINESS:
            target = bool(self.companies.is_target[company])
            jpy = new_business_amount_jpy(self.rng, target)
            amount = jpy * self.fx.rate(currency, day)
            chance = _WIN_CHANCE["target_new_business" if target else "new_business"]
            expands = None
        else:
            contract = self.book.contract_on(company, day)
            base = self.book.arr_at(contract, day) if contract >= 0 else 0.0
            amount = max(base, 1.0) * 0.25 * float(np.exp(self.rng.normal(0, 0.4)))
            chance = _WIN_CHANCE["expansion"]
            self.open_expansion[company] = True
            expands = contract if contract >= 0 else None
        won = bool(self.rng.random() < chance)
        self.create(
            company,
            kind,
            created,
            won,
            amount,
            currency,
            campaign=campaign,
            expands=expands,
        )

    def renew(self, contract_index: int, day: date) -> Opportunity:
        """Open the renewal deal of a contract on ``day``."""
        contract = self.book.contracts[contract_index]
        created = business_instant(self.rng, day, self.clock.business_zone)
        uplift = float(self.rng.normal(0.03, 0.05))
        amount = self.book.arr_at(contract_index, day) * (1 + uplift)
        won = bool(self.rng.random() < self.book.renewal_chance(contract.company))
        contract.renewal_opportunity = len(self.opportunities)
        return self.create(
            contract.company,
            OpportunityType.RENEWAL,
            created,
            won,
            amount,
            contract.currency,
            renews=contract_index,
        )

    def create(
        self,
        company: int,
        kind: OpportunityType,
        created: datetime,
        won: bool,
        amount: float,
        currency: str,
        campaign: int = -1,
        renews: int | None = None,
        expands: int | None = None,
    ) -> Opportunity:
        """Simulate a deal from ``created``, store it and apply its outcome."""
        rng = self.rng
        new_business = kind == OpportunityType.NEW_BUSINESS
        first = 0 if new_business and rng.random() < 0.8 else 1
        speed = {"renewal": 0.7, "expansion": 0.8}.get(kind.value, 1.0)
        if self.companies.is_target[company]:
            speed *= 1.6  # larger deals take longer

        japanese = self.companies.places[company].country == "Japan"
        year = self.book.contracts[renews].end.year if renews is not None else 0
        channel = self.schedule.campaigns[campaign].channel if campaign >= 0 else None
        opportunity = Opportunity(
            company=company,
            kind=kind,
            name=deal_name(self.companies.names[company], japanese, kind, year),
            product=choose_product(rng, kind),
            currency=currency,
            lead_source=lead_source(kind, channel),
            campaign=campaign if new_business else -1,
            created_at=created,
            renews=renews,
            expands=expands,
        )

        steps = simulate_path(rng, won, first, speed)
        opportunity.history = stage_history(
            rng,
            steps,
            created,
            amount,
            currency,
            speed,
            self.clock.business_zone,
            self.end,
        )
        self.opportunities.append(opportunity)
        if new_business:
            self.open_new_business[company] += 1
        self._track(opportunity)
        if opportunity.is_won:
            self._apply_win(opportunity)
        return opportunity

    def _block_of(self, instant: datetime) -> int:
        day = business_date(instant, self.clock.business_zone)
        return (day - self.clock.start).days // 7

    def _track(self, opportunity: Opportunity) -> None:
        company, kind = opportunity.company, opportunity.kind
        # A deal counts as open from the next block on, even when moving its
        # creation off a weekend put it in an earlier block.
        opened = max(self.block, self._block_of(opportunity.created_at)) + 1
        opened = max(0, opened)
        self._changes[opened].append((company, 1, kind))
        if opportunity.is_closed:
            closed = max(opened, self._block_of(opportunity.last.changed_at) + 1)
            self._changes[closed].append((company, -1, kind))

    def _apply_win(self, opportunity: Opportunity) -> None:
        close = opportunity.last.close_date
        amount = opportunity.last.amount
        company = opportunity.company
        if opportunity.kind == OpportunityType.EXPANSION:
            self._add_expansion(opportunity, close, amount)
            return
        if (
            opportunity.kind == OpportunityType.RENEWAL
            and opportunity.renews is not None
        ):
            start = self.book.contracts[opportunity.renews].end + timedelta(days=1)
        else:
            start = (close.replace(day=1) + timedelta(days=32)).replace(day=1)
        self.book.add_contract(
            Contract(
                company,
                start,
                one_year_after(start),
                amount,
                opportunity.currency,
                renews=opportunity.renews,
            )
        )

    def _add_expansion(
        self, opportunity: Opportunity, close: date, amount: float
    ) -> None:
        """Add a won expansion to its contract, or to the one in force at close."""
        contract = opportunity.expands
        in_force = contract is not None and (
            self.book.contracts[contract].start
            <= close
            <= self.book.contracts[contract].end
        )
        if not in_force:
            contract = self.book.contract_on(opportunity.company, close)
        if contract is not None and contract >= 0:
            self.book.add_expansion(contract, close, amount)


def buying_units(companies: Companies) -> np.ndarray:
    """Return how many units of each company can each hold a new-business deal."""
    units = np.ones(companies.count, dtype=np.int64)
    for tier, count in TARGET_BUYING_UNITS.items():
        units[companies.tier == tier] = count
    return units

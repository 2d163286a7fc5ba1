"""Customers of the demo: annual contracts, their renewals, and NPS surveys.

About one account in twenty, more often a well-fitting one, and a fifth of
the targets are customers when the window starts, with one to four years of
annual contracts behind them. Targets hold one contract per buying unit
that bought, so several can run at once. Every contract gets a renewal
opportunity 90 days before it ends, and a won renewal starts the next
contract the day after. Healthier customers renew more often and answer NPS surveys as
promoters more often.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from abmkpi.demo.clock import BusinessClock
from abmkpi.demo.companies import Companies, icp_points

RENEWAL_LEAD_DAYS = 90
NEVER = 10**9


@dataclass
class Contract:
    """An annual contract; ARR is in the contract currency."""

    company: int
    start: date
    end: date
    arr: float
    currency: str
    renews: int | None = None  # index of the contract this one renews
    renewal_opportunity: int | None = None

    def status(self, today: date) -> str:
        return "Expired" if self.end < today else "Activated"


def one_year_after(start: date) -> date:
    """Return the last day of an annual term that starts on ``start``."""
    try:
        return start.replace(year=start.year + 1) - timedelta(days=1)
    except ValueError:  # 29 February
        return start.replace(year=start.year + 1, day=28)


class Book:
    """Contracts and the customer state they imply for every company."""

    def __init__(
        self, rng: np.random.Generator, companies: Companies, clock: BusinessClock
    ):
        self.rng = rng
        self.companies = companies
        self.clock = clock
        self.contracts: list[Contract] = []
        self.health = rng.beta(5.0, 2.0, companies.count)
        self.customer_from = np.full(companies.count, NEVER, dtype=np.int64)
        self.customer_to = np.full(companies.count, -NEVER, dtype=np.int64)
        # Renewal opportunities to open, by the day index they are created on.
        self.renewals_due: dict[int, list[int]] = defaultdict(list)
        # Expansions won per contract index: (day won, ARR added).
        self.expansions: dict[int, list[tuple[date, float]]] = defaultdict(list)
        self.by_company: dict[int, list[int]] = defaultdict(list)

    def day_index(self, day: date) -> int:
        return (day - self.clock.start).days

    def is_customer(self, day: int) -> np.ndarray:
        return (self.customer_from <= day) & (day <= self.customer_to)

    def had_contract(self) -> np.ndarray:
        return self.customer_from < NEVER

    def add_contract(self, contract: Contract) -> int:
        """Store a contract, extend its company's customer span, queue its renewal."""
        index = len(self.contracts)
        self.contracts.append(contract)
        company = contract.company
        self.by_company[company].append(index)
        start, end = self.day_index(contract.start), self.day_index(contract.end)
        self.customer_from[company] = min(self.customer_from[company], start)
        self.customer_to[company] = max(self.customer_to[company], end)
        due = end - RENEWAL_LEAD_DAYS
        if due < self.clock.days:
            self.renewals_due[due].append(index)
        return index

    def add_expansion(self, contract: int, day: date, amount: float) -> None:
        """Add an expansion won on ``day`` to a contract's ARR from then on."""
        self.expansions[contract].append((day, amount))

    def contract_on(self, company: int, day: date) -> int:
        """Return the index of the company's contract in force on ``day``, or -1."""
        for index in reversed(self.by_company.get(company, [])):
            contract = self.contracts[index]
            if contract.start <= day <= contract.end:
                return index
        return -1

    def arr_at(self, contract: int, day: date) -> float:
        """Return a contract's ARR plus the expansions won during its term."""
        current = self.contracts[contract]
        added = sum(
            amount
            for won_on, amount in self.expansions[contract]
            if current.start <= won_on <= day
        )
        return current.arr + added

    def renewal_chance(self, company: int) -> float:
        return 0.65 + 0.3 * float(self.health[company])

    def due_in(self, first_day: int, last_day: int) -> list[tuple[int, int]]:
        """Return (day, contract) of renewals to open in a day range, in order."""
        due = []
        for day in sorted(d for d in self.renewals_due if first_day <= d <= last_day):
            due += [(day, contract) for contract in self.renewals_due.pop(day)]
        return due

    def choose_customers(self) -> list[int]:
        """Pick the accounts that became customers years before the window.

        Their history is simulated from the first deal on, so some of them
        churn before the window starts.
        """
        companies = self.companies
        accounts = companies.accounts
        fit = icp_points(companies)[:accounts] / 100
        chance = 0.03 + 0.1 * fit
        picked = (self.rng.random(accounts) < chance) & ~companies.is_target[:accounts]
        targets = np.flatnonzero(companies.is_target[:accounts])
        customer_targets = self.rng.choice(
            targets, max(1, round(0.2 * len(targets))), replace=False
        )
        picked[customer_targets] = True
        return [int(i) for i in np.flatnonzero(picked)]

    def account_types(self) -> list[str]:
        last_day = self.clock.days - 1
        customer = self.is_customer(last_day)
        former = self.had_contract() & ~customer
        channel = self.rng.random(self.companies.count) < 0.1
        types = np.full(self.companies.count, "Prospect", dtype=object)
        types[former] = "Former Customer"
        types[customer] = "Customer - Direct"
        types[customer & channel] = "Customer - Channel"
        return types.tolist()

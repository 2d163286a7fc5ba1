"""Demo people: contacts linked to accounts and leads that carry only a company.

People are stored grouped by company, contacts first. Most addresses are on
the company's domain; some are free-mail. Leads have no account link, only
the company name as typed into a form, so matching must find their account
by e-mail, domain or name. A few leads duplicate a contact's address.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from abmkpi.demo.catalog import FREE_MAIL_DOMAINS_EN, FREE_MAIL_DOMAINS_JA
from abmkpi.demo.companies import Companies
from abmkpi.demo.names import (
    EN_FIRST_NAMES,
    EN_LAST_NAMES,
    EN_TITLES,
    JA_FIRST_NAMES,
    JA_LAST_NAMES,
    JA_TITLES,
    name_variant,
    title_weights,
    zipf_weights,
)

_LEAD_SHARE = 0.25
_CONTACT_FREE_MAIL = 0.04
_LEAD_FREE_MAIL = 0.25
_NO_EMAIL = 0.01
_DUPLICATE_SHARE = 0.005

LEAD_STATUSES = (
    "Open - Not Contacted",
    "Working - Contacted",
    "Nurturing",
    "Qualified",
)
LEAD_SOURCES = ("Web", "Webinar", "Event", "Advertisement", "Partner Referral", "Other")


@dataclass
class People:
    """Every demo person; ``start``/``contacts``/``size`` index them by company."""

    company: np.ndarray  # company index of each person
    is_contact: np.ndarray
    start: np.ndarray  # per company: index of its first person
    contacts: np.ndarray  # per company: number of contacts
    size: np.ndarray  # per company: number of contacts and leads
    japanese: np.ndarray  # has a Japanese name
    last_name: list[str] = field(default_factory=list)
    first_name: list[str] = field(default_factory=list)
    email: list[str | None] = field(default_factory=list)
    title: list[str | None] = field(default_factory=list)
    department: list[str | None] = field(default_factory=list)
    company_name: list[str | None] = field(default_factory=list)
    # Romanized (first, last) names that e-mail addresses are made of.
    roman: list[tuple[str, str]] = field(default_factory=list)
    # Opens every delivered e-mail through a mail privacy proxy.
    proxy_opens: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    # Indices of lead records that repeat a contact's address, and the contact.
    duplicate_of: dict[int, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.company)

    def has_email(self) -> np.ndarray:
        return np.array([email is not None for email in self.email])


def build_people(
    rng: np.random.Generator, companies: Companies, per_account: float
) -> People:
    size = _sizes(rng, companies, per_account)
    contacts = np.zeros(companies.count, dtype=np.int64)
    accounts = companies.accounts
    leads = rng.binomial(size[:accounts] - 1, _LEAD_SHARE)
    contacts[:accounts] = size[:accounts] - leads
    start = np.concatenate([[0], np.cumsum(size)[:-1]])
    company = np.repeat(np.arange(companies.count), size)
    offset = np.arange(len(company)) - start[company]
    is_contact = offset < contacts[company]
    native = companies.japanese[company] & (rng.random(len(company)) < 0.95)
    people = People(company, is_contact, start, contacts, size, native)
    _draw_names(rng, people)
    _draw_titles(rng, people)
    _draw_emails(rng, people, companies)
    people.company_name = [
        None if contact else name_variant(companies.names[c], companies.stems[c], rng)
        for c, contact in zip(company, is_contact, strict=True)
    ]
    people.proxy_opens = rng.random(len(company)) < 0.25
    _add_duplicates(rng, people, companies)
    return people


def _sizes(
    rng: np.random.Generator, companies: Companies, per_account: float
) -> np.ndarray:
    """People per company: larger accounts have more, every account has one."""
    accounts = companies.accounts
    factor = np.log(companies.employees[:accounts].astype(float) + 10)
    factor /= factor.mean()
    mean_extra = max(per_account - 1.0, 0.0)
    size = np.ones(companies.count, dtype=np.int64)
    size[:accounts] += rng.poisson(mean_extra * factor)
    size[accounts:] += rng.poisson(0.5, companies.count - accounts)
    return size


def _draw_names(rng: np.random.Generator, people: People) -> None:
    count = people.count
    ja_last = rng.choice(len(JA_LAST_NAMES), count, p=zipf_weights(len(JA_LAST_NAMES)))
    ja_first = rng.integers(0, len(JA_FIRST_NAMES), count)
    en_last = rng.integers(0, len(EN_LAST_NAMES), count)
    en_first = rng.integers(0, len(EN_FIRST_NAMES), count)
    people.last_name = [
        JA_LAST_NAMES[a][0] if ja else EN_LAST_NAMES[b]
        for ja, a, b in zip(people.japanese, ja_last, en_last, strict=True)
    ]
    people.first_name = [
        JA_FIRST_NAMES[a][0] if ja else EN_FIRST_NAMES[b]
        for ja, a, b in zip(people.japanese, ja_first, en_first, strict=True)
    ]
    people.roman = [
        (JA_FIRST_NAMES[f][1], JA_LAST_NAMES[la][1])
        if ja
        else (_ascii(EN_FIRST_NAMES[ef]), _ascii(EN_LAST_NAMES[el]))
        for ja, f, la, ef, el in zip(
            people.japanese, ja_first, ja_last, en_first, en_last, strict=True
        )
    ]


def _ascii(name: str) -> str:
    return name.lower().replace("ü", "ue").replace("é", "e")


def _draw_titles(rng: np.random.Generator, people: People) -> None:
    ja = rng.choice(len(JA_TITLES), people.count, p=title_weights(JA_TITLES))
    en = rng.choice(len(EN_TITLES), people.count, p=title_weights(EN_TITLES))
    titles = [
        JA_TITLES[a] if japanese else EN_TITLES[b]
        for japanese, a, b in zip(people.japanese, ja, en, strict=True)
    ]
    people.title = [title.text or None for title in titles]
    people.department = [title.department for title in titles]


def _draw_emails(
    rng: np.random.Generator, people: People, companies: Companies
) -> None:
    ja_free, ja_pick = _free_mail(rng, FREE_MAIL_DOMAINS_JA, people.count)
    en_free, en_pick = _free_mail(rng, FREE_MAIL_DOMAINS_EN, people.count)
    free_share = np.where(people.is_contact, _CONTACT_FREE_MAIL, _LEAD_FREE_MAIL)
    free = rng.random(people.count) < free_share
    missing = people.is_contact & (rng.random(people.count) < _NO_EMAIL)
    pattern = rng.integers(0, 5, people.count)
    taken: set[str] = set()
    emails: list[str | None] = []
    for index in range(people.count):
        if missing[index]:
            emails.append(None)
            continue
        first, last = people.roman[index]
        local = _local_part(first, last, int(pattern[index]))
        if free[index]:
            japanese = people.japanese[index]
            domain = ja_free[ja_pick[index]] if japanese else en_free[en_pick[index]]
            local = f"{local}{int(rng.integers(10, 99))}"
        else:
            domain = companies.domains[people.company[index]]
        email = f"{local}@{domain}"
        suffix = 2
        while email in taken:
            email = f"{local}{suffix}@{domain}"
            suffix += 1
        taken.add(email)
        emails.append(email)
    people.email = emails


def _free_mail(
    rng: np.random.Generator, domains: tuple[tuple[str, int], ...], count: int
) -> tuple[list[str], np.ndarray]:
    weights = np.array([weight for _, weight in domains], dtype=float)
    picks = rng.choice(len(domains), count, p=weights / weights.sum())
    return [domain for domain, _ in domains], picks


def _local_part(first: str, last: str, pattern: int) -> str:
    first, last = first.replace(" ", ""), last.replace(" ", "")
    return (
        f"{first}.{last}",
        f"{last}.{first}",
        f"{first[0]}-{last}",
        f"{first[0]}{last}",
        f"{first}_{last}",
    )[pattern]


def _add_duplicates(
    rng: np.random.Generator, people: People, companies: Companies
) -> None:
    """Append lead records that repeat a contact's company address.

    A form fill with the address typed in another case creates a second
    record in many MA tools. The store keeps e-mail lower-cased, so the two
    records share one address, and matching links the lead by exact e-mail.
    """
    candidates = [
        i
        for i, email in enumerate(people.email)
        if people.is_contact[i]
        and email is not None
        and email.endswith("@" + companies.domains[people.company[i]])
    ]
    if not candidates:
        return
    count = max(2, int(len(candidates) * _DUPLICATE_SHARE))
    originals = sorted(int(i) for i in rng.choice(candidates, count, replace=False))
    for position, original in enumerate(originals):
        people.duplicate_of[people.count + position] = original
        company = int(people.company[original])
        people.last_name.append(people.last_name[original])
        people.first_name.append(people.first_name[original])
        people.roman.append(people.roman[original])
        people.email.append(people.email[original])
        people.title.append(None)
        people.department.append(None)
        people.company_name.append(companies.names[company])
    people.company = np.concatenate([people.company, people.company[originals]])
    people.is_contact = np.concatenate([people.is_contact, np.zeros(count, bool)])
    people.japanese = np.concatenate([people.japanese, people.japanese[originals]])
    people.proxy_opens = np.concatenate(
        [people.proxy_opens, people.proxy_opens[originals]]
    )

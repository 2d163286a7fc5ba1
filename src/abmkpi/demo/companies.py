"""Demo companies: the CRM's accounts plus companies known only from leads.

The first ``accounts`` companies are written as accounts. The rest appear
only as the company name and e-mail domain of leads, prospects that the CRM
has no account for, so account matching meets records it cannot match.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from abmkpi.demo.catalog import (
    COUNTRY_TLDS,
    FOREIGN_PLACES,
    INDUSTRIES,
    JAPAN_PLACES,
    Place,
)
from abmkpi.demo.names import (
    EN_FIRST_NAMES,
    EN_LAST_NAMES,
    JA_FIRST_NAMES,
    JA_LAST_NAMES,
    CompanyStem,
    legal_name,
    sample_stems,
)
from abmkpi.demo.settings import DEMO_ICP_RULES

# Share of companies by where they are and how they write their name.
_JAPANESE_SHARE = 0.70
_FOREIGN_SHARE = 0.22  # the rest are foreign-owned companies in Japan

_SUBSIDIARY_WORDS_JA = (
    ("販売", "hanbai"),
    ("サービス", "service"),
    ("テクノロジーズ", "technologies"),
    ("ビジネスサービス", "bizservice"),
)
_SUBSIDIARY_WORDS_EN = ("Services", "Solutions", "Asia Pacific")


@dataclass
class Companies:
    """Every demo company, indexed 0..count-1; accounts come first."""

    accounts: int
    stems: list[CompanyStem]
    places: list[Place]
    names: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    websites: list[str | None] = field(default_factory=list)
    employees: np.ndarray = field(default_factory=lambda: np.zeros(0))
    revenue: np.ndarray = field(default_factory=lambda: np.zeros(0))  # JPY
    parent: np.ndarray = field(default_factory=lambda: np.zeros(0))  # -1: none
    owners: list[str] = field(default_factory=list)
    tier: np.ndarray = field(default_factory=lambda: np.zeros(0))  # 0: no target
    japanese: np.ndarray = field(default_factory=lambda: np.zeros(0))  # in Japan

    @property
    def count(self) -> int:
        return len(self.stems)

    @property
    def is_target(self) -> np.ndarray:
        return self.tier > 0

    def industry_label(self, index: int) -> str:
        industry = INDUSTRIES[self.stems[index].industry]
        in_japan = self.places[index].country == "Japan"
        return industry.label_ja if in_japan else industry.label_en

    def currency(self, index: int) -> str:
        return self.places[index].currency


def build_companies(rng: np.random.Generator, accounts: int, targets: int) -> Companies:
    """Draw names, places, sizes, parents, owners and the target list."""
    count = accounts + max(10, accounts // 20)
    group = rng.choice(
        3,
        count,
        p=[_JAPANESE_SHARE, _FOREIGN_SHARE, 1 - _JAPANESE_SHARE - _FOREIGN_SHARE],
    )
    stems = _stems_for(rng, group)
    places = _places_for(rng, group)
    companies = Companies(accounts, stems, places)
    companies.japanese = np.array([p.country == "Japan" for p in places])
    companies.names = [
        legal_name(stem, place.country, rng)
        for stem, place in zip(stems, places, strict=True)
    ]
    _draw_sizes(rng, companies)
    _add_parents(rng, companies)
    _copy_some_names(rng, companies)
    _assign_domains(rng, companies)
    companies.owners = _assign_owners(rng, companies)
    companies.tier = _choose_targets(rng, companies, targets)
    return companies


def _stems_for(rng: np.random.Generator, group: np.ndarray) -> list[CompanyStem]:
    japanese = iter(sample_stems(rng, int((group == 0).sum()), "ja"))
    english = iter(sample_stems(rng, int((group != 0).sum()), "en"))
    return [next(japanese) if g == 0 else next(english) for g in group]


def _places_for(rng: np.random.Generator, group: np.ndarray) -> list[Place]:
    def weights(places: tuple[Place, ...]) -> np.ndarray:
        w = np.array([p.weight for p in places])
        return w / w.sum()

    local = rng.choice(len(JAPAN_PLACES), len(group), p=weights(JAPAN_PLACES))
    foreign = rng.choice(len(FOREIGN_PLACES), len(group), p=weights(FOREIGN_PLACES))
    return [
        FOREIGN_PLACES[f] if g == 1 else JAPAN_PLACES[j]
        for g, j, f in zip(group, local, foreign, strict=True)
    ]


def _draw_sizes(rng: np.random.Generator, companies: Companies) -> None:
    """Employees are heavy-tailed (median ~150); revenue in JPY follows them."""
    employees = np.exp(rng.normal(np.log(150), 1.6, companies.count))
    companies.employees = np.clip(np.round(employees), 3, 350_000).astype(np.int64)
    per_employee = np.exp(rng.normal(np.log(25e6), 0.5, companies.count))
    revenue = companies.employees * per_employee
    companies.revenue = np.round(revenue, -6)


def _add_parents(rng: np.random.Generator, companies: Companies) -> None:
    """Link about 3% of accounts to a large parent and name them after it."""
    parent = np.full(companies.count, -1, dtype=np.int64)
    accounts = companies.accounts
    large = np.argsort(-companies.employees[:accounts])[: max(5, accounts // 10)]
    children = rng.choice(accounts, max(2, accounts * 3 // 100), replace=False)
    for child in children:
        owner = int(rng.choice(large))
        if owner == child or parent[owner] >= 0:
            continue
        parent[child] = owner
        _rename_as_subsidiary(rng, companies, int(child), owner)
    companies.parent = parent


def _rename_as_subsidiary(
    rng: np.random.Generator, companies: Companies, child: int, owner: int
) -> None:
    stem = companies.stems[owner]
    if stem.language == "ja":
        word, roman = _SUBSIDIARY_WORDS_JA[int(rng.integers(len(_SUBSIDIARY_WORDS_JA)))]
        new = CompanyStem(stem.text + word, f"{stem.slug}-{roman}", stem.industry, "ja")
    else:
        word = _SUBSIDIARY_WORDS_EN[int(rng.integers(len(_SUBSIDIARY_WORDS_EN)))]
        slug = f"{stem.slug}-{word.lower().replace(' ', '')}"
        new = CompanyStem(f"{stem.text} {word}", slug, stem.industry, "en")
    companies.stems[child] = new
    companies.places[child] = companies.places[owner]
    companies.japanese[child] = companies.japanese[owner]
    companies.names[child] = legal_name(new, companies.places[owner].country, rng)
    companies.employees[child] = max(5, companies.employees[owner] // 20)
    companies.revenue[child] = np.round(companies.revenue[owner] / 25, -6)


def _copy_some_names(rng: np.random.Generator, companies: Companies) -> None:
    """Give a few Japanese accounts the name of another in another prefecture.

    Same-named companies in different prefectures are common in Japan; name
    matching has to break such ties by state.
    """
    accounts = companies.accounts
    japanese = [
        i
        for i in range(accounts)
        if companies.stems[i].language == "ja" and companies.parent[i] < 0
    ]
    pairs = max(1, accounts // 200)
    picked = rng.choice(japanese, 2 * pairs, replace=False)
    for source, copy in zip(picked[::2], picked[1::2], strict=True):
        if companies.places[source].state == companies.places[copy].state:
            continue
        companies.stems[copy] = companies.stems[source]
        companies.names[copy] = companies.names[source]


def _assign_domains(rng: np.random.Generator, companies: Companies) -> None:
    taken: set[str] = set()
    for stem, place in zip(companies.stems, companies.places, strict=True):
        slug = stem.slug if rng.random() < 0.5 else stem.slug.replace("-", "")
        tlds = COUNTRY_TLDS[place.country]
        domain = slug + tlds[int(rng.integers(len(tlds)))]
        suffix = 2
        while domain in taken:
            domain = f"{slug}{suffix}{tlds[0]}"
            suffix += 1
        taken.add(domain)
        companies.domains.append(domain)
        companies.websites.append(_website(rng, domain))


def _website(rng: np.random.Generator, domain: str) -> str | None:
    roll = rng.random()
    if roll < 0.03:
        return None  # no website: only contacts' e-mail addresses show the domain
    if roll < 0.55:
        return f"https://www.{domain}/"
    if roll < 0.75:
        return f"www.{domain}"
    if roll < 0.9:
        return f"http://{domain}"
    return domain


def _assign_owners(rng: np.random.Generator, companies: Companies) -> list[str]:
    """Give each account a sales rep; Japanese reps cover accounts in Japan."""
    reps = max(6, min(150, companies.accounts // 80))
    local = [
        f"{JA_LAST_NAMES[i % len(JA_LAST_NAMES)][0]} "
        f"{JA_FIRST_NAMES[(i * 7) % len(JA_FIRST_NAMES)][0]}"
        for i in range(reps)
    ]
    foreign = [
        f"{EN_FIRST_NAMES[(i * 3) % len(EN_FIRST_NAMES)]} "
        f"{EN_LAST_NAMES[(i * 11) % len(EN_LAST_NAMES)]}"
        for i in range(max(2, reps // 4))
    ]
    return [
        local[int(rng.integers(len(local)))]
        if in_japan
        else foreign[int(rng.integers(len(foreign)))]
        for in_japan in companies.japanese
    ]


def icp_points(companies: Companies) -> np.ndarray:
    """Return each company's fit score under the demo ICP rules (0-100)."""
    values = {
        "employees": companies.employees.astype(float),
        "annual_revenue": companies.revenue,
        "industry": np.array(
            [companies.industry_label(i) for i in range(companies.count)]
        ),
        "country": np.array([place.country for place in companies.places]),
    }
    points = np.zeros(companies.count)
    for rule in DEMO_ICP_RULES:
        column = values[rule["field"]]
        if rule["op"] == ">=":
            matched = column >= rule["value"]
        else:
            matched = np.isin(column, rule["value"])
        points += rule["points"] * matched
    return np.minimum(points, 100.0)


def _choose_targets(
    rng: np.random.Generator, companies: Companies, targets: int
) -> np.ndarray:
    """Pick targets among well-fitting accounts; tier 1 is the best fit."""
    accounts = companies.accounts
    points = icp_points(companies)[:accounts]
    standalone = companies.parent[:accounts] < 0
    weight = (points >= 60) * standalone * np.sqrt(companies.employees[:accounts])
    if np.count_nonzero(weight) < targets:
        weight = standalone * (points + 1.0) * np.sqrt(companies.employees[:accounts])
    chosen = rng.choice(accounts, targets, replace=False, p=weight / weight.sum())
    ranked = sorted(chosen, key=lambda i: (-points[i], -companies.employees[i]))
    tier = np.zeros(companies.count, dtype=np.int64)
    first, second = max(1, targets // 5), max(2, targets // 5 + targets // 3)
    for rank, index in enumerate(ranked):
        if rank < first:
            tier[index] = 1
        elif rank < second:
            tier[index] = 2
        else:
            tier[index] = 3
    return tier

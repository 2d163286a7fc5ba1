"""The demo's marketing calendar: campaigns with costs, and the assets they use.

Over the window the vendor runs a webinar most weeks, a handful of trade
shows and conferences, gated content, a monthly newsletter, nurture e-mail
streams and quarterly ad flights. Campaigns decide when e-mails go out and
which event an attendee attended.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from abmkpi.demo.catalog import (
    EVENT_NAMES,
    FORM_PAGES,
    GENERAL_ASSETS,
    INTENT_TOPICS,
    PRICING_ASSETS,
    SALES_SUBJECTS,
    WEB_PAGES,
    WEBINAR_TOPICS_EN,
    WEBINAR_TOPICS_JA,
)
from abmkpi.demo.clock import BusinessClock
from abmkpi.periods import Calendar


@dataclass
class Campaign:
    name: str
    channel: str
    kind: str
    start: date
    end: date
    cost: float
    parent: int | None = None


@dataclass(frozen=True)
class Occasion:
    """A dated moment of a campaign: an e-mail send or an event session."""

    campaign: int
    day: int
    seconds: int
    weight: float = 1.0


class Assets:
    """Distinct asset and URL strings; rows refer to them by index."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self._index: dict[str, int] = {}

    def add(self, value: str) -> int:
        if value not in self._index:
            self._index[value] = len(self.values)
            self.values.append(value)
        return self._index[value]

    def add_all(self, values: tuple[str, ...] | list[str]) -> np.ndarray:
        return np.array([self.add(value) for value in values], dtype=np.int64)


@dataclass
class Schedule:
    """Campaigns and assets, with the sends, sessions and ad flights per block."""

    campaigns: list[Campaign] = field(default_factory=list)
    assets: Assets = field(default_factory=Assets)
    campaign_asset: list[int] = field(default_factory=list)
    events: dict[int, list[Occasion]] = field(default_factory=lambda: defaultdict(list))
    sends: dict[int, list[Occasion]] = field(default_factory=lambda: defaultdict(list))
    ads: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    web_pages: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    web_weights: np.ndarray = field(default_factory=lambda: np.zeros(0))
    forms: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    general_assets: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    predictive_assets: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    intent_topics: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    subjects: dict[str, np.ndarray] = field(default_factory=dict)
    # Campaign of each asset index, or -1 for assets outside any campaign.
    asset_campaign: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    # Campaign of the pricing and case-study assets.
    bottom_funnel: int = -1

    def add(self, campaign: Campaign) -> int:
        self.campaigns.append(campaign)
        self.campaign_asset.append(self.assets.add(campaign.name))
        return len(self.campaigns) - 1

    def events_for(self, block: int) -> list[Occasion]:
        """Return the block's event sessions, else the latest earlier one."""
        for earlier in range(block, -1, -1):
            if self.events.get(earlier):
                return self.events[earlier]
        return []


def build_schedule(
    rng: np.random.Generator,
    clock: BusinessClock,
    calendar: Calendar,
    case_studies: list[str],
) -> Schedule:
    schedule = Schedule()
    _add_webinars(rng, schedule, clock)
    _add_events(rng, schedule, clock)
    _add_content(rng, schedule, clock, case_studies)
    _add_email_programs(rng, schedule, clock)
    _add_ads(rng, schedule, clock, calendar)
    _add_site_assets(schedule)
    _index_asset_campaigns(schedule)
    return schedule


def _round_cost(value: float) -> float:
    return float(np.round(value, -4))


def _add_webinars(
    rng: np.random.Generator, schedule: Schedule, clock: BusinessClock
) -> None:
    """Add a webinar in most weeks, Tuesday to Thursday at 14:00."""
    first = clock.date_of(0)
    parent = schedule.add(
        Campaign(
            "ウェビナープログラム",
            "webinar",
            "Program",
            first,
            clock.date_of(clock.days - 1),
            0.0,
        )
    )
    session = 0
    for block in range(clock.blocks):
        start, count = clock.block_days(block)
        weekday_offsets = [
            d for d in range(count) if clock.date_of(start + d).weekday() in (1, 2, 3)
        ]
        if not weekday_offsets or rng.random() < 0.1:
            continue
        day = start + weekday_offsets[session % len(weekday_offsets)]
        session += 1
        english = rng.random() < 0.2
        topics = WEBINAR_TOPICS_EN if english else WEBINAR_TOPICS_JA
        topic = topics[int(rng.integers(len(topics)))]
        name = (
            f"Webinar: {topic} #{session}"
            if english
            else f"【ウェビナー】{topic} 第{session}回"
        )
        when = clock.date_of(day)
        cost = _round_cost(rng.uniform(150_000, 600_000))
        index = schedule.add(
            Campaign(name, "webinar", "Webinar", when, when, cost, parent)
        )
        schedule.events[block].append(Occasion(index, day, 14 * 3600))
        invite_day = max(0, day - 7)
        schedule.sends[invite_day // 7].append(Occasion(index, invite_day, 12 * 3600))


def _add_events(
    rng: np.random.Generator, schedule: Schedule, clock: BusinessClock
) -> None:
    """Add trade shows and conferences of 1-3 days spread over the window."""
    count = len(EVENT_NAMES)
    for number, name in enumerate(EVENT_NAMES):
        day = int((number + 0.5) * clock.days / count + rng.integers(-5, 6))
        while clock.date_of(day).weekday() >= 5:
            day += 1
        if day >= clock.days:
            continue
        last = min(day + int(rng.integers(0, 3)), clock.days - 1)
        kind = "Trade Show" if ("展" in name or "EXPO" in name) else "Conference"
        cost = _round_cost(rng.uniform(2e6, 12e6))
        index = schedule.add(
            Campaign(name, "event", kind, clock.date_of(day), clock.date_of(last), cost)
        )
        for session_day in range(day, last + 1):
            schedule.events[session_day // 7].append(
                Occasion(index, session_day, 10 * 3600, weight=3.0)
            )
        invite_day = max(0, day - 14)
        schedule.sends[invite_day // 7].append(Occasion(index, invite_day, 10 * 3600))


def _add_content(
    rng: np.random.Generator,
    schedule: Schedule,
    clock: BusinessClock,
    case_studies: list[str],
) -> None:
    first, last = clock.date_of(0), clock.date_of(clock.days - 1)
    for asset in GENERAL_ASSETS:
        cost = _round_cost(rng.uniform(300_000, 1_500_000))
        schedule.add(Campaign(asset, "content", "Content", first, last, cost))
    schedule.general_assets = np.array(schedule.campaign_asset[-len(GENERAL_ASSETS) :])
    bottom = schedule.add(
        Campaign("導入事例・料金資料", "content", "Content", first, last, 800_000.0)
    )
    predictive = [*PRICING_ASSETS, *case_studies]
    schedule.predictive_assets = schedule.assets.add_all(predictive)
    schedule.bottom_funnel = bottom


def _add_email_programs(
    rng: np.random.Generator, schedule: Schedule, clock: BusinessClock
) -> None:
    """Add a newsletter each second Tuesday and two biweekly nurture streams."""
    day = 0
    while day < clock.days:
        when = clock.date_of(day)
        if when.weekday() == 1 and 8 <= when.day <= 14:
            name = f"メールマガジン {when.year}年{when.month}月号"
            cost = _round_cost(rng.uniform(30_000, 80_000))
            index = schedule.add(Campaign(name, "email", "Email", when, when, cost))
            schedule.sends[day // 7].append(Occasion(index, day, 10 * 3600))
        day += 1
    first, last = clock.date_of(0), clock.date_of(clock.days - 1)
    for offset, name in enumerate(
        ("ナーチャリング: 製造業向け", "Nurture: Global Accounts")
    ):
        index = schedule.add(Campaign(name, "email", "Nurture", first, last, 120_000.0))
        for block in range(offset, clock.blocks, 2):
            start, count = clock.block_days(block)
            thursday = [
                d for d in range(count) if clock.date_of(start + d).weekday() == 3
            ]
            if thursday:
                schedule.sends[block].append(
                    Occasion(index, start + thursday[0], 11 * 3600)
                )


def _add_ads(
    rng: np.random.Generator,
    schedule: Schedule,
    clock: BusinessClock,
    calendar: Calendar,
) -> None:
    """Add quarterly LinkedIn, Google search and display retargeting flights."""
    channels = (
        ("LinkedIn広告", 1.5e6, 4e6),
        ("Google検索広告", 1e6, 3e6),
        ("ディスプレイ広告 リターゲティング", 0.5e6, 1.5e6),
    )
    day = 0
    while day < clock.days:
        quarter = calendar.fiscal_quarter_of(clock.date_of(day))
        start = max(quarter.start, clock.date_of(0))
        end = min(quarter.end, clock.date_of(clock.days - 1))
        label = calendar.label(quarter, "en")
        for channel, low, high in channels:
            cost = _round_cost(rng.uniform(low, high) * (end - start).days / 91)
            index = schedule.add(
                Campaign(f"{channel} {label}", "ads", "Advertisement", start, end, cost)
            )
            for block in range(day // 7, (day + (end - start).days) // 7 + 1):
                schedule.ads[block].append(index)
        day += (end - start).days + 1


def _add_site_assets(schedule: Schedule) -> None:
    assets = schedule.assets
    schedule.web_pages = assets.add_all([page for page, _ in WEB_PAGES])
    weights = np.array([weight for _, weight in WEB_PAGES], dtype=float)
    schedule.web_weights = weights / weights.sum()
    schedule.forms = assets.add_all(FORM_PAGES)
    schedule.intent_topics = assets.add_all(INTENT_TOPICS)
    schedule.subjects = {
        kind: assets.add_all(subjects) for kind, subjects in SALES_SUBJECTS.items()
    }


def _index_asset_campaigns(schedule: Schedule) -> None:
    asset_campaign = np.full(len(schedule.assets.values), -1, dtype=np.int64)
    for campaign, asset in enumerate(schedule.campaign_asset):
        asset_campaign[asset] = campaign
    asset_campaign[schedule.predictive_assets] = schedule.bottom_funnel
    schedule.asset_campaign = asset_campaign

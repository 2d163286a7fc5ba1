"""Turning weekly counts into activity rows: who, when, which asset and campaign.

People act in office hours of their own time zone. E-mail is a chain per
send: send, then delivered or bounced, then opens (at once for people behind
a mail privacy proxy, hours later for others), then a few clicks.
"""

from __future__ import annotations

import numpy as np

from abmkpi.canonical import ActivityType
from abmkpi.demo.campaigns import Occasion, Schedule
from abmkpi.demo.clock import BusinessClock
from abmkpi.demo.companies import Companies
from abmkpi.demo.engagement import SHARES, Engagement
from abmkpi.demo.people import People
from abmkpi.demo.rows import Rows

_KNOWN_VISITOR = 0.8  # other web visits are known only by company (reverse IP)
_BOUNCE = 0.02
_PROXY_OPEN = 0.97
_UNSUBSCRIBE = 0.003


class Touches:
    """Builds the activity rows of each week from counts and the schedule."""

    def __init__(
        self,
        rng: np.random.Generator,
        companies: Companies,
        people: People,
        clock: BusinessClock,
        schedule: Schedule,
        engagement: Engagement,
        activities: int,
    ):
        self.rng = rng
        self.companies = companies
        self.people = people
        self.clock = clock
        self.schedule = schedule
        self.engagement = engagement
        self.zone = np.array(
            [clock.zone_index(place.time_zone) for place in companies.places]
        )
        self.business_zone = clock.zone_index(clock.business_zone)
        base = people.start[-1] + people.size[-1]
        self.mailable = np.flatnonzero(people.has_email()[:base])
        sends = sum(len(occasions) for occasions in schedule.sends.values())
        wanted = SHARES["email_send"] * activities
        self.send_share = min(1.0, wanted / max(1, sends * len(self.mailable)))

    # People and times -------------------------------------------------------

    def _anyone(self, company: np.ndarray) -> np.ndarray:
        span = self.people.size[company]
        return self.people.start[company] + (
            self.rng.random(len(company)) * span
        ).astype(np.int64)

    def _contact(self, company: np.ndarray) -> np.ndarray:
        span = self.people.contacts[company]
        return self.people.start[company] + (
            self.rng.random(len(company)) * span
        ).astype(np.int64)

    def _when(self, company: np.ndarray, block: int) -> np.ndarray:
        return self.clock.sample_instants(self.rng, self.zone[company], block)

    def _pick(
        self, values: np.ndarray, count: int, p: np.ndarray | None = None
    ) -> np.ndarray:
        return values[self.rng.choice(len(values), count, p=p)]

    # Marketing ---------------------------------------------------------------

    def marketing(self, block: int, counts: dict[str, np.ndarray]) -> Rows:
        def expand(name: str) -> np.ndarray:
            return np.repeat(np.arange(self.companies.count), counts[name])

        return Rows.concat(
            [
                self._web_visits(block, expand("web_visit")),
                self._downloads(block, expand("general_download"), predictive=False),
                self._downloads(block, expand("predictive_download"), predictive=True),
                self._form_fills(block, expand("form_fill")),
                self._events(block, expand("event_attended")),
                self._ad_clicks(block, expand("ad_click")),
                self._intent(block, expand("intent_signal")),
                self._sales(block, expand("discovery_meeting"), "discovery"),
            ]
        )

    def _web_visits(self, block: int, company: np.ndarray) -> Rows:
        pages = self.schedule.web_pages
        asset = self._pick(pages, len(company), self.schedule.web_weights)
        campaign = np.full(len(company), -1)
        ads = self.schedule.ads.get(block, [])
        from_ads = self.rng.random(len(company)) < 0.1
        if ads:
            campaign[from_ads] = self._pick(np.array(ads), int(from_ads.sum()))
        known = self.rng.random(len(company)) < _KNOWN_VISITOR
        person = np.where(known, self._anyone(company), -1)
        rows = Rows.of(
            ActivityType.WEB_VISIT, company, person, self._when(company, block),
            campaign, asset,
        )  # fmt: skip
        rows.anonymous = ~known
        return rows

    def _downloads(self, block: int, company: np.ndarray, predictive: bool) -> Rows:
        pool = (
            self.schedule.predictive_assets
            if predictive
            else self.schedule.general_assets
        )
        asset = self._pick(pool, len(company))
        return Rows.of(
            ActivityType.CONTENT_DOWNLOAD, company, self._anyone(company),
            self._when(company, block), self.schedule.asset_campaign[asset], asset,
        )  # fmt: skip

    def _form_fills(self, block: int, company: np.ndarray) -> Rows:
        forms = self.schedule.forms
        choice = self.rng.integers(0, len(forms), len(company))
        campaign = np.full(len(company), -1)
        events = self.schedule.events_for(block)
        if events:
            registrations = (choice == 0) | (choice == 3)
            campaign[registrations] = events[0].campaign
        downloads = choice == 1
        general = self._pick(self.schedule.general_assets, int(downloads.sum()))
        campaign[downloads] = self.schedule.asset_campaign[general]
        return Rows.of(
            ActivityType.FORM_FILL, company, self._anyone(company),
            self._when(company, block), campaign, forms[choice],
        )  # fmt: skip

    def _events(self, block: int, company: np.ndarray) -> Rows:
        occasions = self.schedule.events_for(block)
        if not occasions or not len(company):
            return Rows.empty()
        weights = np.array([o.weight for o in occasions])
        picked = self.rng.choice(
            len(occasions), len(company), p=weights / weights.sum()
        )
        day = np.array([o.day for o in occasions])[picked]
        seconds = np.array([o.seconds for o in occasions])[picked]
        joined = seconds + self.rng.integers(0, 900, len(company))
        at = self.clock.local_micros(day, joined, self.business_zone)
        campaign = np.array([o.campaign for o in occasions])[picked]
        asset = np.array(self.schedule.campaign_asset)[campaign]
        return Rows.of(
            ActivityType.EVENT_ATTENDED, company, self._anyone(company), at,
            campaign, asset,
        )  # fmt: skip

    def _ad_clicks(self, block: int, company: np.ndarray) -> Rows:
        ads = self.schedule.ads.get(block, [])
        if not ads:
            return Rows.empty()
        campaign = self._pick(np.array(ads), len(company))
        asset = np.array(self.schedule.campaign_asset)[campaign]
        return Rows.of(
            ActivityType.AD_CLICK, company, self._anyone(company),
            self._when(company, block), campaign, asset,
        )  # fmt: skip

    def _intent(self, block: int, company: np.ndarray) -> Rows:
        topic = self._pick(self.schedule.intent_topics, len(company))
        return Rows.of(
            ActivityType.INTENT_SIGNAL, company, np.full(len(company), -1),
            self._when(company, block), -1, topic, account_link=True,
        )  # fmt: skip

    # Sales -------------------------------------------------------------------

    def sales(self, block: int, counts: dict[str, np.ndarray]) -> Rows:
        """Rows of meetings, calls and e-mails that reps log on accounts."""
        kinds = (
            ("discovery", ActivityType.SALES_MEETING),
            ("meeting", ActivityType.SALES_MEETING),
            ("call", ActivityType.SALES_CALL),
            ("email", ActivityType.SALES_EMAIL),
        )
        parts = []
        for kind, activity in kinds:
            company = np.repeat(np.arange(self.companies.count), counts[kind])
            parts.append(self._sales(block, company, kind, activity))
        return Rows.concat(parts)

    def _sales(
        self,
        block: int,
        company: np.ndarray,
        subject_kind: str,
        activity: ActivityType = ActivityType.SALES_MEETING,
    ) -> Rows:
        subject = self._pick(self.schedule.subjects[subject_kind], len(company))
        return Rows.of(
            activity, company, self._contact(company), self._when(company, block),
            -1, subject, account_link=True,
        )  # fmt: skip

    # E-mail ------------------------------------------------------------------

    def email(self, block: int) -> Rows:
        parts = [
            self._send(occasion) for occasion in self.schedule.sends.get(block, [])
        ]
        rows = Rows.concat(parts)
        return rows.select(self.clock.within(rows.at))

    def _send(self, occasion: Occasion) -> Rows:
        rng = self.rng
        count = rng.binomial(len(self.mailable), self.send_share)
        person = np.sort(rng.choice(self.mailable, count, replace=False))
        company = self.people.company[person]
        start = self.clock.local_micros(
            occasion.day, occasion.seconds, self.business_zone
        )
        sent = start + rng.integers(0, 1800, count) * 1_000_000
        campaign = occasion.campaign
        asset = self.schedule.campaign_asset[campaign]

        def rows(activity: ActivityType, keep: np.ndarray, at: np.ndarray) -> Rows:
            return Rows.of(
                activity, company[keep], person[keep], at[keep], campaign, asset
            )

        bounced = rng.random(count) < _BOUNCE
        delivered_at = sent + rng.integers(1, 30, count) * 1_000_000
        proxy = self.people.proxy_opens[person]
        open_chance = np.where(proxy, _PROXY_OPEN, self.engagement.open_rate[company])
        opened = ~bounced & (rng.random(count) < open_chance)
        human_delay = np.exp(rng.normal(np.log(4 * 3600), 1.3, count))
        proxy_delay = rng.uniform(10, 1200, count)
        delay = np.where(proxy, proxy_delay, human_delay).astype(np.int64)
        opened_at = delivered_at + delay * 1_000_000
        clicked = (
            opened & ~proxy & (rng.random(count) < self.engagement.click_rate[company])
        )
        clicked_at = opened_at + rng.integers(5, 300, count) * 1_000_000
        unsubscribed = ~bounced & (rng.random(count) < _UNSUBSCRIBE)
        unsubscribed_at = delivered_at + rng.integers(60, 3600, count) * 1_000_000
        everyone = np.ones(count, dtype=bool)
        return Rows.concat(
            [
                rows(ActivityType.EMAIL_SEND, everyone, sent),
                rows(ActivityType.EMAIL_BOUNCE, bounced, delivered_at),
                rows(ActivityType.EMAIL_DELIVERED, ~bounced, delivered_at),
                rows(ActivityType.EMAIL_OPEN, opened, opened_at),
                rows(ActivityType.EMAIL_CLICK, clicked, clicked_at),
                rows(ActivityType.EMAIL_UNSUBSCRIBE, unsubscribed, unsubscribed_at),
            ]
        )

    # Duplicates ------------------------------------------------------------------

    def duplicate_form_fills(self) -> Rows:
        """Return the form fill that created each duplicate lead record."""
        person = np.array(sorted(self.people.duplicate_of), dtype=np.int64)
        company = self.people.company[person]
        day = self.rng.integers(0, self.clock.days, len(person))
        seconds = self.clock.sample_seconds(self.rng, len(person))
        at = self.clock.local_micros(day, seconds, self.zone[company])
        form = self.schedule.forms[1]
        general = self._pick(self.schedule.general_assets, len(person))
        rows = Rows.of(
            ActivityType.FORM_FILL, company, person, at,
            self.schedule.asset_campaign[general], form,
        )  # fmt: skip
        return rows.select(self.clock.within(rows.at))

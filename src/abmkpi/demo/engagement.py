"""How much each company engages with marketing, week by week.

Every company has three independent traits:

- *intent*: its weekly chance to start a buying episode (about five weeks
  long). Event attendance, downloads of pricing and case-study assets, and
  discovery meetings with sales happen almost only during episodes. These
  are the predictive types that the opportunity model responds to.
- *reach*: how much it hears from marketing at all. It scales web visits,
  general content downloads, form fills, e-mail clicks and intent signals,
  which also come in short bursts of their own. Only a fifth of the
  companies are nurtured. The others are dormant records that marketing
  barely reaches, such as business cards scanned at past trade shows. So in
  a quarter about half of the accounts show no activity that counts as
  contact, unless they start buying or click an ad.
- *open rate* and *ad exposure*: drawn independently of everything else,
  so e-mail opens and ad clicks carry no information about buying. Only a
  fifth of the companies are in the ad platforms' audience at all.

Targets are all nurtured, with 1.5 times the reach, and have 1.4 times the
average intent with less spread, because they were chosen for fit. Most of
their deals come from sales instead: see :mod:`abmkpi.demo.pipeline`.

Volumes are calibrated so that the expected total matches the requested
number of activities; the shares below are of that total.
"""

from __future__ import annotations

import numpy as np

from abmkpi.demo.clock import BusinessClock
from abmkpi.demo.companies import Companies
from abmkpi.demo.people import People

SHARES = {
    "web_visit": 0.30,
    "email_send": 0.20,
    "general_download": 0.025,
    "form_fill": 0.025,
    "intent_signal": 0.025,
    "ad_click": 0.03,
    "event_attended": 0.02,
    "predictive_download": 0.015,
    "discovery_meeting": 0.004,
}
PREDICTIVE = ("event_attended", "predictive_download", "discovery_meeting")

EPISODE_START = 0.007  # weekly chance for an average non-target company
EPISODE_END = 0.2  # so episodes last five weeks on average
OUTSIDE_EPISODE = 0.002  # predictive volume outside episodes, relative to inside
TARGET_INTENT = 1.4  # mean intent of a target, against 1 over all companies
TARGET_REACH = 1.5
NURTURED_SHARE = 0.2  # of companies that are not targets
DORMANT_REACH = 0.002  # reach of a dormant company, relative to a nurtured one
AD_AUDIENCE_SHARE = 0.2
BURST_START, BURST_END, BURST_FACTOR = 0.04, 0.35, 3.0


class Engagement:
    """Latent traits and weekly states of every company, and rates per type."""

    def __init__(
        self,
        rng: np.random.Generator,
        companies: Companies,
        people: People,
        clock: BusinessClock,
        activities: int,
    ):
        self.rng = rng
        self.companies = companies
        self.people = people
        count = companies.count
        accounts = np.arange(count) < companies.accounts
        target = companies.is_target

        # Intent is log-normal with a mean of 1, and varies less for targets.
        # Companies that are no account engage less.
        intent = np.exp(rng.normal(-0.5, 1.0, count))
        target_intent = TARGET_INTENT * np.exp(rng.normal(-0.06, 0.35, count))
        intent = np.where(target, target_intent, intent)
        intent *= np.where(accounts, 1.0, 0.3)
        self.episode_start = np.minimum(EPISODE_START * intent, 0.3)
        nurtured = target | (rng.random(count) < NURTURED_SHARE)
        self.reach = np.exp(rng.normal(-0.25, 0.7, count))
        self.reach *= np.where(target, TARGET_REACH, 1.0)
        self.reach *= np.where(nurtured, 1.0, DORMANT_REACH)
        self.open_rate = rng.beta(2.0, 5.0, count)
        in_audience = rng.random(count) < AD_AUDIENCE_SHARE
        self.ad_exposure = np.exp(rng.normal(-0.3, 0.8, count)) * in_audience
        self.click_rate = np.clip(0.1 * self.reach, 0.01, 0.5)

        inside = self.episode_start / (self.episode_start + EPISODE_END)
        self.in_episode = rng.random(count) < inside
        burst_share = BURST_START / (BURST_START + BURST_END)
        self.in_burst = rng.random(count) < burst_share
        self.rates = _calibrate(
            activities, clock.days / 7, inside, burst_share, self._weights(accounts)
        )

    def _weights(self, accounts: np.ndarray) -> dict[str, np.ndarray]:
        """Return the relative volume of each neutral type per company."""
        size = self.people.size.astype(float)
        return {
            "web_visit": self.reach * np.sqrt(size / size.mean()),
            "general_download": self.reach,
            "form_fill": self.reach,
            "intent_signal": self.reach * accounts,
            "ad_click": self.ad_exposure,
        }

    def advance(self) -> None:
        """Move every company's episode and burst state one week on."""
        draws = self.rng.random((2, self.companies.count))
        self.in_episode = np.where(
            self.in_episode, draws[0] >= EPISODE_END, draws[0] < self.episode_start
        )
        self.in_burst = np.where(
            self.in_burst, draws[1] >= BURST_END, draws[1] < BURST_START
        )

    def weekly_counts(self, day_share: float) -> dict[str, np.ndarray]:
        """Draw this week's count per company of every type that has a rate."""
        episode = np.where(self.in_episode, 1.0, OUTSIDE_EPISODE) * day_share
        burst = np.where(self.in_burst, BURST_FACTOR, 1.0) * day_share
        counts = {}
        for name, rate in self.rates.items():
            scale = episode if name in PREDICTIVE else burst
            if name == "ad_click":
                scale = np.full(self.companies.count, day_share)
            counts[name] = self.rng.poisson(rate * scale)
        has_contacts = self.people.contacts > 0
        counts["discovery_meeting"] *= has_contacts
        return counts

    def expected_episode_count(self, name: str, weeks: int = 4) -> float:
        """Return the expected count of a predictive type in ``weeks`` of episode."""
        return float(self.rates[name][0] * weeks)


def _calibrate(
    activities: int,
    weeks: float,
    inside: np.ndarray,
    burst_share: float,
    weights: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """Return the weekly rate per company that makes each type hit its share."""
    episode_mean = inside + OUTSIDE_EPISODE * (1 - inside)
    burst_mean = 1 + (BURST_FACTOR - 1) * burst_share
    rates: dict[str, np.ndarray] = {}
    for name in PREDICTIVE:
        rate = SHARES[name] * activities / (weeks * episode_mean.sum())
        rates[name] = np.full(len(inside), rate)
    for name, weight in weights.items():
        mean = 1.0 if name == "ad_click" else burst_mean
        rates[name] = weight * SHARES[name] * activities / (weeks * weight.sum() * mean)
    return rates

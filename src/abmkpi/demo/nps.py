"""NPS survey responses from the contacts of customer accounts.

A survey goes out once a quarter to every contact with an e-mail address at
an account that is a customer that day. About three in ten respond within
two weeks. Healthy customers give 9-10 more often, unhealthy ones 0-6.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from abmkpi.demo.catalog import NPS_COMMENTS
from abmkpi.demo.clock import BusinessClock
from abmkpi.demo.contracts import Book
from abmkpi.demo.people import People

SURVEY_DAYS = (45, 136, 227, 318)
RESPONSE_RATE = 0.3
COMMENT_RATE = 0.3

_DETRACTOR_SCORES = np.arange(0, 7)
_DETRACTOR_WEIGHTS = np.array([1, 1, 2, 3, 4, 6, 8], dtype=float)


def nps_table(
    rng: np.random.Generator, book: Book, people: People, clock: BusinessClock
) -> pa.Table:
    zone = np.array(
        [clock.zone_index(place.time_zone) for place in book.companies.places]
    )
    mailable = people.has_email() & people.is_contact
    parts = []
    for survey_day in SURVEY_DAYS:
        if survey_day >= clock.days:
            continue
        customer = book.is_customer(survey_day)[people.company] & mailable
        answered = customer & (rng.random(people.count) < RESPONSE_RATE)
        person = np.flatnonzero(answered)
        delay = np.minimum(rng.exponential(3.0, len(person)).astype(np.int64), 13)
        day = np.minimum(survey_day + delay, clock.days - 1)
        company = people.company[person]
        seconds = clock.sample_seconds(rng, len(person))
        at = clock.local_micros(day, seconds, zone[company])
        parts.append((person, company, at))
    person = np.concatenate([p for p, _, _ in parts]) if parts else np.zeros(0, int)
    company = np.concatenate([c for _, c, _ in parts]) if parts else np.zeros(0, int)
    at = np.concatenate([a for _, _, a in parts]) if parts else np.zeros(0, int)
    scores = _scores(rng, book.health[company])
    return pa.table(
        {
            "n": np.arange(1, len(person) + 1),
            "account_n": company + 1,
            "person_n": person + 1,
            "email": [people.email[i] for i in person],
            "score": scores,
            "responded_at": pa.array(at, type=pa.timestamp("us")),
            "comment": _comments(rng, scores, people.japanese[person]),
        }
    )


def _scores(rng: np.random.Generator, health: np.ndarray) -> np.ndarray:
    promoter = 0.1 + 0.5 * health
    detractor = 0.05 + 0.45 * (1 - health)
    roll = rng.random(len(health))
    detractor_score = rng.choice(
        _DETRACTOR_SCORES, len(health), p=_DETRACTOR_WEIGHTS / _DETRACTOR_WEIGHTS.sum()
    )
    promoter_score = rng.choice([9, 10], len(health), p=[0.55, 0.45])
    passive_score = rng.choice([7, 8], len(health))
    return np.where(
        roll < promoter,
        promoter_score,
        np.where(roll < promoter + detractor, detractor_score, passive_score),
    ).astype(np.int64)


def _group(score: int) -> str:
    if score >= 9:
        return "promoter"
    if score >= 7:
        return "passive"
    return "detractor"


def _comments(
    rng: np.random.Generator, scores: np.ndarray, japanese: np.ndarray
) -> list[str | None]:
    comments: list[str | None] = []
    for score, ja in zip(scores, japanese, strict=True):
        if rng.random() >= COMMENT_RATE:
            comments.append(None)
            continue
        group = _group(int(score))
        pool = [c for c in NPS_COMMENTS[group] if c.isascii() != bool(ja)]
        comments.append(pool[int(rng.integers(len(pool)))])
    return comments

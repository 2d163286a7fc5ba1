"""Business days and hours of the demo window, in each account's time zone.

People act on weekdays in office hours of their own zone, rarely on weekends
and holidays. Instants are returned as naive UTC microseconds since the Unix
epoch, the store's convention.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from abmkpi.demo.catalog import JAPAN_HOLIDAYS, WESTERN_HOLIDAYS

MICROS = 1_000_000
DAY_SECONDS = 86_400

# Relative activity per local hour 0-23: office hours with a lunch dip.
_HOUR_WEIGHTS = np.array(
    [0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.8, 2.0, 4.0, 5.0, 5.0,
     3.0, 4.0, 5.0, 5.0, 4.5, 3.5, 2.0, 1.5, 1.2, 1.0, 0.7, 0.4]
)  # fmt: skip
_HOUR_CDF = np.cumsum(_HOUR_WEIGHTS) / _HOUR_WEIGHTS.sum()

_WEEKDAY_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 0.95, 0.07, 0.05)
_HOLIDAY_WEIGHT = 0.08


def utc_offset_seconds(day: date, zone: str) -> int:
    """Return the zone's UTC offset at local noon of ``day``, in seconds."""
    local = datetime.combine(day, time(12), tzinfo=ZoneInfo(zone))
    offset = local.utcoffset()
    return int(offset.total_seconds()) if offset else 0


def local_to_utc(day: date, seconds: float, zone: str) -> datetime:
    """Return the naive UTC instant of ``seconds`` after local midnight of ``day``."""
    local = datetime.combine(day, time(), tzinfo=ZoneInfo(zone))
    local += timedelta(seconds=float(seconds))
    return local.astimezone(UTC).replace(tzinfo=None)


class BusinessClock:
    """Day weights and UTC offsets for each day of the window and each zone.

    The window is cut into blocks of seven days from its first day; the last
    block may be shorter.
    """

    def __init__(self, start: date, days: int, zones: Sequence[str], business: str):
        self.start = start
        self.days = days
        self.zones = list(zones)
        self.business_zone = business
        dates = [start + timedelta(days=d) for d in range(days)]
        self.offsets = np.array(
            [[utc_offset_seconds(day, zone) for day in dates] for zone in self.zones],
            dtype=np.int64,
        )
        self.day_weights = np.array(
            [[_day_weight(day, zone) for day in dates] for zone in self.zones]
        )
        epoch = datetime(1970, 1, 1)
        self._start_seconds = int(
            (datetime.combine(start, time()) - epoch).total_seconds()
        )
        # The window in the business zone; rows of other zones are cut to it.
        zone = self.zone_index(business)
        self.start_us = int(self.local_micros(0, 0, zone))
        self.end_us = int(self.local_micros(days, 0, zone))

    def within(self, micros: np.ndarray) -> np.ndarray:
        return (micros >= self.start_us) & (micros < self.end_us)

    @property
    def blocks(self) -> int:
        return -(-self.days // 7)

    def block_days(self, block: int) -> tuple[int, int]:
        """Return the first day index and the day count of a block."""
        first = 7 * block
        return first, min(7, self.days - first)

    def zone_index(self, zone: str) -> int:
        return self.zones.index(zone)

    def date_of(self, day: int) -> date:
        return self.start + timedelta(days=int(day))

    def sample_days(
        self, rng: np.random.Generator, zone: np.ndarray, block: int
    ) -> np.ndarray:
        """Pick a day of the block for each row, weighted by its zone's calendar."""
        first, count = self.block_days(block)
        weights = self.day_weights[:, first : first + count]
        cdf = np.cumsum(weights, axis=1)
        cdf /= cdf[:, -1:]
        draws = rng.random(len(zone))
        index = (cdf[zone] < draws[:, None]).sum(axis=1)
        return first + np.minimum(index, count - 1)

    def sample_seconds(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """Pick local seconds after midnight, most of them in office hours."""
        hours = np.searchsorted(_HOUR_CDF, rng.random(count), side="right")
        return hours * 3600 + rng.integers(0, 3600, count)

    def local_micros(
        self,
        day: np.ndarray | int,
        seconds: np.ndarray | int,
        zone: np.ndarray | int,
    ) -> np.ndarray:
        """Convert local day indices and seconds to naive UTC microseconds."""
        day = np.asarray(day)
        # Days outside the window use the offset of the nearest window day.
        clipped = np.clip(day, 0, self.days - 1)
        local = self._start_seconds + day * DAY_SECONDS + np.asarray(seconds)
        return (local - self.offsets[zone, clipped]) * MICROS

    def sample_instants(
        self, rng: np.random.Generator, zone: np.ndarray, block: int
    ) -> np.ndarray:
        """Pick an office-hours instant in the block for each row's zone."""
        days = self.sample_days(rng, zone, block)
        return self.local_micros(days, self.sample_seconds(rng, len(zone)), zone)


def _day_weight(day: date, zone: str) -> float:
    holidays = JAPAN_HOLIDAYS if zone == "Asia/Tokyo" else WESTERN_HOLIDAYS
    if (day.month, day.day) in holidays:
        return _HOLIDAY_WEIGHT
    return _WEEKDAY_WEIGHTS[day.weekday()]


def micros_to_datetime(micros: int) -> datetime:
    return datetime(1970, 1, 1) + timedelta(microseconds=int(micros))

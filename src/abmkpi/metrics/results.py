"""KPI results, their statuses and their 95% intervals.

Rates carry a Wilson score interval. Means and ratios of means (deal size,
uplift, cycle days) carry a percentile bootstrap interval with a fixed seed,
so the same data always gives the same interval; means of many thousands of
values use the normal approximation instead. A short target list gives
wide intervals; reporting them is the point.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

Z_95 = 1.959963984540054


class Unit(StrEnum):
    RATIO = "ratio"  # a fraction; 0.6 shows as 60%
    COUNT = "count"
    CURRENCY = "currency"  # the workspace's reporting currency
    DAYS = "days"
    SCORE = "score"
    MULTIPLE = "multiple"  # a factor such as 1.6×
    PEOPLE = "people"


class Status(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    NO_TARGET = "no_target"
    NO_DATA = "no_data"
    INSUFFICIENT_DATA = "insufficient_data"


@dataclass
class KpiResult:
    """One KPI value for one segment of one period."""

    id: str
    segment: str
    value: float | None
    numerator: float | None
    denominator: float | None
    unit: Unit
    variant: str | None = None
    ci95: tuple[float, float] | None = None
    target: float | None = None
    paced_target: float | None = None
    status: Status = Status.NO_TARGET
    label: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.id}:{self.variant}" if self.variant else self.id

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready data.

        JSON has no infinity or NaN, so such a number becomes null and
        ``details.non_finite`` names the fields it replaced.
        """
        document: dict[str, Any] = {"id": self.id}
        if self.variant is not None:
            document["variant"] = self.variant
        document.update(
            segment=self.segment,
            label=self.label,
            value=_number(self.value),
            numerator=_number(self.numerator),
            denominator=_number(self.denominator),
            ci95=None if self.ci95 is None else [_number(v) for v in self.ci95],
            target=_number(self.target),
            paced_target=_number(self.paced_target),
            status=self.status.value,
            unit=self.unit.value,
        )
        details = {k: _plain(v) for k, v in self.details.items()}
        non_finite = self._non_finite_fields()
        if non_finite:
            details["non_finite"] = non_finite
        if details:
            document["details"] = details
        return document

    def _non_finite_fields(self) -> list[str]:
        numbers: dict[str, list[float | None]] = {
            "value": [self.value],
            "numerator": [self.numerator],
            "denominator": [self.denominator],
            "ci95": list(self.ci95 or ()),
            "target": [self.target],
            "paced_target": [self.paced_target],
        }
        return [
            name
            for name, values in numbers.items()
            if any(v is not None and not math.isfinite(v) for v in values)
        ]


def _number(value: float | None) -> float | None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    rounded = round(float(value), 10)
    return int(rounded) if rounded.is_integer() and abs(rounded) < 2**53 else rounded


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def ratio(numerator: float, denominator: float) -> float | None:
    return None if not denominator else numerator / denominator


def wilson_interval(successes: float, trials: float) -> tuple[float, float] | None:
    """Return the 95% Wilson score interval of a proportion."""
    if trials <= 0 or successes < 0 or successes > trials:
        return None
    p = successes / trials
    z2 = Z_95 * Z_95
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    margin = Z_95 * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    margin /= 1 + z2 / trials
    low = 0.0 if successes == 0 else max(0.0, centre - margin)
    high = 1.0 if successes == trials else min(1.0, centre + margin)
    return low, high


# Above this many values the mean's interval comes from the normal
# approximation: the bootstrap would agree to a rounding error at a cost
# that grows with samples × values (2,000 × 100,000 draws per segment).
NORMAL_APPROXIMATION_FROM = 5_000
# Intervals of recent inputs. The web server reassembles KPIs after every
# live ingest, and most bootstrap inputs (people per account, persona
# coverage) do not change with a few new activities.
_MAX_CACHED_INTERVALS = 256
_intervals: OrderedDict[bytes, tuple[float, float]] = OrderedDict()
_intervals_lock = threading.Lock()


# Resamples are drawn and reduced this many draws at a time. The generator
# gives the same draws in blocks as in one samples × values matrix, so the
# intervals are the same, without a matrix of hundreds of megabytes.
_DRAWS_PER_BLOCK = 1 << 18


def _resamples(
    rng: np.random.Generator, count: int, samples: int
) -> Iterator[np.ndarray]:
    """Yield the indices of ``samples`` resamples of ``count`` values, a block
    of resamples (rows) at a time."""
    rows = max(1, _DRAWS_PER_BLOCK // count)
    for first in range(0, samples, rows):
        yield rng.integers(0, count, size=(min(rows, samples - first), count))


def bootstrap_mean_interval(
    values: list[float], samples: int, seed: int
) -> tuple[float, float] | None:
    """Return a 95% interval of the mean (bootstrap, or normal for large samples)."""
    if len(values) < 2:
        return None
    data = np.asarray(values, dtype=float)
    if len(data) >= NORMAL_APPROXIMATION_FROM:
        margin = Z_95 * float(data.std(ddof=1)) / math.sqrt(len(data))
        mean = float(data.mean())
        return mean - margin, mean + margin
    key = hashlib.sha256(data.tobytes() + f"/{samples}/{seed}".encode("ascii")).digest()
    with _intervals_lock:
        known = _intervals.get(key)
        if known is not None:
            _intervals.move_to_end(key)
            return known
    rng = np.random.default_rng(seed)
    means = np.concatenate(
        [data[picks].mean(axis=1) for picks in _resamples(rng, len(data), samples)]
    )
    low, high = np.percentile(means, [2.5, 97.5])
    interval = float(low), float(high)
    with _intervals_lock:
        _intervals[key] = interval
        while len(_intervals) > _MAX_CACHED_INTERVALS:
            _intervals.popitem(last=False)
    return interval


def bootstrap_ratio_interval(
    numerators: list[float], denominators: list[float], samples: int, seed: int
) -> tuple[float, float] | None:
    """Return a 95% bootstrap interval of sum(numerators) / sum(denominators).

    Items are resampled as pairs (for example a deal's won amount and its
    closed amount).
    """
    if len(numerators) < 2:
        return None
    top = np.asarray(numerators, dtype=float)
    bottom = np.asarray(denominators, dtype=float)
    rng = np.random.default_rng(seed)
    top_sums, bottom_sums = [], []
    for picks in _resamples(rng, len(top), samples):
        top_sums.append(top[picks].sum(axis=1))
        bottom_sums.append(bottom[picks].sum(axis=1))
    sums = np.concatenate(bottom_sums)
    valid = sums > 0
    if not valid.any():
        return None
    ratios = np.concatenate(top_sums)[valid] / sums[valid]
    low, high = np.percentile(ratios, [2.5, 97.5])
    return float(low), float(high)


def bootstrap_mean_ratio_interval(
    first: list[float], second: list[float], samples: int, seed: int
) -> tuple[float, float] | None:
    """Return a 95% bootstrap interval of mean(first) / mean(second).

    The two groups are resampled independently, as for target versus
    non-target deal sizes.
    """
    if len(first) < 2 or len(second) < 2:
        return None
    a = np.asarray(first, dtype=float)
    b = np.asarray(second, dtype=float)
    rng = np.random.default_rng(seed)
    means_a = np.concatenate(
        [a[picks].mean(axis=1) for picks in _resamples(rng, len(a), samples)]
    )
    means_b = np.concatenate(
        [b[picks].mean(axis=1) for picks in _resamples(rng, len(b), samples)]
    )
    valid = means_b > 0
    if not valid.any():
        return None
    ratios = means_a[valid] / means_b[valid]
    low, high = np.percentile(ratios, [2.5, 97.5])
    return float(low), float(high)


def judge(
    value: float | None,
    target: float | None,
    at_risk_ratio: float,
    higher_is_better: bool = True,
) -> Status:
    """Compare a value with its (paced) target."""
    if value is None:
        return Status.NO_DATA
    if target is None:
        return Status.NO_TARGET
    if higher_is_better:
        if value >= target:
            return Status.ON_TRACK
        return Status.AT_RISK if value >= target * at_risk_ratio else Status.OFF_TRACK
    if value <= target:
        return Status.ON_TRACK
    return Status.AT_RISK if value * at_risk_ratio <= target else Status.OFF_TRACK

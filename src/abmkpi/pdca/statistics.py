"""Lift of a 2×2 table, its confidence interval, Fisher's exact test and Holm.

A pattern's table counts accounts: a reached an opportunity and had the
pattern, b had it and did not reach one, c reached one without it, and d
neither had it nor reached one.

lift = P(opportunity | had it) ÷ P(opportunity | not) = (a / (a+b)) ÷ (c / (c+d)),
a risk ratio. Its 95% interval is the Katz log interval, with 0.5 added to
every cell when one is zero so the interval stays finite.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z_95 = 1.959963984540054


@dataclass(frozen=True)
class Table2x2:
    """Account counts of one pattern: a, b (had it), c, d (did not)."""

    a: int
    b: int
    c: int
    d: int

    @property
    def with_pattern(self) -> int:
        return self.a + self.b

    @property
    def without_pattern(self) -> int:
        return self.c + self.d


def lift(table: Table2x2) -> float | None:
    """Return the risk ratio, or None when either group is empty or c is 0.

    With c = 0 and a > 0 the ratio is infinite; None marks it as undefined,
    and the interval's lower bound still shows how large it is.
    """
    if table.with_pattern == 0 or table.without_pattern == 0 or table.c == 0:
        return None
    rate_with = table.a / table.with_pattern
    rate_without = table.c / table.without_pattern
    return rate_with / rate_without


def lift_interval(table: Table2x2) -> tuple[float, float] | None:
    """Return the Katz 95% interval of the lift, or None for an empty group."""
    if table.with_pattern == 0 or table.without_pattern == 0:
        return None
    cells = (table.a, table.b, table.c, table.d)
    shift = 0.5 if 0 in cells else 0.0
    a, b, c, d = (float(cell) + shift for cell in cells)
    ratio = (a / (a + b)) / (c / (c + d))
    spread = Z_95 * math.sqrt(1 / a - 1 / (a + b) + 1 / c - 1 / (c + d))
    log_ratio = math.log(ratio)
    return math.exp(log_ratio - spread), math.exp(log_ratio + spread)


def fisher_p_value(table: Table2x2) -> float:
    """Return the two-sided p-value of Fisher's exact test of the table."""
    # SciPy's stats module takes seconds to import; only patterns need it.
    from scipy.stats import fisher_exact

    result = fisher_exact([[table.a, table.b], [table.c, table.d]])
    return float(result.pvalue)


def holm_adjusted(p_values: list[float]) -> list[float]:
    """Return Holm–Bonferroni adjusted p-values, in the order given.

    The k-th smallest of m p-values is multiplied by m − k + 1, then made
    non-decreasing in that order and capped at 1.
    """
    count = len(p_values)
    order = sorted(range(count), key=lambda index: p_values[index])
    adjusted = [1.0] * count
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (count - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted

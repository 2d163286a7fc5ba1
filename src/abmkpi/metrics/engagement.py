"""Engagement score: decayed, weighted activity per account, and its history.

score(account, T) = Σ weight(type) × persona multiplier × tier multiplier
                      × 0.5 ^ (age / half-life)

over the account's activities up to instant T, after per-type daily caps.
Weights, multipliers, caps and the half-life come from the config and are
applied when the score is computed, so a config change rescores all history.

The highest score an account reached inside a period (which decides whether
it was an MQA then) uses the identity

    score(t_i) = 0.5^((t_i - R)/h) × Σ_{j ≤ i} c_j × 2^((t_j - R)/h)

with R the period start, so a running sum over the account's activities in
time order gives the score right after every activity without a self-join.
The account facts take the score at the period end and the peaks from one
table of capped, weighted activities (:func:`account_scores_expr`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import ibis
import ibis.expr.types as ir

from abmkpi.canonical import Persona
from abmkpi.metrics.context import KpiContext

SECONDS_PER_DAY = 86_400

# Activities older than this many half-lives weigh less than 2^-16 of their
# weight; leaving them out keeps the scan short without changing scores.
HORIZON_HALF_LIVES = 16


# A half-life so long that nothing decays still scans at most this far back.
MAX_HORIZON = timedelta(days=100 * 365)


def horizon(ctx: KpiContext) -> timedelta:
    days = ctx.settings.engagement.half_life_days * HORIZON_HALF_LIVES
    return MAX_HORIZON if days >= MAX_HORIZON.days else timedelta(days=days)


def weighted_activities_expr(
    ctx: KpiContext, since: datetime, until: datetime
) -> ir.Table:
    """Activities in (since, until] with their undecayed contribution ``points``.

    Daily caps keep the earliest activities of a capped type per account and
    business day. Persona and tier multipliers are applied; decay is not.
    """
    weighted = windowed_activities_expr(ctx, {"window": since}, until)
    return weighted.drop("in_window")


def windowed_activities_expr(
    ctx: KpiContext, windows: dict[str, datetime], until: datetime
) -> ir.Table:
    """Scoring activities of several windows (since, until] in one table.

    Rows are the activities of the widest window with ``points`` and, per
    window name, a flag ``in_<name>``: whether the activity scores in that
    window. A row flagged for a window is exactly a row that
    :func:`weighted_activities_expr` returns for it, daily caps included: a
    capped type's rank on a day counts only the window's activities of that
    day, so a window that starts in the middle of a day keeps the ones after
    its start. Scoring several windows from one table reads the activities
    and ranks them for the caps once.
    """
    settings = ctx.settings.engagement
    weights = {k.value: v for k, v in settings.weights.items() if v != 0}
    caps: dict[str, int] = {
        k.value: v for k, v in settings.daily_caps.items() if k.value in weights
    }
    since = min(windows.values())
    # A type without weight scores nothing and caps only its own rows, so it
    # is left out; only capped types are ranked within their day.
    capped = _rank_in_day(_activities_of(ctx, since, until, sorted(caps)))
    free = _activities_of(ctx, since, until, sorted(set(weights) - set(caps)))
    activities = capped.union(free.mutate(day_rank=ibis.null("int64")))
    people = ctx.table("people").select(
        person_ref=ctx.table("people").id, persona="persona"
    )
    activities = activities.left_join(people, activities.person_id == people.person_ref)
    activities = _flag_windows(ctx, activities, caps, windows)
    weight = _lookup(activities.type, weights, 0.0)
    persona = _lookup(
        activities.persona.fill_null(Persona.UNKNOWN.value),
        {k.value: v for k, v in settings.persona_multipliers.items()},
        1.0,
    )
    tier = _lookup(activities.tier.cast("string"), dict(settings.tier_multipliers), 1.0)
    return activities.mutate(points=weight * persona * tier).filter(
        lambda t: t.points != 0
    )


def _activities_of(
    ctx: KpiContext, since: datetime, until: datetime, types: list[str]
) -> ir.Table:
    activities = ctx.activities_expr()
    return activities.filter(
        activities.occurred_at > since,
        activities.occurred_at <= until,
        activities.type.isin(types) if types else ibis.literal(False),
    )


def _rank_in_day(activities: ir.Table) -> ir.Table:
    """Number each activity within its account, type and business day, in
    time order from 0 (``day_rank``)."""
    day = ibis.window(
        group_by=[activities.account_id, activities.type, activities.occurred_on],
        order_by=[activities.occurred_at, activities.id],
    )
    return activities.mutate(day_rank=ibis.row_number().over(day))


def _flag_windows(
    ctx: KpiContext,
    activities: ir.Table,
    caps: dict[str, int],
    windows: dict[str, datetime],
) -> ir.Table:
    """Flag each activity ``in_<name>`` for the windows it scores in; drop the
    activities that score in none.

    ``day_rank`` counts from the widest window's start. A later window starts
    on some day D, and its ranks on D count only its own activities. They are
    the ranks less the activities of D before the window (``skipped``), which
    a small count over the days around the window's start gives.
    """
    earliest = min(windows.values())
    later = {name: since for name, since in windows.items() if since != earliest}
    for name, since in later.items():
        skipped = _skipped_expr(ctx, earliest, since, sorted(caps), name)
        activities = activities.left_join(
            skipped,
            (activities.account_id == skipped[f"{name}_account"])
            & (activities.type == skipped[f"{name}_type"])
            & (activities.occurred_on == skipped[f"{name}_day"]),
        ).drop(f"{name}_account", f"{name}_type", f"{name}_day")
    cap = _lookup(activities.type, {k: float(v) for k, v in caps.items()}, None)
    flags = {}
    for name, since in windows.items():
        # row_number counts from 0 in Ibis, so rank < cap keeps `cap` rows.
        if name not in later:
            flags[f"in_{name}"] = cap.isnull() | (activities.day_rank < cap)
            continue
        rank = activities.day_rank - activities[f"{name}_skipped"].fill_null(0)
        flags[f"in_{name}"] = (activities.occurred_at > since) & (
            cap.isnull() | (rank < cap)
        )
    flagged = activities.mutate(**flags).drop(
        "day_rank", *(f"{name}_skipped" for name in later)
    )
    return flagged.filter(ibis.or_(*(flagged[flag] for flag in flags)))


def _skipped_expr(
    ctx: KpiContext, earliest: datetime, since: datetime, types: list[str], name: str
) -> ir.Table:
    """Activities of capped types from ``earliest`` up to ``since``, counted
    per account, type and day, for the days that may also hold activities
    after ``since`` (business days lie within a day of the UTC date)."""
    activities = _activities_of(ctx, earliest, since, types)
    near = activities.filter(
        activities.occurred_on >= (since - timedelta(days=2)).date()
    )
    return near.group_by(
        **{
            f"{name}_account": near.account_id,
            f"{name}_type": near.type,
            f"{name}_day": near.occurred_on,
        }
    ).aggregate(**{f"{name}_skipped": near.count()})


def _lookup(
    column: ir.Value, mapping: dict[str, float], default: float | None
) -> ir.FloatingValue:
    branches = [
        (column == key, ibis.literal(float(value))) for key, value in mapping.items()
    ]
    fallback = ibis.null("float64") if default is None else ibis.literal(float(default))
    if not branches:
        return fallback
    return ibis.cases(*branches, else_=fallback)


def _decay(
    ctx: KpiContext, instant: ir.TimestampValue, as_of: datetime
) -> ir.FloatingValue:
    half_life = ctx.settings.engagement.half_life_days * SECONDS_PER_DAY
    age = ibis.literal(epoch_seconds(as_of)) - instant.epoch_seconds()
    return ibis.literal(0.5) ** (age / half_life)


def epoch_seconds(instant: datetime) -> float:
    """Seconds since 1970 of a naive UTC instant."""
    return (instant - datetime(1970, 1, 1)).total_seconds()


def contributions_expr(ctx: KpiContext, as_of: datetime) -> ir.Table:
    """Return every scoring activity up to ``as_of`` with its decayed contribution."""
    weighted = weighted_activities_expr(ctx, as_of - horizon(ctx), as_of)
    return weighted.mutate(
        contribution=weighted.points * _decay(ctx, weighted.occurred_at, as_of)
    )


def scores_expr(ctx: KpiContext, as_of: datetime) -> ir.Table:
    """Engagement score per account with activity: account_id, score."""
    contributions = contributions_expr(ctx, as_of)
    return contributions.group_by("account_id").aggregate(
        score=contributions.contribution.sum()
    )


def peak_scores_expr(ctx: KpiContext) -> ir.Table:
    """Highest score per account inside the period, and when it first hit MQA.

    Columns: account_id, start_score (score at the period start), peak_score
    (max of start_score and the score right after each activity in the
    period), mqa_at (first activity instant at or above the threshold).
    """
    start, _ = ctx.bounds
    weighted = windowed_activities_expr(ctx, {"peak": start - horizon(ctx)}, ctx.as_of)
    return _peaks(ctx, weighted, {})


def account_scores_expr(ctx: KpiContext) -> ir.Table:
    """Return the score as of the period end and the peak scores, in one pass.

    Columns: account_id, score (as :func:`scores_expr`), start_score,
    peak_score and mqa_at (as :func:`peak_scores_expr`). Both windows come
    from one table of capped, weighted activities, so the activities are read,
    joined and ranked for the caps once.
    """
    start, _ = ctx.bounds
    window = horizon(ctx)
    weighted = windowed_activities_expr(
        ctx, {"score": ctx.as_of - window, "peak": start - window}, ctx.as_of
    )
    contribution = weighted.points * _decay(ctx, weighted.occurred_at, ctx.as_of)
    return _peaks(ctx, weighted, {"contribution": contribution})


def _peaks(ctx: KpiContext, weighted: ir.Table, extra: dict[str, ir.Value]) -> ir.Table:
    """Aggregate the peak columns over the rows flagged ``in_peak``, and the
    sum of ``contribution`` over the rows flagged ``in_score`` when given."""
    start, _ = ctx.bounds
    half_life = ctx.settings.engagement.half_life_days * SECONDS_PER_DAY
    offset = (weighted.occurred_at.epoch_seconds() - epoch_seconds(start)) / half_life
    grown = weighted.mutate(
        grown=ibis.ifelse(
            weighted.in_peak, weighted.points * ibis.literal(2.0) ** offset, 0.0
        ),
        offset=offset,
        **extra,
    )
    window = ibis.window(
        group_by=grown.account_id,
        order_by=[grown.occurred_at, grown.id],
        rows=(None, 0),
    )
    running = grown.mutate(
        score_after=grown.grown.sum().over(window) * ibis.literal(0.5) ** grown.offset
    )
    threshold = ctx.settings.engagement.mqa_threshold
    in_period = running.in_peak & (running.occurred_at >= start)
    before = running.in_peak & (running.occurred_at < start)
    aggregates = {
        "start_score": ibis.ifelse(before, running.grown, 0.0).sum(),
        "peak_in_period": ibis.ifelse(in_period, running.score_after, 0.0).max(),
        "mqa_at": running.occurred_at.min(
            where=in_period & (running.score_after >= threshold)
        ),
    }
    if extra:
        aggregates = {
            "score": running.contribution.sum(where=running.in_score),
            **aggregates,
        }
    return (
        running.group_by("account_id")
        .aggregate(**aggregates)
        .mutate(peak_score=lambda t: ibis.greatest(t.start_score, t.peak_in_period))
        .drop("peak_in_period")
    )

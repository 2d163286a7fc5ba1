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
"""

from __future__ import annotations

from datetime import datetime, timedelta

import ibis
import ibis.expr.types as ir

from abmkpi.canonical import ActivityType, Persona
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
    settings = ctx.settings.engagement
    activities = ctx.activities_expr()
    activities = activities.filter(
        activities.occurred_at > since, activities.occurred_at <= until
    )
    people = ctx.table("people").select(
        person_ref=ctx.table("people").id, persona="persona"
    )
    activities = activities.left_join(people, activities.person_id == people.person_ref)
    activities = _apply_daily_caps(activities, settings.daily_caps)
    weight = _lookup(
        activities.type, {k.value: v for k, v in settings.weights.items()}, 0.0
    )
    persona = _lookup(
        activities.persona.fill_null(Persona.UNKNOWN.value),
        {k.value: v for k, v in settings.persona_multipliers.items()},
        1.0,
    )
    tier = _lookup(activities.tier.cast("string"), dict(settings.tier_multipliers), 1.0)
    return activities.mutate(points=weight * persona * tier).filter(
        lambda t: t.points != 0
    )


def _apply_daily_caps(activities: ir.Table, caps: dict[ActivityType, int]) -> ir.Table:
    if not caps:
        return activities
    window = ibis.window(
        group_by=[activities.account_id, activities.type, activities.occurred_on],
        order_by=[activities.occurred_at, activities.id],
    )
    ranked = activities.mutate(day_rank=ibis.row_number().over(window))
    cap = _lookup(ranked.type, {k.value: float(v) for k, v in caps.items()}, None)
    # row_number counts from 0 in Ibis, so rank < cap keeps `cap` rows.
    return ranked.filter(cap.isnull() | (ranked.day_rank < cap)).drop("day_rank")


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
    half_life = ctx.settings.engagement.half_life_days * SECONDS_PER_DAY
    weighted = weighted_activities_expr(ctx, start - horizon(ctx), ctx.as_of)
    offset = (weighted.occurred_at.epoch_seconds() - epoch_seconds(start)) / half_life
    grown = weighted.mutate(
        grown=weighted.points * ibis.literal(2.0) ** offset, offset=offset
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
    in_period = running.occurred_at >= start
    return (
        running.group_by("account_id")
        .aggregate(
            start_score=ibis.ifelse(~in_period, running.grown, 0.0).sum(),
            peak_in_period=ibis.ifelse(in_period, running.score_after, 0.0).max(),
            mqa_at=running.occurred_at.min(
                where=in_period & (running.score_after >= threshold)
            ),
        )
        .mutate(peak_score=lambda t: ibis.greatest(t.start_score, t.peak_in_period))
        .drop("peak_in_period")
    )

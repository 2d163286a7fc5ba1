"""Stage dwell time and stage conversion from opportunity stage history.

A stay is a maximal run of consecutive history rows in the same stage; it
ends when the next run starts. A deal that leaves Proposal, goes back to
Qualification and returns has two Proposal stays, and its dwell time in
Proposal is their sum. Stays that have not ended are open and reported as
aging, separately from completed stays.

Conversion counts a stage as reached when the deal was ever in it or in any
later stage, so skipped stages count as passed; a won deal reached every
open stage; a lost deal reached only the stages up to the one it was lost
from. Each ratio is reached(next) ÷ reached(stage) and never exceeds 100%.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from abmkpi.metrics.context import KpiContext
from abmkpi.metrics.facts import _outcome_expr

SECONDS_PER_DAY = 86_400


def stage_definitions_expr(ctx: KpiContext) -> ir.Table:
    """Known stages with their sort order and whether they close a deal."""
    stages = ctx.table("opportunity_stages")
    return stages.group_by("stage").aggregate(
        sort_order=stages.sort_order.min(),
        is_closed=stages.is_closed.max(),
    )


def history_stages_expr(ctx: KpiContext) -> ir.Table:
    """Stages seen in history with the median position at which they appear."""
    history = ctx.table("opportunity_stage_history")
    rows = history.filter(~history.is_deleted)
    window = ibis.window(
        group_by=rows.opportunity_id, order_by=[rows.changed_at, rows.id]
    )
    ranked = rows.mutate(position=ibis.row_number().over(window))
    closed = _outcome_expr(ctx, ranked.stage, ranked.is_closed, False)
    return ranked.group_by("stage").aggregate(
        position=ranked.position.mean(),
        is_closed=closed.max(),
        seen=ranked.count(),
    )


def stays_expr(ctx: KpiContext) -> ir.Table:
    """Every stay of every live opportunity up to the as-of instant.

    Columns: opportunity_id, seg, tier, stage, closing (the stage closes the
    deal), started, ended (NULL while the stay is open), days.
    """
    history = ctx.table("opportunity_stage_history")
    rows = history.filter(~history.is_deleted, history.changed_at <= ctx.as_of)
    window = ibis.window(
        group_by=rows.opportunity_id, order_by=[rows.changed_at, rows.id]
    )
    rows = rows.mutate(previous_stage=rows.stage.lag().over(window))
    starts = (rows.previous_stage.isnull() | (rows.previous_stage != rows.stage)).cast(
        "int64"
    )
    rows = rows.mutate(
        run=starts.cumsum(
            group_by=rows.opportunity_id, order_by=[rows.changed_at, rows.id]
        )
    )
    closing = _outcome_expr(ctx, rows.stage, rows.is_closed, False)
    runs = rows.group_by(["opportunity_id", "run"]).aggregate(
        stage=rows.stage.max(),
        closing=closing.max(),
        started=rows.changed_at.min(),
    )
    order = ibis.window(group_by=runs.opportunity_id, order_by=runs.started)
    runs = runs.mutate(ended=runs.started.lead().over(order))
    deals = ctx.opportunities_expr().select("id", "seg", "tier", "type")
    stays = runs.join(deals, runs.opportunity_id == deals.id)
    seconds = stays.ended.epoch_seconds() - stays.started.epoch_seconds()
    return stays.select(
        "opportunity_id",
        "seg",
        "tier",
        "type",
        "stage",
        "closing",
        "started",
        "ended",
        days=seconds / SECONDS_PER_DAY,
    )


# NOTE: stage history is taken as exported. A deal that moves from a won stage
# back to an open one, or a stage label no stage definition names, is counted
# by its stages as given, and no import or report points it out.
def reached_expr(ctx: KpiContext, open_stages: list[str]) -> ir.Table:
    """The furthest open stage each deal created in the period reached.

    Columns: opportunity_id, seg, tier, type, reached (index into
    ``open_stages``, NULL if none of its stages is known), won, lost,
    loss_stage_unknown.
    """
    from abmkpi.metrics.facts import opportunity_facts_expr

    deals = opportunity_facts_expr(ctx)
    cohort = deals.filter(deals.created_in_period)
    history = ctx.table("opportunity_stage_history")
    seen = history.filter(~history.is_deleted, history.changed_at <= ctx.as_of).select(
        seen_id=history.opportunity_id.cast("string"),
        seen_stage=history.stage.cast("string"),
    )
    current = cohort.select(
        seen_id=cohort.opportunity_id.cast("string"),
        seen_stage=cohort.stage.cast("string"),
    )
    stages_seen = seen.union(current)
    index = _stage_index(stages_seen.seen_stage, open_stages)
    furthest = (
        stages_seen.mutate(index=index)
        .group_by("seen_id")
        .aggregate(furthest=lambda t: t.index.max())
    )
    joined = cohort.left_join(furthest, cohort.opportunity_id == furthest.seen_id)
    last = len(open_stages) - 1
    # A lost deal with no known open stage has no history to say where it was
    # lost, so it counts as lost at the last stage: the last conversion then
    # agrees with the win rate, and the count is reported.
    unknown_loss = joined.lost & joined.furthest.isnull()
    reached = ibis.ifelse(joined.won | unknown_loss, last, joined.furthest)
    return joined.select(
        "opportunity_id",
        "seg",
        "tier",
        "type",
        "won",
        "lost",
        reached=reached,
        loss_stage_unknown=unknown_loss,
    )


def _stage_index(stage: ir.StringValue, open_stages: list[str]) -> ir.IntegerValue:
    if not open_stages:
        return ibis.null("int64")
    branches = [(stage == name, ibis.literal(i)) for i, name in enumerate(open_stages)]
    return ibis.cases(*branches, else_=ibis.null("int64"))

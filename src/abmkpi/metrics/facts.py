"""Per-account and per-opportunity facts of a period, as Ibis expressions.

Every KPI of the marketing and sales groups is a sum, count or mean over
these facts, so each facts expression is the KPI logic itself. Turning facts
into results per segment is arithmetic, in :mod:`abmkpi.metrics.marketing`
and :mod:`abmkpi.metrics.sales`.
"""

from __future__ import annotations

from datetime import timedelta

import ibis
import ibis.expr.types as ir

from abmkpi.canonical import (
    DELIVERY_ACTIVITY_TYPES,
    SALES_ACTIVITY_TYPES,
    OpportunityType,
    Persona,
)
from abmkpi.metrics.context import KpiContext
from abmkpi.metrics.engagement import account_scores_expr

_PERSONAS = (Persona.DECISION_MAKER, Persona.INFLUENCER, Persona.USER)


def qualifying_types(ctx: KpiContext) -> list[str]:
    return [activity.value for activity in ctx.settings.engagement.qualifying_types]


def account_facts_expr(ctx: KpiContext) -> ir.Table:
    """Return one row per live account: segment, awareness, engagement, people.

    An account is aware with any touch (anything a person did, opens
    included) and engaged with an activity of a qualifying type. Its engaged
    people are the distinct people with a touch, so buying-group breadth
    counts everyone who responded, while engagement itself needs more than
    an open.

    Columns: account_id, seg, tier, aware, engaged, engaged_people,
    engaged_<persona> for each known persona, score (as of the period end),
    start_score, peak_score, mqa_at, new_opportunity (a new-business
    opportunity created in the period on the account).
    """
    accounts = ctx.accounts_expr()
    activity = _activity_facts_expr(ctx)
    scores = account_scores_expr(ctx)
    new_deals = _accounts_with_new_opportunity_expr(ctx)
    facts = (
        accounts.left_join(activity, "account_id")
        .left_join(scores, "account_id")
        .left_join(new_deals, "account_id")
    )
    columns = {
        "account_id": facts.account_id,
        "seg": facts.seg,
        "tier": facts.tier,
        "aware": facts.aware_count.fill_null(0) > 0,
        "engaged": facts.qualifying_count.fill_null(0) > 0,
        "engaged_people": facts.engaged_people.fill_null(0),
        "score": facts.score.fill_null(0.0),
        "start_score": facts.start_score.fill_null(0.0),
        "peak_score": facts.peak_score.fill_null(0.0),
        "mqa_at": facts.mqa_at,
        "new_opportunity": facts.new_opportunity.fill_null(False),
    }
    for persona in _PERSONAS:
        columns[f"engaged_{persona.value}"] = (
            facts[f"people_{persona.value}"].fill_null(0) > 0
        )
    return facts.select(**columns)


def _activity_facts_expr(ctx: KpiContext) -> ir.Table:
    activities = ctx.activities_in_period_expr()
    people = ctx.table("people")
    identities = people.select(identity_ref=people.id, persona=people.persona)
    activities = activities.left_join(
        identities, activities.identity_id == identities.identity_ref
    )
    qualifying = activities.type.isin(qualifying_types(ctx))
    # A touch is anything the person did, opens included; deliveries are not.
    touch = ~activities.type.isin([t.value for t in DELIVERY_ACTIVITY_TYPES])
    # One row per account and person first: counting people is then a plain
    # count, where four distinct counts over the activities would each hash
    # them all.
    people_of = activities.group_by("account_id", "identity_id", "persona").aggregate(
        touches=touch.sum(), qualifying=qualifying.sum()
    )
    responded = people_of.identity_id.notnull() & (people_of.touches > 0)
    aggregates = {
        "aware_count": people_of.touches.sum(),
        "qualifying_count": people_of.qualifying.sum(),
        "engaged_people": responded.sum(),
    }
    for persona in _PERSONAS:
        aggregates[f"people_{persona.value}"] = (
            responded & (people_of.persona == persona.value)
        ).sum()
    return people_of.group_by("account_id").aggregate(**aggregates)


def _accounts_with_new_opportunity_expr(ctx: KpiContext) -> ir.Table:
    opportunities = ctx.table("opportunities")
    new = opportunities.filter(
        ~opportunities.is_deleted,
        opportunities.merged_into_id.isnull(),
        opportunities.type == OpportunityType.NEW_BUSINESS.value,
        ctx.in_period(opportunities.created_on),
    )
    links = ctx.table("opportunity_accounts")
    linked = links.join(new, links.opportunity_id == new.id)
    return (
        linked.filter(linked.account_id.notnull())
        .select("account_id")
        .distinct()
        .mutate(new_opportunity=ibis.literal(True))
    )


def _outcome_expr(
    ctx: KpiContext, stage: ir.StringValue, flag: ir.BooleanValue, won: bool
) -> ir.BooleanValue:
    """Return the closed (or won) flag, else the configured outcome of the stage."""
    outcomes = ctx.settings.opportunities.stage_outcomes
    wanted = {"won"} if won else {"won", "lost"}
    labels = [label.lower() for label, outcome in outcomes.items() if outcome in wanted]
    from_label = stage.lower().strip().isin(labels) if labels else ibis.literal(False)
    return flag.fill_null(from_label.fill_null(False))


def opportunity_facts_expr(ctx: KpiContext) -> ir.Table:
    """Return one row per live opportunity with its status in and at the period end.

    Status comes from the closed/won flags (never the stage label) when the
    source exports them, then from the source's stage definitions, and only
    then from the configured stage outcomes. The state at the as-of instant
    comes from the latest stage-history row up to that instant when there is
    one, which is what makes point-in-time pipeline correct.
    """
    opportunities = _with_stage_definitions(ctx, ctx.opportunities_expr())
    history = _state_at_expr(ctx)
    facts = opportunities.left_join(
        history, opportunities.id == history.history_opportunity_id
    )
    closed = _outcome_expr(
        ctx, facts.stage, facts.is_closed.fill_null(facts.def_closed), False
    )
    won = _outcome_expr(ctx, facts.stage, facts.is_won.fill_null(facts.def_won), True)
    # A deal without a creation date is taken to exist from the first creation
    # date of its source's deals, so it is not open in periods before any data.
    first = _first_created_expr(ctx)
    facts = facts.left_join(first, facts.source_system == first.first_source)
    assumed_created = facts.created_at.fill_null(facts.first_created)
    created_known = assumed_created.isnull() | (assumed_created <= ctx.as_of)
    closed_by_then = closed & (facts.close_date <= ctx.as_of_date)
    open_at_end = created_known & ibis.ifelse(
        facts.history_opportunity_id.notnull(), ~facts.history_closed, ~closed_by_then
    )
    rate = ibis.ifelse(
        facts.amount.notnull() & (facts.amount != 0),
        facts.amount_reporting / facts.amount,
        ibis.null("float64"),
    )
    amount_at_end = ibis.ifelse(
        facts.history_amount.notnull(),
        facts.history_amount * rate,
        facts.amount_reporting,
    )
    close_at_end = facts.history_close_date.fill_null(facts.close_date)
    influenced = _influenced_expr(ctx)
    facts = facts.left_join(influenced, facts.id == influenced.influenced_id)
    return facts.select(
        opportunity_id=facts.id,
        seg=facts.seg,
        tier=facts.tier,
        type=facts.type,
        stage=facts.stage,
        stage_at_end=facts.history_stage.fill_null(facts.stage),
        amount=facts.amount_reporting,
        fx_rate_missing=facts.fx_rate_missing,
        created_on=facts.created_on,
        close_date=facts.close_date,
        created_in_period=ctx.in_period(facts.created_on).fill_null(False),
        closed_in_period=(closed & ctx.in_period(facts.close_date)).fill_null(False),
        won=won & closed,
        lost=closed & ~won,
        open_at_end=open_at_end.fill_null(False),
        amount_at_end=amount_at_end,
        overdue_at_end=(open_at_end & (close_at_end < ctx.as_of_date)).fill_null(False),
        cycle_days=facts.close_date.delta(facts.created_on, unit="day"),
        influenced=facts.influenced_id.notnull(),
        created_unknown=facts.created_at.isnull(),
    )


def _first_created_expr(ctx: KpiContext) -> ir.Table:
    opportunities = ctx.table("opportunities")
    return opportunities.group_by(first_source=opportunities.source_system).aggregate(
        first_created=opportunities.created_at.min()
    )


def _with_stage_definitions(ctx: KpiContext, opportunities: ir.Table) -> ir.Table:
    stages = ctx.table("opportunity_stages")
    definitions = stages.select(
        def_source=stages.source_system,
        def_stage=stages.stage,
        def_closed=stages.is_closed,
        def_won=stages.is_won,
    )
    joined = opportunities.left_join(
        definitions,
        (opportunities.source_system == definitions.def_source)
        & (opportunities.stage == definitions.def_stage),
    )
    return joined.drop("def_source", "def_stage")


def _state_at_expr(ctx: KpiContext) -> ir.Table:
    """Return the latest stage-history row of each deal up to the as-of instant."""
    history = ctx.table("opportunity_stage_history")
    rows = history.filter(~history.is_deleted, history.changed_at <= ctx.as_of)
    stages = ctx.table("opportunity_stages")
    rows = rows.left_join(
        stages,
        (rows.source_system == stages.source_system) & (rows.stage == stages.stage),
    )
    window = ibis.window(
        group_by=rows.opportunity_id,
        order_by=[ibis.desc(rows.changed_at), ibis.desc(rows.id)],
    )
    ranked = rows.mutate(position=ibis.row_number().over(window))
    latest = ranked.filter(ranked.position == 0)
    closed = _outcome_expr(
        ctx, latest.stage, latest.is_closed.fill_null(latest.is_closed_right), False
    )
    return latest.select(
        history_opportunity_id=latest.opportunity_id,
        history_closed=closed,
        history_stage=latest.stage,
        history_amount=latest.amount,
        history_close_date=latest.close_date,
    )


def _influenced_expr(ctx: KpiContext) -> ir.Table:
    """Ids of opportunities with marketing engagement on a linked account in
    the configured number of days before their creation."""
    window = timedelta(days=ctx.settings.engagement.influence_window_days)
    marketing = [
        t
        for t in qualifying_types(ctx)
        if t not in {s.value for s in SALES_ACTIVITY_TYPES}
    ]
    activities = ctx.table("activities")
    touches = activities.filter(
        ~activities.is_deleted,
        activities.account_id.notnull(),
        activities.type.isin(marketing),
    ).select(touch_account=activities.account_id, touched_at=activities.occurred_at)
    opportunities = ctx.table("opportunities")
    created = opportunities.filter(opportunities.created_at.notnull()).select(
        deal_id=opportunities.id, deal_created_at=opportunities.created_at
    )
    links = ctx.table("opportunity_accounts")
    joined = links.join(created, links.opportunity_id == created.deal_id).join(
        touches, links.account_id == touches.touch_account
    )
    joined = joined.filter(
        joined.touched_at <= joined.deal_created_at,
        joined.touched_at
        >= joined.deal_created_at - ibis.interval(seconds=int(window.total_seconds())),
    )
    return joined.select(influenced_id=joined.opportunity_id).distinct()


def new_leads_expr(ctx: KpiContext) -> ir.Table:
    """Leads created in the period, with the segment of their matched account."""
    people = ctx.table("people")
    leads = people.filter(
        people.kind == "lead",
        ~people.is_deleted,
        people.merged_into_id.isnull(),
        ctx.instant_in_period(people.created_at),
    )
    accounts = ctx.tagged_accounts_expr()
    tagged = leads.left_join(accounts, leads.account_id == accounts.account_id)
    if ctx.account_id is not None:
        tagged = tagged.filter(tagged.seg.notnull())
    listed = ctx.is_listed(tagged.account_id)
    if listed is not None:
        tagged = tagged.filter(listed)
    return tagged.select(
        person_id=tagged.id,
        seg=tagged.seg.fill_null("unattributed"),
        tier=tagged.tier,
    )


def deal_status_expr(ctx: KpiContext) -> ir.Table:
    """Return every live opportunity with its current outcome and primary account.

    Columns: deal_id, deal_account_id, deal_type, deal_amount (reporting
    currency), deal_close_date, deal_won, deal_lost. Outcomes come from the
    same flags, stage definitions and stage outcomes as the sales KPIs.
    """
    opportunities = ctx.table("opportunities")
    live = opportunities.filter(
        ~opportunities.is_deleted, opportunities.merged_into_id.isnull()
    )
    deals = _with_stage_definitions(ctx, live)
    closed = _outcome_expr(
        ctx, deals.stage, deals.is_closed.fill_null(deals.def_closed), False
    )
    won = _outcome_expr(ctx, deals.stage, deals.is_won.fill_null(deals.def_won), True)
    return deals.select(
        deal_id=deals.id,
        deal_account_id=deals.account_id,
        deal_type=deals.type,
        deal_amount=deals.amount_reporting,
        deal_close_date=deals.close_date,
        deal_won=(won & closed).fill_null(False),
        deal_lost=(closed & ~won).fill_null(False),
    )

"""Customer-success facts of a period, as Ibis expressions.

Three kinds of rows feed the customer-success KPIs
(:mod:`abmkpi.metrics.customer_success`):

- contracts: one row per live contract that ends in the period (the renewal
  cohort) or is in force at the period start (the recurring revenue that
  upsell is measured against), with the cohort outcome judged at the
  context's ``observed_date``;
- customers: one row per live account with won revenue or recurring
  revenue: ARR at the period start, expansion won in the period and
  lifetime won revenue up to the period end;
- NPS: the latest response of each respondent in the period.

Amounts are in the reporting currency.
"""

from __future__ import annotations

from datetime import timedelta

import ibis
import ibis.expr.types as ir

from abmkpi.canonical import OpportunityType
from abmkpi.metrics.context import KpiContext
from abmkpi.metrics.facts import deal_status_expr

# Contract statuses (compared lower-cased) of a contract that is not, or no
# longer, in force: a renewal contract in one of them is no renewal yet, and
# a contract in one of them is not recurring revenue. Salesforce's standard
# statuses are Draft, In Approval Process and Activated.
NOT_IN_FORCE_STATUSES = (
    "draft",
    "in approval process",
    "cancelled",
    "canceled",
    "terminated",
    "churned",
    "void",
    "下書き",
    "承認申請中",
    "キャンセル",
    "解約",
    "解約済み",
)
# Statuses of a contract that ended without renewal by the customer's choice.
CHURNED_STATUSES = (
    "cancelled",
    "canceled",
    "terminated",
    "churned",
    "lost",
    "キャンセル",
    "解約",
    "解約済み",
)


def _status(contracts: ir.Table) -> ir.StringValue:
    return contracts.status.fill_null("").strip().lower()


def _tagged_contracts_expr(ctx: KpiContext) -> ir.Table:
    """Live contracts with the segment key of their live account."""
    contracts = ctx.table("contracts")
    live = contracts.filter(~contracts.is_deleted)
    accounts = ctx.tagged_accounts_expr()
    tagged = live.left_join(accounts, live.account_id == accounts.account_id)
    if ctx.account_id is not None:
        tagged = tagged.filter(tagged.seg.notnull())
    listed = ctx.is_listed(tagged.account_id)
    if listed is not None:
        tagged = tagged.filter(listed)
    return tagged.mutate(
        seg=tagged.seg.fill_null("unattributed"), status_key=_status(tagged)
    )


def _successors_expr(ctx: KpiContext) -> ir.Table:
    """Per renewed contract: its in-force renewal contracts and their ARR."""
    contracts = ctx.table("contracts")
    renewals = contracts.filter(
        ~contracts.is_deleted,
        contracts.renewed_contract_id.notnull(),
        ~_status(contracts).isin(NOT_IN_FORCE_STATUSES),
    )
    return renewals.group_by(successor_of=renewals.renewed_contract_id).aggregate(
        successors=renewals.id.count(),
        successor_arr=renewals.arr_reporting.sum(),
        successor_arr_known=renewals.arr_reporting.count(),
    )


def _renewal_links_expr(ctx: KpiContext) -> ir.Table:
    """Pairs (contract, live renewal opportunity) linked from either side.

    A deal merged into another links through its winner.
    """
    contracts = ctx.table("contracts")
    from_contract = contracts.filter(
        ~contracts.is_deleted, contracts.renewal_opportunity_id.notnull()
    ).select(
        link_contract=contracts.id.cast("string"),
        link_deal=contracts.renewal_opportunity_id.cast("string"),
    )
    opportunities = ctx.table("opportunities")
    from_deal = opportunities.filter(
        ~opportunities.is_deleted, opportunities.renewed_contract_id.notnull()
    ).select(
        link_contract=opportunities.renewed_contract_id.cast("string"),
        link_deal=opportunities.id.cast("string"),
    )
    links = from_contract.union(from_deal)
    winners = opportunities.select(
        merged_id=opportunities.id,
        winner_id=opportunities.merged_into_id.fill_null(opportunities.id),
    )
    resolved = links.left_join(winners, links.link_deal == winners.merged_id)
    return resolved.select(
        link_contract=resolved.link_contract,
        link_deal=resolved.winner_id.fill_null(resolved.link_deal),
    ).distinct()


def _renewal_deals_expr(ctx: KpiContext) -> ir.Table:
    """Per contract: the outcome of its renewal deals at the observed date.

    A deal that renews several contracts (a co-terminated renewal) is shared
    among them in proportion to their ARR, so no amount counts twice.
    """
    observed = ctx.observed_date
    links = _renewal_links_expr(ctx)
    contracts = ctx.table("contracts")
    arr = contracts.select(arr_id=contracts.id, link_arr=contracts.arr_reporting)
    deals = deal_status_expr(ctx)
    joined = links.join(deals, links.link_deal == deals.deal_id).left_join(
        arr, links.link_contract == arr.arr_id
    )
    per_deal = ibis.window(group_by=joined.link_deal)
    total_arr = joined.link_arr.sum().over(per_deal)
    count = joined.link_contract.count().over(per_deal)
    share = ibis.ifelse(
        joined.link_arr.notnull() & (total_arr > 0),
        joined.link_arr / total_arr,
        1.0 / count,
    )
    joined = joined.mutate(share=share)
    won_by_then = joined.deal_won & (joined.deal_close_date <= observed)
    won_later = joined.deal_won & (joined.deal_close_date > observed)
    lost_by_then = joined.deal_lost & (joined.deal_close_date <= observed)
    priced = won_by_then & joined.deal_amount.notnull()
    return joined.group_by(deal_contract=joined.link_contract).aggregate(
        renewed_on=joined.deal_close_date.min(where=won_by_then),
        deal_arr=(joined.deal_amount * joined.share).sum(where=priced),
        deal_arr_known=priced.sum(),
        won_later=won_later.any(),
        renewal_lost=lost_by_then.any(),
    )


def contract_facts_expr(ctx: KpiContext) -> ir.Table:
    """Return the contracts due in the period or in force at its start.

    A contract is due when its end date falls in the period (the whole
    period, also its days after the as-of date). Its outcome, judged at
    ``ctx.observed_date``:

    - renewed: an in-force renewal contract names it (unless its renewal
      deal was won only after the observed date), or a renewal deal linked
      to it was won by then, whenever the deal was signed;
    - churned: not renewed, and its status is one of ``CHURNED_STATUSES``
      or its renewal deal was lost;
    - lapsed: neither, and its end date is more than
      ``kpi.renewal_grace_days`` before the observed date;
    - pending: the rest.

    Renewed ARR is the ARR of the renewal contracts, else the won renewal
    deals' share of their amounts, else (renewed, no amount known) the
    contract's own ARR, flagged as assumed.

    Columns: contract_id, account_id, seg, tier, start_date, end_date, arr,
    due, in_force_at_start, outcome, renewed_on, renewed_arr,
    renewed_arr_assumed.
    """
    start, end = ctx.period.start, ctx.period.end
    contracts = _tagged_contracts_expr(ctx)
    due = contracts.end_date.between(start, end)
    in_force = (
        ~contracts.status_key.isin(NOT_IN_FORCE_STATUSES)
        & (contracts.start_date <= start)
        & (contracts.end_date >= start)
    )
    contracts = contracts.filter(due.fill_null(False) | in_force.fill_null(False))
    successors = _successors_expr(ctx)
    deals = _renewal_deals_expr(ctx)
    facts = contracts.left_join(
        successors, contracts.id == successors.successor_of
    ).left_join(deals, contracts.id == deals.deal_contract)
    has_successor = facts.successors.fill_null(0) > 0
    renewed = facts.renewed_on.notnull() | (
        has_successor & ~facts.won_later.fill_null(False)
    )
    churned = ~renewed & (
        facts.status_key.isin(CHURNED_STATUSES) | facts.renewal_lost.fill_null(False)
    )
    lapse_before = ctx.observed_date - timedelta(
        days=ctx.settings.kpi.renewal_grace_days
    )
    lapsed = ~renewed & ~churned & (facts.end_date < lapse_before)
    outcome = ibis.cases(
        (renewed, "renewed"),
        (churned, "churned"),
        (lapsed.fill_null(False), "lapsed"),
        else_="pending",
    )
    from_successors = has_successor & (facts.successor_arr_known.fill_null(0) > 0)
    from_deals = facts.deal_arr_known.fill_null(0) > 0
    renewed_arr = ibis.cases(
        (~renewed, 0.0),
        (from_successors, facts.successor_arr),
        (from_deals, facts.deal_arr),
        else_=facts.arr_reporting,
    )
    return facts.select(
        contract_id=facts.id,
        account_id=facts.account_id,
        seg=facts.seg,
        tier=facts.tier,
        start_date=facts.start_date,
        end_date=facts.end_date,
        arr=facts.arr_reporting,
        due=due.fill_null(False),
        in_force_at_start=in_force.fill_null(False),
        outcome=outcome,
        renewed_on=facts.renewed_on,
        renewed_arr=renewed_arr,
        renewed_arr_assumed=renewed & ~from_successors & ~from_deals,
    )


def customer_facts_expr(ctx: KpiContext) -> ir.Table:
    """Return one row per live account with recurring or won revenue.

    Won revenue is the amount of won deals of every type (new business,
    expansion, renewal) on the deal's primary account, each deal once.
    Contract ARR is not added to it: contracts are what those deals bought,
    so adding both would count the same revenue twice.

    Columns: account_id, seg, tier, arr_at_start (ARR of the contracts in
    force at the period start), expansion_won and expansion_deals (expansion
    deals won in the period up to the as-of date), lifetime_won and
    won_deals (deals won up to the as-of date), won_without_amount.
    """
    deals = deal_status_expr(ctx)
    expansion = (
        deals.deal_won
        & (deals.deal_type == OpportunityType.EXPANSION.value)
        & ctx.in_period(deals.deal_close_date)
    )
    to_date = deals.deal_won & (deals.deal_close_date <= ctx.as_of_date)
    revenue = (
        deals.filter(deals.deal_account_id.notnull())
        .group_by(revenue_account=deals.deal_account_id)
        .aggregate(
            expansion_won=deals.deal_amount.sum(where=expansion.fill_null(False)),
            expansion_deals=expansion.fill_null(False).sum(),
            lifetime_won=deals.deal_amount.sum(where=to_date.fill_null(False)),
            won_deals=to_date.fill_null(False).sum(),
            won_without_amount=(to_date & deals.deal_amount.isnull())
            .fill_null(False)
            .sum(),
        )
    )
    contracts = contract_facts_expr(ctx)
    recurring = (
        contracts.filter(contracts.in_force_at_start, contracts.account_id.notnull())
        .group_by(recurring_account=contracts.account_id)
        .aggregate(arr_at_start=contracts.arr.sum())
    )
    accounts = ctx.accounts_expr()
    facts = accounts.left_join(
        revenue, accounts.account_id == revenue.revenue_account
    ).left_join(recurring, accounts.account_id == recurring.recurring_account)
    facts = facts.filter(
        facts.revenue_account.notnull() | facts.recurring_account.notnull()
    )
    return facts.select(
        account_id=facts.account_id,
        seg=facts.seg,
        tier=facts.tier,
        arr_at_start=facts.arr_at_start.fill_null(0.0),
        expansion_won=facts.expansion_won.fill_null(0.0),
        expansion_deals=facts.expansion_deals.fill_null(0),
        lifetime_won=facts.lifetime_won.fill_null(0.0),
        won_deals=facts.won_deals.fill_null(0),
        won_without_amount=facts.won_without_amount.fill_null(0),
    )


def nps_facts_expr(ctx: KpiContext) -> ir.Table:
    """Return the latest NPS response of each respondent in the period.

    A respondent is the person behind the response (its identity after merges
    and lead conversion), else the person with its e-mail address, else the
    address itself, else the response.
    A later response replaces earlier ones, so a person who responded every
    quarter counts once, with their current view.

    Columns: respondent, response_id, account_id, seg, tier, score,
    responded_at.
    """
    responses = ctx.table("nps_responses")
    in_period = responses.filter(ctx.instant_in_period(responses.responded_at))
    in_period = in_period.mutate(email_key=in_period.email.strip().lower())
    people = ctx.table("people")
    identities = people.select(
        identity_ref=people.id, identity=people.identity_id.fill_null(people.id)
    )
    known = people.filter(~people.is_deleted, people.email.notnull())
    by_email = known.group_by(identity_email=known.email.strip().lower()).aggregate(
        email_identity=known.identity_id.fill_null(known.id).min()
    )
    joined = in_period.left_join(
        identities, in_period.person_id == identities.identity_ref
    ).left_join(by_email, in_period.email_key == by_email.identity_email)
    respondent = ibis.coalesce(
        joined.identity, joined.email_identity, joined.email_key, joined.id
    )
    joined = joined.mutate(respondent=respondent)
    window = ibis.window(
        group_by=joined.respondent,
        order_by=[ibis.desc(joined.responded_at), ibis.desc(joined.id)],
    )
    ranked = joined.mutate(position=ibis.row_number().over(window))
    latest = ranked.filter(ranked.position == 0)
    accounts = ctx.tagged_accounts_expr()
    tagged = latest.left_join(accounts, latest.account_id == accounts.account_id)
    if ctx.account_id is not None:
        tagged = tagged.filter(tagged.seg.notnull())
    listed = ctx.is_listed(tagged.account_id)
    if listed is not None:
        tagged = tagged.filter(listed)
    return tagged.select(
        respondent=tagged.respondent,
        response_id=tagged.id,
        account_id=ibis.ifelse(tagged.seg.notnull(), tagged.account_id, None),
        seg=tagged.seg.fill_null("unattributed"),
        tier=tagged.tier,
        score=tagged.score,
        responded_at=tagged.responded_at,
    )

"""Part 1, diagnosis: is MA linked to SFA? Match rates, deals on target
accounts and data freshness, per source."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from abmkpi.canonical import SALES_ACTIVITY_TYPES
from abmkpi.diagnostics.context import LIVE_OPPORTUNITY, DiagnosticContext
from abmkpi.diagnostics.diagnosis import TARGET_ACCOUNTS_SQL
from abmkpi.diagnostics.items import N_, CheckItem, CheckStatus, Part, message, worst

_SALES_TYPES = sorted(str(kind) for kind in SALES_ACTIVITY_TYPES)


def check_match_rate(ctx: DiagnosticContext) -> CheckItem:
    """Judge each MA source's share of live activities matched to an account.

    An MA source is a source system with activities other than sales
    meetings, calls and e-mails (CRM tasks and events are sales activities).
    """
    title = N_("MA↔SFA linkage: activities matched to accounts, per MA source")
    minimum = ctx.settings.diagnose.min_match_rate
    sources = _activity_match_rates(ctx)

    if not sources:
        return CheckItem(
            "diagnosis.match_rate",
            Part.DIAGNOSIS,
            title,
            CheckStatus.FAIL,
            message(N_("No MA activities are imported, so nothing links to SFA.")),
            {"min_match_rate": minimum, "sources": []},
            message(
                N_(
                    "Import the MA activity exports (Marketo, Account Engagement, "
                    "HubSpot, Mautic) with 'abmkpi import'."
                )
            ),
        )

    for source in sources:
        source["status"] = str(_rate_status(source["match_rate"], minimum))

    status = worst(*(CheckStatus(source["status"]) for source in sources))
    lowest = min(sources, key=lambda source: source["match_rate"])

    summary = message(
        N_(
            "Lowest match rate: %(source)s with %(rate)s of %(total)s activities "
            "(threshold %(minimum)s)."
        ),
        source=lowest["source_system"],
        rate=_percent(lowest["match_rate"]),
        total=lowest["activities"],
        minimum=_percent(minimum),
    )

    fix = message(
        N_(
            "Run 'abmkpi match --report' to see why activities did not match; "
            "import the CRM accounts and contacts the MA records belong to, and "
            "add free-mail exceptions (matching.not_free_mail_domains) or "
            "matching.fuzzy_threshold where names differ. The threshold is "
            "diagnose.min_match_rate."
        )
    )

    return CheckItem(
        "diagnosis.match_rate",
        Part.DIAGNOSIS,
        title,
        status,
        summary,
        {"min_match_rate": minimum, "sources": sources},
        None if status is CheckStatus.PASS else fix,
    )


def _activity_match_rates(ctx: DiagnosticContext) -> list[dict[str, Any]]:
    rows = ctx.store.fetch_all(
        """
        SELECT source_system, count(*),
               count(*) FILTER (WHERE account_id IS NOT NULL)
        FROM activities
        WHERE NOT is_deleted
        GROUP BY source_system
        HAVING count(*) FILTER (WHERE NOT list_contains(?, type)) > 0
        ORDER BY source_system
        """,
        [_SALES_TYPES],
    )
    sources = []

    for source, total, matched in rows:
        sources.append(
            {
                "source_system": source,
                "activities": int(total),
                "matched": int(matched),
                "match_rate": matched / total,
                "unmatched_reasons": _unmatched_reasons(ctx, source),
                "unmatched_ids": _unmatched_ids(ctx, source),
            }
        )
    return sources


def _unmatched_reasons(ctx: DiagnosticContext, source: str) -> dict[str, int]:
    rows = ctx.store.fetch_all(
        "SELECT coalesce(match_note, 'not_matched_yet'), count(*) FROM activities "
        "WHERE NOT is_deleted AND account_id IS NULL AND source_system = ? "
        "GROUP BY ALL ORDER BY 2 DESC, 1",
        [source],
    )
    return {reason: int(count) for reason, count in rows}


def _unmatched_ids(ctx: DiagnosticContext, source: str) -> list[str]:
    rows = ctx.store.fetch_all(
        "SELECT id FROM activities WHERE NOT is_deleted AND account_id IS NULL "
        "AND source_system = ? ORDER BY occurred_at DESC, id LIMIT ?",
        [source, ctx.max_listed],
    )
    return [row[0] for row in rows]


def _rate_status(rate: float, minimum: float) -> CheckStatus:
    if rate >= minimum:
        return CheckStatus.PASS

    if rate >= minimum / 2:
        return CheckStatus.WARN
    return CheckStatus.FAIL


def _percent(share: float) -> str:
    return f"{share:.1%}"


def check_target_opportunities(ctx: DiagnosticContext) -> CheckItem:
    """Judge whether SFA deals land on accounts, and on target accounts."""
    title = N_("MA↔SFA linkage: opportunities on target accounts")
    total, on_targets, without_account = ctx.store.fetch_one(
        f"""
        SELECT count(*),
               count(*) FILTER (WHERE EXISTS (
                   SELECT 1 FROM opportunity_accounts l
                   WHERE l.opportunity_id = o.id
                     AND l.account_id IN ({TARGET_ACCOUNTS_SQL}))),
               count(*) FILTER (WHERE o.account_id IS NULL)
        FROM opportunities o WHERE {LIVE_OPPORTUNITY}
        """
    ) or (0, 0, 0)

    if not total:
        return CheckItem(
            "diagnosis.target_opportunities",
            Part.DIAGNOSIS,
            title,
            CheckStatus.FAIL,
            message(N_("No opportunities are imported, so sales KPIs are empty.")),
            {"opportunities": 0},
            message(N_("Import the CRM opportunities with 'abmkpi import'.")),
        )
    unlinked_ids = [
        row[0]
        for row in ctx.store.fetch_all(
            f"SELECT o.id FROM opportunities o WHERE {LIVE_OPPORTUNITY} "
            "AND o.account_id IS NULL ORDER BY o.id LIMIT ?",
            [ctx.max_listed],
        )
    ]
    unlinked_share = without_account / total

    status = CheckStatus.PASS
    if unlinked_share > 1 - ctx.settings.diagnose.min_match_rate:
        status = CheckStatus.WARN

    if not on_targets:
        status = CheckStatus.FAIL

    evidence = {
        "opportunities": int(total),
        "on_target_accounts": int(on_targets),
        "target_share": on_targets / total,
        "without_account": int(without_account),
        "without_account_share": unlinked_share,
        "without_account_ids": unlinked_ids,
    }

    summary = message(
        N_(
            "%(on_targets)s of %(total)s opportunities are on target accounts; "
            "%(unlinked)s have no live account."
        ),
        on_targets=int(on_targets),
        total=int(total),
        unlinked=int(without_account),
    )

    fix = message(
        N_(
            "Import the accounts the listed opportunities point to, and check "
            "that the target list ('abmkpi targets') names the accounts sales "
            "works on."
        )
    )

    return CheckItem(
        "diagnosis.target_opportunities",
        Part.DIAGNOSIS,
        title,
        status,
        summary,
        evidence,
        None if status is CheckStatus.PASS else fix,
    )


def check_data_freshness(ctx: DiagnosticContext) -> CheckItem:
    """Judge the age of each source's data: its newest activity or CRM record
    (opportunity, stage change, account or person) against now.

    When the source was last imported is shown beside it but not judged: a
    stale export imported again every night is still stale data.
    """
    title = N_("MA↔SFA linkage: data is fresh")
    max_age = ctx.settings.diagnose.max_data_age_days
    sources = _source_ages(ctx)

    if not sources:
        return CheckItem(
            "diagnosis.data_freshness",
            Part.DIAGNOSIS,
            title,
            CheckStatus.FAIL,
            message(N_("No data has been imported yet.")),
            {"max_data_age_days": max_age, "sources": []},
            message(N_("Import the MA and CRM exports with 'abmkpi import'.")),
        )
    stale = [
        source
        for source in sources
        if source["data_age_days"] is None or source["data_age_days"] > max_age
    ]
    for source in sources:
        source["status"] = str(
            CheckStatus.FAIL if source in stale else CheckStatus.PASS
        )

    status = CheckStatus.PASS
    if stale:
        status = CheckStatus.FAIL if len(stale) == len(sources) else CheckStatus.WARN

    oldest = max(
        sources,
        key=lambda source: (
            source["data_age_days"] is None,
            source["data_age_days"] or 0.0,
        ),
    )
    summary = message(
        N_(
            "%(stale)s of %(total)s sources have no activity or record newer "
            "than %(days)s days; the oldest, %(source)s, ends at %(newest)s."
        ),
        stale=len(stale),
        total=len(sources),
        days=max_age,
        source=oldest["source_system"],
        newest=oldest["newest_data"] or "-",
    )

    fix = message(
        N_(
            "Import current exports of the stale sources with 'abmkpi import' "
            "(schedule the exports), or send events to POST /api/v1/activities. "
            "An export that is imported often but ends long ago is still stale. "
            "The limit is diagnose.max_data_age_days."
        )
    )

    return CheckItem(
        "diagnosis.data_freshness",
        Part.DIAGNOSIS,
        title,
        status,
        summary,
        {
            "max_data_age_days": max_age,
            "sources": sources,
            "stale_sources": [s["source_system"] for s in stale],
        },
        None if status is CheckStatus.PASS else fix,
    )


def _source_ages(ctx: DiagnosticContext) -> list[dict[str, Any]]:
    """Return per source the newest activity, the newest CRM record and the
    last import, as local times, with the age in days of the data."""
    imported = dict(
        ctx.store.fetch_all(
            "SELECT source_system, max(finished_at) FROM imports "
            "WHERE finished_at IS NOT NULL GROUP BY ALL"
        )
    )
    # Instants after now (scheduled events, clock skew) count as now.
    activities = dict(
        ctx.store.fetch_all(
            "SELECT source_system, max(least(occurred_at, ?)) FROM activities "
            "GROUP BY ALL",
            [ctx.now],
        )
    )
    records = dict(
        ctx.store.fetch_all(
            """
            SELECT source_system, max(least(seen_at, ?)) FROM (
                SELECT source_system, created_at AS seen_at FROM opportunities
                UNION ALL SELECT source_system, changed_at
                    FROM opportunity_stage_history
                UNION ALL SELECT source_system, created_at FROM accounts
                UNION ALL SELECT source_system, created_at FROM people
            ) WHERE seen_at IS NOT NULL GROUP BY ALL
            """,
            [ctx.now],
        )
    )
    sources = []
    for name in sorted(set(imported) | set(activities) | set(records)):
        activity_at: datetime | None = activities.get(name)
        record_at: datetime | None = records.get(name)
        import_at: datetime | None = imported.get(name)
        known = [at for at in (activity_at, record_at) if at is not None]
        newest = max(known) if known else None
        sources.append(
            {
                "source_system": name,
                "newest_activity": _local(ctx, activity_at),
                "newest_record": _local(ctx, record_at),
                "newest_data": _local(ctx, newest),
                "data_age_days": ctx.age_days(newest),
                "last_import": _local(ctx, import_at),
                "import_age_days": ctx.age_days(import_at),
            }
        )
    return sources


def _local(ctx: DiagnosticContext, instant: datetime | None) -> str | None:
    return None if instant is None else ctx.local_time(instant)

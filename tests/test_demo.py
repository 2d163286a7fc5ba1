"""The demo generator on real workspaces: determinism, shape and the model."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from abmkpi.canonical import ActivityType
from abmkpi.demo import DemoSize, DemoSummary, generate
from abmkpi.demo.catalog import PRICING_ASSETS
from abmkpi.errors import WorkspaceError
from abmkpi.sources.values import domain_of_website
from abmkpi.store.database import Store
from abmkpi.store.schema import CANONICAL_TABLES
from abmkpi.workspace import Workspace

END = date(2025, 3, 31)
SMALL = DemoSize(accounts=200, activities=20_000, target_accounts=10)
# The default size: with 2,000 accounts the deal rates of two halves of the
# accounts differ by noise of about 12% (one standard error).
MEDIUM = DemoSize()

# Event attendance and pricing or case-study downloads: the predictive types
# that marketing produces. Sales meetings are predictive too, but they also
# follow deals, so the marketing ones alone show the direction of the effect.
MARKETING_PREDICTIVE_SQL = (
    "v.type = 'event_attended' OR (v.type = 'content_download' "
    "AND (v.asset IN ({pricing}) OR v.asset LIKE '導入事例:%' "
    "OR v.asset LIKE 'Case Study:%'))"
).format(pricing=", ".join(f"'{asset}'" for asset in PRICING_ASSETS))


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, DemoSummary]:
    workspace = Workspace.init(tmp_path_factory.mktemp("small") / "ws")
    return workspace, generate(workspace, SMALL, seed=7, end_date=END)


@pytest.fixture(scope="module")
def medium(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    workspace = Workspace.init(tmp_path_factory.mktemp("medium") / "ws")
    generate(workspace, MEDIUM, seed=7, end_date=END)
    return workspace


def _store(workspace: Workspace) -> Store:
    return workspace.open_store(read_only=True)


def _checksums(workspace: Workspace) -> dict[str, tuple[int, int]]:
    with _store(workspace) as store:
        return {
            table.name: tuple(
                store.fetch_one(f"SELECT count(*), sum(hash(t)) FROM {table.name} t")
                or (0, 0)
            )
            for table in CANONICAL_TABLES
        }


# Determinism ------------------------------------------------------------------


def test_generate_same_seed_same_store(make_workspace: Callable[..., Workspace]):
    first, second = make_workspace(), make_workspace()
    generate(first, SMALL, seed=3, end_date=END)
    generate(second, SMALL, seed=3, end_date=END)
    assert _checksums(first) == _checksums(second)


def test_generate_other_seed_other_store(
    make_workspace: Callable[..., Workspace], small: tuple[Workspace, DemoSummary]
):
    other = make_workspace()
    generate(other, SMALL, seed=8, end_date=END)
    assert _checksums(other)["activities"] != _checksums(small[0])["activities"]


def test_generate_rejects_filled_workspace(small: tuple[Workspace, DemoSummary]):
    with pytest.raises(WorkspaceError, match="empty workspace"):
        generate(small[0], SMALL, end_date=END)


def test_demo_size_rejects_too_few_accounts():
    with pytest.raises(ValueError, match="at least 50 accounts"):
        DemoSize(accounts=10)


def test_demo_size_rejects_too_many_targets():
    with pytest.raises(ValueError, match="target accounts"):
        DemoSize(accounts=100, target_accounts=30)


# Shape ------------------------------------------------------------------------


def test_summary_window_is_one_year(small: tuple[Workspace, DemoSummary]):
    summary = small[1]
    assert summary.start_date == date(2024, 4, 1)
    assert summary.end_date == END


def test_counts_within_ranges(small: tuple[Workspace, DemoSummary]):
    with _store(small[0]) as store:
        accounts = store.scalar("SELECT count(*) FROM accounts")
        people = store.scalar("SELECT count(*) FROM people")
        activities = store.scalar("SELECT count(*) FROM activities")
        campaigns = store.scalar("SELECT count(*) FROM campaigns")
        deals = store.scalar("SELECT count(*) FROM opportunities")
    assert accounts == 200
    # 6 people per account, plus leads of companies that are no account.
    assert 1_100 <= people <= 1_400
    assert 17_000 <= activities <= 23_000
    assert 60 <= campaigns <= 120
    assert 40 <= deals <= 400


def test_activities_stay_in_window(small: tuple[Workspace, DemoSummary]):
    with _store(small[0]) as store:
        first, last = store.fetch_one(
            """
            SELECT min(day), max(day) FROM (
                SELECT CAST(timezone('Asia/Tokyo', timezone('UTC', occurred_at))
                            AS DATE) AS day
                FROM activities)
            """
        ) or (None, None)
    assert first == date(2024, 4, 1)
    assert last == END


def test_every_activity_type_present(small: tuple[Workspace, DemoSummary]):
    with _store(small[0]) as store:
        types = {
            row[0] for row in store.fetch_all("SELECT DISTINCT type FROM activities")
        }
    expected = {activity.value for activity in ActivityType} - {"other"}
    assert types == expected


def test_targets_have_tiers(small: tuple[Workspace, DemoSummary]):
    with _store(small[0]) as store:
        tiers = store.fetch_all(
            "SELECT tier, count(*) FROM accounts WHERE is_target GROUP BY 1 ORDER BY 1"
        )
    assert tiers == [(1, 2), (2, 3), (3, 5)]


def test_targets_are_larger(small: tuple[Workspace, DemoSummary]):
    with _store(small[0]) as store:
        target, other = store.fetch_one(
            """
            SELECT median(employees) FILTER (WHERE is_target),
                   median(employees) FILTER (WHERE NOT is_target)
            FROM accounts
            """
        ) or (0, 0)
    assert target > 3 * other


def test_targets_listed_in_summary(small: tuple[Workspace, DemoSummary]):
    summary = small[1]
    assert len(summary.targets) == 10
    assert all(target["id"].startswith("demo:acc") for target in summary.targets)


def test_ids_carry_source_prefix(small: tuple[Workspace, DemoSummary]):
    with _store(small[0]) as store:
        row = store.fetch_one(
            "SELECT id, source_id, source_system FROM people ORDER BY id LIMIT 1"
        )
    assert row == ("demo:per1", "per1", "demo")


def test_icp_rules_written_to_config(small: tuple[Workspace, DemoSummary]):
    workspace = small[0]
    assert len(workspace.settings.icp.rules) == 4
    with _store(workspace) as store:
        graded = store.scalar("SELECT count(fit_grade) FROM accounts")
    assert graded == 200


def test_people_mix_contacts_leads_and_free_mail(small: tuple[Workspace, DemoSummary]):
    with _store(small[0]) as store:
        leads, leads_with_company, free_mail, duplicates = store.fetch_one(
            """
            SELECT count(*) FILTER (WHERE kind = 'lead'),
                   count(*) FILTER (WHERE kind = 'lead' AND company_name IS NOT NULL
                                    AND source_account_id IS NULL),
                   count(*) FILTER (WHERE split_part(email, '@', 2) IN
                                    ('gmail.com', 'yahoo.co.jp', 'outlook.com')),
                   (SELECT count(*) FROM (SELECT email FROM people
                     WHERE email IS NOT NULL GROUP BY 1 HAVING count(*) > 1))
            FROM people
            """
        ) or (0, 0, 0, 0)
    assert leads > 200
    assert leads_with_company == leads
    assert free_mail > 20
    assert duplicates >= 2


def test_activities_in_office_hours(small: tuple[Workspace, DemoSummary]):
    with _store(small[0]) as store:
        office, weekend, total = store.fetch_one(
            """
            WITH local AS (
                SELECT timezone('Asia/Tokyo', timezone('UTC', v.occurred_at))
                           AS local_at
                FROM activities v
                JOIN people p ON p.id = v.person_id
                JOIN accounts a ON a.id = p.source_account_id
                WHERE a.country = 'Japan' AND v.type = 'web_visit')
            SELECT count(*) FILTER (WHERE hour(local_at) BETWEEN 8 AND 18),
                   count(*) FILTER (WHERE dayofweek(local_at) IN (0, 6)),
                   count(*)
            FROM local
            """
        ) or (0, 0, 1)
    assert office / total > 0.8
    assert weekend / total < 0.1


# Opportunities ----------------------------------------------------------------


def _new_business_by_account(workspace: Workspace) -> list[tuple[int, ...]]:
    """Return per account: new deals, predictive touches (all, marketing only),
    e-mail opens and ad clicks."""
    with _store(workspace) as store:
        return store.fetch_all(
            f"""
            WITH touches AS (
                SELECT coalesce(v.source_account_id, p.source_account_id) AS account,
                       v.type, ({MARKETING_PREDICTIVE_SQL}) AS marketing
                FROM activities v LEFT JOIN people p ON p.id = v.person_id),
            counts AS (
                SELECT account,
                       count(*) FILTER (WHERE marketing OR type = 'sales_meeting')
                           AS predictive,
                       count(*) FILTER (WHERE marketing) AS marketing,
                       count(*) FILTER (WHERE type = 'email_open') AS opens,
                       count(*) FILTER (WHERE type = 'ad_click') AS ads
                FROM touches GROUP BY 1),
            deals AS (
                SELECT source_account_id AS account, count(*) AS deals
                FROM opportunities
                WHERE type = 'new_business' AND created_on >= DATE '2024-04-01'
                GROUP BY 1)
            SELECT coalesce(d.deals, 0), coalesce(c.predictive, 0),
                   coalesce(c.marketing, 0), coalesce(c.opens, 0), coalesce(c.ads, 0)
            FROM accounts a
            LEFT JOIN counts c ON c.account = a.id
            LEFT JOIN deals d ON d.account = a.id
            """
        )


def _deal_rates(rows: list[tuple[int, ...]], column: int) -> tuple[float, float]:
    """Share of accounts with a new deal above and at-or-below the column's median."""
    median = statistics.median(row[column] for row in rows)
    high = [row[0] > 0 for row in rows if row[column] > median]
    low = [row[0] > 0 for row in rows if row[column] <= median]
    return sum(high) / len(high), sum(low) / len(low)


def test_predictive_types_drive_deals(medium: Workspace):
    high, low = _deal_rates(_new_business_by_account(medium), column=1)
    assert high > 4 * low


def test_marketing_predictive_types_drive_deals(medium: Workspace):
    high, low = _deal_rates(_new_business_by_account(medium), column=2)
    assert high > 2.5 * low


def test_email_opens_do_not_drive_deals(medium: Workspace):
    high, low = _deal_rates(_new_business_by_account(medium), column=3)
    assert 0.7 < high / low < 1.4


def test_ad_clicks_do_not_drive_deals(medium: Workspace):
    high, low = _deal_rates(_new_business_by_account(medium), column=4)
    assert 0.7 < high / low < 1.4


def test_predictive_touches_precede_deals(medium: Workspace):
    """Predictive touches are denser in the 28 days before a deal than usual."""
    with _store(medium) as store:
        before, usual = store.fetch_one(
            f"""
            WITH touches AS (
                SELECT coalesce(v.source_account_id, p.source_account_id) AS account,
                       v.occurred_at
                FROM activities v LEFT JOIN people p ON p.id = v.person_id
                WHERE {MARKETING_PREDICTIVE_SQL}),
            deals AS (
                SELECT source_account_id AS account, created_at FROM opportunities
                WHERE type = 'new_business' AND created_on >= DATE '2024-05-01')
            SELECT count(*) FILTER (
                       WHERE t.occurred_at >= d.created_at - INTERVAL 28 DAY
                         AND t.occurred_at < d.created_at),
                   count(*) * 28.0 / 365
            FROM deals d JOIN touches t ON t.account = d.account
            """
        ) or (0, 1)
    assert before > 2.5 * usual


def test_targets_open_more_deals(medium: Workspace):
    with _store(medium) as store:
        target, other = store.fetch_one(
            """
            SELECT avg((deals > 0)::INT) FILTER (WHERE is_target),
                   avg((deals > 0)::INT) FILTER (WHERE NOT is_target)
            FROM (SELECT a.is_target, count(o.id) AS deals FROM accounts a
                  LEFT JOIN opportunities o ON o.source_account_id = a.id
                   AND o.type = 'new_business' AND o.created_on >= DATE '2024-04-01'
                  GROUP BY a.id, a.is_target)
            """
        ) or (0, 0)
    assert target > 2 * other


def test_deal_types_and_raw_types(small: tuple[Workspace, DemoSummary]):
    with _store(small[0]) as store:
        pairs = store.fetch_all(
            "SELECT DISTINCT type, raw_type FROM opportunities ORDER BY 1"
        )
    assert pairs == [
        ("expansion", "Existing Customer - Upgrade"),
        ("new_business", "New Business"),
        ("renewal", "Renewal"),
    ]


def test_closed_flags_match_stage(small: tuple[Workspace, DemoSummary]):
    with _store(small[0]) as store:
        wrong = store.scalar(
            """
            SELECT count(*) FROM opportunities
            WHERE is_closed <> (stage IN ('Closed Won', 'Closed Lost'))
               OR is_won <> (stage = 'Closed Won')
            """
        )
    assert wrong == 0


def test_last_history_row_is_current_stage(small: tuple[Workspace, DemoSummary]):
    with _store(small[0]) as store:
        wrong = store.scalar(
            """
            SELECT count(*) FROM opportunities o
            WHERE o.stage <> (SELECT arg_max(h.stage, h.changed_at)
                              FROM opportunity_stage_history h
                              WHERE h.opportunity_id = o.id)
            """
        )
    assert wrong == 0


def _stage_moves(workspace: Workspace) -> tuple[int, int]:
    """Return the number of stage changes that skip a stage and that go back."""
    with _store(workspace) as store:
        return store.fetch_one(
            """
            WITH moves AS (
                SELECT s.sort_order AS sort_order,
                       lag(s.sort_order) OVER (PARTITION BY h.opportunity_id
                                               ORDER BY h.changed_at) AS before
                FROM opportunity_stage_history h
                JOIN opportunity_stages s ON s.stage = h.stage)
            SELECT count(*) FILTER (WHERE sort_order <= 6 AND sort_order > before + 1),
                   count(*) FILTER (WHERE sort_order < before)
            FROM moves
            """
        ) or (0, 0)


def test_stage_histories_skip_stages(small: tuple[Workspace, DemoSummary]):
    skips, _ = _stage_moves(small[0])
    assert skips >= 1


def test_stage_histories_move_back(small: tuple[Workspace, DemoSummary]):
    _, regressions = _stage_moves(small[0])
    assert regressions >= 1


def test_stage_definitions_ordered(small: tuple[Workspace, DemoSummary]):
    with _store(small[0]) as store:
        stages = store.fetch_all(
            "SELECT stage, sort_order, is_closed, is_won FROM opportunity_stages "
            "ORDER BY sort_order"
        )
    assert stages == [
        ("Prospecting", 1, False, False),
        ("Qualification", 2, False, False),
        ("Needs Analysis", 3, False, False),
        ("Proposal", 4, False, False),
        ("Negotiation", 5, False, False),
        ("Closed Won", 6, True, True),
        ("Closed Lost", 7, True, False),
    ]


def test_some_open_deals_overdue(medium: Workspace):
    with _store(medium) as store:
        overdue = store.scalar(
            "SELECT count(*) FROM opportunities WHERE NOT is_closed AND close_date < ?",
            [END],
        )
    assert overdue >= 1


def test_fx_converts_every_amount(small: tuple[Workspace, DemoSummary]):
    with _store(small[0]) as store:
        missing = store.scalar(
            "SELECT count(*) FROM opportunities WHERE amount_reporting IS NULL"
        )
        currencies = {
            row[0]
            for row in store.fetch_all("SELECT DISTINCT currency FROM opportunities")
        }
    assert missing == 0
    assert currencies == {"JPY", "USD", "EUR"} or currencies == {"JPY", "USD"}


def test_fx_rates_dated_and_corporate(small: tuple[Workspace, DemoSummary]):
    with _store(small[0]) as store:
        corporate = store.fetch_all(
            "SELECT currency, rate FROM fx_rates WHERE is_corporate"
        )
        undated = store.scalar("SELECT count(*) FROM fx_rates WHERE valid_from IS NULL")
        open_ended = store.scalar(
            "SELECT count(*) FROM fx_rates WHERE valid_from IS NOT NULL "
            "AND valid_to IS NULL"
        )
    assert corporate == [("JPY", 1.0)]
    assert undated == 3
    assert open_ended == 2


def test_usd_deals_convert_at_yen_rates(small: tuple[Workspace, DemoSummary]):
    with _store(small[0]) as store:
        low, high = store.fetch_one(
            "SELECT min(amount_reporting / amount), max(amount_reporting / amount) "
            "FROM opportunities WHERE currency = 'USD'"
        ) or (0, 0)
    assert low > 80
    assert high < 250


def test_target_deals_larger(medium: Workspace):
    with _store(medium) as store:
        target, other = store.fetch_one(
            """
            SELECT avg(o.amount_reporting) FILTER (WHERE a.is_target),
                   avg(o.amount_reporting) FILTER (WHERE NOT a.is_target)
            FROM opportunities o JOIN accounts a ON a.id = o.source_account_id
            WHERE o.is_won AND o.type = 'new_business'
            """
        ) or (0, 1)
    assert 1.4 < target / other < 2.3


# Contracts and NPS ------------------------------------------------------------


def test_renewals_point_at_contracts(small: tuple[Workspace, DemoSummary]):
    with _store(small[0]) as store:
        renewals, linked = store.fetch_one(
            """
            SELECT count(*), count(c.id) FROM opportunities o
            LEFT JOIN contracts c ON c.id = o.renewed_contract_id
            WHERE o.type = 'renewal'
            """
        ) or (0, 0)
    assert renewals > 0
    assert linked == renewals


def test_won_renewals_start_next_contract(small: tuple[Workspace, DemoSummary]):
    with _store(small[0]) as store:
        gaps = store.fetch_all(
            """
            SELECT DISTINCT n.start_date - c.end_date FROM contracts n
            JOIN contracts c ON c.id = n.renewed_contract_id
            """
        )
    assert gaps == [(1,)]


def test_contract_status_follows_dates(small: tuple[Workspace, DemoSummary]):
    with _store(small[0]) as store:
        wrong = store.scalar(
            "SELECT count(*) FROM contracts "
            "WHERE (status = 'Expired') <> (end_date < ?)",
            [END],
        )
    assert wrong == 0


def test_nps_scores_in_range(small: tuple[Workspace, DemoSummary]):
    with _store(small[0]) as store:
        count, low, high, nps = store.fetch_one(
            """
            SELECT count(*), min(score), max(score),
                   100.0 * (avg((score >= 9)::INT) - avg((score <= 6)::INT))
            FROM nps_responses
            """
        ) or (0, 0, 0, 0)
    assert count > 20
    assert low >= 0
    assert high <= 10
    assert nps > 0


# Matching ----------------------------------------------------------------------


def test_company_emails_match_their_account(
    small: tuple[Workspace, DemoSummary],
) -> None:
    with _store(small[0]) as store:
        websites = store.fetch_all("SELECT id, website FROM accounts")
        people = store.fetch_all(
            "SELECT id, email, account_id FROM people WHERE email IS NOT NULL"
        )
    account_of_domain = {domain_of_website(site): id for id, site in websites if site}
    mismatched = [
        person
        for person, email, account in people
        if email.split("@")[1] in account_of_domain
        and account != account_of_domain[email.split("@")[1]]
    ]
    assert mismatched == []


# Scale ---------------------------------------------------------------------------


@pytest.mark.slow
def test_generate_tenth_of_benchmark(tmp_path: Path):
    workspace = Workspace.init(tmp_path / "ws")
    size = DemoSize(accounts=10_000, people_per_account=10.0, activities=1_000_000)
    summary = generate(workspace, size, seed=7, end_date=END)
    assert summary.rows["accounts"] == 10_000
    assert 900_000 <= summary.rows["activities"] <= 1_100_000

"""Lead-to-account matching on real workspace stores.

Rows are written as an importer would write them: canonical records in an
ImportBatch, ids ``<source>:<source id>``, e-mails normalised, loaded with
load_batch (which runs the whole derive step). The fault cases are read from
their own CSV files so that their special characters reach the matcher
unchanged.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from abmkpi.canonical import MatchMethod
from abmkpi.matching.report import build_match_report
from abmkpi.sources.base import ImportBatch, ImportOptions
from abmkpi.sources.loader import load_batch
from abmkpi.sources.values import clean_text, normalize_email
from abmkpi.workspace import Workspace

MARKETO_TYPES = {
    "1": "web_visit",
    "2": "form_fill",
    "10": "email_open",
    "11": "email_click",
}


def sf(source_id: str) -> str:
    return f"salesforce:{source_id}"


def mk(source_id: str) -> str:
    return f"marketo:{source_id}"


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def make_batch(source: str, records: list[tuple[str, dict[str, Any]]]) -> ImportBatch:
    batch = ImportBatch(source)
    for line, (table, values) in enumerate(records, start=2):
        source_id = values["id"].split(":", 1)[1] if "id" in values else None
        row = {"source_system": source, "source_id": source_id, **values}
        batch.add(table, row, Path(f"{source}-{table}.csv"), line)
    return batch


def load(workspace: Workspace, source: str, records: list) -> None:
    with workspace.open_store() as store:
        load_batch(workspace, store, make_batch(source, records), ImportOptions())


def account(source_id: str, name: str | None, **values: Any) -> tuple[str, dict]:
    return ("accounts", {"id": sf(source_id), "name": name, **values})


def contact(source_id: str, account_id: str | None, email: str | None, **values: Any):
    return (
        "people",
        {
            "id": sf(source_id),
            "kind": "contact",
            "source_account_id": sf(account_id) if account_id else None,
            "email": normalize_email(email),
            **values,
        },
    )


def lead(record_id: str, email: str | None = None, **values: Any):
    return (
        "people",
        {"id": record_id, "kind": "lead", "email": normalize_email(email), **values},
    )


def activity(record_id: str, person_id: str | None, when: str, **values: Any):
    return (
        "activities",
        {
            "id": record_id,
            "person_id": person_id,
            "occurred_at": datetime.fromisoformat(when.replace("Z", "")),
            "type": values.pop("type", "form_fill"),
            **values,
        },
    )


def people_by_id(workspace: Workspace) -> dict[str, dict[str, Any]]:
    with workspace.open_store(read_only=True) as store:
        rows = store.fetch_dicts("SELECT * FROM people")
    return {row["id"]: row for row in rows}


def activities_by_id(workspace: Workspace) -> dict[str, dict[str, Any]]:
    with workspace.open_store(read_only=True) as store:
        rows = store.fetch_dicts("SELECT * FROM activities")
    return {row["id"]: row for row in rows}


def query(workspace: Workspace, sql: str, params: list | None = None) -> list[tuple]:
    with workspace.open_store(read_only=True) as store:
        return store.fetch_all(sql, params)


def account_activity_counts(workspace: Workspace) -> dict[str | None, int]:
    rows = query(workspace, "SELECT account_id, count(*) FROM activities GROUP BY 1")
    return dict(rows)


# Case 07: free-mail domains ------------------------------------------------


def load_case_07(workspace: Workspace, folder: Path) -> None:
    accounts = [
        account(row["Id"], row["Name"], website=row["Website"])
        for row in read_rows(folder / "Account.csv")
    ]
    contacts = [
        contact(row["Id"], row["AccountId"], row["Email"])
        for row in read_rows(folder / "Contact.csv")
    ]
    load(workspace, "salesforce", accounts + contacts)
    leads = [
        lead(mk(row["id"]), row["email"], company_name=clean_text(row["company"]))
        for row in read_rows(folder / "marketo_leads.csv")
    ]
    events = [
        activity(
            mk(row["marketoGUID"]),
            mk(row["leadId"]),
            row["activityDate"],
            type=MARKETO_TYPES[row["activityTypeId"]],
            raw_type=row["activityTypeId"],
            asset=row["primaryAttributeValue"],
        )
        for row in read_rows(folder / "marketo_activities.csv")
    ]
    load(workspace, "marketo", leads + events)


@pytest.fixture
def case_07(workspace: Workspace, cases: Path) -> Workspace:
    load_case_07(workspace, cases / "07-free-email-domain")
    return workspace


@pytest.mark.parametrize(
    ("lead_id", "account_id", "method", "note"),
    [
        (
            "1001",
            sf("001C1000000001AAA"),
            "email_domain",
            "domain aozora-kogyo.example",
        ),
        ("1002", None, "unmatched", "free_mail_domain"),
        ("1003", None, "unmatched", "free_mail_domain"),
        ("1004", None, "unmatched", "free_mail_domain"),
        (
            "1005",
            sf("001C1000000002AAA"),
            "email_exact",
            "contact salesforce:003C1000000004AAA",
        ),
        (
            "1006",
            sf("001C1000000001AAA"),
            "email_exact",
            "contact salesforce:003C1000000002AAA",
        ),
    ],
)
def test_case_07_lead_accounts(
    case_07: Workspace, lead_id: str, account_id: str | None, method: str, note: str
) -> None:
    person = people_by_id(case_07)[mk(lead_id)]
    assert person["account_id"] == account_id
    assert person["match_method"] == method
    assert person["match_note"] == note


def test_case_07_activities_per_account(case_07: Workspace) -> None:
    counts = account_activity_counts(case_07)
    assert counts.get(sf("001C1000000001AAA")) == 2
    assert counts.get(sf("001C1000000002AAA")) == 1
    assert counts.get(sf("001C1000000004AAA"), 0) == 0
    assert counts.get(None) == 3


def test_case_07_unmatched_activity_reasons(case_07: Workspace) -> None:
    rows = query(
        case_07,
        "SELECT id, match_note FROM activities WHERE account_id IS NULL ORDER BY id",
    )
    assert rows == [
        (mk("m-0002"), "free_mail_domain"),
        (mk("m-0003"), "free_mail_domain"),
        (mk("m-0004"), "free_mail_domain"),
    ]


def test_case_07_free_mail_never_account_domain(case_07: Workspace) -> None:
    domains = query(case_07, "SELECT DISTINCT domain FROM account_domains ORDER BY 1")
    assert domains == [
        ("aozora-kogyo.example",),
        ("hoshi-medical.example",),
        ("mirai-soft.example",),
    ]
    listed = query(case_07, "SELECT id, domains FROM accounts ORDER BY id")
    assert listed == [
        (sf("001C1000000001AAA"), ["aozora-kogyo.example"]),
        (sf("001C1000000002AAA"), ["mirai-soft.example"]),
        (sf("001C1000000004AAA"), ["hoshi-medical.example"]),
    ]


def test_case_07_account_domain_origins(case_07: Workspace) -> None:
    rows = query(
        case_07,
        "SELECT account_id, origin, contact_count FROM account_domains ORDER BY 1",
    )
    assert rows == [
        (sf("001C1000000001AAA"), "website", 1),
        (sf("001C1000000002AAA"), "website", 1),
        (sf("001C1000000004AAA"), "website", 0),
    ]


def test_case_07_match_report(case_07: Workspace) -> None:
    with case_07.open_store(read_only=True) as store:
        report = build_match_report(store)
    marketo = report.source("marketo")
    assert marketo.people.total == 6
    assert marketo.people.by_method == {"email_domain": 1, "email_exact": 2}
    assert marketo.people.unmatched == {"free_mail_domain": 3}
    assert marketo.activities.by_method == {"email_domain": 1, "email_exact": 2}
    assert marketo.activities.unmatched == {"free_mail_domain": 3}
    assert [(d.domain, d.people) for d in marketo.free_mail_domains] == [
        ("gmail.com", 3),
        ("yahoo.co.jp", 1),
    ]
    assert report.source("salesforce").people.by_method == {"source_link": 4}


def test_match_report_to_dict(case_07: Workspace) -> None:
    with case_07.open_store(read_only=True) as store:
        data = build_match_report(store).to_dict()
    sources = [item["source_system"] for item in data["sources"]]
    assert sources == ["marketo", "salesforce"]
    assert data["sources"][0]["people"]["match_rate"] == 0.5
    assert data["sources"][1]["duplicate_groups_total"] == 2


# Case 09: e-mail case and whitespace ---------------------------------------


@pytest.fixture
def case_09(workspace: Workspace, cases: Path) -> Workspace:
    folder = cases / "09-email-case-normalization"
    accounts = [
        account(row["Id"], row["Name"], website=row["Website"])
        for row in read_rows(folder / "Account.csv")
    ]
    contacts = [
        contact(
            row["Id"],
            row["AccountId"],
            row["Email"],
            first_name=row["FirstName"],
            last_name=row["LastName"],
        )
        for row in read_rows(folder / "Contact.csv")
    ]
    load(workspace, "salesforce", accounts + contacts)
    leads = [
        lead(mk(row["id"]), row["email"], first_name=row["firstName"])
        for row in read_rows(folder / "marketo_leads.csv")
    ]
    events = [
        activity(
            mk(row["marketoGUID"]),
            mk(row["leadId"]),
            row["activityDate"],
            type=MARKETO_TYPES[row["activityTypeId"]],
        )
        for row in read_rows(folder / "marketo_activities.csv")
    ]
    load(workspace, "marketo", leads + events)
    return workspace


def test_case_09_two_identities(case_09: Workspace) -> None:
    identities = query(case_09, "SELECT DISTINCT identity_id FROM people ORDER BY 1")
    assert identities == [(sf("003E1000000001AAA"),), (sf("003E1000000002AAA"),)]


def test_case_09_activities_on_account(case_09: Workspace) -> None:
    counts = account_activity_counts(case_09)
    assert counts == {sf("001E1000000001AAA"): 5}


def test_case_09_engaged_people(case_09: Workspace) -> None:
    rows = query(
        case_09,
        "SELECT DISTINCT identity_id FROM activities WHERE account_id = ? ORDER BY 1",
        [sf("001E1000000001AAA")],
    )
    assert rows == [(sf("003E1000000001AAA"),), (sf("003E1000000002AAA"),)]


def test_case_09_leads_match_contacts(case_09: Workspace) -> None:
    people = people_by_id(case_09)
    for lead_id in ("3001", "3002", "3003"):
        assert people[mk(lead_id)]["match_method"] == MatchMethod.EMAIL_EXACT


def test_case_09_duplicate_warnings(case_09: Workspace) -> None:
    rows = query(
        case_09,
        "SELECT record_id, candidates FROM match_issues "
        "WHERE kind = 'duplicate_person' ORDER BY 1",
    )
    assert rows == [
        (sf("003E1000000001AAA"), [mk("3001"), mk("3002"), sf("003E1000000001AAA")]),
        (sf("003E1000000002AAA"), [mk("3003"), sf("003E1000000002AAA")]),
    ]


def test_case_09_duplicates_in_report(case_09: Workspace) -> None:
    with case_09.open_store(read_only=True) as store:
        report = build_match_report(store)
    groups = report.source("salesforce").duplicate_groups
    assert [group.identity_id for group in groups] == [
        sf("003E1000000001AAA"),
        sf("003E1000000002AAA"),
    ]


# Case 10: Japanese company names -------------------------------------------


def case_10_accounts(folder: Path) -> list:
    return [
        account(
            row["Id"], row["Name"], state=row["BillingState"], website=row["Website"]
        )
        for row in read_rows(folder / "Account.csv")
    ]


@pytest.fixture
def case_10(workspace: Workspace, cases: Path) -> Workspace:
    folder = cases / "10-jp-company-name-normalization"
    load(workspace, "salesforce", case_10_accounts(folder))
    records = []
    for row in read_rows(folder / "event_attendees.csv"):
        person_id = f"csv:{row['leadId']}"
        records.append(
            lead(
                person_id,
                row["email"],
                company_name=clean_text(row["company"]),
                state=clean_text(row["state"]),
            )
        )
        records.append(
            activity(
                f"csv:event-{row['leadId']}",
                person_id,
                "2024-05-22T15:00:00",
                type="event_attended",
            )
        )
    load(workspace, "csv", records)
    return workspace


CASE_10_ACCOUNTS = [
    ("5001", "001F1000000001AAA"),
    ("5002", "001F1000000001AAA"),
    ("5003", "001F1000000001AAA"),
    ("5004", "001F1000000002AAA"),
    ("5005", "001F1000000002AAA"),
    ("5006", "001F1000000005AAA"),
    ("5007", "001F1000000004AAA"),
    ("5008", None),
    ("5009", "001F1000000001AAA"),
]


@pytest.mark.parametrize(("lead_id", "account_id"), CASE_10_ACCOUNTS)
def test_case_10_attendee_accounts(
    case_10: Workspace, lead_id: str, account_id: str | None
) -> None:
    person = people_by_id(case_10)[f"csv:{lead_id}"]
    assert person["account_id"] == (sf(account_id) if account_id else None)


def test_case_10_state_breaks_tie(case_10: Workspace) -> None:
    person = people_by_id(case_10)["csv:5007"]
    assert person["match_method"] == MatchMethod.COMPANY_NAME_STATE
    assert person["match_note"] == "name アシスト, state 大阪府"


def test_case_10_long_vowel_fix(case_10: Workspace) -> None:
    person = people_by_id(case_10)["csv:5006"]
    assert person["match_method"] == MatchMethod.COMPANY_NAME
    assert person["match_note"] == "name コーエイ工業"


def test_case_10_ambiguous_name(case_10: Workspace) -> None:
    person = people_by_id(case_10)["csv:5008"]
    assert person["match_method"] == MatchMethod.UNMATCHED
    assert person["match_note"] == "ambiguous_name"
    issues = query(
        case_10,
        "SELECT entity, record_id, kind, candidates FROM match_issues "
        "WHERE kind LIKE 'ambiguous%'",
    )
    assert issues == [
        (
            "person",
            "csv:5008",
            "ambiguous_name",
            [sf("001F1000000003AAA"), sf("001F1000000004AAA")],
        )
    ]


def test_case_10_attendance_per_account(case_10: Workspace) -> None:
    counts = account_activity_counts(case_10)
    assert counts == {
        sf("001F1000000001AAA"): 4,
        sf("001F1000000002AAA"): 2,
        sf("001F1000000004AAA"): 1,
        sf("001F1000000005AAA"): 1,
        None: 1,
    }


def test_case_10_business_date(case_10: Workspace) -> None:
    days = query(
        case_10, "SELECT DISTINCT CAST(occurred_on AS VARCHAR) FROM activities"
    )
    assert days == [("2024-05-23",)]


def test_case_10_report(case_10: Workspace) -> None:
    with case_10.open_store(read_only=True) as store:
        report = build_match_report(store).source("csv")
    assert report.people.by_method == {"company_name": 7, "company_name_state": 1}
    assert report.people.unmatched == {"ambiguous_name": 1}
    assert [item.record_id for item in report.ambiguous] == ["csv:5008"]


def test_case_10_activity_hints(workspace: Workspace, cases: Path) -> None:
    """Attendee rows loaded as activities without a person match the same."""
    folder = cases / "10-jp-company-name-normalization"
    load(workspace, "salesforce", case_10_accounts(folder))
    records = [
        activity(
            f"csv:event-{row['leadId']}",
            None,
            "2024-05-22T15:00:00",
            type="event_attended",
            company_name=clean_text(row["company"]),
            state=clean_text(row["state"]),
        )
        for row in read_rows(folder / "event_attendees.csv")
    ]
    load(workspace, "csv", records)
    matched = {
        activity_id.removeprefix("csv:event-"): row["account_id"]
        for activity_id, row in activities_by_id(workspace).items()
    }
    expected = {
        lead_id: sf(account_id) if account_id else None
        for lead_id, account_id in CASE_10_ACCOUNTS
    }
    assert matched == expected
    issues = query(workspace, "SELECT entity, record_id FROM match_issues")
    assert issues == [("activity", "csv:event-5008")]

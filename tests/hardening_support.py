"""A small mapped CSV data set, imported into real workspaces by hostile tests.

The mapping reads accounts, opportunities, people, activities, exchange rates
and merges of a source named ``t``, so record ids are ``t:<id>``. ``BASE``
contains a clean data set: five accounts (A4 deleted, A5 merged into A1), six
deals (five USD, one JPY), three people, three activities and two rates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from abmkpi.sources.base import ImportOptions
from abmkpi.sources.loader import ImportSummary, load_batch
from abmkpi.sources.registry import get_importer
from abmkpi.workspace import Workspace

MAPPING = """
source = "t"

[[tables]]
file = "accounts*.csv"
target = "accounts"
deleted = "deleted"
[tables.columns]
id = "id"
name = "name"
website = "website"
employees = "employees"
annual_revenue = "revenue"
source_merged_into_id = "merged_into"

[[tables]]
file = "opps*.csv"
target = "opportunities"
[tables.columns]
id = "id"
source_account_id = "account"
stage = "stage"
created_at = "created"
close_date = "close"
amount = "amount"
currency = "currency"
raw_type = "type"

[[tables]]
file = "people*.csv"
target = "people"
[tables.columns]
id = "id"
kind = "kind"
source_account_id = "account"
email = "email"
title = "title"
created_at = "created"

[[tables]]
file = "acts*.csv"
target = "activities"
[tables.columns]
id = "id"
occurred_at = "when"
type = "type"
person_id = "person"
email = "email"

[[tables]]
file = "fx*.csv"
target = "fx_rates"
[tables.columns]
id = "id"
currency = "currency"
rate = "rate"
valid_from = "from"
valid_to = "to"

[[tables]]
file = "merges*.csv"
target = "merges"
[tables.columns]
entity = "entity"
loser_id = "loser"
winner_id = "winner"
"""

ACCOUNTS_HEADER = "id,name,website,employees,revenue,deleted,merged_into"
OPPS_HEADER = "id,account,stage,created,close,amount,currency,type"

BASE = {
    "accounts.csv": f"""{ACCOUNTS_HEADER}
A1,Alpha Corp,alpha.example.com,9000,100,0,
A2,Beta KK,beta.example.jp,50,10,0,
A3,Gamma Inc,gamma.example.com,10000,5,0,
A4,Delta,delta.example.com,20,1,1,
A5,Epsilon,eps.example.com,20,1,0,A1
""",
    "opps.csv": f"""{OPPS_HEADER}
O1,A1,Closed Won,2024-04-10,2024-05-10,1000,USD,New Business
O2,A2,Closed Lost,2024-04-11,2024-05-11,2000,USD,New Business
O3,A3,Closed Won,2024-04-12,2024-05-12,3000,USD,New Business
O4,A4,Closed Won,2024-04-12,2024-05-12,7000,USD,New Business
O5,A5,Closed Won,2024-04-12,2024-05-12,5000,USD,New Business
O6,A2,Closed Won,2024-04-12,2024-05-13,100000,JPY,New Business
""",
    "people.csv": """id,kind,account,email,title,created
P1,contact,A1,ceo@alpha.example.com,CEO,2024-04-01
P2,contact,A2,eng@beta.example.jp,Engineer,2024-04-01
P3,lead,,x@gamma.example.com,Manager,2024-04-01
""",
    "acts.csv": """id,when,type,person,email
X1,2024-04-20T10:00:00Z,web_visit,P1,
X2,2024-04-21T10:00:00Z,form_fill,P2,
X3,2024-04-22T10:00:00Z,content_download,,x@gamma.example.com
""",
    "fx.csv": "id,currency,rate,from,to\nR1,USD,1,,\nR2,JPY,150,,\n",
}


def write_files(folder: Path, files: dict[str, str | bytes]) -> list[Path]:
    """Write the files (text as UTF-8) into a new folder; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, content in files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        paths.append(path)
    return paths


def mapping_file(folder: Path, text: str = MAPPING) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "map.toml"
    path.write_text(text, encoding="utf-8")
    return path


def import_files(
    workspace: Workspace,
    files: dict[str, str | bytes],
    folder_name: str = "input",
    mapping: str = MAPPING,
    **options: Any,
) -> ImportSummary:
    """Import the files with the mapping through the real importer and loader."""
    folder = workspace.root.parent / f"{workspace.root.name}-{folder_name}"
    paths = write_files(folder, files)
    import_options = ImportOptions(mapping=mapping_file(folder, mapping), **options)
    batch = get_importer("csv").read(paths, workspace.settings, import_options)
    with workspace.open_store() as store:
        return load_batch(workspace, store, batch, import_options)


def query(workspace: Workspace, sql: str, params: list[Any] | None = None) -> list:
    with workspace.open_store(read_only=True) as store:
        return store.fetch_all(sql, params)


def scalar(workspace: Workspace, sql: str, params: list[Any] | None = None) -> Any:
    return query(workspace, sql, params)[0][0]

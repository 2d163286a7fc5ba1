"""A small mapped workspace whose journey stages on two dates are worked out
by hand, for the journey tests of the metrics, the CLI, the API and the page.

Dates are business dates in Asia/Tokyo; the MQA threshold is 20 and the
lookback 90 days. Target accounts are tier 1 (score multiplier 1.5), people
are engineers (persona multiplier 1.0), the half-life is 30 days.

On FROM_DATE (2024-05-01, window 2024-02-02..05-01):
- Alpha: form fill 04-20 (10 × 1.5 × 0.5^(11.6/30) = 11.5 < 20): engaged.
- Beta: web visit 04-25: engaged (its deal is created 06-01).
- Gamma: content download 04-10: engaged.
- Delta: no activity, contract from 07-01: unengaged.
- Epsilon: deal created 04-15, still open: opportunity.
- Zeta (not a target): nothing yet: unengaged.

On TO_DATE (2024-08-15, window 2024-05-18..08-15):
- Alpha: two events attended 08-14 (2 × 15 × 1.5 × 0.5^(1.6/30) = 43.4): MQA.
- Beta: deal won, closed 07-10: customer.
- Gamma: the download aged out of the window, an email open 08-01: aware.
- Delta: contract running 2024-07-01..2025-06-30: customer.
- Epsilon: the deal is still open: opportunity.
- Zeta: form fill 08-10: engaged.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import tomlkit

from abmkpi.config_template import default_config_text
from abmkpi.workspace import Workspace
from tests.hardening_support import import_files

FROM_DATE = date(2024, 5, 1)
TO_DATE = date(2024, 8, 15)

TARGETS = ("t:A1", "t:A2", "t:A3", "t:A4", "t:A5")

MAPPING = """
source = "t"

[[tables]]
file = "accounts*.csv"
target = "accounts"
[tables.columns]
id = "id"
name = "name"
website = "website"

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

[[tables]]
file = "acts*.csv"
target = "activities"
[tables.columns]
id = "id"
occurred_at = "when"
type = "type"
person_id = "person"

[[tables]]
file = "contracts*.csv"
target = "contracts"
[tables.columns]
id = "id"
source_account_id = "account"
start_date = "start"
end_date = "end"
arr = "arr"
currency = "currency"
"""

FILES = {
    "accounts.csv": """id,name,website
A1,Alpha Corp,alpha.example.com
A2,Beta KK,beta.example.jp
A3,Gamma Inc,gamma.example.com
A4,Delta Ltd,delta.example.com
A5,Epsilon SA,epsilon.example.com
A6,Zeta GmbH,zeta.example.com
""",
    "opps.csv": """id,account,stage,created,close,amount,currency,type
O1,A2,Closed Won,2024-06-01,2024-07-10,5000000,JPY,New Business
O2,A5,Prospecting,2024-04-15,2024-12-20,3000000,JPY,New Business
""",
    "people.csv": """id,kind,account,email,title
P1,contact,A1,p1@alpha.example.com,Engineer
P2,contact,A2,p2@beta.example.jp,Engineer
P3,contact,A3,p3@gamma.example.com,Engineer
P5,contact,A5,p5@epsilon.example.com,Engineer
P6,contact,A6,p6@zeta.example.com,Engineer
""",
    "acts.csv": """id,when,type,person
X1,2024-04-20T01:00:00Z,form_fill,P1
X2,2024-08-14T01:00:00Z,event_attended,P1
X3,2024-08-14T02:00:00Z,event_attended,P1
X4,2024-04-25T01:00:00Z,web_visit,P2
X5,2024-04-10T01:00:00Z,content_download,P3
X6,2024-08-01T01:00:00Z,email_open,P3
X7,2024-08-10T01:00:00Z,form_fill,P6
""",
    "contracts.csv": """id,account,start,end,arr,currency
C1,A4,2024-07-01,2025-06-30,1200000,JPY
""",
}


def make_journey_workspace(make_workspace: Callable[..., Workspace]) -> Workspace:
    """Create and import the workspace, with Alpha to Epsilon as tier-1 targets."""
    workspace = make_workspace(engagement={"mqa_threshold": 20})
    import_files(workspace, FILES, "journey", mapping=MAPPING)
    with workspace.open_store() as store:
        store.execute(
            "UPDATE accounts SET is_target = true, tier = 1 "
            f"WHERE id IN ({', '.join('?' for _ in TARGETS)})",
            list(TARGETS),
        )
    return workspace


def workspace_maker(root: Path) -> Callable[..., Workspace]:
    """Return a ``make_workspace`` for module-scoped fixtures: a workspace in
    ``root`` with the default config and section overrides."""
    counter = iter(range(1000))

    def make(**overrides: dict[str, Any]) -> Workspace:
        document = tomlkit.parse(default_config_text())
        for section, values in overrides.items():
            for key, value in values.items():
                document[section][key] = value  # type: ignore[index]
        return Workspace.init(
            root / f"workspace-{next(counter)}", tomlkit.dumps(document)
        )

    return make

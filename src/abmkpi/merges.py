"""Resolving merges: which record each merged-away record now lives on.

A merge states that a loser record lives on as a winner. Chains resolve to
their end (A→B→C lands on C), however long they are. Three cases need a
person's attention and are recorded in ``match_issues``:

- ``merge_cycle``: the merges of some records form a cycle (A→B→C→A), so
  none of them has a final winner. Every record in the cycle, and every
  record whose chain leads into it, is left unmerged and stays live.
- ``merge_winner_missing``: a chain ends at a record the store does not
  have (not imported yet, or a typo). The loser is left unmerged.
- ``merge_winner_deleted``: a chain ends at a deleted record. The loser is
  merged into it, so it no longer counts, and references to it resolve to
  no live record.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from abmkpi.store.database import Store

# Tables whose records can be merged, with the entity name the merges table
# uses for them.
MERGED_TABLES = (
    ("people", "person"),
    ("accounts", "account"),
    ("opportunities", "opportunity"),
)

# The match_issues kinds of merges that could not be applied.
MERGE_ISSUE_KINDS = ("merge_cycle", "merge_winner_missing", "merge_winner_deleted")


@dataclass(frozen=True)
class MergeIssue:
    """A merge that could not be applied as the source states it."""

    entity: str
    record_id: str
    kind: str  # one of MERGE_ISSUE_KINDS
    detail: str
    chain: tuple[str, ...]


@dataclass
class ChainResolution:
    """Final winner per applied loser, and the merges left unresolved."""

    targets: dict[str, str] = field(default_factory=dict)
    issues: list[MergeIssue] = field(default_factory=list)


def resolve_chains(
    entity: str, edges: dict[str, str], deleted: dict[str, bool]
) -> ChainResolution:
    """Follow each loser's merges to its final winner.

    ``edges`` maps each loser to its winner. ``deleted`` maps every stored
    record that appears as a winner to whether it is deleted; a winner absent
    from it is missing from the store.
    """
    finals = _finals(edges)
    resolution = ChainResolution()
    for loser in sorted(edges):
        final = finals[loser]
        if final is None:
            resolution.issues.append(_cycle_issue(entity, loser, edges))
        elif final not in deleted:
            resolution.issues.append(
                MergeIssue(
                    entity,
                    loser,
                    "merge_winner_missing",
                    f"merged into {final}, which is not in the store; left unmerged",
                    _chain(edges, loser),
                )
            )
        else:
            resolution.targets[loser] = final
            if deleted[final]:
                resolution.issues.append(
                    MergeIssue(
                        entity,
                        loser,
                        "merge_winner_deleted",
                        f"merged into {final}, which is deleted; "
                        "it counts for no live record",
                        _chain(edges, loser),
                    )
                )
    return resolution


def _finals(edges: dict[str, str]) -> dict[str, str | None]:
    """Return each loser's final winner, or None when its chain enters a cycle.

    Each record is walked once: a chain that reaches a loser already
    resolved takes that loser's result.
    """
    finals: dict[str, str | None] = {}
    for start in edges:
        if start in finals:
            continue
        path: list[str] = []
        on_path: set[str] = set()
        node = start
        while node in edges and node not in finals and node not in on_path:
            on_path.add(node)
            path.append(node)
            node = edges[node]
        final: str | None
        if node in on_path:
            final = None  # the walk came back to a record of its own path
        elif node in finals:
            final = finals[node]
        else:
            final = node
        for member in path:
            finals[member] = final
    return finals


# Most ids of a chain kept in an issue; longer chains are cut.
_CHAIN_LIMIT = 100


def _chain(edges: dict[str, str], loser: str) -> tuple[str, ...]:
    """Return the ids from the loser along its merges, stopping after the end,
    the first repeated id, or :data:`_CHAIN_LIMIT` ids."""
    chain = [loser]
    seen = {loser}
    node = loser
    while node in edges and len(chain) < _CHAIN_LIMIT:
        node = edges[node]
        chain.append(node)
        if node in seen:
            break
        seen.add(node)
    return tuple(chain)


def _cycle_issue(entity: str, loser: str, edges: dict[str, str]) -> MergeIssue:
    chain = _chain(edges, loser)
    repeated = chain[-1]
    start = chain.index(repeated)
    if start == len(chain) - 1:
        cycle = f"more than {_CHAIN_LIMIT} records"
    else:
        cycle = " → ".join(chain[start:])
    if start == 0:
        detail = f"merges form a cycle ({cycle}); left unmerged"
    else:
        detail = (
            f"merged into {chain[1]}, whose merges lead into a cycle ({cycle}); "
            "left unmerged"
        )
    return MergeIssue(entity, loser, "merge_cycle", detail, chain)


def record_merge_issues(store: Store, issues: list[MergeIssue]) -> None:
    """Insert the issues into ``match_issues``, the chain as candidates."""
    store.execute_many(
        "INSERT INTO match_issues (entity, record_id, kind, detail, candidates) "
        "VALUES (?, ?, ?, ?, ?)",
        [
            (issue.entity, issue.record_id, issue.kind, issue.detail, list(issue.chain))
            for issue in issues
        ],
        table="match_issues",
    )

"""The match report: how well each source's people and activities matched.

Match rates per source are data-health KPIs. For every source system the
report counts people and activities matched by each method and unmatched by
each reason. It also lists the records that need a person's attention:
ambiguous matches with their candidate accounts, groups of records that are
one person, the free-mail domains whose addresses were never used to find
an account, and merges that could not be applied as the source states them.
It reads only the store, so it shows the last matching run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from abmkpi.store.database import Store

DEFAULT_MAX_ITEMS = 50


@dataclass
class MatchCounts:
    """Records of one table and source: matched per method, unmatched per reason."""

    total: int = 0
    by_method: dict[str, int] = field(default_factory=dict)
    unmatched: dict[str, int] = field(default_factory=dict)

    @property
    def matched(self) -> int:
        return sum(self.by_method.values())

    @property
    def match_rate(self) -> float | None:
        return self.matched / self.total if self.total else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "matched": self.matched,
            "match_rate": self.match_rate,
            "by_method": dict(self.by_method),
            "unmatched": dict(self.unmatched),
        }


@dataclass
class AmbiguousRecord:
    """A person or activity left unmatched because several accounts fit."""

    entity: str
    record_id: str
    kind: str
    detail: str | None
    candidates: list[str]


@dataclass
class DuplicateGroup:
    """Live records that are one person, under their canonical record's id."""

    identity_id: str
    record_ids: list[str]


@dataclass
class FreeMailDomain:
    """A free-mail domain seen on live people, never used to find an account."""

    domain: str
    people: int


@dataclass
class MergeProblem:
    """A merged-away record whose merge was not applied as the source states it."""

    entity: str
    record_id: str
    kind: str
    detail: str | None
    chain: list[str]


MERGE_ISSUE_KINDS = ("merge_cycle", "merge_winner_missing", "merge_winner_deleted")


@dataclass
class SourceMatchReport:
    """The match report of one source system.

    The lists hold at most the report's ``max_items`` entries each; the
    ``*_total`` fields count all of them.
    """

    source_system: str
    people: MatchCounts = field(default_factory=MatchCounts)
    activities: MatchCounts = field(default_factory=MatchCounts)
    ambiguous: list[AmbiguousRecord] = field(default_factory=list)
    ambiguous_total: int = 0
    duplicate_groups: list[DuplicateGroup] = field(default_factory=list)
    duplicate_groups_total: int = 0
    free_mail_domains: list[FreeMailDomain] = field(default_factory=list)
    free_mail_domains_total: int = 0
    merge_problems: list[MergeProblem] = field(default_factory=list)
    merge_problems_total: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "source_system": self.source_system,
            "people": self.people.to_dict(),
            "activities": self.activities.to_dict(),
            "ambiguous": [asdict(item) for item in self.ambiguous],
            "ambiguous_total": self.ambiguous_total,
            "duplicate_groups": [asdict(item) for item in self.duplicate_groups],
            "duplicate_groups_total": self.duplicate_groups_total,
            "free_mail_domains": [asdict(item) for item in self.free_mail_domains],
            "free_mail_domains_total": self.free_mail_domains_total,
            "merge_problems": [asdict(item) for item in self.merge_problems],
            "merge_problems_total": self.merge_problems_total,
        }


@dataclass
class MatchReport:
    """The match report of every source system, in source-name order."""

    sources: list[SourceMatchReport]
    max_items: int = DEFAULT_MAX_ITEMS

    def source(self, name: str) -> SourceMatchReport:
        """Return one source's report; a source without records gets zeros."""
        for item in self.sources:
            if item.source_system == name:
                return item
        return SourceMatchReport(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "max_items": self.max_items,
            "sources": [item.to_dict() for item in self.sources],
        }


def build_match_report(store: Store, max_items: int = DEFAULT_MAX_ITEMS) -> MatchReport:
    """Build the match report from the store's derived match columns."""
    reports: dict[str, SourceMatchReport] = {}

    def report_of(source: str) -> SourceMatchReport:
        return reports.setdefault(source, SourceMatchReport(source))

    for table in ("people", "activities"):
        for source, method, reason, count in _match_counts(store, table):
            counts: MatchCounts = getattr(report_of(source), table)
            counts.total += count
            if reason is None:
                counts.by_method[method] = counts.by_method.get(method, 0) + count
            else:
                counts.unmatched[reason] = counts.unmatched.get(reason, 0) + count
    _add_ambiguous(store, report_of, max_items)
    _add_duplicates(store, report_of, max_items)
    _add_free_mail_domains(store, report_of, max_items)
    _add_merge_problems(store, report_of, max_items)
    return MatchReport([reports[name] for name in sorted(reports)], max_items)


def _match_counts(store: Store, table: str) -> list[tuple]:
    return store.fetch_all(
        f"""
        SELECT source_system, match_method,
               CASE WHEN account_id IS NULL
                    THEN coalesce(match_note, 'not_matched_yet') END,
               count(*)
        FROM {table}
        GROUP BY ALL ORDER BY ALL
        """
    )


def _add_ambiguous(store: Store, report_of: Any, max_items: int) -> None:
    rows = store.fetch_all(
        """
        SELECT coalesce(p.source_system, a.source_system) AS source,
               i.entity, i.record_id, i.kind, i.detail, i.candidates,
               row_number() OVER (PARTITION BY source ORDER BY i.entity, i.record_id)
                   AS position,
               count(*) OVER (PARTITION BY source) AS total
        FROM match_issues i
        LEFT JOIN people p ON i.entity = 'person' AND p.id = i.record_id
        LEFT JOIN activities a ON i.entity = 'activity' AND a.id = i.record_id
        WHERE i.kind IN ('ambiguous_domain', 'ambiguous_name')
        QUALIFY position <= ?
        ORDER BY source, position
        """,
        [max_items],
    )
    for source, entity, record_id, kind, detail, candidates, _, total in rows:
        report = report_of(source)
        report.ambiguous_total = total
        report.ambiguous.append(
            AmbiguousRecord(entity, record_id, kind, detail, list(candidates or []))
        )


def _add_duplicates(store: Store, report_of: Any, max_items: int) -> None:
    """List each duplicate group under the source of its canonical record."""
    rows = store.fetch_all(
        """
        SELECT p.source_system, i.record_id, i.candidates,
               row_number() OVER (PARTITION BY p.source_system ORDER BY i.record_id)
                   AS position,
               count(*) OVER (PARTITION BY p.source_system) AS total
        FROM match_issues i JOIN people p ON p.id = i.record_id
        WHERE i.kind = 'duplicate_person'
        QUALIFY position <= ?
        ORDER BY p.source_system, position
        """,
        [max_items],
    )
    for source, identity_id, members, _, total in rows:
        report = report_of(source)
        report.duplicate_groups_total = total
        report.duplicate_groups.append(DuplicateGroup(identity_id, list(members)))


def _add_free_mail_domains(store: Store, report_of: Any, max_items: int) -> None:
    rows = store.fetch_all(
        """
        SELECT p.source_system, p.email_domain, count(*) AS people,
               row_number() OVER (
                   PARTITION BY p.source_system ORDER BY count(*) DESC, p.email_domain
               ) AS position,
               count(*) OVER (PARTITION BY p.source_system) AS total
        FROM people p
        JOIN match_issues i ON i.entity = 'domain' AND i.kind = 'free_mail_domain'
            AND i.record_id = p.email_domain
        WHERE NOT p.is_deleted AND p.merged_into_id IS NULL
        GROUP BY p.source_system, p.email_domain
        QUALIFY position <= ?
        ORDER BY p.source_system, position
        """,
        [max_items],
    )
    for source, domain, people, _, total in rows:
        report = report_of(source)
        report.free_mail_domains_total = total
        report.free_mail_domains.append(FreeMailDomain(domain, people))


def _add_merge_problems(store: Store, report_of: Any, max_items: int) -> None:
    """List merges left unapplied under the source of the merged-away record.

    Record ids are ``<source>:<id>``, so the source is the part before the
    first colon.
    """
    rows = store.fetch_all(
        """
        SELECT split_part(i.record_id, ':', 1) AS source, i.entity, i.record_id,
               i.kind, i.detail, i.candidates,
               row_number() OVER (PARTITION BY source ORDER BY i.entity, i.record_id)
                   AS position,
               count(*) OVER (PARTITION BY source) AS total
        FROM match_issues i
        WHERE i.kind IN (?, ?, ?)
        QUALIFY position <= ?
        ORDER BY source, position
        """,
        [*MERGE_ISSUE_KINDS, max_items],
    )
    for source, entity, record_id, kind, detail, chain, _, total in rows:
        report = report_of(source)
        report.merge_problems_total = total
        report.merge_problems.append(
            MergeProblem(entity, record_id, kind, detail, list(chain or []))
        )

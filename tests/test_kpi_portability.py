"""Every KPI expression compiles for DuckDB and for Spark SQL.

Ibis 12's PySpark compiler needs a live Spark session, so Spark SQL is
compiled through Ibis's Databricks dialect (the same Spark SQL, offline) and
then parsed back with sqlglot's Spark grammar to prove it is valid Spark SQL.
"""

from __future__ import annotations

from datetime import datetime

import ibis
import pytest
import sqlglot
from sqlglot import exp

from abmkpi.config import Settings
from abmkpi.metrics.compute import fact_expressions
from abmkpi.metrics.context import KpiContext, UnboundTables
from abmkpi.metrics.engagement import contributions_expr, peak_scores_expr, scores_expr
from abmkpi.metrics.stages import history_stages_expr, stage_definitions_expr
from abmkpi.periods import Calendar
from abmkpi.store.schema import CANONICAL_TABLES

CANONICAL_NAMES = {table.name for table in CANONICAL_TABLES}


def _expressions() -> dict[str, ibis.Table]:
    settings = Settings()
    period = Calendar(settings.fiscal).parse("FY2024-Q1")
    ctx = KpiContext.for_period(UnboundTables(), settings, period, datetime(2025, 1, 1))
    one_account = KpiContext.for_period(
        UnboundTables(), settings, period, datetime(2025, 1, 1), "salesforce:001"
    )
    expressions = dict(
        fact_expressions(ctx, ["Prospecting", "Proposal", "Negotiation"])
    )
    expressions.update(
        {
            f"account_{name}": expression
            for name, expression in fact_expressions(one_account, ["Proposal"]).items()
        }
    )
    expressions["scores"] = scores_expr(ctx, ctx.as_of)
    expressions["contributions"] = contributions_expr(ctx, ctx.as_of)
    expressions["peak_scores"] = peak_scores_expr(ctx)
    expressions["stage_definitions"] = stage_definitions_expr(ctx)
    expressions["history_stages"] = history_stages_expr(ctx)
    return expressions


EXPRESSIONS = _expressions()


@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_compiles_for_duckdb(name: str) -> None:
    sql = ibis.to_sql(EXPRESSIONS[name], dialect="duckdb")
    assert "SELECT" in sql


@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_compiles_for_spark(name: str) -> None:
    sql = ibis.to_sql(EXPRESSIONS[name], dialect="databricks")
    parsed = sqlglot.parse_one(sql, read="spark")
    ctes = {cte.alias for cte in parsed.find_all(exp.CTE)}
    tables = {table.name for table in parsed.find_all(exp.Table)} - ctes
    assert tables <= CANONICAL_NAMES, tables - CANONICAL_NAMES

"""Plotly figures for the pages, as plain dictionaries for ``Plotly.newPlot``.

Plotly reads a few HTML tags in its text (``<b>``, ``<br>``, links), so
every label that comes from data (stage names, asset titles) is escaped
with :func:`html.escape` here and Plotly shows it as text.
"""

from __future__ import annotations

import html
from typing import Any

from abmkpi.metrics.accounts import JOURNEY_STAGES
from abmkpi.web.pages.formats import Formatter
from abmkpi.web.queries import Funnel

FONT = (
    "system-ui, -apple-system, 'Segoe UI', 'Hiragino Sans', 'Noto Sans CJK JP', "
    "'Yu Gothic UI', Meiryo, sans-serif"
)
INK = "#1f2937"
MUTED = "#6b7280"
GRID = "#e5e7eb"
ACCENT = "#2563eb"

# From cold to warm along the journey.
STAGE_COLOURS = {
    "unengaged": "#cbd5e1",
    "aware": "#93c5fd",
    "engaged": "#60a5fa",
    "mqa": "#3b82f6",
    "opportunity": "#1d4ed8",
    "customer": "#059669",
}


def _layout(**extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "font": {"family": FONT, "size": 13, "color": INK},
        "margin": {"l": 8, "r": 8, "t": 8, "b": 8},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "showlegend": False,
        "hoverlabel": {"font": {"family": FONT}},
    }
    layout.update(extra)
    return layout


def text(value: Any) -> str:
    """Return data text for a Plotly label, escaped so it shows literally."""
    return html.escape("" if value is None else str(value), quote=False)


def funnel_figure(funnel: Funnel, fmt: Formatter) -> dict[str, Any]:
    """Return the journey funnel of target accounts, unengaged at the top."""
    stages = list(JOURNEY_STAGES[::-1])
    counts = [funnel.targets.get(stage, 0) for stage in stages]
    total = sum(counts) or 1
    labels = [text(fmt.term("journey", stage)) for stage in stages]
    values = [
        f"{fmt.number(count)} ({fmt.percent(count / total, 0)})" for count in counts
    ]
    return {
        "data": [
            {
                "type": "funnel",
                "y": labels,
                "x": counts,
                "text": values,
                "textinfo": "text",
                "textposition": "inside",
                "hoverinfo": "y+text",
                "marker": {"color": [STAGE_COLOURS[stage] for stage in stages]},
                "connector": {"fillcolor": "#eef2ff", "line": {"width": 0}},
            }
        ],
        "layout": _layout(
            margin={"l": 110, "r": 8, "t": 4, "b": 4},
            yaxis={"automargin": True},
            funnelmode="stack",
        ),
    }


def score_history_figure(
    history: list[dict[str, Any]], threshold: float, fmt: Formatter
) -> dict[str, Any]:
    """Return the weekly engagement score with the MQA threshold as a line."""
    dates = [fmt.local(point["as_of"]).date().isoformat() for point in history]
    scores = [round(point["score"], 2) for point in history]
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": dates,
                "y": scores,
                "line": {"color": ACCENT, "width": 2, "shape": "spline"},
                "marker": {"size": 5},
                "fill": "tozeroy",
                "fillcolor": "rgba(37,99,235,0.08)",
                "hovertemplate": "%{x}: %{y:.1f}<extra></extra>",
            }
        ],
        "layout": _layout(
            margin={"l": 40, "r": 12, "t": 12, "b": 32},
            xaxis={"gridcolor": GRID, "type": "date"},
            yaxis={"gridcolor": GRID, "rangemode": "tozero"},
            shapes=[
                {
                    "type": "line",
                    "xref": "paper",
                    "x0": 0,
                    "x1": 1,
                    "y0": threshold,
                    "y1": threshold,
                    "line": {"color": "#f59e0b", "dash": "dash", "width": 1.5},
                }
            ],
            annotations=[
                {
                    "xref": "paper",
                    "x": 0,
                    "y": threshold,
                    "yanchor": "bottom",
                    "xanchor": "left",
                    "showarrow": False,
                    "text": text(f"MQA {fmt.number(threshold)}"),
                    "font": {"color": "#b45309", "size": 11},
                }
            ],
        ),
    }


def pipeline_figure(rows: list[dict[str, Any]], fmt: Formatter) -> dict[str, Any]:
    """Return open pipeline per stage as horizontal bars, first stage on top."""
    stages = [text(row["stage"] or "–") for row in rows][::-1]
    amounts = [row["amount"] for row in rows][::-1]
    labels = [
        f"{fmt.money_compact(row['amount'])} · {fmt.number(row['deals'])}"
        for row in rows
    ][::-1]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": stages,
                "x": amounts,
                "text": labels,
                "textposition": "auto",
                "hoverinfo": "y+text",
                "marker": {"color": ACCENT},
            }
        ],
        "layout": _layout(
            margin={"l": 8, "r": 8, "t": 4, "b": 4},
            xaxis={"gridcolor": GRID, "showticklabels": False},
            yaxis={"automargin": True},
        ),
    }


def share_bars_figure(items: list[tuple[str, float | None]]) -> dict[str, Any]:
    """Return horizontal bars of shares (0–1), such as persona coverage."""
    labels = [text(label) for label, _ in items][::-1]
    values = [value or 0 for _, value in items][::-1]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": labels,
                "x": values,
                "text": [f"{value:.0%}" for value in values],
                "textposition": "auto",
                "hoverinfo": "y+text",
                "marker": {"color": "#0ea5e9"},
            }
        ],
        "layout": _layout(
            margin={"l": 8, "r": 8, "t": 4, "b": 24},
            xaxis={"range": [0, 1], "tickformat": ".0%", "gridcolor": GRID},
            yaxis={"automargin": True},
        ),
    }

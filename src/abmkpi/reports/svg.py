"""Charts drawn as inline SVG, so a pack opens offline and prints as it shows.

Every text in a chart comes from data or the catalog and is escaped here.
Coordinates are in SVG user units; the page scales the ``viewBox``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from html import escape

INK = "#1f2937"
MUTED = "#6b7280"
GRID = "#e5e7eb"
ACCENT = "#2563eb"
TARGET = "#d97706"
# Character cells of a bar label that fit beside the bars at 13 px.
LABEL_CELLS = 26

STAGE_COLOURS = {
    "unengaged": "#cbd5e1",
    "aware": "#93c5fd",
    "engaged": "#60a5fa",
    "mqa": "#3b82f6",
    "opportunity": "#1d4ed8",
    "customer": "#059669",
}


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value as the reader sees it
    colour: str = ACCENT


def bar_chart(bars: list[Bar], width: int = 640, row_height: int = 26) -> str:
    """Return horizontal bars, one row per item, scaled to the largest value."""
    label_width = 180
    text_width = 110
    plot = width - label_width - text_width
    top = max((bar.value for bar in bars), default=0) or 1
    height = row_height * max(len(bars), 1) + 8
    parts = [_open(width, height)]
    for index, bar in enumerate(bars):
        y = 4 + index * row_height
        length = max(plot * max(bar.value, 0) / top, 0)
        parts.append(
            f'<text x="{label_width - 8}" y="{y + row_height * 0.65:.1f}" '
            f'text-anchor="end" fill="{INK}" font-size="13">'
            f"{escape(clip(bar.label, LABEL_CELLS))}</text>"
            f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" '
            f'height="{row_height - 6}" rx="3" fill="{escape(bar.colour)}"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + row_height * 0.65:.1f}" '
            f'fill="{MUTED}" font-size="12">{escape(bar.text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def trend_chart(
    labels: list[str],
    values: list[float | None],
    texts: list[str],
    target: float | None = None,
    width: int = 320,
    height: int = 150,
) -> str:
    """Return a line over the periods with a point per value and the target.

    ``texts`` are the values as the reader sees them; the first and last
    known values are written beside their points.
    """
    left, right, top_pad, bottom = 10, 10, 18, 30
    known = [v for v in values if v is not None]
    scale = [*known, *([target] if target is not None else [])]
    high = max(scale, default=1.0)
    low = min([0.0, *scale])
    span = (high - low) or 1.0
    step = (width - left - right) / max(len(values) - 1, 1)

    def y_of(value: float) -> float:
        return top_pad + (height - top_pad - bottom) * (1 - (value - low) / span)

    parts = [_open(width, height)]
    baseline = y_of(low)
    parts.append(
        f'<line x1="{left}" x2="{width - right}" y1="{baseline:.1f}" '
        f'y2="{baseline:.1f}" stroke="{GRID}"/>'
    )
    if target is not None:
        y = y_of(target)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{TARGET}" stroke-dasharray="5 4" stroke-width="1.5"/>'
        )
    points = [
        (left + index * step, y_of(value), index)
        for index, value in enumerate(values)
        if value is not None
    ]
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{ACCENT}" '
            'stroke-width="2"/>'
        )
    for x, y, _ in points:
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{ACCENT}"/>')
    parts += _point_texts(points, texts, width)
    parts += _axis_labels(labels, left, step, height)
    parts.append("</svg>")
    return "".join(parts)


def _point_texts(
    points: list[tuple[float, float, int]], texts: list[str], width: int
) -> list[str]:
    if not points:
        return []
    shown = [points[0], points[-1]] if len(points) > 1 else [points[0]]
    parts = []
    for x, y, index in shown:
        anchor = "end" if x > width / 2 else "start"
        parts.append(
            f'<text x="{x:.1f}" y="{y - 7:.1f}" text-anchor="{anchor}" '
            f'fill="{INK}" font-size="11">{escape(texts[index])}</text>'
        )
    return parts


def _axis_labels(labels: list[str], left: int, step: float, height: int) -> list[str]:
    parts = []
    for index, label in enumerate(labels):
        x = left + index * step
        anchor = "middle"
        if index == 0:
            anchor = "start"
        elif index == len(labels) - 1:
            anchor = "end"
        parts.append(
            f'<text x="{x:.1f}" y="{height - 10}" text-anchor="{anchor}" '
            f'fill="{MUTED}" font-size="10">{escape(label)}</text>'
        )
    return parts


def clip(text: str, cells: int) -> str:
    """Return text cut to ``cells`` character cells (CJK characters take two)."""
    used = 0
    for index, character in enumerate(text):
        used += 2 if unicodedata.east_asian_width(character) in "WF" else 1
        if used > cells:
            return text[: max(index - 1, 0)] + "…"
    return text


def _open(width: int, height: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" font-family="inherit">'
    )

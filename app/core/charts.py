"""Geometry of the horizontal bar charts drawn as inline SVG beside their tables (voice
statistics, survey results): one layout, so the charts of every page read alike."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

BAR_MAX = 155  # viewBox units for a full bar (the label takes the left 120, the bar starts at 125)
ROW = 22


def horizontal_bars(rows: Iterable[tuple[str, float, Any]], value_gap: int = 16) -> dict[str, Any]:
    """Bars for a viewBox 0 0 320 h from (label, fraction of a full bar, value shown after it):
    a long label is cut in the chart (the table beside it has it whole)."""
    drawn = []
    for index, (label, fraction, value) in enumerate(rows):
        y = 10 + index * ROW
        width = round(BAR_MAX * fraction, 1)
        drawn.append(
            {
                "label": label if len(label) <= 11 else label[:10] + "…",
                "value": value,
                "y": y,
                "text_y": y + 12,
                "width": width,
                "value_x": round(125 + width + value_gap, 1),
            }
        )
    return {"rows": drawn, "height": 20 + ROW * len(drawn)}

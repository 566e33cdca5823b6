"""Small inline SVG charts for the daily report: no JavaScript, no network, crisp when printed.

Each function returns one ``<svg>`` element as text; every label is XML-escaped.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from xml.sax.saxutils import escape

FONT = "font-family=\"'Microsoft YaHei','PingFang SC','Noto Sans CJK SC','WenQuanYi Micro Hei',sans-serif\""
BLUE, GREEN, ORANGE, RED, GREY = "#2f6fb5", "#3a9a5b", "#e08a2c", "#c8443b", "#9aa5b1"
PALETTE = [GREEN, "#7cbf8f", BLUE, "#8fb4de", RED, "#b9a27c", GREY, "#c5ccd3", "#6b7682"]


def _pct(value: float | None) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.1%}"


def progress_bars(labels: Sequence[str], rates: Sequence[float | None], notes: Sequence[str],
                  target: float = 1.0, title: str = "") -> str:
    """Horizontal bars of a share per row against a target line (e.g. each town's task progress)."""
    row, bar_w, right = 26, 420, 330
    left = 20 + 14 * max([len(str(label)) for label in labels] or [4])  # CJK glyphs ≈ 13-14 px at 13 px
    height = 40 + row * len(labels)
    scale = max([target, *[r for r in rates if r is not None and not math.isnan(r)]]) * 1.05
    x_target = left + bar_w * target / scale
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {left + bar_w + right} {height}" '
             f'width="100%" role="img" aria-label="{escape(title)}" {FONT} font-size="13">')]
    for i, (label, rate, note) in enumerate(zip(labels, rates, notes, strict=True)):
        y = 24 + i * row
        known = rate is not None and not math.isnan(rate)
        w = bar_w * (rate if known else 0) / scale
        color = GREEN if known and rate >= target * 0.95 else ORANGE if known and rate >= target * 0.8 else RED
        parts.append(f'<text x="{left - 8}" y="{y + 14}" text-anchor="end">{escape(str(label))}</text>'
                     f'<rect x="{left}" y="{y}" width="{bar_w}" height="18" fill="#eef1f4"/>'
                     f'<rect x="{left}" y="{y}" width="{w:.1f}" height="18" fill="{color}"/>'
                     f'<text x="{left + bar_w + 8}" y="{y + 14}"><tspan font-weight="bold">{_pct(rate)}</tspan>'
                     f' {escape(note)}</text>')
    parts.append(f'<line x1="{x_target:.1f}" y1="16" x2="{x_target:.1f}" y2="{height - 8}" stroke="#333" '
                 f'stroke-dasharray="4 3"/><text x="{x_target:.1f}" y="12" text-anchor="middle" font-size="11">'
                 f'目标 {_pct(target)}</text></svg>')
    return "".join(parts)


def axis_ticks(highest: float) -> list[int]:
    """Gridline values from 0 past ``highest`` (by at least 2%) in round steps (1, 2, 2.5 or 5 × 10ⁿ people),
    three to six of them, so a reader can read a count off the axis.

    >>> axis_ticks(4562), axis_ticks(1), axis_ticks(0), axis_ticks(980_000)[-2:]
    ([0, 1000, 2000, 3000, 4000, 5000], [0, 1, 2], [0, 1, 2], [800000, 1000000])
    """
    raw = max(highest, 1) / 5
    power = 10 ** math.floor(math.log10(raw))
    step = max(1, next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw))
    steps = max(2, math.ceil(max(highest, 1) * 1.02 / step))
    return [round(step * k) for k in range(steps + 1)]


def trend_lines(days: Sequence[dt.date], series: dict[str, Sequence[float]], window: tuple[dt.date, dt.date],
                title: str = "") -> str:
    """Lines of values (e.g. paid people) over run dates, drawn across the whole collection window, with the
    legend above the plot (never over a line)."""
    width, height, left, bottom, top, right = 720, 272, 70, 36, 32, 20
    start, end = window[0], max(window[1], *days) if days else window[1]
    span = max((end - start).days, 1)
    ticks = axis_ticks(max([0, *[v for values in series.values() for v in values]]))
    peak = ticks[-1]

    def x(day: dt.date) -> float:
        return left + (width - left - right) * (day - start).days / span

    def y(value: float) -> float:
        return height - bottom - (height - bottom - top) * value / peak

    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'aria-label="{escape(title)}" {FONT} font-size="12">')]
    for value in ticks:
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" stroke="#e3e7eb"/>'
                     f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end">{value:,.0f}</text>')
    for day in (window[0], window[1]):
        parts.append(f'<line x1="{x(day):.1f}" x2="{x(day):.1f}" y1="{top}" y2="{height - bottom}" stroke="#bbb" '
                     f'stroke-dasharray="3 3"/><text x="{x(day):.1f}" y="{height - bottom + 16}" '
                     f'text-anchor="middle">{day:%m-%d}</text>')
    for (name, values), color in zip(series.items(), [BLUE, GREEN, ORANGE, RED], strict=False):
        points = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in zip(days, values, strict=True))
        if len(days) > 1:
            parts.append(f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2.5"/>')
        parts.extend(f'<circle cx="{x(d):.1f}" cy="{y(v):.1f}" r="3.5" fill="{color}"/>'
                     for d, v in zip(days, values, strict=True))
    legend_x = left + 10
    for i, (name, color) in enumerate(zip(series, [BLUE, GREEN, ORANGE, RED], strict=False)):
        parts.append(f'<rect x="{legend_x + i * 150}" y="4" width="12" height="12" fill="{color}"/>'
                     f'<text x="{legend_x + i * 150 + 18}" y="14">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def share_bar(parts_: Sequence[tuple[str, int]], title: str = "") -> str:
    """One 100% stacked bar of counts with a legend (e.g. persons by status)."""
    width, left, bar_w = 720, 10, 700
    total = sum(n for _, n in parts_) or 1
    legend_rows = math.ceil(len(parts_) / 3)
    height = 56 + 22 * legend_rows
    out = [(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
           f'aria-label="{escape(title)}" {FONT} font-size="12">')]
    x = float(left)
    for (label, n), color in zip(parts_, PALETTE, strict=False):
        w = bar_w * n / total
        out.append(f'<rect x="{x:.1f}" y="8" width="{w:.1f}" height="28" fill="{color}"><title>{escape(label)} '
                   f'{n:,}</title></rect>')
        x += w
    for i, ((label, n), color) in enumerate(zip(parts_, PALETTE, strict=False)):
        lx, ly = left + (i % 3) * 240, 56 + (i // 3) * 22
        out.append(f'<rect x="{lx}" y="{ly - 11}" width="12" height="12" fill="{color}"/>'
                   f'<text x="{lx + 18}" y="{ly}">{escape(label)} {n:,}（{n / total:.1%}）</text>')
    out.append("</svg>")
    return "".join(out)

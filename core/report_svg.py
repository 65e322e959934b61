"""The two drawings of the report, as inline SVG: the DAG and the timeline.

Colours are not written here: each shape carries the class of its state (`st-SUCCESS`,
`st-NOT_RUN`...) and the page's stylesheet colours them, so the drawings, the badges and the
legend can never disagree. Every text goes through `shown` (secrets masked, then escaped).
"""

from __future__ import annotations

from html import escape
from typing import Any

from yt_pipeline.logs import masked

NODE_W, NODE_H, COL_GAP, ROW_GAP, PAD = 200, 52, 76, 16, 12
#: characters of a name that fit a node at the page's font size (the rest is in the tooltip)
NAME_CHARS = 24
LANE_H, LANE_GAP, AXIS_H, GUTTER, TIMELINE_W = 26, 6, 26, 64, 1300
#: a bar is at least this wide, so a cache hit (a few milliseconds) is still seen
MIN_BAR = 4
CHAR_W = 7.2


def shown(value: Any) -> str:
    """A value as page text: secrets masked first (in every written form), then escaped
    for HTML, which is also right for SVG inside HTML."""
    return escape(masked(str(value)), quote=True)


def state_class(state: str) -> str:
    return "st-" + state.replace(" ", "_")


def short(name: str, limit: int = NAME_CHARS) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 60:
        return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"
    minutes, rest = divmod(int(round(value)), 60)
    return f"{minutes} min {rest:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def node_caption(stage: Any) -> str:
    parts = [stage.state]
    if stage.state in ("SUCCESS", "FAILED") and stage.duration_s is not None:
        parts.append(seconds(stage.duration_s))
    if (stage.attempts or 1) > 1:
        parts.append(f"{stage.attempts} attempts")
    return " · ".join(parts)


def _ordered_levels(levels: list[list[str]], deps: dict[str, tuple[str, ...]]) -> list[list[str]]:
    """Each level sorted by the mean row of what it needs, so edges cross less; stages that
    need nothing keep their order."""
    row: dict[str, float] = {}
    ordered = []
    for level in levels:
        def key(item: tuple[int, str]) -> tuple[float, int]:
            index, name = item
            above = [row[d] for d in deps.get(name, ()) if d in row]
            return (sum(above) / len(above) if above else index, index)

        names = [name for _, name in sorted(enumerate(level), key=key)]
        row.update((name, float(i)) for i, name in enumerate(names))
        ordered.append(names)
    return ordered


def dag_svg(facts: Any, index: dict[str, int]) -> str:
    deps = {name: stage.deps for name, stage in facts.stages.items()}
    levels = _ordered_levels(facts.levels, deps)
    tallest = max((len(level) for level in levels), default=1)
    height = PAD * 2 + tallest * NODE_H + (tallest - 1) * ROW_GAP
    width = PAD * 2 + len(levels) * NODE_W + (len(levels) - 1) * COL_GAP
    where: dict[str, tuple[float, float]] = {}
    for column, level in enumerate(levels):
        used = len(level) * NODE_H + (len(level) - 1) * ROW_GAP
        top = PAD + (height - 2 * PAD - used) / 2
        for row, name in enumerate(level):
            where[name] = (PAD + column * (NODE_W + COL_GAP), top + row * (NODE_H + ROW_GAP))
    out = [f'<svg class="dag" xmlns="http://www.w3.org/2000/svg" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="stage graph">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
           'class="arrowhead"/></marker></defs>']
    for name, needs in deps.items():
        for dep in needs:
            if dep not in where or name not in where:
                continue
            (x1, y1), (x2, y2) = where[dep], where[name]
            x1, y1, y2 = x1 + NODE_W, y1 + NODE_H / 2, y2 + NODE_H / 2
            bend = (x2 - x1) / 2
            table = facts.inferred.get((name, dep))
            title = f"<title>{shown(dep)} → {shown(name)}" + (
                f" ({shown(table)})" if table else "") + "</title>"
            out.append(f'<path class="edge" d="M{x1:.1f},{y1:.1f} C{x1 + bend:.1f},{y1:.1f} '
                       f'{x2 - bend:.1f},{y2:.1f} {x2 - 2:.1f},{y2:.1f}" '
                       f'marker-end="url(#arrow)">{title}</path>')
    for name, (x, y) in where.items():
        stage = facts.stages[name]
        i = index[name]
        out.append(
            f'<g class="node {state_class(stage.state)}" data-stage="{shown(name)}" '
            f'data-state="{shown(stage.state)}" data-index="{i}"><a href="#stage-{i}">'
            f'<title>{shown(name)}: {shown(node_caption(stage))}</title>'
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{NODE_W}" height="{NODE_H}" rx="8"/>'
            f'<text class="name" x="{x + 12:.1f}" y="{y + 21:.1f}">{shown(short(name))}</text>'
            f'<text class="caption" x="{x + 12:.1f}" y="{y + 40:.1f}">'
            f'{shown(node_caption(stage))}</text></a></g>')
    out.append("</svg>")
    return "\n".join(out)


def lanes(stages: list[Any], x: Any) -> list[list[Any]]:
    """Stages that ran, on as few lanes as their bars allow: each goes on the first lane
    free where its bar begins, so stages that ran at once are on lanes of their own. Bars
    are placed as drawn (`x` maps a time to the page), so a cache hit's sliver, wider than
    its few milliseconds, is never hidden under the next bar."""
    placed: list[list[Any]] = []
    ends: list[float] = []
    for stage in sorted(stages, key=lambda s: (s.start, s.end)):
        left = x(stage.start)
        right = max(x(stage.end), left + MIN_BAR) + 1
        for number, lane in enumerate(placed):
            if ends[number] <= left:
                lane.append(stage)
                ends[number] = right
                break
        else:
            placed.append([stage])
            ends.append(right)
    return placed


def _tick_step(span: float) -> float:
    for step in (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600):
        if span / step <= 10:
            return step
    return 7200.0


def timeline_svg(facts: Any, index: dict[str, int]) -> str:
    ran = [s for s in facts.stages.values() if s.start is not None and s.end is not None]
    if not ran:
        return '<p class="note">No stage of this run has a start and an end to draw.</p>'
    t0 = min([s.start for s in ran] + ([facts.started_at] if facts.started_at else []))
    t1 = max([s.end for s in ran] + ([facts.finished_at] if facts.finished_at else []))
    span = max(t1 - t0, 1e-3)
    inner = TIMELINE_W - GUTTER - PAD

    def x(t: float) -> float:
        return GUTTER + (t - t0) / span * inner

    placed = lanes(ran, x)
    height = len(placed) * (LANE_H + LANE_GAP) + AXIS_H + PAD
    out = [f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="{TIMELINE_W}" '
           f'height="{height}" viewBox="0 0 {TIMELINE_W} {height}" role="img" '
           f'aria-label="timeline">']
    axis_y = len(placed) * (LANE_H + LANE_GAP) + 4
    step = _tick_step(span)
    tick = 0.0
    while tick <= span + 1e-9:
        tx = x(t0 + tick)
        out.append(f'<line class="grid" x1="{tx:.1f}" y1="0" x2="{tx:.1f}" y2="{axis_y}"/>'
                   f'<text class="tick" x="{tx:.1f}" y="{axis_y + 16}">{_tick(tick, step)}</text>')
        tick += step
    for number, lane in enumerate(placed):
        y = number * (LANE_H + LANE_GAP)
        out.append(f'<text class="lane" x="4" y="{y + LANE_H / 2 + 4:.1f}">lane {number + 1}</text>')
        for position, stage in enumerate(lane):
            left, width = x(stage.start), max(MIN_BAR, x(stage.end) - x(stage.start))
            i = index[stage.name]
            label = stage.name + (f" ×{stage.attempts}" if (stage.attempts or 1) > 1 else "")
            retried = " retried" if (stage.attempts or 1) > 1 else ""
            out.append(
                f'<g class="bar {state_class(stage.state)}{retried}" data-stage="{shown(stage.name)}" '
                f'data-state="{shown(stage.state)}" data-index="{i}"><a href="#stage-{i}">'
                f'<title>{shown(stage.name)}: {shown(node_caption(stage))}, '
                f'+{seconds(stage.start - t0)} → +{seconds(stage.end - t0)}'
                f'{", cache " + shown(stage.cache) if stage.cache not in ("", "off") else ""}'
                f'</title><rect x="{left:.1f}" y="{y}" width="{width:.1f}" height="{LANE_H}" rx="4"/>'
                + _bar_label(label, left, width, y, lane[position + 1:], x) + "</a></g>")
    out.append("</svg>")
    return "\n".join(out)


def _bar_label(label: str, left: float, width: float, y: float, after: list[Any], x: Any) -> str:
    """The stage's name inside its bar when it fits, else just after it when the lane is
    free there; else none (the tooltip still has it)."""
    need = len(label) * CHAR_W + 8
    if need <= width:
        return f'<text class="in" x="{left + 4:.1f}" y="{y + LANE_H / 2 + 4:.1f}">{shown(label)}</text>'
    room = (x(after[0].start) if after else TIMELINE_W) - (left + width)
    if need <= room:
        return (f'<text class="out" x="{left + width + 4:.1f}" y="{y + LANE_H / 2 + 4:.1f}">'
                f'{shown(label)}</text>')
    return ""


def _tick(value: float, step: float) -> str:
    if step < 1:
        return f"{value:.1f} s"
    if step < 60:
        return f"{value:.0f} s"
    return f"{value / 60:.0f} min" if step < 3600 else f"{value / 3600:.1f} h"

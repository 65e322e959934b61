"""The report as one self-contained HTML page: `templates/report.html` filled in.

The template holds the stylesheet and the little script; this module writes the parts
that depend on the run. Every text that comes from a run, a configuration or a log goes
through `shown` (masked, then escaped), so a stage named `<script>` is text, and a secret
is `***` even where a job printed it.
"""

from __future__ import annotations

import time
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from yt_pipeline import __version__
from yt_pipeline.report_data import STATES, RunFacts, StageFacts, gather
from yt_pipeline.report_svg import dag_svg, seconds, shown, state_class, timeline_svg

#: options of a run worth a word in the header when they were used
_OPTIONS = {"resume": "--resume", "force": "--force", "only": "--only", "from_stage": "--from",
            "to_stage": "--to", "refresh": "--refresh", "workers": "--workers"}


def render(facts: RunFacts) -> str:
    index = {name: number for number, name in enumerate(facts.stages)}
    template = Template(resources.files("yt_pipeline").joinpath("templates/report.html")
                        .read_text(encoding="utf-8"))
    not_run = [s for s in facts.stages.values() if s.state == "NOT RUN"]
    return template.substitute(
        title=shown(f"{facts.pipeline}: run {facts.run_id} ({facts.status})"),
        header=_header(facts),
        dag=dag_svg(facts, index),
        legend='<p class="legend">' + "".join(
            f'<span class="{state_class(s)}">{shown(s)}</span>' for s in STATES) + "</p>",
        timeline=timeline_svg(facts, index),
        not_run=('<p class="note">Not run: ' + "; ".join(
            f"{shown(s.name)}" + (f" ({shown(s.reason)})" if s.reason else "")
            for s in not_run) + ".</p>") if not_run else "",
        stages="\n".join(_stage(s, index[s.name], facts) for s in facts.stages.values()),
        footer=shown(f"Written by yt-pipeline {__version__} report on "
                     f"{_when(time.time())} from .runs/{facts.run_id}.json; row counts are "
                     "the tables' counts when the page was written."),
    )


def _header(facts: RunFacts) -> str:
    tally: dict[str, int] = {}
    for stage in facts.stages.values():
        tally[stage.state] = tally.get(stage.state, 0) + 1
    took = (facts.finished_at - facts.started_at
            if facts.finished_at and facts.started_at else None)
    used = [f"{flag} {_value(facts.options[key])}".rstrip() for key, flag in _OPTIONS.items()
            if facts.options.get(key) not in (None, False, [], "")]
    parts = [f"mode <b>{shown(facts.mode)}</b>", f"started <b>{_when(facts.started_at)}</b>",
             f"took <b>{seconds(took)}</b>", f"workers <b>{shown(facts.workers or 1)}</b>",
             ", ".join(f"{shown(state.lower())} <b>{count}</b>" for state, count in tally.items())]
    if used:
        parts.append("options <b>" + shown(" ".join(used)) + "</b>")
    return (f'<h1><span class="badge {state_class(facts.status)}">{shown(facts.status)}</span>'
            f"{shown(facts.pipeline)} · run {shown(facts.run_id)}</h1>"
            f'<p class="summary">{" · ".join(parts)}</p>'
            + (f'<p class="note">{shown(facts.rows_note)}</p>' if facts.rows_note else ""))


def _value(value: Any) -> str:
    if value is True:
        return ""
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def _stage(stage: StageFacts, index: int, facts: RunFacts) -> str:
    offset = (f"+{seconds(stage.start - facts.started_at)}"
              if stage.start is not None and facts.started_at else "-")
    items = [("started", offset), ("took", seconds(stage.duration_s)),
             ("attempts", stage.attempts if stage.attempts is not None else "-"),
             ("cache", stage.cache or "-"),
             ("state file now", stage.state_now or "null")]
    if stage.deps:
        items.insert(0, ("after", ", ".join(stage.deps)))
    facts_html = "".join(f"<span>{label} <b>{shown(value)}</b></span>" for label, value in items)
    parts = [
        f'<section class="stage {state_class(stage.state)}" id="stage-{index}" '
        f'data-stage="{shown(stage.name)}" data-state="{shown(stage.state)}" data-index="{index}">',
        f'<h3><span class="badge {state_class(stage.state)}">{shown(stage.state)}</span>'
        f"{shown(stage.name)}</h3>",
        f'<p class="facts">{facts_html}</p>',
    ]
    if not stage.in_graph:
        parts.append('<p class="note">This stage is no longer in the pipeline\'s graph.</p>')
    if stage.reason and stage.reason not in stage.cache:
        parts.append(f'<p class="note">{shown(stage.reason)}</p>')
    if stage.error:
        parts.append(f'<pre class="error">{shown(stage.error)}</pre>')
    if stage.tables:
        rows = "".join(
            f'<tr class="table" data-table="{shown(t.path)}" '
            f'data-rows="{t.rows if t.rows is not None else ""}"><td><code>{shown(t.path)}</code>'
            f'</td><td class="rows">{f"{t.rows:,}" if t.rows is not None else shown(t.note)}'
            "</td></tr>" for t in stage.tables)
        parts.append('<table class="tables"><tr><th>table written</th><th>rows now</th></tr>'
                     f"{rows}</table>")
    for log in stage.logs:
        opened = " open" if stage.state == "FAILED" else ""
        parts.append(f"<details{opened}><summary>{shown(log.label)} (last {log.lines} "
                     f'lines)</summary><pre class="log">{shown(log.text)}</pre></details>')
    parts.append("</section>")
    return "\n".join(parts)


def _when(value: float | None) -> str:
    if value is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(value))


def write_report(pipeline: Any, output: Path | None = None, run_id: str | None = None,
                 count_rows: bool = True) -> Path:
    """Write the page of a run (default: the newest of the pipeline's mode); returns where:
    `output`, or `report-<run id>.html` in the pipeline folder's `.runs/`."""
    from yt_pipeline.state import RUNS_DIR
    from yt_pipeline.yamlio import write_file_atomic

    facts = gather(pipeline, run_id, count_rows=count_rows)
    page = render(facts)
    target = Path(output) if output else pipeline.pipeline_dir / RUNS_DIR / f"report-{facts.run_id}.html"
    write_file_atomic(target, page)
    return target


def write_recorded_report(folder: Path, output: Path | None = None,
                          run_id: str | None = None) -> Path:
    """The page of a run of a folder that has no pipeline configuration (a function-step
    pipeline's), from its run record alone."""
    from yt_pipeline.report_data import gather_recorded
    from yt_pipeline.state import RUNS_DIR
    from yt_pipeline.yamlio import write_file_atomic

    facts = gather_recorded(Path(folder), run_id)
    target = Path(output) if output else Path(folder) / RUNS_DIR / f"report-{facts.run_id}.html"
    write_file_atomic(target, render(facts))
    return target

"""Finding the complete pipelines written in docs/*.md.

A pipeline is a group of fenced blocks between `<!-- pipeline: NAME -->` and
`<!-- end pipeline -->`; each block names its file with a title:

    ```python title="stages/hello/stage.py"

Directives inside the group (HTML comments, invisible on the rendered page):

- `<!-- run: ARGS -->`            a command: yt-pipeline arguments, or `python FILE`;
                                   repeatable (without one: `run .`)
- `<!-- expect: TEXT -->`          TEXT appears in the output of the command above it
- `<!-- expect-not: TEXT -->`      TEXT does not appear in it
- `<!-- expect-exit: N -->`        the command above exits with N (default 0)
- `<!-- expect-rows: PATH N -->`   after the last command, the dev table PATH has N rows
- `<!-- needs: FEATURE -->`        skip unless an installed plugin provides it (operations, yql)
- `<!-- run-prod: ARGS -->`        the same yt-pipeline command in prod mode, on the tests'
                                   fake YT proxy (credentials and build folder given by the
                                   test); the `expect` directives after it apply to it
- `<!-- expect-prod-rows: PATH N -->` after the last command, the fake cluster's table PATH
                                   has N rows
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"

_START = re.compile(r"^<!-- pipeline: (?P<name>[\w.-]+) -->\s*$")
_END = re.compile(r"^<!-- end pipeline -->\s*$")
_DIRECTIVE = re.compile(r"^<!-- (?P<key>run|run-prod|expect|expect-not|expect-rows|"
                        r"expect-prod-rows|expect-exit|needs): (?P<value>.*) -->\s*$")
_FENCE = re.compile(r'^```\w*\s+title="(?P<path>[^"]+)"\s*$')


@dataclass
class Command:
    args: list[str]
    expect: list[str] = field(default_factory=list)
    expect_not: list[str] = field(default_factory=list)
    exit_code: int = 0
    prod: bool = False


@dataclass
class DocPipeline:
    name: str
    source: str
    files: dict[str, str] = field(default_factory=dict)
    commands: list[Command] = field(default_factory=list)
    expect_rows: list[tuple[str, int]] = field(default_factory=list)
    expect_prod_rows: list[tuple[str, int]] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)

    def last_command(self) -> Command:
        if not self.commands:
            self.commands.append(Command(["run", "."]))
        return self.commands[-1]


def find_pipelines(docs: Path = DOCS) -> list[DocPipeline]:
    found: list[DocPipeline] = []
    for page in sorted(docs.glob("*.md")):
        found.extend(_parse(page))
    return found


def _parse(page: Path) -> list[DocPipeline]:
    lines = page.read_text(encoding="utf-8").splitlines()
    out: list[DocPipeline] = []
    current: DocPipeline | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        where = f"{page.name}:{index + 1}"
        if (start := _START.match(line)) is not None:
            if current is not None:
                raise ValueError(f"{where}: pipeline {current.name} is not closed")
            current = DocPipeline(start["name"], where)
        elif _END.match(line):
            if current is None:
                raise ValueError(f"{where}: end pipeline without a start")
            out.append(current)
            current = None
        elif current is not None and (directive := _DIRECTIVE.match(line)) is not None:
            _apply(current, directive["key"], directive["value"].strip())
        elif current is not None and (fence := _FENCE.match(line)) is not None:
            body: list[str] = []
            index += 1
            while not lines[index].startswith("```"):
                body.append(lines[index])
                index += 1
            current.files[fence["path"]] = "\n".join(body) + "\n"
        index += 1
    if current is not None:
        raise ValueError(f"{page.name}: pipeline {current.name} is not closed")
    for pipeline in out:
        pipeline.last_command()  # a pipeline without a run directive is run with `run .`
    return out


def _apply(pipeline: DocPipeline, key: str, value: str) -> None:
    if key in ("run", "run-prod"):
        pipeline.commands.append(Command(shlex.split(value), prod=key == "run-prod"))
    elif key == "expect":
        pipeline.last_command().expect.append(value)
    elif key == "expect-not":
        pipeline.last_command().expect_not.append(value)
    elif key == "expect-exit":
        pipeline.last_command().exit_code = int(value)
    elif key in ("expect-rows", "expect-prod-rows"):
        path, count = value.rsplit(" ", 1)
        rows = pipeline.expect_rows if key == "expect-rows" else pipeline.expect_prod_rows
        rows.append((path, int(count)))
    else:
        pipeline.needs.append(value)

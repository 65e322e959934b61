"""What a report page holds, read from its markup with the standard library's HTML parser
(the same for the file as written and for the DOM the browser built from it)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class PageParts:
    #: stage -> state, from the graph's nodes, the timeline's bars, the stage sections
    nodes: dict[str, str] = field(default_factory=dict)
    bars: dict[str, str] = field(default_factory=dict)
    sections: dict[str, str] = field(default_factory=dict)
    retried: set[str] = field(default_factory=set)
    #: table -> rows ("" when there is no count)
    tables: dict[str, str] = field(default_factory=dict)
    tags: Counter = field(default_factory=Counter)
    #: every href and src, which must all stay inside the page
    links: list[str] = field(default_factory=list)
    text: str = ""


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts = PageParts()
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        found = dict(attrs)
        parts = self.parts
        parts.tags[tag] += 1
        parts.links += [v for k, v in attrs if k in ("href", "src", "xlink:href") and v]
        classes = (found.get("class") or "").split()
        stage, state = found.get("data-stage"), found.get("data-state")
        if stage is not None:
            if "node" in classes:
                parts.nodes[stage] = state
            elif "bar" in classes:
                parts.bars[stage] = state
                if "retried" in classes:
                    parts.retried.add(stage)
            elif "stage" in classes:
                parts.sections[stage] = state
        if "table" in classes and "data-table" in found:
            parts.tables[found["data-table"]] = found.get("data-rows") or ""

    def handle_data(self, data: str) -> None:
        self._text.append(data)


def read_page(markup: str) -> PageParts:
    reader = _Reader()
    reader.feed(markup)
    reader.close()
    reader.parts.text = "".join(reader._text)
    return reader.parts

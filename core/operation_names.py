"""The operation kinds, the default job scripts, and where a stage's config keeps its
operation sections.

Apart from operation_config.py and operations.py so that what every run reads (which
stages have job code, whether a stage has operation sections to check) does not build the
operation specs' classes: most stages run no operation.
"""

from __future__ import annotations

from typing import Any

from yt_pipeline.table_paths import plain

KINDS = ("map", "reduce", "map_reduce", "sort", "vanilla")
DEFAULT_SCRIPTS = {
    "mapper": "src/mapper.py",
    "reducer": "src/reducer.py",
    "vanilla": "src/vanilla.py",
}


def operation_sections(stage_config: Any) -> Any:
    """The `client.operations` mapping of a stage's config; None when there is none."""
    client: Any = stage_config.get("client") if hasattr(stage_config, "get") else None
    sections: Any = client.get("operations") if hasattr(client, "get") else None
    return sections if hasattr(sections, "items") else None


def operation_outputs(stage_config: Any) -> list[str]:
    """The tables a stage's operation sections write, each once: a section's
    `output_tables` (or `output_table`), as build_spec reads them; a `sort` section without
    one sorts its input in place, so it writes that. What is not a YT path is left out (the
    section checks refuse it before the run)."""
    sections = operation_sections(stage_config)
    found: list[str] = []
    for name, section in sections.items() if sections is not None else ():
        if not hasattr(section, "get"):
            continue
        tables = _paths(section, "output_tables", "output_table")
        if not tables and name == "sort":
            tables = [plain(t) for t in _paths(section, "input_tables", "input_table")[:1]]
        found += tables
    return list(dict.fromkeys(found))


def operation_inputs(stage_config: Any) -> list[str]:
    """The tables a stage's operation sections read, each once, as tables (a path's
    selectors and attributes left out: `<foreign=%true>//t`, `//t[#0:#10]` read //t), but
    those another of its sections writes (a map's output its reduce reads is the stage's
    own)."""
    sections = operation_sections(stage_config)
    found: list[str] = []
    for _name, section in sections.items() if sections is not None else ():
        if hasattr(section, "get"):
            found += [path for path in map(plain, _paths(section, "input_tables", "input_table",
                                                         selectors=True))
                      if path.startswith("//")]
    written = set(operation_outputs(stage_config))
    return [path for path in dict.fromkeys(found) if path not in written]


def _paths(section: Any, plural: str, single: str, *, selectors: bool = False) -> list[str]:
    value = section.get(plural, section.get(single))
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return [v for v in values if isinstance(v, str) and (selectors or v.startswith("//"))]

"""The operation kinds, the default job scripts, and where a stage's config keeps its
operation sections.

Apart from operation_config.py and operations.py so that what every run reads (which
stages have job code, whether a stage has operation sections to check) does not build the
operation specs' classes: most stages run no operation.
"""

from __future__ import annotations

from typing import Any

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

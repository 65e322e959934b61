"""Command name -> handler, and `execute_batch`, which runs light commands one by one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yt.yson as yson

from yt_pipeline_prod.fake import cypress_commands, operation_commands, queries, tables
from yt_pipeline_prod.fake.protocol import COMMANDS, Request, YtFakeError
from yt_pipeline_prod.fake.state import FakeState

Handler = Callable[[FakeState, Request], Any]


def cmd_execute_batch(state: FakeState, request: Request) -> Any:
    results = []
    for item in request.param("requests") or []:
        name = str(item.get("command"))
        params = dict(item.get("parameters") or {})
        body = b""
        if "input" in item:
            body = yson.dumps(item["input"], yson_format="text")
            params.setdefault("input_format", "yson")
        handler = HANDLERS.get(name)
        try:
            if handler is None or COMMANDS[name][3] or name == "execute_batch":
                raise YtFakeError(f"command {name} is not allowed in a batch")
            state.count(name, len(body))
            output = handler(state, Request(name, params, body, "yson"))
            results.append({"output": output} if output is not None else {})
        except YtFakeError as error:
            results.append({"error": error.to_dict()})
    return {"results": results}


HANDLERS: dict[str, Handler] = {
    **cypress_commands.HANDLERS,
    **tables.HANDLERS,
    **operation_commands.HANDLERS,
    **queries.HANDLERS,
    "execute_batch": cmd_execute_batch,
}

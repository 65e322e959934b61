"""Table creation through ytsaurus-client, rewritten by `yt-pipeline migrate` to the
client's `create_path(path, "table", schema=[...])`.

yt-framework's prod client held a `yt.wrapper.YtClient` as `.client`
(yt_framework/yt/clients/client_prod.py), and its own `create_path(path, node_type)` took no
schema; so a stage gave a table a schema with `self.deps.yt_client.client.create("table",
path, attributes={"schema": [...]}, recursive=True)`, or with yt.wrapper itself
(`yt.create(...)`, `yt.create_table(...)`). The client here has no `.client`, and a
yt.wrapper call in stage code would bypass dev mode; `create_path` does what those calls
asked: it makes the parents (`recursive`), takes an existing table of the same schema
(`ignore_existing`) and gives the table the schema. The arguments are those of
`create(type, path, recursive, ignore_existing, lock_existing, force, attributes,
ignore_type_mismatch, client)` and `create_table(path, recursive, ignore_existing,
attributes, client)` (yt/wrapper/cypress_commands.py, yt/wrapper/table_commands.py). What
create_path has no equivalent for (optimize_for, compression_codec, force, ...) is left out
and named in a note with the line; a call migrate cannot read whole (`attributes=attrs`,
`**options`, a `TableSchema`) is left as it is and named.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from yt_pipeline.migrate_client import CLIENT, MAYBE, Function, ModuleFacts, code_of

#: parameters of yt.wrapper's create and create_table, in order
CREATE_PARAMS = ("type", "path", "recursive", "ignore_existing", "lock_existing", "force",
                 "attributes", "ignore_type_mismatch", "client")
CREATE_TABLE_PARAMS = ("path", "recursive", "ignore_existing", "attributes", "client")
#: the node types create_path makes, in dev as in prod
NODE_TYPES = ("table", "map_node")
#: arguments whose meaning create_path keeps (it always makes the parents and takes an
#: existing node of the same kind and schema)
KEPT = ("type", "path", "recursive", "ignore_existing", "attributes")
#: the yt.wrapper functions that create a node, as migrate names them once resolved
WRAPPER_CALLS = {"yt.wrapper.create": CREATE_PARAMS,
                 "yt.wrapper.create_table": CREATE_TABLE_PARAMS}


@dataclass
class Rewrite:
    """What migrate makes of one creation call: the new call (None: left as it is) and the
    notes for its line, each (text, to check by hand)."""

    call: Any = None
    notes: list[tuple[str, bool]] = field(default_factory=list)


def _dotted(node: Any) -> str:
    import libcst as cst

    if isinstance(node, cst.Name):
        return str(node.value)
    if isinstance(node, cst.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr.value}" if head else ""
    return ""


def wrapper_function(func: Any, facts: ModuleFacts) -> str | None:
    """`yt.wrapper.create` for `yt.create` under `import yt.wrapper as yt` (or
    `yt.wrapper.create`, `from yt import wrapper`, `from yt.wrapper import create`); None
    for anything else."""
    text = _dotted(func)
    if not text:
        return None
    head, _, rest = text.partition(".")
    if head in facts.imported:
        module, name = facts.imported[head]
        resolved = f"{module}.{name}" + (f".{rest}" if rest else "")
    elif head in facts.module_names:
        module = facts.module_names[head]
        # `import yt.wrapper` binds `yt` and is used as `yt.wrapper.create`;
        # `import yt.wrapper as yt` binds `yt` to yt.wrapper itself
        resolved = text if text.startswith(module + ".") else \
            module + (f".{rest}" if rest else "")
    else:
        return None
    return resolved if resolved in WRAPPER_CALLS else None


def framework_client(func: Any, facts: ModuleFacts, scope: Function | None) -> tuple[Any, Any]:
    """For `X.client.create` (or `c.create` after `c = X.client`), with X yt-framework's
    client however the stage reaches it: (X, its Kind); else (None, None)."""
    import libcst as cst

    if not isinstance(func, cst.Attribute) or func.attr.value not in ("create", "create_table"):
        return None, None
    holder = func.value
    if isinstance(holder, cst.Name) and scope is not None and holder.value in scope.locals:
        values = scope.locals[holder.value]
        if len(values) != 1:
            return None, None
        holder = values[0]
    if not (isinstance(holder, cst.Attribute) and holder.attr.value == "client"):
        return None, None
    kind = facts.kind(holder.value, scope)
    return (holder.value, kind) if kind.what in (CLIENT, MAYBE) else (None, None)


def params_of(func: Any) -> tuple[str, ...]:
    """The parameters of `X.create` or `X.create_table` (YtClient has both)."""
    return CREATE_TABLE_PARAMS if func.attr.value == "create_table" else CREATE_PARAMS


def _bound(call: Any, params: tuple[str, ...]) -> dict[str, Any] | None:
    """The call's arguments by parameter name; None when migrate cannot tell which is which
    (`*args`, `**options`, an unknown keyword)."""
    bound: dict[str, Any] = {}
    for index, argument in enumerate(call.args):
        if argument.star:
            return None
        if argument.keyword is None:
            if index >= len(params):
                return None
            bound[params[index]] = argument
        elif argument.keyword.value in params:
            bound[argument.keyword.value] = argument
        else:
            return None
    return bound


def _literal(node: Any) -> Any:
    """The value of a literal expression (a string, a list of dicts); raises ValueError
    for anything computed."""
    return ast.literal_eval(code_of(node).strip())


def _bound_value(node: Any, facts: ModuleFacts, scope: Function | None) -> Any:
    """What a name stands for when it is assigned once (`SCHEMA = [...]`), else the node."""
    import libcst as cst

    if not isinstance(node, cst.Name):
        return node
    values = scope.locals.get(node.value) if scope is not None else None
    if values is None and (scope is None or node.value not in scope.params):
        values = facts.globals.get(node.value)
    return values[0] if values and len(values) == 1 else node


def _attributes(node: Any) -> tuple[Any, list[str]] | None:
    """(the schema's expression or None, the other attributes' names) of an `attributes=`
    dict literal; None for anything else (a name, a dict built by code, `**more`)."""
    import libcst as cst

    if not isinstance(node, cst.Dict):
        return None
    schema, others = None, []
    for element in node.elements:
        if not isinstance(element, cst.DictElement) or \
                not isinstance(element.key, cst.SimpleString):
            return None
        key = element.key.evaluated_value
        if key == "schema":
            schema = element.value
        else:
            others.append(str(key))
    return schema, others


def _schema_note(where: str, schema: Any, facts: ModuleFacts,
                 scope: Function | None) -> tuple[bool, str]:
    """(whether create_path can take the schema, a note or ""): a TableSchema object is no
    list of columns; a literal list is checked as create_path will check it."""
    import libcst as cst

    from yt_pipeline.errors import InvalidSchema
    from yt_pipeline.stage_schema import checked_schema

    value = _bound_value(schema, facts, scope)
    if isinstance(value, cst.Call):
        return False, (f"the schema is {code_of(value.func)}(...), not a list of columns: "
                       f"write create_path({where}, \"table\", schema=[{{\"name\": ..., "
                       "\"type\": ...}, ...]) (docs/pipelines-and-stages.md)")
    try:
        columns = _literal(value)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return True, ""  # computed: create_path checks it when the stage runs
    try:
        checked_schema(where, columns)
    except InvalidSchema as error:
        return True, f"{error}: correct the schema before the run"
    return True, ""


def _keyword(name: str, value: Any) -> Any:
    import libcst as cst

    return cst.Arg(keyword=cst.Name(name), value=value, equal=cst.AssignEqual(
        whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")))


def _with_commas(original: Any, args: list[Any]) -> list[Any]:
    """The new arguments with the original's separators, position by position (the line
    breaks of a call written one argument a line stay), its trailing comma kept."""
    import libcst as cst

    commas = [argument.comma for argument in original.args]
    between = [c for c in commas[:-1]] or [cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))]
    last = commas[-1] if commas else cst.MaybeSentinel.DEFAULT
    placed = []
    for index, argument in enumerate(args):
        if index == len(args) - 1:
            comma = last
        else:
            comma = between[min(index, len(between) - 1)]
        placed.append(argument.with_changes(comma=comma, whitespace_after_arg=(
            cst.SimpleWhitespace(""))))
    return placed


def _left_out(shown: str, attributes: list[str], options: dict[str, str], client: str,
              where: str) -> list[tuple[str, bool]]:
    """A note for each thing of the call create_path does not do."""
    notes = []
    if attributes:
        named = ", ".join(repr(name) for name in attributes)
        notes.append((f"{shown} became create_path without the attributes {named}: "
                      "create_path sets a table's schema only (no storage attributes)", False))
    if options.pop("force", "False") != "False":
        notes.append((f"{shown} became create_path without force=True: create_path keeps an "
                      "existing table of this schema, rows and all; to start empty call "
                      f"{client}.remove({where}, force=True) before it", False))
    if options:
        named = ", ".join(f"{name}={value}" for name, value in options.items())
        notes.append((f"{shown} became create_path without {named}: create_path has no "
                      "such option", False))
    return notes


def rewrite(original: Any, updated: Any, params: tuple[str, ...], client: Any,
            facts: ModuleFacts, scope: Function | None) -> Rewrite:
    """`updated` (a create call) as `client.create_path(...)`, or why not."""
    import libcst as cst

    shown = f"{code_of(original.func)}(...)"
    bound = _bound(updated, params)
    if bound is None or "path" not in bound:
        return Rewrite(notes=[(f"{shown}: migrate cannot tell its arguments (*args, "
                               "**options, or a keyword yt.wrapper's function does not take): "
                               "write create_path(path, \"table\", schema=[...])", False)])
    node_type = "table" if "type" not in params else None
    if node_type is None:
        try:
            node_type = _literal(bound["type"].value) if "type" in bound else None
        except (ValueError, SyntaxError):
            node_type = None
    if node_type not in NODE_TYPES:
        return Rewrite(notes=[(f"{shown}: yt-pipeline's client creates a table or a folder "
                               "(map_node) only, with create_path", False)])
    path = bound["path"].value
    where = code_of(path).strip()
    schema = None
    dropped: list[str] = []
    if "attributes" in bound:
        given = bound["attributes"].value
        read = _attributes(_bound_value(given, facts, scope))
        if read is None:
            return Rewrite(notes=[(f"{shown}: attributes={code_of(bound['attributes'].value)}"
                                   " is no {...} literal, so migrate cannot tell its schema: "
                                   f"write create_path({where}, \"table\", schema=[...])",
                                   False)])
        schema, dropped = read
    notes: list[tuple[str, bool]] = []
    if schema is not None:
        if node_type != "table":
            return Rewrite(notes=[(f"{shown}: a schema for a {node_type}", False)])
        takes, note = _schema_note(where, schema, facts, scope)
        if not takes:
            return Rewrite(notes=[(f"{shown}: {note}", False)])
        if note:
            notes.append((f"{shown}: {note}", False))
        if isinstance(bound["attributes"].value, cst.Name):
            # the dict is a name's (`attributes=ATTRS`): the schema is read from it there
            schema = cst.parse_expression(f'{bound["attributes"].value.value}["schema"]')
    notes += _left_out(shown, dropped, {name: code_of(bound[name].value).strip()
                                        for name in params if name in bound and name not in KEPT},
                       code_of(client), where)
    type_arg = bound["type"].value if "type" in bound and \
        isinstance(bound["type"].value, cst.SimpleString) else cst.SimpleString(f'"{node_type}"')
    args = [cst.Arg(value=path), cst.Arg(value=type_arg)]
    if schema is not None:
        args.append(_keyword("schema", schema))
    call = updated.with_changes(
        func=cst.Attribute(value=client, attr=cst.Name("create_path")),
        args=_with_commas(updated, args))
    return Rewrite(call, notes)

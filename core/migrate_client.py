"""Which expressions of a stage's code are yt-framework's YT client, for `yt-pipeline migrate`.

A stage reaches its client as `self.deps.yt_client`, and often through code of its own: a
name bound to it (`yt = self.deps.yt_client`, `c = yt`), an attribute of the stage
(`self._yt = ...` in `__init__`), a method or property returning it (`def client(self):
return self.deps.yt_client`), a module-level function (`def get_client(stage): ...`),
or such a function or class in another module of the same folder (`from .helpers import
get_client`). `ModuleFacts.kind` follows each of these to tell whether an expression is
the client ("client"), cannot be (None), or might be through something migrate cannot
read ("maybe", with the reason): `getattr(...)`, a helper imported from elsewhere given the
stage, a method the stage inherits from a class outside its folder, a function returning
the client on some paths only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yt_pipeline.migrate_rules import CLIENT_ATTRIBUTE

CLIENT = "client"
MAYBE = "maybe"


@dataclass
class Kind:
    """What an expression is: CLIENT, MAYBE (with `why`), or nothing (`what` None)."""

    what: str | None = None
    why: str = ""


NOT_CLIENT = Kind()


def _combine(kinds: list[Kind], whole: str) -> Kind:
    """All values the client: the client; some of them: maybe (`whole` says what)."""
    if not kinds:
        return NOT_CLIENT
    if all(k.what == CLIENT for k in kinds):
        return Kind(CLIENT)
    maybe = [k for k in kinds if k.what == MAYBE]
    if maybe:
        return maybe[0]
    if any(k.what == CLIENT for k in kinds):
        return Kind(MAYBE, f"{whole} is the client on some paths only")
    return NOT_CLIENT


def code_of(node: Any) -> str:
    """The source text of a node: `self.client().run_map`."""
    import libcst as cst

    return cst.Module(body=[]).code_for_node(node)


def _ends_with_client(node: Any) -> bool:
    import libcst as cst

    if isinstance(node, cst.Name):
        return node.value == CLIENT_ATTRIBUTE
    return isinstance(node, cst.Attribute) and node.attr.value == CLIENT_ATTRIBUTE


def _own_nodes(body: Any) -> Iterator[Any]:
    """The nodes of a function's body, not those of functions or classes inside it."""
    import libcst as cst

    stack = list(body.children)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            stack.extend(node.children)


def _assignments(nodes: Iterator[Any]) -> dict[str, list[Any]]:
    """name -> the values assigned to it (`x = v`, `x: T = v`, `a = b = v`)."""
    import libcst as cst

    bound: dict[str, list[Any]] = {}
    for node in nodes:
        if isinstance(node, cst.Assign):
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    bound.setdefault(target.target.value, []).append(node.value)
        elif isinstance(node, cst.AnnAssign) and node.value is not None \
                and isinstance(node.target, cst.Name):
            bound.setdefault(node.target.value, []).append(node.value)
    return bound


def _is_property(function: Any) -> bool:
    import libcst as cst

    for decorator in function.decorators:
        name = decorator.decorator
        last = name.attr.value if isinstance(name, cst.Attribute) else \
            name.value if isinstance(name, cst.Name) else ""
        if last.endswith("property"):
            return True
    return False


@dataclass
class Function:
    node: Any
    facts: ModuleFacts
    #: the name the stage goes by in it (`self` of a method), or None
    self_name: str | None = None
    locals: dict[str, list[Any]] = field(default_factory=dict)
    params: set[str] = field(default_factory=set)

    @property
    def name(self) -> str:
        return str(self.node.name.value)


class ModuleFacts:
    """What one module defines that may give the client, and how to follow it."""

    def __init__(self, path: Path, module: Any, folder: dict[str, ModuleFacts] | None = None):
        import libcst as cst

        self.path = path
        #: the modules of the same folder by name (this one included)
        self.folder: dict[str, ModuleFacts] = folder if folder is not None else {}
        self.functions: dict[str, Function] = {}
        self.methods: dict[str, list[Function]] = {}
        self.properties: dict[str, list[Function]] = {}
        #: `self.X = value` in a method: X -> [(value, the method)]
        self.stage_attributes: dict[str, list[tuple[Any, Function]]] = {}
        #: local name -> (module, name) of a from-import; local name -> module of `import`
        self.imported: dict[str, tuple[str, str]] = {}
        self.module_names: dict[str, str] = {}
        self.globals = _assignments(iter(module.body))
        for statement in module.body:
            if isinstance(statement, cst.FunctionDef):
                self.functions[statement.name.value] = self._function(statement, None)
            elif isinstance(statement, cst.ClassDef):
                self._class(statement)
            elif isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    self._import(small)
        self._following: set[int] = set()

    def _function(self, node: Any, self_name: str | None) -> Function:
        import libcst as cst

        params = {p.name.value for p in node.params.params}
        function = Function(node, self, self_name, _assignments(_own_nodes(node.body)), params)
        if self_name:
            for small in _own_nodes(node.body):
                if isinstance(small, cst.Assign):
                    for target in small.targets:
                        if isinstance(target.target, cst.Attribute) and \
                                code_of(target.target.value) == self_name:
                            self.stage_attributes.setdefault(
                                target.target.attr.value, []).append((small.value, function))
        return function

    def _class(self, node: Any) -> None:
        import libcst as cst

        for statement in node.body.body:
            if not isinstance(statement, cst.FunctionDef):
                continue
            params = statement.params.params
            self_name = params[0].name.value if params else None
            function = self._function(statement, self_name)
            table = self.properties if _is_property(statement) else self.methods
            table.setdefault(statement.name.value, []).append(function)

    def _import(self, node: Any) -> None:
        import libcst as cst

        if isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar):
            module = code_of(node.module) if node.module is not None else ""
            for alias in node.names:
                local = code_of(alias.asname.name) if alias.asname else code_of(alias.name)
                if node.module is None:  # `from . import helpers`
                    self.module_names[local] = code_of(alias.name)
                else:
                    self.imported[local] = (module, code_of(alias.name))
        elif isinstance(node, cst.Import):
            for alias in node.names:
                name = code_of(alias.name)
                local = code_of(alias.asname.name) if alias.asname else name.split(".")[0]
                self.module_names[local] = name

    def neighbour(self, module: str) -> ModuleFacts | None:
        """A module of this folder named by an import (`.helpers`, `helpers`,
        `stages.x.helpers`), or None."""
        last = module.split(".")[-1]
        facts = self.folder.get(last)
        if facts is None or facts.path == self.path:
            return None
        parts = module.split(".")
        if len(parts) > 1 and parts[-2] not in ("", self.path.parent.name):
            return None  # `lib.helpers` is another folder's helpers
        return facts

    # -- following an expression ---------------------------------------------------------

    def kind(self, node: Any, scope: Function | None) -> Kind:
        key = id(node)
        if key in self._following:  # a name bound to itself, a helper calling itself
            return NOT_CLIENT
        self._following.add(key)
        try:
            return self._kind(node, scope)
        finally:
            self._following.discard(key)

    def _kind(self, node: Any, scope: Function | None) -> Kind:
        import libcst as cst

        if _ends_with_client(node):
            return Kind(CLIENT)
        if isinstance(node, cst.Name):
            if scope is not None and node.value in scope.locals:
                return _combine([self.kind(v, scope) for v in scope.locals[node.value]],
                                node.value)
            if scope is not None and node.value in scope.params:
                return NOT_CLIENT
            return _combine([self.kind(v, None) for v in self.globals.get(node.value, [])],
                            node.value)
        if isinstance(node, cst.Attribute) and self._is_stage(node.value, scope):
            attribute = node.attr.value
            found = self._stage_member(attribute, "properties")
            if found:
                return _combine([f.facts.returns(f) for f in found], code_of(node))
            values = [(facts, value, where) for facts in self._family()
                      for value, where in facts.stage_attributes.get(attribute, [])]
            return _combine([facts.kind(value, where) for facts, value, where in values],
                            code_of(node))
        if isinstance(node, cst.Call):
            return self._call(node, scope)
        return NOT_CLIENT

    def _is_stage(self, node: Any, scope: Function | None) -> bool:
        import libcst as cst

        return scope is not None and scope.self_name is not None \
            and isinstance(node, cst.Name) and node.value == scope.self_name

    def _family(self) -> list[ModuleFacts]:
        """This module and the others of its folder (a stage's base class may live there)."""
        return [self, *[f for f in self.folder.values() if f.path != self.path]]

    def _stage_member(self, name: str, table: str) -> list[Function]:
        return [f for facts in self._family() for f in getattr(facts, table).get(name, [])]

    def _call(self, node: Any, scope: Function | None) -> Kind:
        import libcst as cst

        function = node.func
        text = code_of(function)
        if isinstance(function, cst.Call):  # `getattr(self, name)()`, `make(self)()`
            called = self._call(function, scope)
            return Kind(MAYBE, called.why or f"{text}() is not followed") if called.what \
                else NOT_CLIENT
        if isinstance(function, cst.Name):
            name = function.value
            if name == "getattr":
                return self._maybe_if_stage(node, scope, "getattr(...) is not followed")
            if name in self.functions:
                return self.returns(self.functions[name])
            if name in self.imported:
                module, original = self.imported[name]
                neighbour = self.neighbour(module)
                if neighbour is not None and original in neighbour.functions:
                    return neighbour.returns(neighbour.functions[original])
                return self._maybe_if_stage(
                    node, scope, f"{name} comes from {module}, which migrate does not follow")
            return NOT_CLIENT
        if not isinstance(function, cst.Attribute):
            return NOT_CLIENT
        if self._is_stage(function.value, scope):
            method = function.attr.value
            found = self._stage_member(method, "methods")
            if found:
                return _combine([f.facts.returns(f) for f in found], f"{text}()")
            if self._stage_member(method, "properties") or \
                    any(method in f.stage_attributes for f in self._family()):
                return NOT_CLIENT  # a property or attribute called: what it holds is no client
            return Kind(MAYBE, f"{text}() is not defined in the stage's folder")
        named = self._module_named(function.value)
        if named is not None:
            neighbour = self.neighbour(named)
            if neighbour is not None and function.attr.value in neighbour.functions:
                return neighbour.returns(neighbour.functions[function.attr.value])
            return self._maybe_if_stage(
                node, scope, f"{text} comes from {named}, which migrate does not follow")
        return NOT_CLIENT

    def _module_named(self, node: Any) -> str | None:
        """The module a name stands for: `import helpers`, `from . import helpers`,
        `from stages.x import helpers`; None for other names."""
        import libcst as cst

        if not isinstance(node, cst.Name):
            return None
        if node.value in self.module_names:
            return self.module_names[node.value]
        if node.value in self.imported:
            module, name = self.imported[node.value]
            whole = f"{module}.{name}"
            if self.neighbour(whole) is not None:
                return whole
        return None

    def _maybe_if_stage(self, call: Any, scope: Function | None, why: str) -> Kind:
        """A call migrate cannot read might give the client only when it is handed the
        stage or something of it (`get_client(self)`, `make(self.deps)`), or the client."""
        import libcst as cst

        for argument in call.args:
            value = argument.value
            root = value
            while isinstance(root, (cst.Attribute, cst.Subscript)):
                root = root.value
            if self._is_stage(root, scope) or _ends_with_client(value) \
                    or self.kind(value, scope).what is not None:
                return Kind(MAYBE, why)
        return NOT_CLIENT

    def scope_of(self, node: Any, outer: Function | None) -> Function:
        """The Function of a `def` the rewriter enters; one inside another function sees
        the names of the one around it, `self` included."""
        for function in [*self.functions.values(), *[f for table in (self.methods,
                         self.properties) for fs in table.values() for f in fs]]:
            if function.node is node:
                return function
        params = {p.name.value for p in node.params.params}
        inherited = dict(outer.locals) if outer is not None else {}
        inherited.update(_assignments(_own_nodes(node.body)))
        return Function(node, self, outer.self_name if outer is not None else None,
                        inherited, params)

    def returns(self, function: Function) -> Kind:
        """What a function returns: the client from each `return`, or not."""
        import libcst as cst

        values = [n.value for n in _own_nodes(function.node.body)
                  if isinstance(n, cst.Return) and n.value is not None]
        return _combine([self.kind(v, function) for v in values], f"{function.name}()")


def folder_facts(path: Path, parse: Any) -> dict[str, ModuleFacts]:
    """The facts of every module in `path`'s folder, by module name; `parse(path)` gives a
    module's tree or None (not Python, not readable)."""
    folder: dict[str, ModuleFacts] = {}
    for neighbour in sorted(path.parent.glob("*.py")):
        tree = parse(neighbour)
        if tree is not None:
            folder[neighbour.stem] = ModuleFacts(neighbour, tree, folder)
    return folder

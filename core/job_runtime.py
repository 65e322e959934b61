"""Find what job code uses that Python 3.8 parses but does not have at run time.

`job_syntax` finds what 3.8 cannot parse. This finds the next most common way a job that
works in dev fails on a stock cluster image: a name, a method or a typing form that came
with a later Python. Each is a TypeError, an AttributeError or an ImportError the moment
the line runs there:

- modules and names added to the standard library later (`zoneinfo`, `functools.cache`,
  `itertools.pairwise`, `datetime.UTC`, ...), imported or used through their module;
- `str.removeprefix` / `removesuffix` (3.9);
- `list[int]`, `dict[str, int]`, `collections.abc.Callable[...]` evaluated at run time
  (3.9), and `int | None` as a type (3.10): in expressions, in function annotations and in
  module or class variable annotations, unless `from __future__ import annotations` makes
  annotations lazy (a variable annotation inside a function is never evaluated);
- `zip(strict=...)` and `dataclass(slots=..., kw_only=..., match_args=...)` (3.10), and the
  builtins `aiter`, `anext`, `ExceptionGroup` (3.10, 3.11).

It reads the code, it does not run it: what it cannot see (a dict merged with `|`, a method
called on an object of unknown type) is left to the job. Names bound in the file itself
(a class with its own `removeprefix`, a variable called `list`) are not taken for the
standard library's.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

Version = tuple[int, int]

#: standard modules newer than 3.8
NEWER_MODULES: dict[str, Version] = {"zoneinfo": (3, 9), "graphlib": (3, 9),
                                     "tomllib": (3, 11)}

#: names of standard modules newer than 3.8, by module
NEWER_NAMES: dict[str, dict[str, Version]] = {
    "functools": {"cache": (3, 9)},
    "math": {"lcm": (3, 9), "nextafter": (3, 9), "ulp": (3, 9)},
    "itertools": {"pairwise": (3, 10), "batched": (3, 12)},
    "random": {"randbytes": (3, 9)},
    "ast": {"unparse": (3, 9)},
    "asyncio": {"to_thread": (3, 9), "TaskGroup": (3, 11), "timeout": (3, 11),
                "Runner": (3, 11)},
    "types": {"GenericAlias": (3, 9), "NoneType": (3, 10), "EllipsisType": (3, 10),
              "NotImplementedType": (3, 10), "UnionType": (3, 10)},
    "typing": {"Annotated": (3, 9), "TypeAlias": (3, 10), "ParamSpec": (3, 10),
               "Concatenate": (3, 10), "TypeGuard": (3, 10), "is_typeddict": (3, 10),
               "Self": (3, 11), "LiteralString": (3, 11), "Never": (3, 11),
               "assert_never": (3, 11), "assert_type": (3, 11), "reveal_type": (3, 11),
               "Required": (3, 11), "NotRequired": (3, 11), "TypeVarTuple": (3, 11),
               "Unpack": (3, 11), "dataclass_transform": (3, 11), "override": (3, 12)},
    "datetime": {"UTC": (3, 11)},
    "enum": {"StrEnum": (3, 11), "ReprEnum": (3, 11), "verify": (3, 11)},
    "contextlib": {"aclosing": (3, 10), "chdir": (3, 11)},
    "dataclasses": {"KW_ONLY": (3, 10)},
    "inspect": {"get_annotations": (3, 10)},
    "statistics": {"correlation": (3, 10), "covariance": (3, 10),
                   "linear_regression": (3, 10)},
    "operator": {"call": (3, 11)},
    "hashlib": {"file_digest": (3, 11)},
    "sys": {"orig_argv": (3, 10), "stdlib_module_names": (3, 10), "exception": (3, 11)},
    "os": {"waitstatus_to_exitcode": (3, 9)},
    "importlib.resources": {"files": (3, 9), "as_file": (3, 9)},
}

#: methods of str and bytes newer than 3.8, and what does the same on 3.8
NEWER_METHODS: dict[str, tuple[Version, str]] = {
    "removeprefix": ((3, 9), "s[len(prefix):] if s.startswith(prefix) else s"),
    "removesuffix": ((3, 9), "s[:-len(suffix)] if suffix and s.endswith(suffix) else s"),
}

#: builtins newer than 3.8
NEWER_BUILTINS: dict[str, Version] = {"aiter": (3, 10), "anext": (3, 10),
                                      "EncodingWarning": (3, 10), "ExceptionGroup": (3, 11),
                                      "BaseExceptionGroup": (3, 11)}

#: (callable, keyword) pairs newer than 3.8
NEWER_KEYWORDS: dict[tuple[str, str], Version] = {
    ("zip", "strict"): (3, 10),
    ("dataclass", "slots"): (3, 10), ("dataclass", "kw_only"): (3, 10),
    ("dataclass", "match_args"): (3, 10),
}

#: builtin classes a subscript makes a generic alias of from 3.9 on
_BUILTIN_GENERICS = {"list", "dict", "tuple", "set", "frozenset", "type"}
#: modules whose classes became subscriptable at run time in 3.9
_GENERIC_MODULES = {"collections", "collections.abc"}
#: names of builtin types: `int | None` with one of these is a type union
_BUILTIN_TYPES = {"int", "str", "float", "bool", "bytes", "bytearray", "complex", "list",
                  "dict", "tuple", "set", "frozenset", "type", "object"}


def _version(version: Version) -> str:
    return ".".join(map(str, version))


def _bound_names(tree: ast.AST) -> set[str]:
    """Every name the file binds itself: those are not the standard library's."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return bound


def _lazy_annotations(tree: ast.Module) -> bool:
    return any(isinstance(node, ast.ImportFrom) and node.module == "__future__"
               and any(alias.name == "annotations" for alias in node.names)
               for node in tree.body)


class _Finder(ast.NodeVisitor):
    def __init__(self, tree: ast.Module):
        self.lazy = _lazy_annotations(tree)
        self.bound = _bound_names(tree)
        #: local name -> the dotted module or module member it stands for
        self.imported: dict[str, str] = {}
        self.found: list[tuple[int, str]] = []
        self.in_function = 0

    def note(self, node: ast.AST, what: str, version: Version, fix: str = "") -> None:
        text = f"{what} is new in Python {_version(version)}"
        self.found.append((getattr(node, "lineno", 0), text + (f" ({fix})" if fix else "")))

    # -- where a name comes from -------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._module(node, alias.name)
            if alias.asname:
                self.imported[alias.asname] = alias.name
            else:
                top = alias.name.split(".")[0]
                self.imported[top] = top

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module or node.module == "__future__":
            return
        self._module(node, node.module)
        newer = NEWER_NAMES.get(node.module, {})
        for alias in node.names:
            if alias.name in newer:
                self.note(node, f"{node.module}.{alias.name}", newer[alias.name])
            self.imported[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def _module(self, node: ast.AST, name: str) -> None:
        top = name.split(".")[0]
        if top in NEWER_MODULES:
            self.note(node, f"the module {top}", NEWER_MODULES[top])

    def dotted(self, node: ast.AST) -> str | None:
        """What `a.b.c` names, with `a` resolved through the file's imports."""
        if isinstance(node, ast.Name):
            return self.imported.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self.dotted(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    # -- uses --------------------------------------------------------------------------
    def visit_Attribute(self, node: ast.Attribute) -> None:
        name = self.dotted(node)
        if name is not None:
            module, _, member = name.rpartition(".")
            if member in NEWER_NAMES.get(module, {}):
                self.note(node, name, NEWER_NAMES[module][member])
        elif node.attr in NEWER_METHODS and node.attr not in self.bound:
            version, instead = NEWER_METHODS[node.attr]
            self.note(node, f"str.{node.attr}", version, f"on 3.8: {instead}")
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if (isinstance(node.ctx, ast.Load) and node.id in NEWER_BUILTINS
                and node.id not in self.bound and node.id not in self.imported):
            self.note(node, f"the builtin {node.id}", NEWER_BUILTINS[node.id])

    def visit_Subscript(self, node: ast.Subscript) -> None:
        base = node.value
        generic = None
        if (isinstance(base, ast.Name) and base.id in _BUILTIN_GENERICS
                and base.id not in self.bound and base.id not in self.imported):
            generic = base.id
        else:
            name = self.dotted(base)
            if name is not None and name.rpartition(".")[0] in _GENERIC_MODULES:
                generic = name
        if generic is not None:
            self.note(node, f"{generic}[...] evaluated at run time", (3, 9),
                      "add `from __future__ import annotations`, or use typing's "
                      f"{generic.rpartition('.')[2].capitalize()}")
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if isinstance(node.op, ast.BitOr) and (self._a_type(node.left)
                                               or self._a_type(node.right)):
            self.note(node, "`X | Y` between types evaluated at run time", (3, 10),
                      "use typing.Optional or typing.Union")
            return  # one note for `a | b | None`
        self.generic_visit(node)

    def _a_type(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Constant):
            return node.value is None
        if isinstance(node, ast.Name):
            return (node.id in _BUILTIN_TYPES and node.id not in self.bound
                    and node.id not in self.imported)
        if isinstance(node, ast.Subscript):  # list[int] | None: the subscript is noted too
            return self._a_type(node.value)
        return False

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else (
            func.attr if isinstance(func, ast.Attribute) else None)
        if name is not None and (isinstance(func, ast.Attribute) or name not in self.bound):
            for keyword in node.keywords:
                version = NEWER_KEYWORDS.get((name, keyword.arg or ""))
                if version is not None:
                    self.note(node, f"{name}({keyword.arg}=...)", version)
        self.generic_visit(node)

    # -- annotations: evaluated or not -------------------------------------------------
    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        arguments = node.args
        for default in [*arguments.defaults, *arguments.kw_defaults]:
            if default is not None:
                self.visit(default)
        if not self.lazy:  # a function's annotations are evaluated when it is defined
            every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                     arguments.vararg, arguments.kwarg]
            for argument in every:
                if argument is not None and argument.annotation is not None:
                    self.visit(argument.annotation)
            if node.returns is not None:
                self.visit(node.returns)
        self.in_function += 1
        for statement in node.body:
            self.visit(statement)
        self.in_function -= 1

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.visit(node.target)
        if node.value is not None:
            self.visit(node.value)
        # a module's or a class's variable annotation is evaluated, a function's is not
        if not self.lazy and not self.in_function:
            self.visit(node.annotation)


def newer_at_run_time(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, what) for each use Python 3.8 does not have at run time, in line order."""
    finder = _Finder(tree)
    finder.visit(tree)
    return sorted(set(finder.found))


def describe(found: list[tuple[int, str]], shown: int = 3) -> Iterator[str]:
    """`line N: what` for the first `shown` uses, then how many more there are."""
    for line, what in found[:shown]:
        yield f"line {line}: {what}"
    if len(found) > shown:
        yield f"and {len(found) - shown} more"

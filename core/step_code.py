"""What a function step's cache key holds of its code.

A step's result depends on more than its own body: the helper functions and classes it
calls, the module-level constants it reads, the local modules it uses. A key of the body
alone keeps handing on a stale result after a helper changed. So the key holds the source
of the step and, at any depth, of every function, class and module of the pipeline's own
code it reaches through a global name or a closure, and the value of each plain constant
it reads (not of a list or a dict: a step may change one as it runs). "Own code" is a file
under the pipeline's folder or the folder of the step's file: installed packages and the
standard library are left out, as the imports of folder stages are (code_files.py).
"""

from __future__ import annotations

import inspect
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

#: constants whose value goes into the key (a repr that says what they are)
_PLAIN = (int, float, complex, str, bytes, bool, type(None))


def step_code(func: Callable[..., Any], folder: Path) -> str:
    """The text the cache key of the step `func` hashes (see the module's docstring)."""
    roots = {folder.resolve()}
    own_file = _file_of(func)
    if own_file is not None:
        roots.add(own_file.parent)
    parts: list[str] = []
    _add(func, parts, seen=set(), roots=roots)
    return "\n".join(parts)


def _add(obj: Any, parts: list[str], seen: set[int], roots: set[Path]) -> None:
    if id(obj) in seen:
        return
    seen.add(id(obj))
    parts.append(_source_of(obj))
    if inspect.isclass(obj):
        for member in vars(obj).values():
            member = getattr(member, "__func__", member)  # staticmethod, classmethod
            if inspect.isfunction(member):
                _add_references(member, parts, seen, roots)
    elif inspect.isfunction(obj):
        _add_references(obj, parts, seen, roots)


def _add_references(func: types.FunctionType, parts: list[str], seen: set[int],
                    roots: set[Path]) -> None:
    values: list[tuple[str, Any]] = []
    names = sorted(set(_global_names(func.__code__)))
    for name in names:
        if name in func.__globals__:
            values.append((name, func.__globals__[name]))
    values += _module_attributes([v for _, v in values], names, roots)
    for index, cell in enumerate(func.__closure__ or ()):
        try:
            values.append((func.__code__.co_freevars[index], cell.cell_contents))
        except ValueError:  # an empty cell
            continue
    for name, value in values:
        if isinstance(value, _PLAIN) or _plain_collection(value):
            parts.append(f"{name} = {value!r}")
        elif _is_own(value, roots):
            _add(value, parts, seen, roots)


def _module_attributes(found: list[Any], names: list[str],
                       roots: set[Path]) -> list[tuple[str, Any]]:
    """What the code reaches through an own module's attributes (`helpers.factor()`,
    `pkg.sub.f()`): the module's source alone would miss a change in a module it imports
    itself, so the function reached is followed as any other. An attribute is taken when
    the code names it anywhere, which may take one it does not use: a miss too many, never
    a stale hit."""
    modules = [value for value in found if inspect.ismodule(value) and _is_own(value, roots)]
    reached: list[tuple[str, Any]] = []
    seen = {id(module) for module in modules}
    while modules:
        module = modules.pop()
        for name in names:
            value = getattr(module, name, None)
            if value is None or id(value) in seen:
                continue
            seen.add(id(value))
            reached.append((f"{module.__name__}.{name}", value))
            if inspect.ismodule(value) and _is_own(value, roots):
                modules.append(value)
    return reached


def _global_names(code: types.CodeType) -> Iterator[str]:
    """Names the code (and the functions, lambdas and comprehensions it holds) reads as
    globals or attributes; an attribute name is harmless (no global of that name, or one
    the code may well reach through `module.name`)."""
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _global_names(const)


def _plain_collection(value: Any) -> bool:
    if isinstance(value, (tuple, frozenset)):
        return all(isinstance(item, _PLAIN) for item in value)
    return False


def _is_own(value: Any, roots: set[Path]) -> bool:
    if not (inspect.isfunction(value) or inspect.isclass(value) or inspect.ismodule(value)):
        return False
    path = _file_of(value)
    return path is not None and any(path.is_relative_to(root) for root in roots)


def _file_of(obj: Any) -> Path | None:
    try:
        name = inspect.getsourcefile(obj)
    except TypeError:  # a built-in module or class
        return None
    if name is None:
        return None
    return Path(name).resolve()


def _source_of(obj: Any) -> str:
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        code = getattr(obj, "__code__", None)
        if code is not None:
            return repr(code.co_code)
        module = sys.modules.get(getattr(obj, "__module__", "") or "")
        return f"{getattr(obj, '__qualname__', repr(obj))} of {module}"

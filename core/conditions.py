"""`when:` conditions: a small expression language evaluated without `eval`.

Allowed: names given by the runner (`config`, `debug`, `pipeline`, `mode`, and for function
steps the context's values), constants, lists and tuples, `and`/`or`/`not`, comparisons
(`== != < <= > >= in not in is is not`), unary minus, and attribute or subscript access on
mappings and lists (`debug.rows > 0`, `config["client"]["table"]`). A missing key reads as
None, so `debug.flag` is simply false before any stage set it, an ordering comparison
with it (`debug.rows > 0`) is false, and nothing is `in` it. Anything else (calls,
lambdas, dunder names, arithmetic on strings...) is rejected before the run starts.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Mapping
from typing import Any

from yt_pipeline.errors import ConfigError

_COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    # a missing key reads as None: nothing is in it
    ast.In: lambda a, b: b is not None and a in b,
    ast.NotIn: lambda a, b: b is None or a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}
#: comparisons that order their operands: with a missing key (None) on either side they
#: are false rather than an error, so `debug.rows > 0` skips the stage until some stage
#: has set debug.rows, as a missing key reading as null promises
_ORDERING = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_ALLOWED = (
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.Compare,
    ast.Name, ast.Load, ast.Constant, ast.Attribute, ast.Subscript, ast.List, ast.Tuple,
    *_COMPARE,
)


#: characters of a `when:` expression: far more than a condition needs
MAX_LENGTH = 1000


def _short(text: object) -> str:
    """The expression as an error quotes it, cut to 80 characters. Masked before it is cut:
    an expression may hold a secret's value, typed in, and the cut may fall inside it and
    leave a start of it that no form of it matches."""
    from yt_pipeline.logs import masked

    shown = masked(repr(text))
    return shown if len(shown) <= 80 else shown[:77] + "..."


class Condition:
    """A parsed `when:` expression; `source`/`key` name where it was written."""

    def __init__(self, text: str, *, source: str | None = None, key: str = "when"):
        self.text = text
        self.source = source
        self.key = key
        if not isinstance(text, str) or not text.strip():
            raise self._error(f"must be an expression string, got {_short(text)}")
        if len(text) > MAX_LENGTH:
            # Python's parser recurses once per `not` or parenthesis: a long enough
            # expression crashes it instead of failing
            raise self._error(f"is {len(text):,} characters long; a condition may have at "
                              f"most {MAX_LENGTH:,}")
        try:
            self.tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as exc:
            raise self._error(f"invalid expression {_short(text)}: {exc.msg}") from None
        except (RecursionError, MemoryError):
            raise self._error(f"{_short(text)} is nested too deeply") from None
        for node in ast.walk(self.tree):
            if not isinstance(node, _ALLOWED):
                raise self._error(f"{type(node).__name__} is not allowed in {text!r}")
            if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
                raise self._error(f"private name {node.attr} is not allowed in {text!r}")

    def _error(self, message: str) -> ConfigError:
        return ConfigError(message, file=self.source, key=self.key)

    def evaluate(self, names: Mapping[str, Any]) -> bool:
        try:
            return bool(self._eval(self.tree.body, names))
        except ConfigError:
            raise
        except Exception as exc:  # a comparison of None with a number, and the like
            raise self._error(f"{self.text!r} failed: {exc.__class__.__name__}: {exc}") from None

    def _eval(self, node: ast.AST, names: Mapping[str, Any]) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in names:
                known = ", ".join(sorted(names))
                # a step's or stage's upstream values are under `debug`, not names of their own
                debug = names.get("debug")
                hint = (f"; did you mean debug.{node.id}?"
                        if isinstance(debug, Mapping) and node.id in debug else "")
                raise self._error(f"unknown name {node.id} in {self.text!r} "
                                  f"(known: {known}){hint}")
            return names[node.id]
        if isinstance(node, ast.BoolOp):
            values = (self._eval(v, names) for v in node.values)
            return all(values) if isinstance(node.op, ast.And) else any(values)
        if isinstance(node, ast.UnaryOp):
            value = self._eval(node.operand, names)
            return (not value) if isinstance(node.op, ast.Not) else -value
        if isinstance(node, ast.Compare):
            left = self._eval(node.left, names)
            for op, right_node in zip(node.ops, node.comparators, strict=True):
                right = self._eval(right_node, names)
                if not _compare(op, left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.Attribute):
            return _lookup(self._eval(node.value, names), node.attr)
        if isinstance(node, ast.Subscript):
            return _lookup(self._eval(node.value, names), self._eval(node.slice, names))
        if isinstance(node, (ast.List, ast.Tuple)):
            return [self._eval(v, names) for v in node.elts]
        raise self._error(f"{type(node).__name__} is not allowed")  # pragma: no cover


def _compare(op: ast.cmpop, left: Any, right: Any) -> bool:
    if isinstance(op, _ORDERING) and (left is None or right is None):
        return False
    return bool(_COMPARE[type(op)](left, right))


def _lookup(container: Any, key: Any) -> Any:
    if isinstance(container, Mapping):
        return container.get(key)
    if isinstance(container, (list, tuple)) and isinstance(key, int):
        return container[key] if -len(container) <= key < len(container) else None
    if container is None:
        return None
    raise TypeError(f"cannot look up {key!r} in a {type(container).__name__}")

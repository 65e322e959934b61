"""IF, COALESCE, NVL and `??` holding another of them, typed and converted pair by pair as
YQL does (yql_int_common), without the rewritten text doubling a level at a time.

YQL types the inner pair first and converts its values to the inner pair's type, then the
outer pair converts the inner one's value to the outer's type: in IF(c, IF(d, u32, i32),
i64) the inner IF is an Int32, where 4294967295 is -1, and the outer an Int64 keeping -1
(IfWrapper, CoalesceWrapper in yql/essentials/core/type_ann/type_ann_core.cpp; `a ?? b ??
c` is Coalesce(a, Coalesce(b, c)): SubExpr of neq_subexpr in
yql/essentials/sql/v1/sql_expression.cpp).

Here the inner pair's value is written converted to its YQL type (an integer type, DuckDB
holding it so), and the outer one converts its DuckDB value, which holds the inner one's
exactly, to its own. The outer one needs the inner one's type, which `typeof(inner)` would
name by copying the inner value into the text (and the copies doubled a level at a time):
so each pair written is remembered with an expression naming its type from its values'
types alone (`remember`), and a pair holding it names the inner type so. The check of the
outer pair's values' types (yql_coalesce) is bound before its value, which DuckDB would
refuse in its own words (a CASE of a BIGINT and a VARCHAR), but YQL types the inner pair
first and gives its refusal: so the expression naming a pair's type names none (a NULL,
which no check refuses) where the pair refuses its values, and the inner pair's own check,
bound with the outer value, refuses them.

What is remembered is the text written for a pair; a rewrite changing that text between
the two pairs (a `??` in an IF's branch is rewritten after the IF) leaves the outer pair
with the inner one's text as a value of its own, typed by typeof() as before; so is a pair
in a lambda of the query's own, where DuckDB folds none of the lambdas naming the types.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict

from yt_pipeline.yql_int_common import integer_key, integer_literal, small_operand
from yt_pipeline.yql_lambdas import PREFIX as LAMBDA_PREFIX

#: pairs written so far (their text: the expression naming their type), the newest last; a
#: text always means the same, so an old entry is never wrong, only kept no longer
_WRITTEN: OrderedDict[str, str] = OrderedDict()
_KEPT = 4096
#: statements are rewritten in threads of their own
_LOCK = threading.Lock()
#: a value whose copy in typeof() would bind a subquery or a window again
_UNCHECKED = re.compile(r"\b(SELECT|OVER)\b", re.I)


def remember(text: str, type_name: str) -> None:
    """Remember that the pair written `text` has the type `type_name` names."""
    with _LOCK:
        _WRITTEN[text] = type_name
        _WRITTEN.move_to_end(text)
        while len(_WRITTEN) > _KEPT:
            _WRITTEN.popitem(last=False)


def _unwrapped(operand: str) -> list[str]:
    """`operand` without its spaces, then without each pair of brackets around all of it."""
    found = [operand.strip()]
    while found[-1].startswith("(") and found[-1].endswith(")") and \
            _closes_at_end(found[-1]):
        found.append(found[-1][1:-1].strip())
    return found


def _closes_at_end(text: str) -> bool:
    depth = 0
    for at, char in enumerate(text):
        depth += char == "("
        depth -= char == ")"
        if depth == 0:
            return at == len(text) - 1
    return False


def written_pair(operand: str) -> str | None:
    """The expression naming the type of `operand` when it is a pair written here."""
    with _LOCK:
        return next((_WRITTEN[text] for text in _unwrapped(operand) if text in _WRITTEN),
                    None)


def operand_type(operand: str) -> str | None:
    """An expression naming the type of `operand`: a written pair's, or typeof() of a small
    operand; None for a large value, one binding a subquery again, or one in a lambda of
    the query's own (where DuckDB folds none of it)."""
    written = written_pair(operand)
    if written is not None:
        return written
    if LAMBDA_PREFIX in operand or not small_operand(operand) or _UNCHECKED.search(operand):
        return None
    return f"typeof({operand.strip()})"


def pair_type(kind: str, right: str, left_type: str, right_type: str,
              macro: str | None) -> str:
    """The expression naming the type YQL gives an If (`kind` "if", the left value its THEN
    one) or a Coalesce ("coalesce") of two values of the types the two expressions name,
    each named once (a pair holding another names it once more a level up: copies would
    multiply): an If's the higher level (CommonType), a Coalesce's the right one converted
    first, an integer literal that fits taking the left one's type (yql_int_common); where
    either is no integer, the other's, a NULL's, an integer's (yql_int_repr); none where
    `macro`'s check refuses the two (None: no check)."""
    literal = integer_literal(right) if kind == "coalesce" and written_pair(right) is None \
        else None
    if kind == "if":
        joined = "yql_int_join(yql_types[1], yql_types[2])"
    elif literal is None:
        joined = "yql_int_join(yql_types[2], yql_types[1])"
    else:
        joined = f"yql_int_join_literal(yql_types[2], yql_types[1], {literal})"
    named = f"yql_int_repr({joined}, yql_types[1], yql_types[2])"
    if macro is not None:
        named = (f"CASE WHEN {macro}(yql_types[1], yql_types[2]) = 'ok' "
                 f"THEN {named} END")
    return f"list_transform([[{left_type}, {right_type}]], lambda yql_types: {named})[1]"


def nested_pair(kind: str, value: str, left: str, right: str, macro: str) -> str | None:
    """`value`, DuckDB's IF or COALESCE of `left` and `right`, one of them a pair written
    here, checked by `macro` (yql_coalesce) and converted to YQL's type; None when the
    other has no type named here (it keeps the former way)."""
    if written_pair(left) is None and written_pair(right) is None:
        return None
    if "NULL" in (left.strip().upper(), right.strip().upper()):
        # the pair is of the other value's type, which converts nothing, and needs no
        # check: the former way writes neither, where this way's keys, folded by lambdas,
        # would be refused inside a lambda of the query's own not naming its argument
        return None
    if LAMBDA_PREFIX in value:
        # in a lambda of the query's own DuckDB folds none of the keys named here: the
        # former way checks there by typeof() of the values themselves
        return None
    left_type, right_type = operand_type(left), operand_type(right)
    if left_type is None or right_type is None:
        return None
    type_name = pair_type(kind, right, left_type, right_type, macro)
    key = type_key_of(left_type, right_type, macro)
    text = (f"(CASE WHEN struct_extract({{'ok': true}}, {key}) THEN "
            f"yql_int_as_once({value}, {integer_key(type_name)}) END)")
    remember(text, type_name)
    return text


def type_key_of(left_type: str, right_type: str, macro: str) -> str:
    """`macro`'s key of the types the two expressions name, each named once."""
    return (f"list_transform([[{left_type}, {right_type}]], lambda yql_types: "
            f"{macro}(yql_types[1], yql_types[2]))[1]")


def remember_plain(kind: str, text: str, left: str, right: str, macro: str | None) -> str:
    """`text`, a pair of operands none a pair written here, checked by `macro` (None: not
    checked), remembered with its type when both are small (its value then converted to
    that type: yql_int_common.converted)."""
    left_type, right_type = operand_type(left), operand_type(right)
    if left_type is not None and right_type is not None:
        remember(text, pair_type(kind, right, left_type, right_type, macro))
    return text

"""The wire format of the YT HTTP proxy: command descriptors, parameters, results, errors.

Parameters arrive as YSON or JSON (the `X-YT-Header-Format` header says which) in the
`X-YT-Parameters` header, or in the body of POSTs that carry no data. Structured results are
encoded in the `output_format` the client asked for.
"""

from __future__ import annotations

import gzip
import json
import zlib
from dataclasses import dataclass
from typing import Any

import yt.yson as yson

# name: (input_type, output_type, is_volatile, is_heavy)
COMMANDS: dict[str, tuple[str | None, str | None, bool, bool]] = {
    "get": (None, "structured", False, False),
    "list": (None, "structured", False, False),
    "exists": (None, "structured", False, False),
    "set": ("structured", None, True, False),
    "create": (None, "structured", True, False),
    "remove": (None, None, True, False),
    "lock": (None, "structured", True, False),
    "link": (None, "structured", True, False),
    "copy": (None, "structured", True, False),
    "move": (None, "structured", True, False),
    "concatenate": (None, None, True, False),
    "start_transaction": (None, "structured", True, False),
    "ping_transaction": (None, None, True, False),
    "commit_transaction": (None, None, True, False),
    "abort_transaction": (None, None, True, False),
    "write_table": ("tabular", None, True, True),
    "read_table": (None, "tabular", False, True),
    "write_file": ("binary", None, True, True),
    "read_file": (None, "binary", False, True),
    "execute_batch": (None, "structured", True, False),
    "start_operation": (None, "structured", True, False),
    "get_operation": (None, "structured", False, False),
    "abort_operation": (None, None, True, False),
    "list_jobs": (None, "structured", False, False),
    "get_job_stderr": (None, "binary", False, False),
    "start_query": (None, "structured", True, False),
    "get_query": (None, "structured", False, False),
    "get_query_result": (None, "structured", False, False),
    "read_query_result": (None, "tabular", False, False),
    "abort_query": (None, None, True, False),
}

# Error codes the client reacts to.
RESOLVE_ERROR = 500
ALREADY_EXISTS = 501
NO_SUCH_TRANSACTION = 11000
NO_SUCH_OPERATION = 1915
GENERIC = 1


def descriptors() -> list[dict[str, Any]]:
    return [
        {"name": name, "input_type": i, "output_type": o, "is_volatile": v, "is_heavy": h}
        for name, (i, o, v, h) in sorted(COMMANDS.items())
    ]


class YtFakeError(Exception):
    """An error the fake answers with, in YT's error form."""

    def __init__(self, message: str, code: int = GENERIC, status: int = 400,
                 inner_errors: list[YtFakeError] | None = None, **attributes: Any):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        #: the errors this one wraps, as a cluster nests the cause under its context
        self.inner_errors = list(inner_errors or [])
        self.attributes = attributes

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message,
                "attributes": dict(self.attributes),
                "inner_errors": [inner.to_dict() for inner in self.inner_errors]}


def resolve_error(path: str) -> YtFakeError:
    return YtFakeError(f"Error resolving path {path}", code=RESOLVE_ERROR, path=path)


@dataclass
class Request:
    command: str
    params: dict[str, Any]
    body: bytes
    header_format: str

    def param(self, name: str, default: Any = None) -> Any:
        return self.params.get(name, default)


def parse_structured(text: bytes | str, fmt: str) -> Any:
    """YSON or JSON text to YSON-typed Python values (strings may carry .attributes)."""
    if isinstance(text, str):
        text = text.encode("utf-8")
    if fmt == "json":
        return yson.json_to_yson(json.loads(text.decode("utf-8")))
    return yson.loads(text)


def header_format_of(value: str | None) -> str:
    return "json" if value and "json" in value else "yson"


def format_name(fmt: Any) -> str:
    """The name of a format given as a YSON value (`<attrs>json`) or a plain string."""
    if fmt is None:
        return "yson"
    return str(fmt)


def encode_structured(value: Any, fmt: Any, header: bool = False) -> bytes:
    """A command's structured answer in the format the client asked for.

    YT's JSON format has `encode_utf8` on unless the format says `%false`: each byte of a
    string's UTF-8 is written as the code point of that value (U+0000 to U+00FF), and
    ytsaurus-client's JsonFormat undoes it (`_load_python_string`: `.encode("latin1")`,
    then decodes UTF-8, in yt/python/yt/wrapper/format.py); text written as itself, "é"
    for instance, fails there ("Failed to decode string"). The response parameters header
    is written as it was."""
    if format_name(fmt) == "json":
        plain_value = yson.yson_to_json(value)
        attributes = getattr(fmt, "attributes", None) or {}
        if not header and attributes.get("encode_utf8", True) is not False:
            plain_value = _utf8_bytes_as_code_points(plain_value)
        return json.dumps(plain_value, ensure_ascii=False).encode("utf-8")
    return yson.dumps(value, yson_format="text")


def _utf8_bytes_as_code_points(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8").decode("latin-1")
    if isinstance(value, dict):
        return {_utf8_bytes_as_code_points(key): _utf8_bytes_as_code_points(item)
                for key, item in value.items()}
    if isinstance(value, list):
        return [_utf8_bytes_as_code_points(item) for item in value]
    return value


def decompress(body: bytes, encoding: str | None) -> bytes:
    """Undo Content-Encoding. A body labelled gzip may really be zlib (or raw deflate)."""
    if not body or not encoding or encoding == "identity":
        return body
    if encoding in ("gzip", "deflate"):
        for wbits in (31, 15, -15):
            try:
                return zlib.decompress(body, wbits)
            except zlib.error:
                continue
        return gzip.decompress(body)
    raise YtFakeError(f"the fake proxy does not support Content-Encoding {encoding}")


def plain(value: Any) -> Any:
    """YSON-typed values to plain Python (attributes dropped, entities to None)."""
    return yson.yson_to_json(value) if value is not None else None


def path_attributes(value: Any) -> tuple[str, dict[str, Any]]:
    """A path parameter as text and its attributes (the client parses rich YPath syntax
    itself and sends `<append=%true>"//t"`, so the attributes travel on the YSON value)."""
    attributes = dict(getattr(value, "attributes", {}) or {})
    return str(value), attributes

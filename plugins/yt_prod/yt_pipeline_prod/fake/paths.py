"""Cypress paths and object ids as the fake proxy writes and reads them."""

from __future__ import annotations

import uuid

from yt_pipeline_prod.fake.protocol import YtFakeError

ROOT = "/"


def new_id() -> str:
    raw = uuid.uuid4().hex
    return "-".join(raw[i:i + 8].lstrip("0") or "0" for i in range(0, 32, 8))


def split_path(path: str) -> tuple[str, str | None]:
    """`//a/b/@attr` -> ("//a/b", "attr"); `//a/b/@` -> ("//a/b", ""); no attribute -> None."""
    if "/@" in path:
        node, attribute = path.split("/@", 1)
        return (node or ROOT), attribute
    return path, None


def normalize(path: str) -> str:
    if path in ("/", "//"):
        return ROOT
    if not path.startswith("//"):
        raise YtFakeError(f"Path {path!r} does not start with //", code=500)
    return path.rstrip("/")


def parent_of(path: str) -> str:
    if path == ROOT:
        return ROOT
    head = path.rsplit("/", 1)[0]
    return head if head not in ("", "/") else ROOT


def name_of(path: str) -> str:
    return path.rsplit("/", 1)[-1] if path != ROOT else ""

"""The forms a secret takes once it is written down, and masking that finds each of them.

A secret rarely reaches a sink as its raw text: a run record holds it JSON-escaped (`"` as
`\\"`, `é` as `\\u00e9`), an error message holds its `repr` (`\\\\` for a backslash), a
URL holds it percent-encoded, a YAML file may hold it double-quoted. Masking only the raw
text lets each of those through, so every form is masked.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"
#: shorter values are too likely to be ordinary text to mask without mangling it
MIN_LENGTH = 4


def forms(secret: str) -> set[str]:
    """Every written form of `secret` that differs from the raw text, and the raw text."""
    found = {secret}
    for ensure_ascii in (True, False):
        found.add(json.dumps(secret, ensure_ascii=ensure_ascii)[1:-1])
    found.add(repr(secret)[1:-1])
    found.add(repr(secret.encode("utf-8", "surrogatepass"))[2:-1])
    found.add(secret.encode("unicode_escape").decode("ascii"))
    found.update({quote(secret, safe=""), quote(secret), quote_plus(secret)})
    found.add(_yaml_quoted(secret))
    return {form for form in found if len(form) >= MIN_LENGTH}


def _yaml_quoted(secret: str) -> str:
    # the form a YAML dump gives a string it must double-quote, without the quotes
    import yaml  # here: a run without secrets need not load it (yaml_memo)

    text = yaml.safe_dump(secret, default_style='"', allow_unicode=True, width=1 << 30)
    return text.strip().removesuffix("...").strip()[1:-1]


def all_forms(secrets: Iterable[str]) -> list[str]:
    """The forms of all `secrets`, longest first: a short form inside a longer one must not
    be masked first, or the rest of the longer one stays readable."""
    found: set[str] = set()
    for secret in secrets:
        if secret and len(secret) >= MIN_LENGTH:
            found.update(forms(secret))
    return sorted(found, key=lambda form: (-len(form), form))


def mask_text(text: str, masked_forms: Iterable[str]) -> str:
    for form in masked_forms:
        if form in text:
            text = text.replace(form, MASK)
    return text


def mask_bytes(data: bytes, masked_forms: Iterable[str]) -> bytes:
    for form in masked_forms:
        encoded = form.encode("utf-8", "surrogatepass")
        if encoded in data:
            data = data.replace(encoded, MASK.encode())
    return data


def mask_data(value: Any, masked_forms: list[str], _depth: int = 0) -> Any:
    """A copy of a JSON-like value (a stage's debug, say) with every string masked, keys
    too. What is not a string, list or mapping is masked in its text form only when that
    form holds a secret, so numbers and booleans stay as they are."""
    if _depth > 100:  # deeper than any debug a stage hands on; a cycle otherwise
        return MASK
    if isinstance(value, str):
        return mask_text(value, masked_forms)
    if isinstance(value, Mapping):
        return {mask_data(k, masked_forms, _depth + 1): mask_data(v, masked_forms, _depth + 1)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_data(v, masked_forms, _depth + 1) for v in value]
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    text = str(value)
    masked = mask_text(text, masked_forms)
    return masked if masked != text else value

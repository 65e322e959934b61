"""A faster import of PyYAML: its one slow regular expression, compiled the quick way.

Importing yaml costs a run that parses a configuration some 10 ms, and 4.5 ms of it is
yaml.reader compiling, at import, the set of characters YAML refuses. PyYAML writes it as
the complement of the characters it accepts, `[^ ...]` over ranges as wide as
U+10000-U+10FFFF, which CPython's `re` turns into a large table. The same characters listed
directly are a few narrow ranges, compiled in 0.35 ms. `re.compile` looks a pattern up in
`re`'s cache before compiling it, so the listed set's compiled pattern is put there under
PyYAML's text before yaml is imported: PyYAML then finds it, matching exactly the same
characters (a test compares the two over every code point, and checks that PyYAML took it).
Where the cache is not a dict keyed as in CPython 3.8-3.13, or PyYAML's text differs, nothing
is put there and PyYAML compiles its own.
"""

from __future__ import annotations

import re
import sys

#: Reader.NON_PRINTABLE's text in PyYAML's yaml/reader.py (5.1 to 6.0.x)
PYYAML_NON_PRINTABLE = (
    "[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010ffff]"
)
#: the characters that set leaves out of U+0000-U+10FFFF, listed
NON_PRINTABLE = "[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x84\x86-\x9F\uD800-\uDFFF\uFFFE\uFFFF]"


def seed_pattern_cache() -> bool:
    """Put the listed set's compiled pattern in `re`'s cache under PyYAML's text, if yaml is
    not imported yet; True when it did."""
    cache = getattr(re, "_cache", None)
    if "yaml" in sys.modules or not isinstance(cache, dict):
        return False
    cache.setdefault((str, PYYAML_NON_PRINTABLE, 0), re.compile(NON_PRINTABLE))
    return True

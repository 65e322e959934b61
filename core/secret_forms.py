"""The forms a secret takes once it is written down, and masking that finds each of them.

A secret rarely reaches a sink as its raw text: a run record holds it JSON-escaped (`"` as
`\\"`, `é` as `\\u00e9`), an error message holds its `repr` (`\\\\` for a backslash), a
URL holds it percent-encoded, a YAML file may hold it double-quoted. Masking only the raw
text lets each of those through, so every form is masked, and forms of forms too: a record
holds the JSON of an error message that holds the repr of the secret, and a one-line error
has its runs of whitespace collapsed. Encodings of its bytes are masked as well: hex, and
base64 and base32 as they read wherever the secret falls in the encoded data (an HTTP
Basic header, a kept `bytes` value), of its UTF-8 and of its UTF-16 (see _byte_encodings
for which); and its text encoded two or four bytes a character (UTF-16, UTF-32), as raw
bytes in a file and as the repr a log line shows of them.

A form is text. A form that is bytes only (UTF-16 of a non-ASCII secret is no UTF-8) is
held as those bytes decoded with `surrogateescape`, Python's way of carrying undecodable
bytes in text; `form_bytes` gives back the bytes each form stands for in binary data.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, AnyStr
from urllib.parse import quote, quote_plus

from yt_pipeline import secret_codings

MASK = "***"
#: shorter values are too likely to be ordinary text to mask without mangling it
MIN_LENGTH = 4


#: an encoding of a secret's bytes shorter than this is not masked: so short a run of base64
#: or hex letters is too likely to be part of other data
MIN_ENCODED_LENGTH = 8


def forms(secret: str) -> set[str]:
    """Every written form of `secret` that differs from the raw text, and the raw text."""
    return set(_forms_of(secret))


@functools.lru_cache(maxsize=64)
def _forms_of(secret: str) -> frozenset[str]:
    """forms(secret), made once a secret: masking asks for them again and again (a prod
    error is masked in each of its pieces, `failures.scrub`, each call asking all_forms
    afresh), and a PEM key's forms are a megabyte, a second to make."""
    escaped = _escaped_forms(secret) | {_ypath_literal(secret)} | _yson_quoted(secret)
    for form in list(escaped):  # an escaped form escaped again: JSON of a repr, and so on
        escaped |= _escaped_forms(form)
    found = escaped | {_collapsed(form) for form in escaped}
    wide = _wide_encodings(secret)
    # the repr of its wide bytes, as a log line shows them, and that repr in a JSON record
    for data in wide:
        shown = repr(data)[2:-1]
        found |= {shown, json.dumps(shown)[1:-1]}
        if b"'" in data and b'"' not in data:  # within bytes holding a `"` (_escaped_forms)
            found.add(repr(data + b'"')[2:-2])
    found |= _yaml_quoted(secret)
    # within quotes of its own kind, doubled: an SQL or YQL string literal (`'it''s'`), a
    # YAML single-quoted scalar, a CSV field
    found |= {secret.replace(quote, quote * 2) for quote in "'\"" if quote in secret}
    found |= _html_escaped(secret)
    found |= secret_codings.text_codings(secret)
    found.add(secret[::-1])  # as a byte-order slip or a naive scrambling writes it
    found = {form for form in found if len(form) >= MIN_LENGTH}
    # its UTF-8 bytes as Python holds undecodable bytes (surrogateescape): a secret read
    # from the environment with such bytes in it is written out as those bytes
    found.add(_bytes_form(secret.encode("utf-8", "surrogatepass")))
    found |= {_bytes_form(data) for data in wide}
    return frozenset(found | {form for form in _byte_encodings(secret)
                              if len(form) >= MIN_ENCODED_LENGTH})


#: a secret's text two or four bytes a character: a stage writing for Windows or Java
#: (UTF-16), a UTF-32 buffer. The BOM-less bytes are inside the BOM-led ones (`utf-16`,
#: `utf-32`: a BOM, then the native order), so these four find both.
_WIDE_CODECS = ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")


def _wide_encodings(secret: str) -> list[bytes]:
    return [secret.encode(codec, "surrogatepass") for codec in _WIDE_CODECS]


def _bytes_form(data: bytes) -> str:
    """The form that stands for `data` in binary data (form_bytes gives `data` back)."""
    return data.decode("utf-8", "surrogateescape")


@functools.lru_cache(maxsize=4096)
def form_bytes(form: str) -> bytes:
    """The bytes a form stands for in binary data: its UTF-8, but an undecodable byte held
    as a surrogate escape (_bytes_form) is that byte again. A form with a surrogate of
    another kind (a secret holding a lone surrogate) is its UTF-8 with the surrogates
    written through (surrogatepass), as Python writes them with that handler."""
    try:
        return form.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return form.encode("utf-8", "surrogatepass")


def _escaped_forms(text: str) -> set[str]:
    found = {text, repr(text)[1:-1], text.encode("unicode_escape").decode("ascii")}
    for ensure_ascii in (True, False):
        found.add(json.dumps(text, ensure_ascii=ensure_ascii)[1:-1])
    found |= _json_variants(text)
    found.add(repr(text.encode("utf-8", "surrogatepass"))[2:-1])
    if "'" in text and '"' not in text:
        # the repr of a longer text that holds a `"` too: Python's repr then quotes with
        # `'` and escapes the secret's own `'` (unicode_repr in Objects/unicodeobject.c,
        # bytes_repr in Objects/bytesobject.c), where the secret's repr alone does not
        found.add(repr(text + '"')[1:-2])
        found.add(repr(text.encode("utf-8", "surrogatepass") + b'"')[2:-2])
    found.update({quote(text, safe=""), quote(text), quote_plus(text)})
    return found


def _json_variants(text: str) -> set[str]:
    """JSON as other encoders write it: `/` as `\\/` (JSON allows it; PHP's json_encode
    and encoders guarding `</script>` do it), and `\\uXXXX` in capitals (Jackson,
    Java). Only for a text that holds a `/` or a character escaped so: any other text is
    written alike by them all."""
    variants = set()
    for ensure_ascii in (True, False):
        written = json.dumps(text, ensure_ascii=ensure_ascii)[1:-1]
        if any(char in text for char in "<>&"):  # Go's encoding/json, safe inside HTML
            variants.add(written.translate(_GO_HTML_SAFE))
        if "/" in text:
            variants.add(written.replace("/", "\\/"))
        if "\\u" in written:
            capitals = re.sub(r"(?<!\\)((?:\\\\)*)\\u([0-9a-f]{4})",
                              lambda m: m.group(1) + "\\u" + m.group(2).upper(), written)
            variants |= {capitals, capitals.replace("/", "\\/")} if "/" in text else {capitals}
    return variants


_GO_HTML_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def _html_escaped(text: str) -> set[str]:
    """The text in an HTML page or an XML file (`&lt;`, `&amp;`, `&quot;`...), for a text
    that holds a character escaped so."""
    import html  # here: most secrets hold none of them

    return {html.escape(text), html.escape(text, quote=False)} - {text} if any(
        char in text for char in "<>&\"'") else set()


def _ypath_literal(text: str) -> str:
    # a key in a YPath (ToYPathLiteral): a job's custom statistic keyed by a secret (an
    # address counted, say) is written in each statistic's path so, `/` as `\/`
    return re.sub(r"([\\/@&*\[{])", r"\\\1", text)


def _yson_quoted(text: str) -> set[str]:
    """The text within a YSON string's quotes, as a job's custom statistics write it (a
    statistic keyed by a secret, in the statistics file a kept sandbox keeps): `"` and `\\`
    escaped, and either a control character as `\\xhh`, the rest as it is
    (ytjobs.write_statistics), or, as yt.yson's text writer does, `\\n`, `\\r` and `\\t`
    by name and any other byte outside printable ASCII in C's escapes: `\\xHH`, or octal
    where a hex digit follows (a byte below 8 in one digit, if no octal digit follows)."""
    ours = "".join("\\" + char if char in '"\\' else f"\\x{ord(char):02x}" if ord(char) < 32
                   else char for char in text)
    data = text.encode("utf-8", "surrogatepass")
    theirs = []
    for at, byte in enumerate(data):
        after = data[at + 1:at + 2] or b" "
        if chr(byte) in '"\\':
            theirs.append("\\" + chr(byte))
        elif 32 <= byte <= 126:
            theirs.append(chr(byte))
        elif byte in _NAMED_ESCAPES:
            theirs.append(_NAMED_ESCAPES[byte])
        elif byte < 8 and after not in b"01234567":
            theirs.append(f"\\{byte}")
        elif after not in b"0123456789abcdefABCDEF":
            theirs.append(f"\\x{byte:02X}")
        else:
            theirs.append(f"\\{byte:03o}")
    return {ours, "".join(theirs)}


_NAMED_ESCAPES = {ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"}


def _collapsed(text: str) -> str:
    # what `" ".join(message.split())` makes of it, as one-line errors do
    return " ".join(text.split())


def _byte_encodings(secret: str) -> set[str]:
    """The secret's bytes written as text: hex (lower and upper case) of its UTF-8, UTF-16LE
    and UTF-16BE (a memory or registry dump; Java's `getBytes("UTF-16")` is big-endian);
    base64, standard and URL-safe, of its UTF-8, UTF-16LE (PowerShell's -EncodedCommand),
    UTF-16BE and UTF-32LE; base32 of its UTF-8 (upper and lower case: DNS names and onion
    addresses write it in lower case), UTF-16LE and UTF-16BE. Of base64 and base32, the
    part that does not depend on what comes before or after the bytes, for each offset
    they can start at: base32 or base64 without its `=` padding is found so too; base64
    of those base64 cores of its UTF-8 (a Kubernetes Secret of registry credentials). And the
    rarer codings of secret_codings: base85, Ascii85, uuencode, base32 in other alphabets,
    hex with separators and byte by byte escapes. (Each form is a search of every log line
    and every byte packed, about 3.5 ms a form for 40 MB packed: base64 of UTF-32BE is not
    among them.)"""
    import base64  # here: a run without secrets never needs it

    data = secret.encode("utf-8", "surrogatepass")
    utf16 = [secret.encode(codec, "surrogatepass") for codec in ("utf-16-le", "utf-16-be")]
    found: set[str] = set()
    base32: dict[bytes, set[str]] = {}
    for text in (data, *utf16):
        base32[text] = _cores(text, base64.b32encode, 5, 5)
        found |= {text.hex(), text.hex().upper()} | base32[text]
    found |= {core.lower() for core in base32[data]}
    # and the rarer ones (secret_codings)
    found |= secret_codings.base32_variants(base32[data], base32[utf16[0]] | base32[utf16[1]])
    found |= secret_codings.byte_codings(data, utf16[0])
    for text in (data, *utf16, secret.encode("utf-32-le", "surrogatepass")):
        cores = _cores(text, base64.b64encode, 3, 6)
        found |= cores | {core.translate(_URLSAFE) for core in cores}
        if text is data:
            # base64 of the base64 of its UTF-8: a Kubernetes Secret of a registry's
            # credentials (type kubernetes.io/dockerconfigjson) is the base64 of a JSON
            # holding `auth`, the base64 of `user:password`
            for core in cores:
                found |= _cores(core.encode("ascii"), base64.b64encode, 3, 6)
    return found


def _cores(data: bytes, encode: Any, group: int, bits: int) -> set[str]:
    """The characters of `encode` (base64: groups of 3 bytes, 6 bits a character; base32:
    5 and 5) that hold bits of `data` alone, wherever in the encoded data it starts."""
    found = set()
    for offset in range(group):
        encoded = encode(bytes(offset) + data + bytes(group)).decode("ascii")
        # output character j holds input bits bits*j .. bits*j+bits-1: keep those wholly
        # within the data
        start, end = -(-8 * offset // bits), (8 * (offset + len(data))) // bits
        found.add(encoded[start:end])
    return found


_URLSAFE = str.maketrans("+/", "-_")


def _yaml_quoted(secret: str) -> set[str]:
    """The forms a YAML dump gives a string it must double-quote, without the quotes: with
    allow_unicode, and without it, as yaml.safe_dump writes by default, where a character
    outside ASCII is `\\xEF`, `\\u20AC` (PyYAML's Emitter.write_double_quoted; a
    non-ASCII secret in a plain safe_dump of a dict is written so)."""
    import yaml  # here: a run without secrets need not load it (yaml_memo)

    found = set()
    for allow_unicode in (True, False):
        text = yaml.safe_dump(secret, default_style='"', allow_unicode=allow_unicode,
                              width=1 << 30)
        found.add(text.strip().removesuffix("...").strip()[1:-1])
    return found


def all_forms(secrets: Iterable[str]) -> list[str]:
    """The forms of all `secrets`, longest first: a short form inside a longer one must not
    be masked first, or the rest of the longer one stays readable."""
    found: set[str] = set()
    for secret in secrets:
        if secret and len(secret) >= MIN_LENGTH:
            found.update(_forms_of(secret))
    return sorted(found, key=lambda form: (-len(form), form))


#: how many characters of a long form are looked for before the form itself (holds)
_PROBE = 32


def holds(text: AnyStr, form: AnyStr) -> bool:
    """Whether `form` is in `text`. A long form's first characters are looked for first:
    a search for a form thousands of characters long (a PEM key's hex, base32 or escaped
    forms) prepares a table of the whole form each time, some 5 us, where a text that
    lacks its first characters is told apart in 1 or 2; a secret's 500 forms are searched
    for in each text masked."""
    return (len(form) <= _PROBE or form[:_PROBE] in text) and form in text


def mask_text(text: str, masked_forms: Iterable[str]) -> str:
    forms = list(masked_forms)
    if forms:
        from yt_pipeline import secret_dumps  # on first use: its patterns take 1 ms to make

        text = secret_dumps.mask_dumps(text, (form_bytes(form) for form in forms), MASK)
    for form in forms:
        if holds(text, form):
            text = text.replace(form, MASK)
    if "\n" in text:
        for pattern in broken_patterns_in(text, forms):
            text = pattern.sub(MASK, text)
    if forms and any(quote in text for quote in "\"'`"):
        text = _mask_quoted_pieces(text, forms)
    return text


#: a quoted run of text, as a parser's error quotes the token it stopped at
_QUOTED_PIECE = re.compile(rf'"([^"\n]{{{MIN_ENCODED_LENGTH},}})"|\'([^\'\n]{{{MIN_ENCODED_LENGTH},}})\''
                           rf'|`([^`\n]{{{MIN_ENCODED_LENGTH},}})`')


def _mask_quoted_pieces(text: str, forms: list[str]) -> str:
    """A quoted piece of a secret (MIN_ENCODED_LENGTH characters or more) masked: a query
    or a command whose text holds a secret fails to parse in the middle of it (a secret
    with a space, written unquoted), and the error quotes the token it stopped at, which
    no whole form matches: `syntax error at or near "longsecretpart"` (DuckDB, dev),
    `Unexpected token 'longsecretpart'` (YQL). Shorter pieces are too likely to be words."""

    within_forms = _piece_finder(tuple(forms))
    # a piece that comes again (a key or a value of JSON records) is looked up once
    secret_piece: dict[str, bool] = {}

    def masked_piece(found: re.Match[str]) -> str:
        piece = next(group for group in found.groups() if group is not None)
        if piece not in secret_piece:
            secret_piece[piece] = (len(_NUL_ESCAPES.sub("", piece)) >= MIN_LENGTH
                                   and within_forms(piece))
        if not secret_piece[piece]:
            return found.group(0)
        return found.group(0)[0] + MASK + found.group(0)[-1]

    return _QUOTED_PIECE.sub(masked_piece, text)


#: the escaped zero bytes between the characters of a repr of UTF-16 or UTF-32 (`a\x00b`,
#: in JSON `a\\x00b`): a quoted piece that is mostly these holds too little of the secret
#: to be told from other text (`"\x000\x00"` in a program, where the secret holds a 0)
_NUL_ESCAPES = re.compile(r"\\+(?:x00|u0000)")


#: the size of the forms joined past which a quoted piece is searched for only in the forms
#: that hold each of its characters: a search of them all took 0.2 ms a piece for a PEM
#: key's forms (700 KB), where sorting out the forms costs some 0.03 ms
_SORTED_OUT_FROM = 1 << 16


@functools.lru_cache(maxsize=64)
def _piece_finder(forms: tuple[str, ...]) -> Callable[[str], bool]:
    """Whether a text is within one of the forms. Each search goes over every form it is
    made in; when they are many and long, a piece is searched for only in those holding
    every character of it (a piece of plain words is not searched for in the hex, base32
    or escaped forms a long secret adds)."""
    every_form = _joined(forms)
    if len(every_form) < _SORTED_OUT_FROM:
        return every_form.__contains__
    alphabets = [(frozenset(form), form) for form in forms]

    def within(piece: str) -> bool:
        characters = set(piece)
        return any(piece in form for alphabet, form in alphabets if characters <= alphabet)

    return within


@functools.lru_cache(maxsize=64)
def _joined(forms: tuple[str, ...]) -> str:
    """The forms one after another, a line break between two: a quoted piece holds no line
    break, so it is within this text only when it is within one form, and one search finds
    it. (A set of every run of 8 to 32 characters of the forms, looked up instead, held 12
    million texts for a PEM key's forms and took 5 s to build.)"""
    return "\n".join(forms)


def mask_bytes(data: bytes, masked_forms: Iterable[str]) -> bytes:
    forms = list(masked_forms)
    if forms:
        from yt_pipeline import secret_dumps  # on first use (mask_text)

        data = secret_dumps.mask_dumps(data, (form_bytes(form) for form in forms), MASK.encode())
    for form in forms:
        encoded = form_bytes(form)
        if holds(data, encoded):
            data = data.replace(encoded, MASK.encode())
    if b"\n" in data:
        for pattern in broken_bytes_patterns_in(data, forms):
            data = pattern.sub(MASK.encode(), data)
    return data


# -- forms cut into lines ---------------------------------------------------------------
# Text is wrapped into lines by whoever writes it: textwrap (a line break in place of a
# space), base64 at 76 columns (MIME, PEM), a hex dump, a log line folded with indentation.
# Each of those is a form of the secret with line breaks in it, at places no list of forms
# can name, so each form is also searched for as a pattern: a line break (and up to
# MAX_INDENT spaces or tabs after it) may stand between any two of its characters, and in
# place of a space or tab.

MAX_INDENT = 8
#: the indentation of a quoted piece (_QUOTE_BREAK): pprint puts the pieces of a value in
#: a dict under its first, after the key (`{'body': b'...'\n         b'...'`)
MAX_QUOTE_INDENT = 24
#: the most bytes one line break of a pattern adds: \r\n and the indentation, with a
#: soft break's `=` or `\\`
BREAK_BYTES = 3 + MAX_INDENT
#: the most bytes a break between quoted pieces adds: a closing quote, \r\n, the
#: indentation, a prefix of two letters and an opening quote (_QUOTE_BREAK)
QUOTE_BREAK_BYTES = 6 + MAX_QUOTE_INDENT
#: the fewest characters of a form a quoted piece holds: pprint cuts bytes into pieces of
#: whole chunks of 4 bytes (_wrap_bytes_repr), a str after a word and its space
QUOTED_PIECE = 4
#: where a writer cuts a value into quoted pieces, one a line: the closing quote, the line
#: break and indentation, a prefix (`b`, `r`, `u`, `rb`...) and the opening quote of the
#: next piece: `pprint.pformat` of a long bytes value (`b'...'\n b'...'`, four bytes a
#: piece wherever they fall: CPython's Lib/pprint.py, _pprint_bytes and _wrap_bytes_repr)
#: or str (`'... '\n '...'`, cut after a space: _pprint_str); each piece is quoted by
#: itself, with either quote
_QUOTE_BREAK = rf"['\"]\r?\n[ \t]{{0,{MAX_QUOTE_INDENT}}}[bBrRuU]{{0,2}}['\"]"
#: a line break, and the character a writer ends a line with where it cuts a line that goes
#: on unbroken: quoted-printable's soft line break `=` (RFC 2045 section 6.7, Python's
#: quopri), and the `\\` that folds a YAML double-quoted scalar (YAML 1.2 section 7.3.1,
#: PyYAML's Emitter.write_double_quoted, which cuts a long string after an escape); or a
#: break between quoted pieces (_QUOTE_BREAK)
_BREAK = rf"(?:[=\\]?\r?\n[ \t]{{0,{MAX_INDENT}}}|{_QUOTE_BREAK})"
_SOFT_BREAK = re.compile(rf"[=\\]\r?\n|{_QUOTE_BREAK}")
_SOFT_BREAK_BYTES = re.compile(_SOFT_BREAK.pattern.encode())
#: what a line cut by a soft break ends with (a cheap test before _SOFT_BREAK is used);
#: a line ending in a quote is one only if the next starts with one (_QUOTE_BREAK)
_SOFT_ENDS = ("=\n", "\\\n", "=\r\n", "\\\r\n")
_SOFT_ENDS_BYTES = tuple(end.encode() for end in _SOFT_ENDS)
_QUOTE_BREAK_TEXT = re.compile(_QUOTE_BREAK)
_QUOTE_BREAK_BYTES = re.compile(_QUOTE_BREAK.encode())


def _broken_source(form: str) -> str | None:
    if len(form) < MIN_ENCODED_LENGTH:  # short: too likely to match text cut into lines
        return None
    parts: list[str] = []
    for index, char in enumerate(form):
        if char in " \t":
            parts.append(rf"(?:[ \t]|[ \t]?{_BREAK})")
            continue
        before = form[index - 1] if index else ""
        if before and before not in " \t\r\n" and char not in "\r\n":
            parts.append(f"(?:{_BREAK})?")
        parts.append(re.escape(char))
    return "".join(parts)


@functools.lru_cache(maxsize=4096)
def broken_pattern(form: str) -> re.Pattern[str] | None:
    """`form` with line breaks possible between its characters (see above); None for a
    form too short to be searched for so."""
    source = _broken_source(form)
    return None if source is None else re.compile(source)


@functools.lru_cache(maxsize=4096)
def broken_bytes_pattern(form: str) -> re.Pattern[bytes] | None:
    source = _broken_source(form)
    if source is None:
        return None
    return re.compile(form_bytes(source))


_WHITESPACE = " \t\r\n"
_NO_WHITESPACE = str.maketrans("", "", _WHITESPACE)


@functools.lru_cache(maxsize=4096)
def _squeezed(form: str) -> bytes:
    return form_bytes(form).translate(None, _WHITESPACE.encode())


@functools.lru_cache(maxsize=4096)
def _squeezed_text(form: str) -> str:
    # kept: translating a PEM key's forms (a megabyte) anew took 3 ms a text masked
    return form.translate(_NO_WHITESPACE)


def broken_bytes_patterns_in(data: bytes, forms: Iterable[str]) -> list[re.Pattern[bytes]]:
    """The patterns of the forms that may occur cut into lines in `data`. Any such
    occurrence, its whitespace taken out, is the form with its whitespace taken out: one
    pass that drops the whitespace of `data`, and a search per form, leave the patterns
    (slow) only for the forms found so."""
    squeezed = [data.translate(None, _WHITESPACE.encode())]
    if any(soft in data for soft in _SOFT_ENDS_BYTES) or _QUOTE_BREAK_BYTES.search(data):
        squeezed.append(_SOFT_BREAK_BYTES.sub(b"", data).translate(None, _WHITESPACE.encode()))
    found = []
    for form in forms:
        # the search first: a pattern is compiled only for a form found (a PEM key's hex
        # or base64 forms are thousands of characters, each pattern seconds to compile)
        if any(holds(text, _squeezed(form)) for text in squeezed) and (
                pattern := broken_bytes_pattern(form)):
            found.append(pattern)
    return found


def broken_patterns_in(text: str, forms: Iterable[str]) -> list[re.Pattern[str]]:
    """broken_bytes_patterns_in, for text."""
    squeezed = [text.translate(_NO_WHITESPACE)]
    if any(soft in text for soft in _SOFT_ENDS) or _QUOTE_BREAK_TEXT.search(text):
        squeezed.append(_SOFT_BREAK.sub("", text).translate(_NO_WHITESPACE))
    found = []
    for form in forms:
        if any(holds(squeezed_text, _squeezed_text(form)) for squeezed_text in squeezed) \
                and (pattern := broken_pattern(form)):
            found.append(pattern)
    return found


def longest_match(form: str) -> int:
    """The most bytes an occurrence of `form` spans, line breaks put into it included: one
    between any two characters, and of those one in QUOTED_PIECE a break between quoted
    pieces. (The patterns allow one anywhere, but no writer cuts pieces shorter: counting
    one a character would more than double what a stream's masking holds back for a long
    key, mask_chunks.)"""
    size = len(form_bytes(form))
    if len(form) < MIN_ENCODED_LENGTH:  # no pattern cut into lines (_broken_source)
        return size
    quoted = len(form) // QUOTED_PIECE + 1
    return size + len(form) * BREAK_BYTES + quoted * (QUOTE_BREAK_BYTES - BREAK_BYTES)


def mask_bytes_within(value: Any, masked_forms: Iterable[str], _depth: int = 0) -> Any:
    """`value` with every bytes value in it (in dicts, lists, tuples and sets) masked, and
    every container kept of its type: for data that is turned into text later, where the
    bytes would no longer read as the secret (base64 in a kept debug)."""
    if type(value) is bytes:
        return mask_bytes(value, masked_forms)
    if _depth > 100:
        return value
    if type(value) is dict:
        return {k: mask_bytes_within(v, masked_forms, _depth + 1) for k, v in value.items()}
    if type(value) in (list, tuple, set, frozenset):
        return type(value)(mask_bytes_within(v, masked_forms, _depth + 1) for v in value)
    return value


def mask_data(value: Any, masked_forms: list[str], _depth: int = 0) -> Any:
    """A copy of a JSON-like value (a stage's debug, say) with every string masked, keys
    too. What is not a string, list or mapping is masked in its text form only when that
    form holds a secret, so numbers stay numbers unless their digits are a secret's (a PIN
    a stage parsed: `int(secret)` is written as the secret's own text)."""
    if _depth > 100:  # deeper than any debug a stage hands on; a cycle otherwise
        return MASK
    if isinstance(value, str):
        return mask_text(value, masked_forms)
    if isinstance(value, Mapping):
        return {mask_data(k, masked_forms, _depth + 1): mask_data(v, masked_forms, _depth + 1)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_data(v, masked_forms, _depth + 1) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    text = str(value)
    masked = mask_text(text, masked_forms)
    return masked if masked != text else value

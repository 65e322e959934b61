"""More ways a secret's bytes are written as text, beyond the hex, base64 and base32 of
secret_forms: each a form masked like any other.

- base85 (`base64.b85encode`, git's binary patches), Ascii85 (`base64.a85encode`, PDF and
  PostScript) and uuencode: groups of 4 (or 3) bytes, each written by itself, so the
  groups wholly within the secret are written alike wherever the secret starts; one form
  for each place it can start at in a group (as for base64, secret_forms._cores);
- base32 in the extended hex alphabet (RFC 4648 section 7, `base64.b32hexencode`) and in
  Crockford's, upper and lower case, of its UTF-8 and of its UTF-16; and base32 of its
  UTF-16 in lower case;
- hex with a separator between the bytes (`bytes.hex(":")`, a MAC-style dump, an openssl
  fingerprint; `70,00,61,00` as a .reg file writes UTF-16) or between groups of two or
  four bytes (`bytes.hex(":", 2)`, `bytes.hex(" ", 4)`), each byte escaped (`\\x73`,
  `%73`, `\\163`) and each character escaped (`\\u0073`);
- ROT13 (`codecs.encode(text, "rot13")`) and quoted-printable (`quopri`, mail bodies);
- numeric character references (`&#115;`, `&#x73;`) and the URL of its UTF-16
  (`%73%00`, `s%00`).

What depends on the bytes around the secret (the group it shares with them) is left out:
those characters are not the secret's alone.
"""

from __future__ import annotations

import codecs
import functools
from collections.abc import Callable


@functools.cache  # the encoders' modules are imported once a secret needs them
def _grouped() -> tuple[tuple[int, Callable[[bytes], bytes]], ...]:
    """The bytes a group of each grouped coding takes, and its encoder of whole groups."""
    import base64
    import binascii

    def uuencoded(data: bytes) -> bytes:
        # a uuencoded line holds up to 45 bytes: its length, then its groups
        lines = (data[at:at + 45] for at in range(0, len(data), 45))
        return b"".join(binascii.b2a_uu(line)[1:1 + len(line) // 3 * 4] for line in lines)

    return (
        (4, base64.b85encode),
        # a85encode writes a group of four zero bytes as "z"; a group of the secret's is one
        # only if the secret holds four NULs in a row
        (4, base64.a85encode),
        (3, uuencoded),
    )


def group_cores(data: bytes, group: int, encode: Callable[[bytes], bytes]) -> set[str]:
    """The text of the groups of `data` that hold its bytes alone, for each place in a
    group `data` may start at. Each group is written by itself, so the whole groups of
    `data` are written as `encode` writes them alone."""
    found = set()
    for offset in range(group):
        start = (group - offset) % group  # the first byte of data that starts a group
        whole = (len(data) - start) // group * group
        if whole > 0:
            found.add(encode(data[start:start + whole]).decode("ascii"))
    return found


_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
#: the same 5-bit values in the extended hex alphabet and in Crockford's
_BASE32_HEX = str.maketrans(_BASE32, "0123456789ABCDEFGHIJKLMNOPQRSTUV")
_CROCKFORD = str.maketrans(_BASE32, "0123456789ABCDEFGHJKMNPQRSTVWXYZ")
#: what stands between two bytes of a hex dump
_HEX_SEPARATORS = (":", " ", "-", ",")


def base32_variants(utf8_cores: set[str], utf16_cores: set[str]) -> set[str]:
    """base32 in the other alphabets and cases, from the standard alphabet's cores (of the
    secret's UTF-8, and of its UTF-16: a stage on Windows or Java encodes the UTF-16 it
    holds a text in). Each alphabet writes the same 5-bit values, so a core translated is
    the core that alphabet's encoder writes; the padding `=` lies outside every core."""
    found = set()
    for core in utf8_cores | utf16_cores:
        for alphabet in (_BASE32_HEX, _CROCKFORD):
            other = core.translate(alphabet)
            found |= {other, other.lower()}
    return found | {core.lower() for core in utf16_cores}


def byte_codings(data: bytes, utf16_le: bytes) -> set[str]:
    """The forms above of a secret's UTF-8 bytes `data` (and of its UTF-16LE `utf16_le`,
    for a .reg file's hex)."""
    found = set()
    for group, encode in _grouped():
        found |= group_cores(data, group, encode)
    for case in (str.lower, str.upper):
        found |= {case(data.hex(separator)) for separator in _HEX_SEPARATORS}
        found |= {case(form) for form in _hex_in_groups(data)}
        found.add(case("".join(f"\\x{byte:02x}" for byte in data)))
        found.add(case("".join(f"%{byte:02x}" for byte in data)))
    found.add(utf16_le.hex(","))
    found.add("".join(f"\\{byte:03o}" for byte in data))
    return found


#: what stands between two groups of bytes (`bytes.hex(":", 2)`, `xxd -g2` without its
#: offset and column)
_GROUP_SEPARATORS = (":", "-", " ")
#: the bytes a group holds: two (`bytes.hex(":", 2)`, UTF-16 code units) or four
#: (`bytes.hex(" ", 4)`, 32-bit words)
_GROUP_SIZES = (2, 4)


def _hex_in_groups(data: bytes) -> set[str]:
    """The lower-case hex of `data` written two or four bytes a group, a separator between
    groups (`bytes.hex(":", 2)`). Where the groups fall depends on the bytes before the
    secret (and, as `bytes.hex` counts a positive group size from the right, on those after
    it), so one form for each number of the secret's bytes in its first group: `aabb:ccdd:ee`
    and `aa:bbcc:ddee` for groups of two, each within the dump whatever bytes come around."""
    found = set()
    for size in _GROUP_SIZES:
        for first in range(size, 0, -1):  # the secret's bytes in its first group
            groups = [data[:first]] + [data[at:at + size]
                                       for at in range(first, len(data), size)]
            for separator in _GROUP_SEPARATORS:
                found.add(separator.join(group.hex() for group in groups if group))
    return found


def text_codings(secret: str) -> set[str]:
    """The forms above that are made from the text: ROT13, every character as a `\\u`
    escape, quoted-printable, numeric character references and a URL of its UTF-16."""
    import quopri
    from urllib.parse import quote, quote_plus

    found = {codecs.encode(secret, "rot13")}
    # every character a numeric character reference, decimal and hex (an address or a
    # key hidden from scrapers in a page), and a character outside ASCII only, as
    # `str.encode("ascii", "xmlcharrefreplace")` and ElementTree's tostring with an ASCII
    # encoding write it (Lib/xml/etree/ElementTree.py, _escape_cdata)
    found |= {"".join(f"&#{ord(char)};" for char in secret),
              "".join(f"&#x{ord(char):x};" for char in secret)}
    if not secret.isascii():
        found.add(secret.encode("ascii", "xmlcharrefreplace").decode("ascii"))
    # its UTF-16 in a URL: `quote(secret, encoding="utf-16-le")`, `urlencode` of a form
    # with that encoding (quote_plus), and every byte escaped
    utf16 = secret.encode("utf-16-le", "surrogatepass")
    found |= {quote(utf16, safe=""), quote_plus(utf16, safe=""),
              "".join(f"%{byte:02X}" for byte in utf16)}
    units = secret.encode("utf-16-be", "surrogatepass")
    escaped = "".join(f"\\u{units[at]:02x}{units[at + 1]:02x}"
                      for at in range(0, len(units), 2))
    found |= {escaped, escaped.upper().replace("\\U", "\\u")}
    printable = quopri.encodestring(secret.encode("utf-8", "surrogatepass"))
    # the text without the soft line breaks ("=" ending a line) quopri puts in a line of
    # more than 76 characters; one cut by such a break is not found
    found.add(printable.replace(b"=\n", b"").rstrip(b"\n").decode("ascii"))
    return found

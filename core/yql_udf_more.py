"""YQL's Url UDFs, more of String's and Digest::Md5Hex as DuckDB expressions, with YQL's
values (registered in yql_udfs; String's at the end).

Url's rules are those of the module's source, yql/essentials/udfs/common/url_base/lib/
url_base_udf.h in ydb-platform/ydb, and of the util functions it calls, library/cpp/
string_utils/url/url.cpp:

- the scheme is what comes before the first "://" when no character of !-/ :-@ [-` {|}
  comes before it (GetSchemePrefixSize): "goal://" is one, "a.b://" is not;
- the host is what follows the scheme, and one more http:// or https:// in any case
  (GetHttpPrefixSize), up to the first of / : ; ? # (with the port: / ; ? #), so an IPv6
  host "[::1]" gives "[" and "user:pw@h" gives "user";
- GetHost, GetHostPort, GetSchemeHost, GetSchemeHostPort, CutScheme, CutWWW, CutWWW2 give
  NULL where their text would be empty (ARROW_UDF_SINGLE_STRING_FUNCTION_FOR_URL);
- GetPort is the digits after the last ":" of the host and port (none after "]"), or
  80 / 443 for an http:// / https:// scheme in any case, NULL for none, 0 or no number;
- GetCGIParam looks at the query (after the first "?", up to the next "#"): the first
  `name=value` whose name is the one asked; a name without "=" has no value (NULL).

Every Url function gives NULL for NULL; GetPath and GetTail give "/" where there is no path,
GetScheme "" where there is no scheme, GetDomainLevel 1 for no host. A String is bytes in
YQL and text here; the rules above look at ASCII characters only, so a multi-byte character
never splits differently.
"""

from __future__ import annotations

from collections.abc import Callable

from yt_pipeline.yql_udf_calls import Functions, Rewrite

#: the scheme and its "://": no delimiter of GetSchemePrefixSize's set before it (a backquote
#: is written \x60: the query's text around it is read for `names` after this rewrite)
_SCHEME = r"'^[^!-/:-@\[-\x60{|}]*://'"
#: the http:// or https:// GetHttpPrefixSize cuts, in any case (ASCII letters only)
_HTTP = r"(?:[Hh][Tt][Tt][Pp][Ss]?://)?"


def _after_scheme(url: str) -> str:
    return f"regexp_replace({url}, {_SCHEME}, '')"


def _host(url: str, delimiters: str) -> str:
    """GetOnlyHost (delimiters /:;?#) or GetHostAndPort's part (/;?#) of `url`, "" if none."""
    return f"regexp_extract({_after_scheme(url)}, '^{_HTTP}([^{delimiters}]*)', 1)"


def _scheme_prefix(url: str) -> str:
    return f"regexp_extract({url}, {_SCHEME}, 0)"


def _non_empty(sql: str) -> str:
    return f"NULLIF({sql}, '')"


def _one(build: Callable[[str], str]) -> Rewrite:
    def rewrite(args: list[str], _: dict[str, str]) -> str:
        return build(args[0])
    return rewrite


def _up_to_host(url: str, delimiters: str) -> str:
    """The url up to the end of its host (and port), "" if none: GetSchemeHost(AndPort)
    with trimHttp false, the scheme and an http:// after it kept."""
    return (f"({_scheme_prefix(url)} || regexp_extract({_after_scheme(url)}, "
            f"'^{_HTTP}[^{delimiters}]*', 0))")


def _tail(url: str) -> str:
    """SplitUrlToHostAndPath's path, with a "/" put first if it has none."""
    rest = f"substr({url}, length({_up_to_host(url, '/;?#')}) + 1)"
    return f"(CASE WHEN starts_with({rest}, '/') THEN {rest} ELSE '/' || {rest} END)"


def _path(url: str) -> str:
    found = f"regexp_extract({_after_scheme(url)}, '^[^/]*(/[^?#]*)', 1)"
    return f"(CASE WHEN {url} IS NULL THEN NULL ELSE COALESCE(NULLIF({found}, ''), '/') END)"


def _fragment(url: str) -> str:
    return f"(CASE WHEN contains({url}, '#') THEN regexp_extract({url}, '(?s)#(.*)', 1) END)"


def _port(url: str) -> str:
    host_port = _host(url, "/;?#")
    number = f"regexp_extract({host_port}, ':([^:]*)$', 1)"
    # util's TryFromString<ui16>: an optional "+", then decimal digits up to 65535
    digits = f"ltrim(regexp_extract({number}, '^\\+?([0-9]+)$', 1), '0')"
    parsed = (f"(CASE WHEN NOT regexp_matches({number}, '^\\+?[0-9]+$') OR length({digits}) > 5 "
              f"THEN NULL ELSE CAST(COALESCE(NULLIF({digits}, ''), '0') AS UBIGINT) END)")
    scheme = f"lower({_scheme_prefix(url)})"
    given = (f"{host_port} <> '' AND NOT ends_with({host_port}, ']') "
             f"AND contains({host_port}, ':')")
    default = (f"CASE {scheme} WHEN 'https://' THEN CAST(443 AS UBIGINT) "
               f"WHEN 'http://' THEN CAST(80 AS UBIGINT) END")
    port = f"(CASE WHEN {given} THEN {parsed} ELSE {default} END)"
    return f"NULLIF(CASE WHEN {port} > 65535 THEN NULL ELSE {port} END, 0)"


def _cgi_param(args: list[str], _: dict[str, str]) -> str:
    url, name = args
    # the name's own "=" or "&" would end it before the one asked for: never found
    pattern = (f"'(?s)^[^?]*\\?(?:[^&#]*&)*?' || regexp_escape({name}) || '=([^&#]*)'")
    return (f"(CASE WHEN contains({name}, '#') THEN error('YQL: Url::GetCGIParam of a name "
            f"holding # is not supported on DuckDB (docs/yql-in-dev.md)') "
            f"WHEN contains({name}, '=') OR contains({name}, '&') THEN NULL "
            f"WHEN regexp_matches({url}, {pattern}) THEN regexp_extract({url}, {pattern}, 1) END)")


def _parts(url: str) -> str:
    return f"string_split({_host(url, '/:;?#')}, '.')"


def _domain(args: list[str], _: dict[str, str]) -> str:
    url, level = args
    level = f"CAST({level} AS BIGINT)"
    parts = _parts(url)
    return (f"(CASE WHEN {level} = 0 OR len({parts}) < {level} THEN NULL ELSE NULLIF("
            f"array_to_string(list_slice({parts}, len({parts}) - {level} + 1, len({parts})), "
            f"'.'), '') END)")


URL: Functions = {
    "GetScheme": (_one(_scheme_prefix), 1, 1, ()),
    "GetHost": (_one(lambda url: _non_empty(_host(url, "/:;?#"))), 1, 1, ()),
    "GetHostPort": (_one(lambda url: _non_empty(_host(url, "/;?#"))), 1, 1, ()),
    "GetSchemeHost": (_one(lambda url: _non_empty(_up_to_host(url, "/:;?#"))), 1, 1, ()),
    "GetSchemeHostPort": (_one(lambda url: _non_empty(_up_to_host(url, "/;?#"))), 1, 1, ()),
    "GetPort": (_one(_port), 1, 1, ()),
    "GetTail": (_one(_tail), 1, 1, ()),
    "GetPath": (_one(_path), 1, 1, ()),
    "GetFragment": (_one(_fragment), 1, 1, ()),
    "GetCGIParam": (_cgi_param, 2, 2, ()),
    "GetDomain": (_domain, 2, 2, ()),
    "GetDomainLevel": (_one(lambda url: f"CAST(len({_parts(url)}) AS UBIGINT)"), 1, 1, ()),
    "CutScheme": (_one(lambda url: _non_empty(_after_scheme(url))), 1, 1, ()),
    "CutWWW": (_one(lambda url: _non_empty(
        f"regexp_replace({url}, '^[Ww][Ww][Ww]\\.', '')")), 1, 1, ()),
    # CutWWWNumberedPrefix: w's, then digits, then a dot
    "CutWWW2": (_one(lambda url: _non_empty(
        f"regexp_replace({url}, '^[Ww]+[0-9]*\\.', '')")), 1, 1, ()),
    "CutQueryStringAndFragment": (_one(
        lambda url: f"regexp_replace({url}, '(?s)[?#].*', '')"), 1, 1, ()),
}


# -- String, more: string_udf.cpp in yql/essentials/udfs/common/string -----------------------

#: util's IsAsciiSpace: space, \t, \n, \v, \f, \r
_SPACE = r"[\x09-\x0d ]"
_LOWERED = "translate({0}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"


def _each_byte(char_class: str) -> Rewrite:
    """IS_ASCII_UDF: true when every byte is of the class (so for ""), false for NULL; a
    multi-byte character's bytes are of none of the classes."""
    def rewrite(args: list[str], _: dict[str, str]) -> str:
        return f"COALESCE(regexp_full_match({args[0]}, '{char_class}*'), false)"
    return rewrite


def _ignoring_case(function: str) -> Rewrite:
    """STRING_ASCII_CMP_IGNORE_CASE_UDF: ASCII letters of either case alike, false for NULL."""
    def rewrite(args: list[str], _: dict[str, str]) -> str:
        text, other = (_LOWERED.format(arg) for arg in args)
        return f"COALESCE({function.format(text, other)}, false)"
    return rewrite


STRING: Functions = {
    "IsAscii": (_each_byte(r"[\x00-\x7f]"), 1, 1, ()),
    "IsAsciiSpace": (_each_byte(_SPACE), 1, 1, ()),
    "IsAsciiUpper": (_each_byte("[A-Z]"), 1, 1, ()),
    "IsAsciiLower": (_each_byte("[a-z]"), 1, 1, ()),
    "IsAsciiDigit": (_each_byte("[0-9]"), 1, 1, ()),
    "IsAsciiAlpha": (_each_byte("[A-Za-z]"), 1, 1, ()),
    "IsAsciiAlnum": (_each_byte("[A-Za-z0-9]"), 1, 1, ()),
    "IsAsciiHex": (_each_byte("[A-Fa-f0-9]"), 1, 1, ()),
    "AsciiStartsWithIgnoreCase": (_ignoring_case("starts_with({0}, {1})"), 2, 2, ()),
    "AsciiEndsWithIgnoreCase": (_ignoring_case("ends_with({0}, {1})"), 2, 2, ()),
    "AsciiEqualsIgnoreCase": (_ignoring_case("{0} = {1}"), 2, 2, ()),
    # util's Collapse: each run of IsAsciiSpace characters becomes one space
    "Collapse": (_one(lambda text: f"regexp_replace({text}, '{_SPACE}+', ' ', 'g')"), 1, 1, ()),
}

# -- Digest ---------------------------------------------------------------------------------

DIGEST: Functions = {
    # MD5 of the bytes, in lower-case hex (DuckDB hashes a text's UTF-8 bytes)
    "Md5Hex": (_one(lambda text: f"md5({text})"), 1, 1, ()),
}

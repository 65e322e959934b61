"""YQL's Url UDFs give YQL's values in dev and on the fake query tracker alike.

The expected values are YQL's own, from ydb-platform/ydb: the canonical test of the module,
yql/essentials/udfs/common/url_base/test/cases/Url.sql and its results in
test/canondata/test.test_Url_/results.txt (the URLs below, one row each), the examples of
yql/essentials/docs/en/udf/list/url.md, and for the inputs the canonical test has not
(user:password@, IPv6 hosts, ports that are not numbers, names without a value) the rules of
url_base/lib/url_base_udf.h (TGetPort, GetCGIParam, GetDomain) and library/cpp/string_utils/
url/url.cpp (GetSchemePrefixSize, GetHostAndPortImpl, TryGetSchemeHostAndPort, CutWWWPrefix,
CutWWWNumberedPrefix), with util/string/cast.cpp's TIntParser for the port's number.
"""

from __future__ import annotations

import pytest
from yql_alike import dev_and_fake, same_rows

from yt_pipeline.errors import QueryFailed

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")

COLUMNS = ("param", "cut_qs_and_fragment", "cut_www", "cut_www2", "host", "host_port",
           "scheme_host", "scheme_host_port", "cut_scheme", "tail", "path", "fragment", "port",
           "domain0", "domain1", "domain3", "domain_level")

#: Url.sql's input and its canonical results, in COLUMNS' order
CANONICAL = {
    "http://": (None, "http://", None, None, None, None, "http://", "http://", None, "/", "/",
                None, 80, None, None, None, 1),
    "http://lenta.ru": (None, "http://lenta.ru", "lenta.ru", "lenta.ru", "lenta.ru",
                        "lenta.ru", "http://lenta.ru", "http://lenta.ru", "lenta.ru", "/", "/",
                        None, 80, None, "ru", None, 2),
    "http://someone.livejournal.com/blog": (
        None, "http://someone.livejournal.com/blog", "someone.livejournal.com",
        "someone.livejournal.com", "someone.livejournal.com", "someone.livejournal.com",
        "http://someone.livejournal.com", "http://someone.livejournal.com",
        "someone.livejournal.com/blog", "/blog", "/blog", None, 80, None, "com",
        "someone.livejournal.com", 3),
    "https://www.yandex.com.tr/search": (
        None, "https://www.yandex.com.tr/search", "yandex.com.tr", "yandex.com.tr",
        "www.yandex.com.tr", "www.yandex.com.tr", "https://www.yandex.com.tr",
        "https://www.yandex.com.tr", "www.yandex.com.tr/search", "/search", "/search", None,
        443, None, "tr", "yandex.com.tr", 4),
    "https://www2.yandex.com.tr/search": (
        None, "https://www2.yandex.com.tr/search", "www2.yandex.com.tr", "yandex.com.tr",
        "www2.yandex.com.tr", "www2.yandex.com.tr", "https://www2.yandex.com.tr",
        "https://www2.yandex.com.tr", "www2.yandex.com.tr/search", "/search", "/search", None,
        443, None, "tr", "yandex.com.tr", 4),
    "bbc.co.uk/news": (None, "bbc.co.uk/news", "bbc.co.uk", "bbc.co.uk", "bbc.co.uk",
                       "bbc.co.uk", "bbc.co.uk", "bbc.co.uk", "bbc.co.uk/news", "/news",
                       "/news", None, None, None, "uk", "bbc.co.uk", 3),
    "yandex.com.tr/maps?foo=": (
        "", "yandex.com.tr/maps", "yandex.com.tr", "yandex.com.tr", "yandex.com.tr",
        "yandex.com.tr", "yandex.com.tr", "yandex.com.tr", "yandex.com.tr/maps?foo=",
        "/maps?foo=", "/maps", None, None, None, "tr", "yandex.com.tr", 3),
    "someone.livejournal.com?foo=bar#top": (
        "bar", "someone.livejournal.com", "someone.livejournal.com", "someone.livejournal.com",
        "someone.livejournal.com", "someone.livejournal.com", "someone.livejournal.com",
        "someone.livejournal.com", "someone.livejournal.com?foo=bar#top", "/?foo=bar#top", "/",
        "top", None, None, "com", "someone.livejournal.com", 3),
    "a.b.c.d.e.f.g.h.i.j.k#l.m.n": (
        None, "a.b.c.d.e.f.g.h.i.j.k", "a.b.c.d.e.f.g.h.i.j.k", "a.b.c.d.e.f.g.h.i.j.k",
        "a.b.c.d.e.f.g.h.i.j.k", "a.b.c.d.e.f.g.h.i.j.k", "a.b.c.d.e.f.g.h.i.j.k",
        "a.b.c.d.e.f.g.h.i.j.k", "a.b.c.d.e.f.g.h.i.j.k#l.m.n", "/#l.m.n", "/", "l.m.n", None,
        None, "k", "i.j.k", 11),
    "https://ya.ru:80/search/?text=test&lr=213#top": (
        None, "https://ya.ru:80/search/", "ya.ru", "ya.ru", "ya.ru", "ya.ru:80",
        "https://ya.ru", "https://ya.ru:80", "ya.ru:80/search/?text=test&lr=213#top",
        "/search/?text=test&lr=213#top", "/search/", "top", 80, None, "ru", None, 2),
    "goal://market.yandex.ru/product-page_scroll-box_product_visible": (
        None, "goal://market.yandex.ru/product-page_scroll-box_product_visible",
        "market.yandex.ru", "market.yandex.ru", "market.yandex.ru", "market.yandex.ru",
        "goal://market.yandex.ru", "goal://market.yandex.ru",
        "market.yandex.ru/product-page_scroll-box_product_visible",
        "/product-page_scroll-box_product_visible", "/product-page_scroll-box_product_visible",
        None, None, None, "ru", "market.yandex.ru", 3),
    "Http://ya.ru": (None, "Http://ya.ru", "ya.ru", "ya.ru", "ya.ru", "ya.ru", "Http://ya.ru",
                     "Http://ya.ru", "ya.ru", "/", "/", None, 80, None, "ru", None, 2),
    "ftp://someone.livejournal.com:80/blog": (
        None, "ftp://someone.livejournal.com:80/blog", "someone.livejournal.com",
        "someone.livejournal.com", "someone.livejournal.com", "someone.livejournal.com:80",
        "ftp://someone.livejournal.com", "ftp://someone.livejournal.com:80",
        "someone.livejournal.com:80/blog", "/blog", "/blog", None, 80, None, "com",
        "someone.livejournal.com", 3),
}

CANONICAL_QUERY = """
    SELECT
        Url::GetCGIParam(value, "foo") AS param,
        Url::CutQueryStringAndFragment(value) AS cut_qs_and_fragment,
        Url::CutWWW(Url::GetHost(value)) AS cut_www,
        Url::CutWWW2(Url::GetHost(value)) AS cut_www2,
        Url::GetHost(value) as host,
        Url::GetHostPort(value) as host_port,
        Url::GetSchemeHost(value) AS scheme_host,
        Url::GetSchemeHostPort(value) AS scheme_host_port,
        Url::CutScheme(value) AS cut_scheme,
        Url::GetTail(value) AS tail,
        Url::GetPath(value) AS path,
        Url::GetFragment(value) AS fragment,
        Url::GetPort(value) AS port,
        Url::GetDomain(value, 0) as domain0,
        Url::GetDomain(value, 1) as domain1,
        Url::GetDomain(value, 3) as domain3,
        Url::GetDomainLevel(value) as domain_level
    FROM `//tmp/urls` ORDER BY i"""


@pytest.fixture
def both(prod_client, tmp_path):
    return dev_and_fake(prod_client, tmp_path)


def url_rows(both, query: str, values: list[str | None]) -> list[dict]:
    """The rows of `query` over a table //tmp/urls of `values`, alike in dev and the fake."""
    for client in both:
        client.write_table("//tmp/urls", [{"i": i, "value": value}
                                          for i, value in enumerate(values)])
    return same_rows(both, query)


def test_url_functions_give_the_canonical_results(both):
    rows = url_rows(both, CANONICAL_QUERY, list(CANONICAL))
    assert rows == [dict(zip(COLUMNS, expected)) for expected in CANONICAL.values()]


def test_url_functions_of_null_are_null(both):
    query = (CANONICAL_QUERY.replace("as domain_level", "AS domain_level, Url::GetScheme(value) AS s")
             .replace("ORDER BY i", "WHERE value IS NULL"))
    [row] = url_rows(both, query, ["http://a.ru", None])
    # every one is {Flags:AutoMap} or takes an optional string and gives NULL for NULL
    assert row == dict.fromkeys((*COLUMNS, "s"))


def test_the_pages_examples(both):
    [row] = url_rows(both, """
        SELECT Url::GetScheme("https://ydb.tech") AS scheme,
               Url::GetDomain("http://www.ydb.tech", 2) AS domain,
               Url::CutScheme("http://www.ydb.tech") AS cut_scheme,
               Url::CutWWW("www.ydb.tech") AS cut_www,
               Url::GetScheme("ydb.tech") AS no_scheme
        FROM `//tmp/urls`""", ["x"])
    assert row == {"scheme": "https://", "domain": "ydb.tech", "cut_scheme": "www.ydb.tech",
                   "cut_www": "ydb.tech", "no_scheme": ""}


def test_hosts_ports_and_parameters_of_the_tricky_urls(both):
    rows = url_rows(both, """
        SELECT Url::GetHost(value) AS host, Url::GetHostPort(value) AS host_port,
               Url::GetPort(value) AS port, Url::GetPath(value) AS path,
               Url::GetCGIParam(value, "foo") AS foo
        FROM `//tmp/urls` ORDER BY i""", [
        "http://user:pw@host.ru:8080/p?foo=1&foo=2",  # the host stops at the first ":"
        "http://[::1]:8080/",  # IPv6: the same, the port after the last ":"
        "HTTPS://[::1]/?a&foo=x#y",  # no port after "]": the scheme's, in any case
        "http://a:+81?xfoo=1&foo",  # TryFromString takes a "+"; "foo" without "=" has no value
        "http://a:99999/?foo=1#&foo=2",  # too big for a port; the value ends at "#"
        "ftp://a:0/x?y=1&foo=#",  # port 0 is none; an empty value is ""
        "http://http://a.ru/b",  # an http:// after the scheme is cut too (GetHttpPrefixSize)
        "a.b://c/d#e?foo=f",  # "." before "://": no scheme, ":" no port; the query is after "?"
    ])
    assert rows == [
        {"host": "user", "host_port": "user:pw@host.ru:8080", "port": 8080, "path": "/p",
         "foo": "1"},
        {"host": "[", "host_port": "[::1]:8080", "port": 8080, "path": "/", "foo": None},
        {"host": "[", "host_port": "[::1]", "port": 443, "path": "/", "foo": "x"},
        {"host": "a", "host_port": "a:+81", "port": 81, "path": "/",
         "foo": None},
        {"host": "a", "host_port": "a:99999", "port": None, "path": "/", "foo": "1"},
        {"host": "a", "host_port": "a:0", "port": None, "path": "/x", "foo": ""},
        {"host": "a.ru", "host_port": "a.ru", "port": 80, "path": "//a.ru/b", "foo": None},
        {"host": "a.b", "host_port": "a.b:", "port": None, "path": "//c/d", "foo": "f"},
    ]


def test_cut_www_and_the_domains(both):
    rows = url_rows(both, """
        SELECT Url::CutWWW(value) AS www, Url::CutWWW2(value) AS www2,
               Url::GetDomain(value, 2) AS domain2, Url::GetDomainLevel(value) AS level
        FROM `//tmp/urls` ORDER BY i""", ["WwW.a.ru", "www.", "ww7.a.ru", "w77", "www", ""])
    assert rows == [
        {"www": "a.ru", "www2": "a.ru", "domain2": "a.ru", "level": 3},
        {"www": None, "www2": None, "domain2": "www.", "level": 2},
        {"www": "ww7.a.ru", "www2": "a.ru", "domain2": "a.ru", "level": 3},
        {"www": "w77", "www2": "w77", "domain2": None, "level": 1},
        {"www": "www", "www2": "www", "domain2": None, "level": 1},
        {"www": None, "www2": None, "domain2": None, "level": 1},
    ]


def test_a_name_holding_a_hash_fails_alike_naming_it(both):
    for client in both:
        client.write_table("//tmp/urls", [{"i": 0, "value": "a?x#y=1"}])
        with pytest.raises(QueryFailed) as failed:
            client.run_yql('SELECT Url::GetCGIParam(value, "x#y") AS v FROM `//tmp/urls`')
        assert ("YQL: Url::GetCGIParam of a name holding # is not supported on DuckDB "
                "(docs/yql-in-dev.md)") in str(failed.value)

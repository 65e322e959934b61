"""A reduce with foreign tables (`<foreign=%true>//t` in input_tables, and join_by) gives
the same job input and the same rows in dev and in prod (the real client against the fake
proxy, whose join follows YTsaurus's own tests: test_prod_fake_foreign.py)."""

from __future__ import annotations

import dataclasses

import pytest
from test_prod_dev_parity import ECHO, Backends

from yt_pipeline.errors import ConfigError
from yt_pipeline.operations import Resources
from yt_pipeline_dev.launcher import launch as dev_launch
from yt_pipeline_prod import plugin

# Each host's foreign rows come before its primary ones (the foreign tables are listed
# first): the reducer keeps the latest host name, then tags each url with it.
TAGGING_REDUCER = """
from ytjobs import read_indexed_rows, write_row

FOREIGN = {0, 1}
name = {}
for table, row in read_indexed_rows():
    if table in FOREIGN:
        name[row["host"]] = row["name"]
    else:
        write_row({"url": row["url"], "name": name.get(row["host"]), "from": table})
"""

HOSTS = [{"host": "h1", "name": "one"}, {"host": "h2", "name": "two"},
         {"host": "h3", "name": "three"}, {"host": "h9", "name": "nine"}]
FRESH = [{"host": "h2", "name": "TWO"}, {"host": "h8", "name": "eight"}]
URLS = [{"host": "h2", "url": "h2/b"}, {"host": "h1", "url": "h1/a"},
        {"host": "h2", "url": "h2/a"}, {"host": "h4", "url": "h4/a"}]
MORE_URLS = [{"host": "h1", "url": "h1/a"}, {"host": "h3", "url": "h3/z"}]


def lines(both, path="//out/lines"):
    dev, prod = both.rows(path)
    assert dev == prod
    return [row["line"] for row in prod]


def test_one_foreign_table_the_job_reads_the_same_lines(tmp_path, prod_client, fake_yt):
    both = Backends(tmp_path, prod_client, fake_yt, {"src/echo.py": ECHO})
    both.put("//in/hosts", HOSTS)
    both.put("//in/urls", URLS)
    both.run(both.spec("reduce", reducer="src/echo.py",
                       input_tables=["<foreign=%true>//in/hosts", "//in/urls"],
                       output_tables=["//out/lines"], reduce_by=["host", "url"],
                       sort_by=["host", "url"], join_by=["host"]))
    switch = '{{"$attributes":{{"table_index":{}}},"$value":null}}'.format
    # h1, h2: the foreign row first; h3, h9 (no url) are not read; h4 has no host row
    assert lines(both) == [
        switch(0), '{"host":"h1","name":"one"}', switch(1), '{"host":"h1","url":"h1/a"}',
        switch(0), '{"host":"h2","name":"two"}', switch(1), '{"host":"h2","url":"h2/a"}',
        '{"host":"h2","url":"h2/b"}', '{"host":"h4","url":"h4/a"}']
    # both inputs were unsorted: prod sorted the foreign one by join_by and the primary one
    # by sort_by into temporary tables, the foreign one read as foreign still
    sorts, reduce = fake_yt.specs[:-1], fake_yt.specs[-1]
    assert [(s["operation_type"], s["input_table_paths"], s["sort_by"]) for s in sorts] == [
        ("sort", ["//in/hosts"], ["host"]), ("sort", ["//in/urls"], ["host", "url"])]
    assert reduce["operation_type"] == "reduce" and reduce["join_by"] == ["host"]
    assert reduce["input_table_paths"] == ["<foreign=%true>" + sorts[0]["output_table_path"],
                                           sorts[1]["output_table_path"]]


@pytest.mark.parametrize("job_count", [1, 3])
def test_several_foreign_tables_and_a_join_by_shorter_than_reduce_by(tmp_path, prod_client,
                                                                      fake_yt, job_count):
    both = Backends(tmp_path, prod_client, fake_yt, {"src/reducer.py": TAGGING_REDUCER})
    both.put("//in/hosts", HOSTS)
    both.put("//in/fresh", FRESH)
    both.put("//in/urls", URLS)
    both.put("//in/more", MORE_URLS)
    both.run(both.spec("reduce", reducer="src/reducer.py",
                       input_tables=["<foreign=%true>//in/hosts", "<foreign=%true>//in/fresh",
                                     "//in/urls", "//in/more"],
                       output_tables=["//out/tagged"], reduce_by=["host", "url"],
                       sort_by=["host", "url"], join_by=["host"],
                       resources=Resources(job_count=job_count)))
    dev, prod = both.rows("//out/tagged")
    assert dev == prod
    # h2's fresh name comes after its old one (table 1 after table 0); h4 has no host row;
    # h8 and h9 have no url, so no job reads them
    assert prod == [{"url": "h1/a", "name": "one", "from": 2},
                    {"url": "h1/a", "name": "one", "from": 3},
                    {"url": "h2/a", "name": "TWO", "from": 2},
                    {"url": "h2/b", "name": "TWO", "from": 2},
                    {"url": "h3/z", "name": "three", "from": 3},
                    {"url": "h4/a", "name": None, "from": 2}]


def test_foreign_tables_after_the_primary_ones_come_after_each_keys_rows(
        tmp_path, prod_client, fake_yt):
    both = Backends(tmp_path, prod_client, fake_yt, {"src/echo.py": ECHO})
    both.put("//in/hosts", HOSTS)
    both.put("//in/urls", URLS)
    both.run(both.spec("reduce", reducer="src/echo.py",
                       input_tables=["//in/urls", "<foreign=%true>//in/hosts"],
                       output_tables=["//out/lines"], reduce_by=["host"], sort_by=["host"],
                       join_by=["host"]))
    switch = '{{"$attributes":{{"table_index":{}}},"$value":null}}'.format
    assert lines(both) == [
        switch(0), '{"host":"h1","url":"h1/a"}', switch(1), '{"host":"h1","name":"one"}',
        switch(0), '{"host":"h2","url":"h2/b"}', '{"host":"h2","url":"h2/a"}',
        switch(1), '{"host":"h2","name":"two"}', switch(0), '{"host":"h4","url":"h4/a"}']


@pytest.mark.parametrize("fields, message", [
    ({"input_tables": ["<foreign=%true>//in/hosts", "//in/urls"], "reduce_by": ["host"]},
     "join_by: It is required to specify join_by when using foreign tables"),
    ({"input_tables": ["//in/hosts", "//in/urls"], "reduce_by": ["host"], "join_by": ["host"]},
     "input_tables: At least one foreign input table is required when join_by is specified: "
     "mark it in input_tables as <foreign=%true>//table"),
    ({"input_tables": ["<foreign=%true>//in/hosts"], "reduce_by": ["host"],
      "join_by": ["host"]},
     "input_tables: At least one non-foreign input table is required"),
    ({"input_tables": ["<foreign=%true>//in/hosts", "//in/urls"], "reduce_by": ["host"],
      "join_by": ["url"]},
     "join_by: Join sort columns are not compatible with reduce sort columns: join_by [url] "
     "must be a prefix of reduce_by [host]"),
    ({"input_tables": ["<foreign=%true>//in/hosts[#0:#1,#2:#3]", "//in/urls"],
      "reduce_by": ["host"], "join_by": ["host"]},
     "input_tables: Reduce operation does not support foreign tables with multiple ranges "
     "(<foreign=%true>//in/hosts[#0:#1,#2:#3])"),
    # ours: between two primary tables, where a cluster puts the foreign rows depends on
    # which primary table a job's first row is from
    ({"input_tables": ["//in/urls", "<foreign=%true>//in/hosts", "//in/urls"],
      "reduce_by": ["host"], "join_by": ["host"]},
     "input_tables: list the foreign tables before the primary ones (or after them), not "
     "between: //in/urls, <foreign=%true>//in/hosts, //in/urls"),
])
def test_refused_joins_say_the_clusters_words_before_any_table_is_read(
        tmp_path, prod_client, fake_yt, fields, message):
    both = Backends(tmp_path, prod_client, fake_yt, {"src/echo.py": ECHO})
    both.put("//in/hosts", HOSTS)
    both.put("//in/urls", URLS)
    spec = both.spec("reduce", reducer="src/echo.py", output_tables=["//out/lines"],
                     **fields)
    for launch, client in ((dev_launch, both.dev), (plugin.launch_operation, prod_client)):
        with pytest.raises(ConfigError) as caught:
            launch(client, dataclasses.replace(spec, code_package=both.package))
        assert str(caught.value) == f"stage s: operation reduce: {message}"
    assert not both.dev.exists("//out/lines")
    assert not fake_yt.specs

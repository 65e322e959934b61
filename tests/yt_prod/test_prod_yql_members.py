"""A column, or a correlation name, the query's source does not have: YQL's words, placed
at the name in the query, the same in dev and on the fake query tracker (whose issue prod
places in the query as written).

YQL's words: "Member not found: x", with ". Did you mean y?" for the first member in name
order fewer than 3 edits away (FindOrReportMissingMember in yql/essentials/core/type_ann/
type_ann_core.cpp; FindMistype and DefaultMistypeDistance in yql/essentials/ast/yql_expr.h),
a JOIN's members named `label.column`; "Unknown correlation name: z" (IRealSource::
AddColumn in yql/essentials/sql/v1/source.cpp, and sql_ut.cpp's
ErrorsInOrderByWhenColumnIsMissingInProjection), all in ydb-platform/ydb.
"""

from __future__ import annotations

import pytest
from yql_alike import dev_and_fake, fails_exactly_alike

from yt_pipeline.yql_join_on import unknown_join_label
from yt_pipeline.yql_members import mistype
from yt_pipeline.yql_positions import code_tokens
from yt_pipeline_dev.client import DevClient

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")

TABLES = {"//tmp/ev": [{"user": "a", "amount": 1.5, "day": 1}],
          "//tmp/o": [{"user": "a", "total": 3}]}


@pytest.fixture
def both(prod_client, tmp_path):
    return dev_and_fake(prod_client, tmp_path, TABLES)


@pytest.mark.parametrize("query, line", [
    # SELECT, WHERE, GROUP BY and ORDER BY: at the column, the hint YQL's
    ("SELECT SUM(amout) AS s FROM `//tmp/ev`",
     "YQL: 1:12: Member not found: amout. Did you mean amount?"),
    ("SELECT user\nFROM `//tmp/ev`\nWHERE  nope > 1", "YQL: 3:8: Member not found: nope"),
    ("SELECT user, COUNT(*) AS c FROM `//tmp/ev`\nGROUP BY usr",
     "YQL: 2:10: Member not found: usr. Did you mean user?"),
    ("SELECT user FROM `//tmp/ev` ORDER BY dya DESC",
     "YQL: 1:38: Member not found: dya. Did you mean day?"),
    # DuckDB's candidate for a name nothing like it is no hint of YQL's
    ("SELECT no_such FROM `//tmp/ev`", "YQL: 1:8: Member not found: no_such"),
    # the use that fails, not the first of the name: a later statement, a backticked name
    ("SELECT amount FROM `//tmp/ev`;\nSELECT 'nope' AS s, `nope` FROM `//tmp/ev`",
     "YQL: 2:21: Member not found: nope"),
    # a qualified column, from where its label stands; in a JOIN, named with its label
    ("SELECT e.amout FROM `//tmp/ev` AS e",
     "YQL: 1:8: Member not found: amout. Did you mean amount?"),
    ("SELECT e.user, o.totl FROM `//tmp/ev` AS e\n  JOIN `//tmp/o` AS o ON e.user = o.user",
     "YQL: 1:16: Member not found: o.totl. Did you mean o.total?"),
    # a correlation name no source has
    ("SELECT user FROM `//tmp/ev` AS e ORDER BY x.day",
     "YQL: 1:43: Unknown correlation name: x"),
])
def test_an_unknown_column_fails_alike_in_yqls_words_at_the_name(both, query, line):
    fails_exactly_alike(both, query, line)


# A JOIN's ON refuses a correlation name none of its sources has when the query is
# translated, at the `=` (or `==`) of the equality that names it, in YQL's own spelling
# "corellation" (TJoinBase::InitKeysOrFilters in yql/essentials/sql/v1/join.cpp; sql_ut.cpp's
# SelectJoinMissingCorrName places that function's issues at the `==`: `... on a.key == key`
# gives `<main>:1:65`, where `==` stands), ydb-platform/ydb.
@pytest.mark.parametrize("query, line", [
    ("SELECT o.user, e.amount FROM `//tmp/ev` AS e\n  JOIN `//tmp/o` AS o ON e.user = x.user",
     "YQL: 2:33: JOIN: unknown corellation name: x"),
    ("SELECT o.user FROM `//tmp/ev` AS e JOIN `//tmp/o` AS o\n"
     "ON e.user == o.user AND x.day == e.day",
     "YQL: 2:31: JOIN: unknown corellation name: x"),
    # the label DuckDB refuses is the one in ON, not an earlier use in SELECT
    ("SELECT x.user FROM `//tmp/ev` AS e JOIN `//tmp/o` AS o ON x.user = o.user",
     "YQL: 1:66: JOIN: unknown corellation name: x"),
])
def test_an_unknown_correlation_name_in_join_on_fails_alike_at_its_equality(both, query, line):
    fails_exactly_alike(both, query, line)


def _equality_for(query: str, reference: str) -> str | None:
    [at] = [t for t in code_tokens(query) if t.text == reference]
    found = unknown_join_label(query, at, reference.split(".")[0])
    return None if found is None else query[found.start:]


def test_only_an_on_of_equalities_between_columns_is_told_in_those_words():
    on = "SELECT 1 FROM `//a` AS a JOIN `//b` AS b ON "
    assert _equality_for(on + "a.k = b.k AND a.j = z.j", "z.j") == "= z.j"
    assert _equality_for(on + "a.k = b.k AND a.`j` = z.j", "z.j") == "= z.j"
    # a non-equality, a bracket or an expression draws another issue of YQL's first
    assert _equality_for(on + "a.k < z.k", "z.k") is None
    assert _equality_for(on + "(a.k = z.k)", "z.k") is None
    assert _equality_for(on + "a.k = z.k + 1", "z.k") is None
    # a later source's label is out of the join's scope, which YQL words otherwise
    assert _equality_for(on + "a.k = c.k JOIN `//c` AS c ON b.k = c.j", "c.k") is None


def test_the_hint_is_the_first_member_by_name_fewer_than_three_edits_away():
    # FindMistype walks the struct's members, sorted by name
    assert mistype("amout", ["user", "amount", "a"]) == "amount"
    assert mistype("usr", ["user", "us"]) == "us"
    assert mistype("nope", ["amount", "a", "b"]) is None
    assert mistype("abcde", ["ab"]) is None  # 3 edits: too far


STAGE = """
from yt_pipeline import BaseStage


class Report(BaseStage):
    def run(self, debug):
        self.deps.yt_client.run_yql(
            "INSERT INTO `//home/rep/out` WITH TRUNCATE\\n"
            "SELECT k,\\n    SUM(valeu) AS v\\nFROM `//home/rep/src`\\nGROUP BY k")
        return debug
"""
SOURCE = [{"k": 1, "value": 2}]


def _stage_error(result) -> str:
    [error] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    return error


def test_a_yql_stage_prints_the_same_member_error_in_dev_and_in_prod(make_pipeline, fake_yt,
                                                                     run_cli, monkeypatch):
    from yt_pipeline_prod.testing import TEST_PROD_OPTIONS, TEST_TOKEN

    dev_root = make_pipeline({"stages/report/stage.py": STAGE},
                             config={"pipeline": {"mode": "dev"},
                                     "stages": {"enabled_stages": ["report"]}})
    DevClient(dev_root / ".dev").write_table("//home/rep/src", SOURCE)
    in_dev = run_cli("run", dev_root)
    assert in_dev.exit_code != 0
    monkeypatch.delenv("YT_PROXY", raising=False)
    monkeypatch.delenv("YT_TOKEN", raising=False)
    fake_yt.put_table("//home/rep/src", SOURCE)
    prod_root = make_pipeline({
        "configs/secrets.env": f"YT_PROXY={fake_yt.url}\nYT_TOKEN={TEST_TOKEN}\n",
        "stages/report/stage.py": STAGE,
    }, config={"pipeline": {"mode": "prod", "prod": TEST_PROD_OPTIONS},
               "stages": {"enabled_stages": ["report"]}})
    in_prod = run_cli("run", prod_root)
    assert in_prod.exit_code != 0
    (query,) = fake_yt.state.queries.values()
    expected = "YQL: 3:9: Member not found: valeu. Did you mean value?"
    assert _stage_error(in_dev) == f"error: stage report failed: {expected}", in_dev.output
    assert _stage_error(in_prod) == (f"error: stage report failed: YQL query {query.id} "
                                     f"failed: {expected}"), in_prod.output

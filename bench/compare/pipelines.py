"""The same work written twice: once as a yt-framework user writes it (its documented layout
and APIs), once as a yt-pipeline user does. Each function returns {relative path: text}.

Stages record their own wall time in the JSON-lines file named by BENCH_TIMINGS, so one
process run gives the time of every phase.
"""

from __future__ import annotations

import textwrap

TABLE_IN = "//tmp/bench/compare/rows"
TABLE_DOUBLED = "//tmp/bench/compare/doubled"
TABLE_BUCKETS = "//tmp/bench/compare/by_bucket"

# A timing helper pasted into each stage file: both frameworks get the same one.
_TIMER = '''
import json as _json
import os as _os
import time as _time


def _record(phase, started):
    with open(_os.environ["BENCH_TIMINGS"], "a") as out:
        out.write(_json.dumps({"phase": phase, "seconds": _time.perf_counter() - started}) + "\\n")
'''

GROUP_BY = f"""
INSERT INTO `{TABLE_BUCKETS}` WITH TRUNCATE
SELECT score % 10 AS bucket, COUNT(*) AS n, SUM(score) AS total
FROM `{TABLE_DOUBLED}`
GROUP BY score % 10
"""


def _dedent(files: dict[str, str]) -> dict[str, str]:
    out = {}
    for path, text in files.items():
        timed = text.startswith(_TIMER)
        body = textwrap.dedent(text[len(_TIMER):] if timed else text).lstrip()
        out[path] = (_TIMER.lstrip() + "\n" + body) if timed else body
    return out


def _config(enabled: list[str], extra: str = "") -> str:
    names = "\n".join(f"    - {name}" for name in enabled)
    return (
        f"stages:\n  enabled_stages:\n{names}\n\npipeline:\n  mode: dev\n"
        f"  build_folder: //tmp/bench/compare/build\n{extra}"
    )


# -- (1) data: write, map doubling a field, YQL group-by, read back ---------------------------

def _data_configs(rows: int) -> dict[str, str]:
    return {
        "stages/write_rows/config.yaml": f"client:\n  output_table: {TABLE_IN}\n  rows: {rows}\n",
        "stages/double/config.yaml": (
            "job:\n  factor: 2\n"
            "client:\n  operations:\n    map:\n"
            f"      input_table: {TABLE_IN}\n      output_table: {TABLE_DOUBLED}\n"
            "      resources:\n        job_count: 2\n        memory_limit_gb: 1\n"
        ),
        "stages/group_by/config.yaml": f"client:\n  output_table: {TABLE_BUCKETS}\n",
        "stages/read_back/config.yaml": (
            f"client:\n  input_table: {TABLE_DOUBLED}\n  buckets_table: {TABLE_BUCKETS}\n"
            f"  rows: {rows}\n"
        ),
    }


DATA_STAGES = ["write_rows", "double", "group_by", "read_back"]


def ytf_data(rows: int) -> dict[str, str]:
    files = _data_configs(rows)
    files["configs/config.yaml"] = _config(DATA_STAGES)
    files["pipeline.py"] = """
        from yt_framework.core.pipeline import DefaultPipeline

        if __name__ == "__main__":
            DefaultPipeline.main()
    """
    files["stages/write_rows/stage.py"] = _TIMER + """
        from yt_framework.core.pipeline import DebugContext
        from yt_framework.core.stage import BaseStage


        class WriteRows(BaseStage):
            def run(self, debug: DebugContext) -> DebugContext:
                started = _time.perf_counter()
                n = self.config.client.rows
                rows = [{"id": i, "name": f"user{i}", "score": i % 1000} for i in range(n)]
                table = self.config.client.output_table
                self.deps.yt_client.write_table(table_path=table, rows=rows)
                _record("write", started)
                return debug
    """
    files["stages/double/stage.py"] = _TIMER + """
        from yt_framework.core.pipeline import DebugContext
        from yt_framework.core.stage import BaseStage
        from yt_framework.operations import run_map


        class Double(BaseStage):
            def run(self, debug: DebugContext) -> DebugContext:
                started = _time.perf_counter()
                op = self.config.client.operations.map
                if not run_map(context=self.context, operation_config=op):
                    raise RuntimeError("Map operation failed")
                _record("map", started)
                return debug
    """
    # The mapper as yt-framework's map guide writes one: json per line, print with flush.
    files["stages/double/src/mapper.py"] = """
        import json
        import sys

        from omegaconf import OmegaConf
        from ytjobs.config import get_config_path


        def main():
            config = OmegaConf.load(get_config_path())
            factor = config.job.factor
            for line in sys.stdin:
                row = json.loads(line)
                row["score"] = row["score"] * factor
                print(json.dumps(row), flush=True)


        if __name__ == "__main__":
            main()
    """
    files["stages/group_by/stage.py"] = _TIMER + f'''
        from yt_framework.core.pipeline import DebugContext
        from yt_framework.core.stage import BaseStage

        QUERY = {GROUP_BY!r}


        class GroupBy(BaseStage):
            def run(self, debug: DebugContext) -> DebugContext:
                started = _time.perf_counter()
                self.deps.yt_client.run_yql(QUERY)
                _record("yql", started)
                return debug
    '''
    files["stages/read_back/stage.py"] = _TIMER + _READ_BACK.replace(
        "IMPORTS",
        "from yt_framework.core.pipeline import DebugContext\n"
        "        from yt_framework.core.stage import BaseStage",
    )
    return _dedent(files)


_READ_BACK = """
        IMPORTS


        class ReadBack(BaseStage):
            def run(self, debug: DebugContext) -> DebugContext:
                started = _time.perf_counter()
                yt = self.deps.yt_client
                count = total = 0
                for row in yt.read_table(self.config.client.input_table):
                    count += 1
                    total += row["score"]
                n = self.config.client.rows
                expected = 2 * sum(i % 1000 for i in range(n))
                if count != n or total != expected:
                    raise RuntimeError(f"read {count} rows, sum {total}; expected {n}, {expected}")
                buckets = list(yt.read_table(self.config.client.buckets_table))
                if sum(b["n"] for b in buckets) != n:
                    raise RuntimeError(f"group-by counted {sum(b['n'] for b in buckets)} rows")
                _record("read", started)
                return debug
"""


def ours_data(rows: int) -> dict[str, str]:
    files = _data_configs(rows)
    files["configs/config.yaml"] = _config(DATA_STAGES)
    files["stages/write_rows/stage.py"] = _TIMER + """
        from yt_pipeline import BaseStage, DebugContext


        class WriteRows(BaseStage):
            def run(self, debug: DebugContext) -> DebugContext:
                started = _time.perf_counter()
                n = self.config.client.rows
                rows = ({"id": i, "name": f"user{i}", "score": i % 1000} for i in range(n))
                self.deps.yt_client.write_table(self.config.client.output_table, rows)
                _record("write", started)
                return debug
    """
    files["stages/double/stage.py"] = _TIMER + """
        from yt_pipeline import BaseStage, DebugContext
        from yt_pipeline.operations import run_map


        class Double(BaseStage):
            def run(self, debug: DebugContext) -> DebugContext:
                started = _time.perf_counter()
                run_map(self, self.config.client.operations.map)
                _record("map", started)
                return debug
    """
    files["stages/double/src/mapper.py"] = """
        from ytjobs import load_config, read_rows, write_rows


        def main():
            factor = load_config()["job"]["factor"]
            write_rows({**row, "score": row["score"] * factor} for row in read_rows())


        if __name__ == "__main__":
            main()
    """
    files["stages/group_by/stage.py"] = _TIMER + f'''
        from yt_pipeline import BaseStage, DebugContext

        QUERY = {GROUP_BY!r}


        class GroupBy(BaseStage):
            def run(self, debug: DebugContext) -> DebugContext:
                started = _time.perf_counter()
                self.deps.yt_client.run_yql(QUERY)
                _record("yql", started)
                return debug
    '''
    files["stages/read_back/stage.py"] = _TIMER + _READ_BACK.replace(
        "IMPORTS", "from yt_pipeline import BaseStage, DebugContext"
    )
    return _dedent(files)


# -- (2) hello world -------------------------------------------------------------------------

_HELLO_BODY = """
                def run(self, debug: DebugContext) -> DebugContext:
                    table = self.config.client.output_table
                    self.deps.yt_client.write_table(table, [{"greeting": "Hello, world!"}])
                    self.logger.info("wrote %s rows", self.deps.yt_client.row_count(table))
                    return debug
"""


def ytf_hello() -> dict[str, str]:
    return _dedent({
        "configs/config.yaml": _config(["hello"]),
        "pipeline.py": """
            from yt_framework.core.pipeline import DefaultPipeline

            if __name__ == "__main__":
                DefaultPipeline.main()
        """,
        "stages/hello/config.yaml": "client:\n  output_table: //tmp/bench/compare/hello\n",
        "stages/hello/stage.py": """
            from yt_framework.core.pipeline import DebugContext
            from yt_framework.core.stage import BaseStage


            class Hello(BaseStage):""" + _HELLO_BODY,
    })


def ours_hello() -> dict[str, str]:
    return _dedent({
        "configs/config.yaml": _config(["hello"]),
        "stages/hello/config.yaml": "client:\n  output_table: //tmp/bench/compare/hello\n",
        "stages/hello/stage.py": """
            from yt_pipeline import BaseStage, DebugContext


            class Hello(BaseStage):""" + _HELLO_BODY,
    })


# -- (3) eight independent stages that each wait one second -----------------------------------

SLEEPERS = [f"wait_{i}" for i in range(1, 9)]
_SLEEP_BODY = """
                def run(self, debug: DebugContext) -> DebugContext:
                    time.sleep(1.0)
                    return debug
"""


def ytf_sleepers() -> dict[str, str]:
    # yt-framework runs enabled_stages one after another: it has no way to say they are
    # independent.
    files = {"configs/config.yaml": _config(SLEEPERS), "pipeline.py": ytf_hello()["pipeline.py"]}
    for name in SLEEPERS:
        files[f"stages/{name}/config.yaml"] = "{}\n"
        files[f"stages/{name}/stage.py"] = """
            import time

            from yt_framework.core.pipeline import DebugContext
            from yt_framework.core.stage import BaseStage


            class Wait(BaseStage):""" + _SLEEP_BODY
    return _dedent(files)


def ours_sleepers() -> dict[str, str]:
    graph = "\n".join(f"    {name}: []" for name in SLEEPERS)
    files = {
        "configs/config.yaml": (
            f"stages:\n  graph:\n{graph}\n\npipeline:\n  mode: dev\n  workers: 8\n"
        )
    }
    for name in SLEEPERS:
        files[f"stages/{name}/stage.py"] = """
            import time

            from yt_pipeline import BaseStage, DebugContext


            class Wait(BaseStage):""" + _SLEEP_BODY
    return _dedent(files)

from yt_pipeline import BaseStage, DebugContext


class BigSelect(BaseStage):
    """A SELECT whose result is larger than one query-tracker result (10,000 rows)."""

    def run(self, debug: DebugContext) -> DebugContext:
        cfg, yt = self.config.client, self.deps.yt_client
        rows = yt.run_yql(f"SELECT n, square FROM `{cfg.input_table}` ORDER BY n;")
        yt.write_table(cfg.output_table, rows)
        debug["selected"] = len(rows)
        return debug

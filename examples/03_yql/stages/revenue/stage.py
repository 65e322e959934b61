from yt_pipeline import BaseStage, DebugContext


class Revenue(BaseStage):
    """One YQL query writes a table; a second one (a bare SELECT) returns rows."""

    def run(self, debug: DebugContext) -> DebugContext:
        yt = self.deps.yt_client
        source, target = self.config.client.input_table, self.config.client.output_table
        yt.run_yql(f"""
            PRAGMA yt.InferSchema;
            INSERT INTO `{target}` WITH TRUNCATE
            SELECT category, COUNT(*) AS orders, SUM(amount) AS revenue
            FROM `{source}`
            GROUP BY category
            ORDER BY category;
        """)
        best = yt.run_yql(f"""
            SELECT customer, SUM(amount) AS spent FROM `{source}`
            GROUP BY customer ORDER BY spent DESC LIMIT 1;
        """)
        debug["categories"] = yt.row_count(target)
        debug["best_customer"] = best[0]["customer"]
        return debug

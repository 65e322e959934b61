from yt_pipeline import BaseStage, DebugContext


class Countries(BaseStage):
    """YQL over a schemaless table whose `country` column first appears at row 6."""

    def run(self, debug: DebugContext) -> DebugContext:
        cfg = self.config.client
        self.deps.yt_client.run_yql(f"""
            INSERT INTO `{cfg.output_table}` WITH TRUNCATE
            SELECT country, COUNT(*) AS events FROM `{cfg.input_table}`
            WHERE country IS NOT NULL GROUP BY country ORDER BY country;
        """)
        return debug

from yt_pipeline import BaseStage, DebugContext


class CreateInputStage(BaseStage):
    def run(self, debug: DebugContext) -> DebugContext:
        self.logger.info("Creating the input table")
        rows = [
            {"id": 1, "text": "alpha beta", "value": 10},
            {"id": 2, "text": "gamma", "value": 20},
            {"id": 3, "text": "delta epsilon", "value": 30},
        ]
        self.deps.yt_client.write_table(
            table_path=self.config.client.input_table,
            rows=rows,
        )
        return debug

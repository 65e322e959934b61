from yt_pipeline import BaseStage, DebugContext
from yt_pipeline.operations import run_map


class Greet(BaseStage):
    """Runs src/mapper.py over the users table, in two jobs; output keeps the input order."""

    def run(self, debug: DebugContext) -> DebugContext:
        operation = self.config.client.operations.map
        run_map(self, operation)
        debug["greetings"] = self.deps.yt_client.row_count(operation.output_table)
        return debug

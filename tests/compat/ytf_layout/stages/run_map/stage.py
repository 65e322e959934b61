from yt_pipeline import BaseStage, DebugContext
from yt_pipeline.operations import run_map


class RunMapStage(BaseStage):
    def run(self, debug: DebugContext) -> DebugContext:
        success = run_map(
            context=self.context,
            operation_config=self.config.client.operations.map,
        )
        if not success:
            raise RuntimeError("Map operation failed")
        output = self.config.client.operations.map.output_table
        debug["output_rows"] = self.deps.yt_client.row_count(output)
        return debug

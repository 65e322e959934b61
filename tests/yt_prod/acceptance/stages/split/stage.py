from yt_pipeline import BaseStage, DebugContext
from yt_pipeline.operations import run_map


class Split(BaseStage):
    """A map with two output tables: clicks to the first, views to the second."""

    def run(self, debug: DebugContext) -> DebugContext:
        run_map(self, self.config.client.operations.map)
        return debug

from yt_pipeline import BaseStage, DebugContext
from yt_pipeline.operations import run_reduce


class Join(BaseStage):
    """A reduce over two unsorted tables that tells their rows apart by table index."""

    def run(self, debug: DebugContext) -> DebugContext:
        run_reduce(self, self.config.client.operations.reduce)
        return debug

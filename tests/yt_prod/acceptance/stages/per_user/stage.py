from yt_pipeline import BaseStage, DebugContext
from yt_pipeline.operations import run_reduce


class PerUser(BaseStage):
    """A reduce straight over an unsorted table."""

    def run(self, debug: DebugContext) -> DebugContext:
        run_reduce(self, self.config.client.operations.reduce)
        return debug

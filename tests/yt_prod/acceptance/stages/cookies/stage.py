from yt_pipeline import BaseStage, DebugContext
from yt_pipeline.operations import run_vanilla


class Cookies(BaseStage):
    """Three vanilla jobs; each says its YT_JOB_COOKIE on stderr and prints text on stdout."""

    def run(self, debug: DebugContext) -> DebugContext:
        run_vanilla(self, self.config.client.operations.vanilla)
        return debug

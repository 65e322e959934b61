from yt_pipeline import BaseStage, DebugContext
from yt_pipeline.operations import run_vanilla


class Crunch(BaseStage):
    """Runs src/vanilla.py as two tasks; in dev their output lands in .dev/crunch.log."""

    def run(self, debug: DebugContext) -> DebugContext:
        result = run_vanilla(self, self.config.client.operations.vanilla)
        debug["vanilla_seconds"] = round(result.duration_s, 3)
        return debug

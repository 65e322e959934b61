from yt_pipeline import BaseStage, DebugContext
from yt_pipeline.operations import run_vanilla


class RunVanillaStage(BaseStage):
    def run(self, debug: DebugContext) -> DebugContext:
        success = run_vanilla(
            context=self.context,
            operation_config=self.config.client.operations.vanilla,
        )
        if not success:
            raise RuntimeError("Vanilla operation failed")
        return debug

from yt_pipeline import BaseStage, DebugContext

TEXT = """the quick brown fox
jumps over the lazy dog
the dog sleeps
a fox runs"""


class LoadText(BaseStage):
    def run(self, debug: DebugContext) -> DebugContext:
        rows = ({"line": line} for line in TEXT.splitlines())
        debug["lines"] = self.deps.yt_client.write_table(self.config.client.output_table, rows)
        return debug

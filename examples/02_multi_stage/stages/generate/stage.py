from yt_pipeline import BaseStage, DebugContext


class Generate(BaseStage):
    """Writes the numbers 1..count and tells the next stage where they are."""

    def run(self, debug: DebugContext) -> DebugContext:
        table = self.config.client.output_table
        rows = ({"n": n, "square": n * n} for n in range(1, self.config.client.count + 1))
        debug["generated"] = self.deps.yt_client.write_table(table, rows)
        debug["numbers_table"] = table
        return debug

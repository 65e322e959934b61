from yt_pipeline import BaseStage, DebugContext


class KeepEven(BaseStage):
    """Reads the table the previous stage named in `debug`, keeps the even numbers."""

    def run(self, debug: DebugContext) -> DebugContext:
        yt = self.deps.yt_client
        rows = (row for row in yt.read_table(debug["numbers_table"]) if row["n"] % 2 == 0)
        debug["kept"] = yt.write_table(self.config.client.output_table, rows)
        debug["even_table"] = self.config.client.output_table
        return debug

from yt_pipeline import BaseStage, DebugContext


class Hello(BaseStage):
    """Writes one greeting per configured name, then reads the table back."""

    def run(self, debug: DebugContext) -> DebugContext:
        yt = self.deps.yt_client
        table = self.config.client.output_table
        rows = ({"id": i, "greeting": f"Hello, {name}!"} for i, name in enumerate(self.config.client.names))
        yt.write_table(table, rows)
        for row in yt.read_table(table):
            print(row["id"], row["greeting"])
        debug["greetings"] = yt.row_count(table)
        return debug

from yt_pipeline import BaseStage, DebugContext


class Summarize(BaseStage):
    """Writes one row from what the earlier stages reported and what the table holds."""

    def run(self, debug: DebugContext) -> DebugContext:
        yt = self.deps.yt_client
        squares = sum(row["square"] for row in yt.read_table(debug["even_table"]))
        summary = {
            "generated": debug["generated"],
            "kept": debug["kept"],
            "sum_of_even_squares": squares,
        }
        yt.write_table(self.config.client.output_table, [summary])
        self.logger.info("summary: %s", summary)
        debug["summary"] = summary
        return debug

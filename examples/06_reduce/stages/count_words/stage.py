from yt_pipeline import BaseStage, DebugContext
from yt_pipeline.operations import run_map_reduce, run_sort


class CountWords(BaseStage):
    """map_reduce counts the words (reducers see each word's rows together, words sorted),
    then sort orders the counts."""

    def run(self, debug: DebugContext) -> DebugContext:
        operations = self.config.client.operations
        run_map_reduce(self, operations.map_reduce)
        run_sort(self, operations.sort)
        debug["distinct_words"] = self.deps.yt_client.row_count(operations.sort.output_table)
        return debug

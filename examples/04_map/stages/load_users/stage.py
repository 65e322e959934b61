from yt_pipeline import BaseStage, DebugContext

NAMES = ["ada", "grace", "linus", "guido", "barbara", "ken"]


class LoadUsers(BaseStage):
    def run(self, debug: DebugContext) -> DebugContext:
        count = self.config.client.count
        rows = ({"id": i, "name": NAMES[i % len(NAMES)]} for i in range(count))
        debug["users"] = self.deps.yt_client.write_table(self.config.client.output_table, rows)
        return debug

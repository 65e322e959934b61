from yt_pipeline import BaseStage, DebugContext

ORDERS = [
    ("alice", "books", 12.5),
    ("bob", "games", 60.0),
    ("alice", "games", 30.0),
    ("carol", "books", 7.5),
    ("bob", "books", 20.0),
]


class LoadOrders(BaseStage):
    def run(self, debug: DebugContext) -> DebugContext:
        rows = (
            {"order_id": i, "customer": customer, "category": category, "amount": amount}
            for i, (customer, category, amount) in enumerate(ORDERS, start=1)
        )
        debug["orders"] = self.deps.yt_client.write_table(self.config.client.output_table, rows)
        return debug

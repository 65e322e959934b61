from yt_pipeline import BaseStage, DebugContext

USERS = ["ann", "bob", "cyd", "dee"]


class Load(BaseStage):
    """Unsorted inputs: events whose `country` column first appears after row 1, users, and
    a table too big for one query result page."""

    def run(self, debug: DebugContext) -> DebugContext:
        yt, tables = self.deps.yt_client, self.config.client
        events = []
        for i in range(40):
            event = {"id": i, "user": USERS[(i * 7) % 4], "kind": "click" if i % 3 else "view",
                     "ms": (i * 37) % 101}
            if i >= 5:  # not in the first rows: a schema inferred from row 1 lacks it
                event["country"] = ["nl", "de", "fr"][i % 3]
            events.append(event)
        yt.write_table(tables.events, events)
        yt.write_table(tables.users, [{"user": u, "age": 20 + 3 * n}
                                      for n, u in reversed(list(enumerate(USERS)))])
        yt.write_table(tables.big, ({"n": n, "square": n * n} for n in range(25_000)))
        return debug

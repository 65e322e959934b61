from ytjobs import groups, read_rows, write_rows

write_rows({"user": user, "events": len(rows), "ms": sum(r["ms"] for r in rows)}
           for user, rows in ((u, list(g)) for u, g in groups(read_rows(), "user")))

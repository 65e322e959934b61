"""Rows arrive sorted by word; each group is one word's rows."""

from ytjobs import groups, read_rows, write_rows

write_rows(
    {"word": word, "count": sum(row["count"] for row in rows)}
    for word, rows in groups(read_rows(), "word")
)

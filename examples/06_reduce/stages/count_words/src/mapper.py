"""One row per word of each line."""

from ytjobs import read_rows, write_rows

write_rows({"word": word, "count": 1} for row in read_rows() for word in row["line"].split())

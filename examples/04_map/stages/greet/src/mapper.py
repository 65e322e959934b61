"""Adds a greeting to every user. Runs unchanged as a local job (dev) and as a YT job (prod)."""

import os

from ytjobs import get_logger, load_config, read_rows, write_rows

log = get_logger("greet")
greeting = load_config()["greeting"]
job = int(os.environ.get("YT_JOB_INDEX", "0"))


def greet(rows):
    for row in rows:
        yield {**row, "greeting": f"{greeting}, {row['name'].capitalize()}!", "job": job}


count = write_rows(greet(read_rows()))
log.info("job %d greeted %d users", job, count)

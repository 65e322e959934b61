import os
import sys

cookie = int(os.environ["YT_JOB_COOKIE"])
print(f"job cookie={cookie} of {sys.argv[0].rsplit('/', 1)[-1]}", file=sys.stderr)
print(f"plain text, not a row: part {cookie}")  # no output table: stdout is not rows

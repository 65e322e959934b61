"""`yt-pipeline init NAME`: a new pipeline folder that runs in dev straight away."""

from __future__ import annotations

from pathlib import Path

from yt_pipeline.errors import UsageError

FILES = {
    "pipeline.py": '''\
"""Run with `python pipeline.py` or `yt-pipeline run .`."""
from yt_pipeline import DefaultPipeline

if __name__ == "__main__":
    DefaultPipeline.main()
''',
    "configs/config.yaml": '''\
pipeline:
  mode: dev                      # dev: runs here, tables in .dev/; prod: a YT cluster
  build_folder: //tmp/{name}/build
stages:
  enabled_stages: [process]
''',
    "configs/secrets.env": '''\
# Credentials for prod mode. Never commit this file.
# YT_PROXY=your-cluster.example.com
# YT_TOKEN=...
''',
    ".gitignore": ".dev/\n.build/\nconfigs/secrets.env\nstate*.yml\n.runs/\n",
    "stages/process/stage.py": '''\
from yt_pipeline import BaseStage, DebugContext
from yt_pipeline.operations import run_map


class Process(BaseStage):
    """Writes a few rows, doubles a field with a map operation, counts the result."""

    def run(self, debug: DebugContext) -> DebugContext:
        yt = self.deps.yt_client
        client = self.config.client
        yt.write_table(client.input_table, ({{"id": i, "value": i * 10}} for i in range(5)))
        run_map(self, client.operations.map)
        debug["rows"] = yt.row_count(client.output_table)
        for row in yt.read_table(client.output_table):
            self.logger.info("row %s", row)
        return debug
''',
    "stages/process/config.yaml": '''\
client:
  input_table: //tmp/{name}/input
  output_table: //tmp/{name}/output
  operations:
    map:
      input_table: //tmp/{name}/input
      output_table: //tmp/{name}/output
      resources:
        memory_limit_gb: 1
        job_count: 1
''',
    "stages/process/src/mapper.py": '''\
"""A map job: JSON rows on stdin, JSON rows on stdout, the same in dev and prod."""
from ytjobs import read_rows, write_rows


def double(rows):
    for row in rows:
        row["value"] = row["value"] * 2
        yield row


if __name__ == "__main__":
    write_rows(double(read_rows()))
''',
}


def create_pipeline(target: Path) -> Path:
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} already exists and is not a folder")
    if target.exists() and any(target.iterdir()):
        raise UsageError(f"{target} already exists and is not empty")
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in target.resolve().name) or "pipeline"
    try:
        for relative, text in FILES.items():
            path = target / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text.replace("{name}", name).replace("{{", "{").replace("}}", "}"))
            if path.name == "secrets.env":  # the token goes there: for its owner's eyes only
                path.chmod(0o600)
    except OSError as error:  # a parent that is a file, a folder we may not write in
        raise UsageError(f"cannot create {target}: {error.strerror or error}") from None
    return target

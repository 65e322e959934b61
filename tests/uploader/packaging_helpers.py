"""Test material for the uploader: a pipeline with job code, extra modules, extra folders,
ignore rules and a secret, and helpers to build and read its archive."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from types import SimpleNamespace

from yt_pipeline.config import load_config

SECRET = "tok-7f3a-NEVER-PACKED-91c2"

STAGE = """
from yt_pipeline import BaseStage


class {cls}(BaseStage):
    def run(self, debug):
        return debug
"""

MAPPER = """
import os
import sys

import helpers
import textutil
import ytjobs
from ytjobs import get_config_path, read_rows, write_rows

config_text = get_config_path().read_text()
label = [line.split(":", 1)[1].strip() for line in config_text.splitlines()
         if line.strip().startswith("label:")][0]


def rows():
    for row in read_rows():
        row["label"] = label
        row["shout"] = textutil.shout(helpers.greet(row["name"]))
        row["ytjobs_from"] = os.path.dirname(os.path.dirname(ytjobs.__file__))
        row["argv"] = sys.argv[1:]
        yield row


write_rows(rows())
"""

FILES = {
    "stages/clean/stage.py": STAGE.format(cls="Clean"),
    "stages/clean/config.yaml": (
        "label: from-clean-config\n"
        "client:\n"
        "  operations:\n"
        "    map: {input_table: //tmp/in, output_table: //tmp/out}\n"
        "    tidy: {input_table: //tmp/in, output_table: //tmp/out2, script: src/tidy.py}\n"
    ),
    "stages/clean/src/mapper.py": MAPPER,
    "stages/clean/src/tidy.py": "print('tidy')\n",
    "stages/clean/src/util/__init__.py": "",
    "stages/clean/src/__pycache__/mapper.cpython-311.pyc": "not really bytecode",
    "stages/clean/src/stale.pyc": "old",
    "stages/clean/requirements.txt": "# nothing needed\n",
    "stages/clean/notes.md": "not job code: stays out of the archive\n",
    "stages/report/stage.py": STAGE.format(cls="Report"),
    "stages/report/config.yaml": "client: {table: //tmp/out}\n",
    "helpers/__init__.py": "def greet(name):\n    return 'hello ' + name\n",
    "helpers/big.tmp": "scratch\n",
    "helpers/.ytignore": "*.tmp\n",
    "textutil.py": "def shout(text):\n    return text.upper()\n",
    "data/lookup/.ytignore": "*.tmp\nprivate/\n!keep.tmp\n",
    "data/lookup/codes.csv": "a,1\n",
    "data/lookup/draft.tmp": "draft\n",
    "data/lookup/keep.tmp": "kept by a negated rule\n",
    "data/lookup/private/key.txt": "excluded folder\n",
    "data/lookup/nested/deep.csv": "b,2\n",
    "data/lookup/nested/secrets.env": f"YT_TOKEN={SECRET}\n",
    "assets/logo.txt": "logo\n",
    "assets/.dev/tmp/x.jsonl": "{}\n",
    "configs/secrets.env": f"YT_TOKEN={SECRET}\n",
    ".dev/tmp/in.jsonl": '{"name": "x"}\n',
}

CONFIG = {
    "pipeline": {
        "mode": "dev",
        "upload_modules": ["helpers", "textutil"],
        "upload_paths": [{"source": "data/lookup", "target": "lookup"}, "assets"],
    },
    "stages": {"enabled_stages": ["clean", "report"]},
}


def stages_of(pipeline_dir: Path, names: list[str]) -> list[SimpleNamespace]:
    """What the packaging hook receives for each enabled stage (name and folder)."""
    folder = pipeline_dir / "stages"
    return [SimpleNamespace(name=n, stage_dir=(folder / n).resolve()) for n in names]


def build(pipeline_dir: Path, overrides: tuple[str, ...] = (), names: list[str] | None = None):
    from yt_pipeline_uploader.build import package_code

    settings = load_config(pipeline_dir, overrides=overrides)
    wanted = names or settings.get("stages.enabled_stages")
    return package_code(pipeline_dir, settings, stages_of(pipeline_dir, wanted))


def archive_files(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive, "r:gz") as tar:
        return {
            m.name: tar.extractfile(m).read()  # type: ignore[union-attr]
            for m in tar.getmembers()
        }


def make_tar(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def make_wheel(folder: Path, name: str, module_text: str) -> Path:
    """A minimal pure-Python wheel, installable by pip without any index."""
    import base64
    import hashlib
    import zipfile

    info = f"{name}-1.0.dist-info"
    files = {
        f"{name}.py": module_text.encode(),
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
    }

    def digest(data: bytes) -> str:
        raw = hashlib.sha256(data).digest()
        return "sha256=" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    record = "".join(f"{n},{digest(d)},{len(d)}\n" for n, d in files.items())
    wheel = folder / f"{name}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for member, data in files.items():
            archive.writestr(member, data)
        archive.writestr(f"{info}/RECORD", record + f"{info}/RECORD,,\n")
    return wheel

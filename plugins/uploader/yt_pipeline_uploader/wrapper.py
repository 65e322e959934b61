"""The shell script that starts one operation's job from the code archive.

It follows the contract in `yt_pipeline.packaging`: with YTP_CODE_DIR the code is already
extracted there; otherwise the archive (YTP_ARCHIVE, default source.tar.gz) is unpacked into
./_ytp_code, refusing any member that would land outside it. The stage's requirements.txt is
pip-installed into ./_ytp_deps unless YTP_SKIP_REQUIREMENTS=1. The script holds no secrets:
only the stage name and the script path.
"""

from __future__ import annotations

import shlex

from yt_pipeline.packaging import CODE_DIR_NAME
from yt_pipeline_uploader.jobcode import JobScript

DEPS_DIR_NAME = "_ytp_deps"

# Runs under the job's interpreter, which may be older than ours: plain Python 3 only, and no
# single quotes, as it sits inside a single-quoted shell word.
EXTRACT_PY = """
import os, sys, tarfile
archive, dest = sys.argv[1], sys.argv[2]
with tarfile.open(archive, "r:gz") as tar:
    members = tar.getmembers()
    for m in members:
        parts = m.name.replace(chr(92), "/").split("/")
        if m.name.startswith(("/", chr(92))) or ".." in parts or not (m.isfile() or m.isdir()):
            sys.exit("refusing archive member %r of %s: it could land outside %s"
                     % (m.name, archive, dest))
    os.makedirs(dest, exist_ok=True)
    if hasattr(tarfile, "data_filter"):
        tar.extractall(dest, members, filter="data")
    else:
        tar.extractall(dest, members)
""".strip()

TEMPLATE = """#!/bin/sh
# yt-pipeline job wrapper: stage {stage_comment}, script {script_comment}
set -eu
stage={stage}
script={script}
python="${{YTP_PYTHON:-python3}}"
if [ -n "${{YTP_CODE_DIR:-}}" ]; then
    code_dir="$YTP_CODE_DIR"
else
    code_dir="$PWD/{code_dir}"
    "$python" -c '{extract}' "${{YTP_ARCHIVE:-source.tar.gz}}" "$code_dir" >&2
fi
case "$code_dir" in /*) ;; *) code_dir="$PWD/$code_dir" ;; esac
search_path="$code_dir"
requirements="$code_dir/stages/$stage/requirements.txt"
if [ -f "$requirements" ] && [ "${{YTP_SKIP_REQUIREMENTS:-}}" != 1 ]; then
    if ! "$python" -c "import pip" >/dev/null 2>&1; then
        echo "yt-pipeline: stage $stage has a requirements.txt, but the job's $python has no" \
            "pip to install it (a cluster image's bare python3 has none): run the jobs in an" \
            "image that has these packages (resources.docker_image) with" \
            "YTP_SKIP_REQUIREMENTS=1 in the operation's env, or remove requirements.txt" >&2
        exit 1
    fi
    deps_dir="$PWD/{deps_dir}"
    # stdout carries the job's rows: pip must not write there
    "$python" -m pip install --quiet --disable-pip-version-check --no-input \\
        --target "$deps_dir" -r "$requirements" >&2
    search_path="$search_path:$deps_dir"
fi
PYTHONPATH="$search_path${{PYTHONPATH:+:$PYTHONPATH}}"
JOB_CONFIG_PATH="$code_dir/stages/$stage/config.yaml"
export PYTHONPATH JOB_CONFIG_PATH
exec "$python" "$code_dir/$script" "$@"
"""


def wrapper_text(job: JobScript) -> str:
    script = f"stages/{job.stage}/{job.script}"
    return TEMPLATE.format(
        stage_comment=_comment(job.stage),
        script_comment=_comment(script),
        stage=shlex.quote(job.stage),
        script=shlex.quote(script),
        code_dir=CODE_DIR_NAME,
        deps_dir=DEPS_DIR_NAME,
        extract=EXTRACT_PY,
    )


def _comment(text: str) -> str:
    return " ".join(text.split())

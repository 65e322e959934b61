"""The stage cache (opt-in: `pipeline.cache: true`, or `cache: true` in a stage's config).

A stage is skipped when its fingerprint equals the one of its last success and every table
it is known to write still exists: its declared outputs, its operations' output tables (those
its last success left behind) and the tables its last success wrote (`.dev/` deleted to
start from nothing takes them all; the stage must run again). The fingerprint hashes these
components (each is logged and kept in `.runs/stages.<mode>.json`, so a miss can say what
changed):

- `code`: the stage's own files: stage.py (the file of its class), everything under src/,
  requirements.txt, and job scripts its config names elsewhere in its folder (a function
  step: its source);
- `imports`: the local modules that code imports, at any depth, outside those files (a
  helper package beside stages/, a sibling stage's module), one digest per file;
- `uploads`: for a stage with job code, what its jobs find in the code archive besides
  their stage: ytjobs, each `upload_modules` and each `upload_paths` entry, one digest per
  entry, listed as the uploader packs them;
- `files`: each `file_paths` entry of its operation sections: a local file's content, a
  Cypress file's revision;
- `config`: the stage's config.yaml (a function step: the context values it takes);
- `secrets`: one digest of the secrets its operation sections' `env` passes to their jobs
  (job_secrets.py);
- `settings`: the pipeline settings (secrets are never part of them; workers and cache
  flags are left out because they do not change what a stage produces, and the stage list,
  `stages.enabled_stages` or `stages.graph`, because a stage's dependencies are its
  `upstream`; a stage's own settings under `stages.<name>` are in);
- `inputs`: each declared input table's fingerprint from the client (dev: a hash of the
  content; prod: the table's revision), so new data re-runs the stage;
- `reads`: the same for each table its operation sections read that `inputs:` does not name,
  but the stage's own (one it writes: declared, or written by its last success) and those
  missing as it starts;
- `upstream`: for each dependency not linked by a declared table (or linked, but whose last
  success also wrote a table the stage does not hash) (in a chain as in a graph),
  the run that last produced it (not its fingerprint, which stays the same when it runs
  again for a changed data file, a missing table or --refresh), so every run of an
  upstream stage reaches every downstream stage;
- `debug`: the debug the stage receives.

`imports`, `uploads`, `files` and `reads` are left out when empty. File contents are hashed through a
memo kept in `.runs/file-digests.json` (filememo.py): an unchanged file is not read again.
Checked beside the fingerprint, as kept with the last success: the data files its code
opened (opened_files.py) and the tables it and its operations read by a name of its making
(read_tables.py).
A miss names what changed: `code changed`, `imports common/words.py changed`, `uploads
pipeline.upload_paths[0] helpers changed`, `files assets/offset.txt changed`, `input
//x changed`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from yt_pipeline.errors import YtPipelineError
from yt_pipeline.logs import masked_data
from yt_pipeline.secret_digests import keyed_digest
from yt_pipeline.secret_forms import MASK
from yt_pipeline.units import RunTarget, RunUnit, digest_value

log = logging.getLogger("yt_pipeline.cache")


class CacheDecision(msgspec.Struct):
    hit: bool
    #: "off", "forced", "refresh", "hit", "miss"
    kind: str
    reason: str
    fingerprint: str | None = None
    components: dict[str, Any] = msgspec.field(default_factory=dict)

    def describe(self) -> str:
        return f"{self.kind}: {self.reason}" if self.reason else self.kind


def cache_enabled(unit: RunUnit, target: RunTarget) -> bool:
    return target.cache_default if unit.cache is None else unit.cache


def fingerprint_components(
    unit: RunUnit, target: RunTarget, debug_in: dict[str, Any], memory: dict[str, dict[str, Any]],
    client: Any,
) -> dict[str, Any]:
    upstream = {}
    hashed = set(unit.inputs) | set(unit.reads)
    for dep in target.graph.deps[unit.name]:
        if (unit.name, dep) in target.graph.inferred and \
                hashed.issuperset(_cached_wrote(memory.get(dep) or {})):
            # the input table's content already stands for it; not when it also wrote a
            # table the stage does not hash, which it may read by a name handed on
            continue
        # the run that last produced it, not its fingerprint: a stage runs again with the
        # same fingerprint (a data file it read changed, a table it wrote is missing,
        # --refresh) and may then hand on other rows
        upstream[dep] = (memory.get(dep) or {}).get("run_id")
    return {
        "code": unit.code_hash(),
        **unit.read_files(client),
        "config": unit.config_hash(),
        "settings": target.settings_hash,
        "inputs": {path: client.table_fingerprint(path) for path in unit.inputs},
        **_reads(unit, memory, client),
        "upstream": upstream,
        "debug": _debug_digest(debug_in, target.pipeline_dir),
    }


def _cached_wrote(entry: dict[str, Any]) -> list[str]:
    """The tables a dependency's last success wrote, as the cache counts them: only a
    success with the cache on (every success keeps them, for --resume, but a dependency
    without the cache runs each time, and counted by its run, it would make its
    dependents miss each time)."""
    return (entry.get("wrote") or []) if entry.get("fingerprint") else []


def _reads(unit: RunUnit, memory: dict[str, dict[str, Any]], client: Any
           ) -> dict[str, dict[str, str]]:
    """The `reads` component: the tables its operations read, by content. A map of a table
    no stage writes (raw data) was served from the cache after that table changed. Left
    out: a table missing as the stage starts, and one its last success wrote, both the
    stage's own (it writes a table, then maps it: counted, its second run missed the cache
    for the table its first run made); and the whole component when none is left, so that
    the cache keys of stages without operations stay as they were."""
    own = set((memory.get(unit.name) or {}).get("wrote") or ())
    found = {}
    for path in unit.reads:
        value = None if path in own else client.table_fingerprint(path)
        if value:
            found[path] = value
    return {"reads": found} if found else {}


def _debug_digest(debug: dict[str, Any], pipeline_dir: Path) -> str:
    """The debug's hash in its kept form (keep.py): the same debug after --resume, or with
    a set built in another order, gives the same fingerprint. Keyed by the folder's key
    when it holds a secret (secret_digests.py): kept and printed, a plain digest of a
    debug of known shape gave a short secret in it away to whoever tried values."""
    from yt_pipeline.keep import keep_debug

    try:
        kept = keep_debug("", debug)
    except YtPipelineError:
        kept = repr(debug)
    if masked_data(kept) != kept:
        return keyed_digest(kept, pipeline_dir)
    return digest_value(kept)


def decide(
    unit: RunUnit, target: RunTarget, debug_in: dict[str, Any],
    memory: dict[str, dict[str, Any]], client: Any, *, force: bool, refresh: bool,
) -> CacheDecision:
    """Whether the stage can be skipped, and why (or why not)."""
    if not cache_enabled(unit, target):
        return CacheDecision(False, "off", "")
    components = fingerprint_components(unit, target, debug_in, memory, client)
    for path, value in components["inputs"].items():
        if not value:
            # a misspelt path in `inputs:` would key the cache on a table nobody writes
            # (every run "missing"), leaving the one the stage reads out of it, silently
            log.warning("[%s] declared input %s does not exist as the stage starts: is the "
                        "path in inputs: of its config.yaml the table it reads?",
                        unit.name, path)
    fingerprint = digest_value(components)
    decision = CacheDecision(False, "miss", "", fingerprint, components)
    last = memory.get(unit.name) or {}
    if force or refresh:
        decision.kind = "forced" if force else "refresh"
        decision.reason = "--force" if force else f"--refresh {unit.name}"
    elif not last.get("fingerprint"):
        decision.reason = ("no fingerprint of an earlier success (it has not succeeded with "
                           "the cache on, or `yt-pipeline cache clear` forgot it)")
    elif last["fingerprint"] != fingerprint:
        decision.reason = _what_changed(last.get("components") or {}, components)
    elif last.get("debug_lost"):
        decision.reason = "its last debug could not be stored"
    elif last.get("debug_masked"):
        # as a path holding a secret: what it handed on is not known again
        decision.reason = ("its last debug held a secret, which is not kept: served from the "
                           "cache, it would hand *** on in its place")
    else:
        missing = (_data_file_changed(target, last) or _table_read_changed(client, last)
                   or _missing_table(unit, client, last))
        if missing:
            decision.reason = missing
        else:
            decision.hit, decision.kind = True, "hit"
            decision.reason = f"fingerprint {fingerprint} as in run {last.get('run_id', '?')}"
    log.info("[%s] cache %s; %s", unit.name, decision.describe(), _summary(components))
    return decision


def _missing_table(unit: RunUnit, client: Any, last: dict[str, Any]) -> str | None:
    """Why an unchanged stage must run all the same: a table it writes is gone (removed,
    or all of `.dev/` deleted to start from nothing). Skipping it would leave its readers,
    and the user, without the table while the run says the stage is done. The tables are
    its declared outputs, its operations' output tables, and every table its last success
    wrote (`wrote`, where the backend's transaction tells: a `write_table` the config does
    not declare)."""
    for path in unit.outputs:
        if not client.exists(path):
            return f"output {path} is missing"
    for path in unit.writes:
        if not client.exists(path) and _made_by_last(path, last):
            return f"table {path} its operations write is missing"
    for path in last.get("wrote") or ():
        if MASK in path:
            # kept masked (the entry of a success, stage_run.py): which table it was is not known, and
            # `***` is no name a client may be asked about (an unescaped `*` is a YPath token)
            return (f"table {path} it wrote in run {last.get('run_id', '?')} has a secret in "
                    "its path, which is not kept: whether it is still there cannot be told")
        if path not in unit.outputs and path not in unit.writes and not client.exists(path):
            return f"table {path} it wrote in run {last.get('run_id', '?')} is missing"
    return None


def _made_by_last(path: str, last: dict[str, Any]) -> bool:
    """Whether the last success left `path`, a table an operation section names, behind:
    one its code replaced by another (`output_table` set before run_map) was never made,
    and asked for, it ran the stage each time. Kept since `made` is (an older entry: as
    if made)."""
    made = last.get("made")
    if made is None or any(MASK in name for name in made):  # kept masked: not known
        return True
    return path in made or path in (last.get("wrote") or ())


def _table_read_changed(client: Any, last: dict[str, Any]) -> str | None:
    """Why an unchanged stage must run all the same: a table its code read in its last
    success by a name of its own making (read_tables.py) changed or is gone."""
    run = last.get("run_id", "?")
    for path, value in sorted((last.get("read") or {}).items()):
        if MASK in path:  # kept masked, as a written table's path (_missing_table)
            return (f"table {path} it read in run {run} has a secret in its path, which "
                    "is not kept: whether it changed cannot be told")
        now = client.table_fingerprint(path)
        if now is None:
            return f"table {path} it read in run {run} is missing"
        if value is None or now != value:
            return f"table {path} it read in run {run} changed"
    return None


def _memo(target: RunTarget) -> Any:
    from yt_pipeline.filememo import FileMemo

    code_files = target.code_files
    return code_files.memo if code_files is not None else FileMemo()


#: kept in place of a data file's digest when the file changed while the stage read it: its
#: output may hold the old content or the new, so no digest describes it and the next cache
#: check runs the stage again
CHANGED_WHILE_READ = "changed while read"


def data_file_digests(target: RunTarget, files: list[Any],
                      read_as: Callable[[Path], set[Any]] | None = None) -> dict[str, str]:
    """{name: digest} of the data files a stage's code read (opened_files.py), as kept
    with its success. `read_as(path)` gives what the file was each time the code opened
    it; a file that is no longer the same gets CHANGED_WHILE_READ."""
    from yt_pipeline.opened_files import shown_name

    memo = _memo(target)
    digests = {}
    for path in files:
        value = memo.digest(path)
        if value is None:
            continue
        opened_as = read_as(path) if read_as is not None else set()
        if opened_as - {memo.identity(path)}:
            value = CHANGED_WHILE_READ
        digests[shown_name(path, target.pipeline_dir)] = value
    return digests


def _data_file_changed(target: RunTarget, last: dict[str, Any]) -> str | None:
    """Why an unchanged stage must run all the same: a data file its code read in its
    last success (opened by a path of its own making) changed or is gone."""
    kept = last.get("opened") or {}
    if not kept:
        return None
    memo = _memo(target)
    for name, value in sorted(kept.items()):
        run = last.get("run_id", "?")
        if MASK in name:  # kept masked, as a written table's path (_missing_table)
            return (f"data file {name} it read in run {run} has a secret in its path, which "
                    "is not kept: whether it changed cannot be told")
        if value == CHANGED_WHILE_READ:
            return f"data file {name} changed while run {run} read it"
        path = Path(name) if Path(name).is_absolute() else target.pipeline_dir / name
        now = memo.digest(path)
        if now is None:
            return f"data file {name} it read in run {run} is missing"
        if now != value:
            return f"data file {name} changed"
    return None


#: components that hold one digest each
_SINGLE = ("code", "config", "settings", "debug")
#: components that hold one digest each, present only for some stages, and how a change reads
_OPTIONAL = (("secrets", "secrets its jobs get changed"),)
#: components that hold a digest per name, and how a change of one is named
_GROUPS = (("imports", "imports"), ("uploads", "uploads"), ("files", "files"),
           ("inputs", "input"), ("reads", "input"), ("upstream", "upstream"))


def _what_changed(old: dict[str, Any], new: dict[str, Any]) -> str:
    changes = []
    for key in _SINGLE:
        if old.get(key) != new[key]:
            changes.append(f"{key} changed")
    for key, change in _OPTIONAL:
        if old.get(key) != new.get(key):
            changes.append(change)
    for group, label in _GROUPS:
        before, after = old.get(group) or {}, new.get(group) or {}
        for name, value in after.items():
            if name not in before and group in ("imports", "uploads", "files"):
                changes.append(f"{label} {name} added")
            elif before.get(name) != value:
                changes.append(f"{label} {name} changed")
        for name in sorted(set(before) - set(after)):
            changes.append(f"{label} {name} removed")
    return ", ".join(changes) or "fingerprint changed"


def _summary(components: dict[str, Any]) -> str:
    parts = [f"{key}={components[key][:8]}" for key in _SINGLE]
    for key in ("imports", "uploads", "files"):
        if components.get(key):
            parts.append(f"{key}={digest_value(components[key])[:8]} ({len(components[key])})")
    for path, value in {**components["inputs"], **components.get("reads", {})}.items():
        parts.append(f"input {path}={(value or 'missing')[:12]}")
    for dep, value in components["upstream"].items():
        parts.append(f"upstream {dep}={str(value)[:12]}")
    return " ".join(parts)

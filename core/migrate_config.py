"""The part of `yt-pipeline migrate` that reads stage configs: keys of yt-framework's
operation sections that yt-pipeline refuses are listed with file:line and what to write
instead. The files are not rewritten as a whole (YAML comments would not survive a
rewrite); only a line that says what yt-pipeline always does (`tar_command_bootstrap:
true`, one line of a block mapping) is deleted, the rest of the file kept byte for byte."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator
from pathlib import Path

import yaml

from yt_pipeline.migrate import FileChange, Problem, read_source
from yt_pipeline.migrate_job_scripts import job_script_problems
from yt_pipeline.migrate_rules import DROPPED_KEYS, OPERATION_KEYS, RESOURCE_KEYS


def _mapping_items(node: yaml.Node) -> Iterator[tuple[yaml.ScalarNode, yaml.Node]]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                yield key, value


def _child(node: yaml.Node, name: str) -> yaml.Node | None:
    return next((v for k, v in _mapping_items(node) if k.value == name), None)


def _sections(text: str) -> Iterator[tuple[yaml.ScalarNode, yaml.Node]]:
    root = yaml.compose(text)
    client = _child(root, "client") if root is not None else None
    operations = _child(client, "operations") if client is not None else None
    yield from _mapping_items(operations) if operations is not None else ()


_NULL = "tag:yaml.org,2002:null"


def _one_line_keys(section: yaml.Node, lines: list[str],
                   wanted: Callable[[str, yaml.ScalarNode], bool]) -> set[int]:
    """The line numbers of the `wanted` keys of a block mapping with other keys beside
    them, each key and its scalar value on one line of its own."""
    items = list(_mapping_items(section))
    if getattr(section, "flow_style", False) or len(items) < 2:
        return set()
    found = set()
    for key, value in items:
        line = key.start_mark.line
        if isinstance(value, yaml.ScalarNode) and wanted(key.value, value) \
                and value.end_mark.line == line and line < len(lines) \
                and lines[line].lstrip().startswith(key.value):
            found.add(line)
    return found


def drop_redundant_keys(text: str) -> str:
    """`text` without the lines of the operation keys that say what yt-pipeline always does
    (DROPPED_KEYS), and of the resources yt-pipeline does not know that are set to null
    (`user_slots: null`, as yt-framework's docs write it: null was "not set" there too),
    when each is one line of a block mapping with other keys beside it; anything else is
    left for `config_problems` to report."""
    try:
        sections = list(_sections(text))
    except yaml.YAMLError:
        return text
    lines = text.splitlines(keepends=True)
    drop = set()
    for _, section in sections:
        drop |= _one_line_keys(section, lines, lambda key, _: key in DROPPED_KEYS)
        resources = _child(section, "resources")
        if resources is not None:
            drop |= _one_line_keys(resources, lines, lambda key, value: (
                key in RESOURCE_KEYS and value.tag == _NULL))
    return "".join(text for number, text in enumerate(lines) if number not in drop)


def _key_problems(shown: Path, where: str, section: yaml.Node, renamed: dict[str, str],
                  known: Collection[str], unknown: Callable[[str], str]) -> list[Problem]:
    """A problem for each key of `section` that `renamed` says what to write instead of,
    or that is not in `known` (then `unknown(key)` says why)."""
    problems = []
    for key, _ in _mapping_items(section):
        if key.value in renamed:
            text = renamed[key.value]
        elif key.value not in known:
            text = unknown(key.value)
        else:
            continue
        problems.append(Problem(shown, key.start_mark.line + 1, f"{where}.{key.value}: {text}"))
    return problems


def config_problems(path: Path, shown: Path, text: str | None = None) -> list[Problem]:
    try:
        sections = list(_sections(path.read_text(encoding="utf-8") if text is None else text))
    except (yaml.YAMLError, OSError, UnicodeDecodeError) as error:
        return [Problem(shown, 1, f"cannot read it as YAML: {error}")]
    from yt_pipeline.operation_config import KNOWN_KEYS
    from yt_pipeline.operation_config import RESOURCE_KEYS as KNOWN_RESOURCES

    problems = []
    for name, section in sections:
        where = f"operations.{name.value}"
        # yt-framework passed keys it did not know on to the client
        problems += _key_problems(
            shown, where, section, OPERATION_KEYS, KNOWN_KEYS,
            lambda key: ("not an operation key of yt-pipeline (a run refuses it): a YT spec "
                         f"key goes under spec: ({{spec: {{{key}: ...}}}})"))
        resources = _child(section, "resources")
        if resources is not None:
            problems += _key_problems(
                shown, f"{where}.resources", resources, RESOURCE_KEYS, KNOWN_RESOURCES,
                lambda key: f"not a resource of yt-pipeline (known: {', '.join(KNOWN_RESOURCES)})")
    return problems


def pipeline_roots(root: Path) -> list[Path]:
    """`root` and each folder below it that holds a pipeline (a `stages/` folder, or
    `configs/config.yaml`): `migrate` may be given a repository of several pipelines."""
    from yt_pipeline.migrate import SKIPPED_FOLDERS

    found = {root}
    for pattern in ("**/stages", "**/configs/config.yaml"):
        for path in root.glob(pattern):
            relative = path.relative_to(root).parts
            if any(part in SKIPPED_FOLDERS for part in relative):
                continue
            base = path.parent if path.name == "stages" else path.parent.parent
            if path.name != "stages" or path.is_dir():
                found.add(base)
    return sorted(found)


def is_pipeline_tree(root: Path) -> bool:
    """Whether `root` holds a yt-framework pipeline (or several, or one already converted):
    a pipeline.py, a stages/ folder or a configs/config.yaml in it or below it, a Python
    file that imports yt_framework (a package of helpers shared by pipelines), or the
    originals an earlier `migrate` kept (so that a second run says it changes nothing)."""
    from yt_pipeline.migrate import ORIGINALS, python_files

    if (root / "pipeline.py").is_file() or (root / ORIGINALS).is_dir() or pipeline_roots(root) != [root] \
            or (root / "stages").is_dir() or (root / "configs/config.yaml").is_file():
        return True
    for path in python_files(root):
        try:
            if "yt_framework" in path.read_text(encoding="utf-8", errors="replace"):
                return True
        except OSError:
            continue
    return False


def stage_config_changes(root: Path) -> list[FileChange]:
    """Each stage's config.yaml of each pipeline under `root`, with what
    `drop_redundant_keys` deletes and the problems left in it (nothing is written)."""
    changes = []
    for pipeline in pipeline_roots(root):
        changes += _pipeline_config_changes(pipeline, root)
    return changes


def _pipeline_config_changes(pipeline: Path, root: Path) -> list[FileChange]:
    changes = []
    secrets = _secret_names(pipeline)
    for path in sorted(pipeline.glob("stages/*/config.yaml")):
        try:
            before = read_source(path)
        except (OSError, UnicodeDecodeError) as error:
            changes.append(FileChange(path, "", "", [Problem(path, 1, f"cannot read it: {error}")]))
            continue
        after = drop_redundant_keys(before)
        after, env_problems = add_secret_env(after, path.parent, secrets,
                                             path.relative_to(root))
        changes.append(FileChange(path, before, after,
                                  config_problems(path, path, after) + env_problems
                                  + job_script_problems(before, path)))
    return changes


def stage_config_problems(root: Path) -> list[Problem]:
    return [problem for change in stage_config_changes(root) for problem in change.problems]


#: a job reading a variable by a literal name: os.environ["X"], environ.get("X"), getenv("X")
_ENV_READ = re.compile(r"""(?:environ\s*(?:\.\s*get\s*\(|\[)|getenv\s*\()\s*["']"""
                       r"""([A-Za-z_][A-Za-z0-9_]*)["']""")


def _secret_names(root: Path) -> set[str]:
    """The names of configs/secrets.env, and of the example file a pipeline ships instead."""
    names = set()
    for file in ("secrets.env", "secrets.example.env", "secrets.env.example"):
        try:
            text = (root / "configs" / file).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            line = line.strip()
            if line.startswith("export "):
                line = line[len("export "):].lstrip()
            if line and not line.startswith("#") and "=" in line:
                names.add(line.split("=", 1)[0].strip())
    return names


def _env_names(value: yaml.Node | None) -> set[str]:
    if isinstance(value, yaml.SequenceNode):
        return {item.value for item in value.value if isinstance(item, yaml.ScalarNode)}
    if isinstance(value, yaml.MappingNode):
        return {key.value for key, _ in _mapping_items(value)}
    if isinstance(value, yaml.ScalarNode) and value.value:
        return {value.value}
    return set()


def _env_reads(stage: Path, secrets: set[str]) -> list[tuple[str, Path, int]]:
    """(name, script, line) of each read of a name of `secrets` by the stage's job code."""
    reads = []
    for script in sorted((stage / "src").rglob("*.py")):
        try:
            lines = script.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for number, line in enumerate(lines, 1):
            reads += [(name, script, number) for name in _ENV_READ.findall(line)
                      if name in secrets]
    return reads


def add_secret_env(text: str, stage: Path, secrets: set[str],
                   shown: Path) -> tuple[str, list[Problem]]:
    """yt-framework put every value of configs/secrets.env in every job's environment;
    yt-pipeline gives a job only the names its operation's `env` lists. The names of
    secrets.env the stage's job code reads (by a literal: os.environ["X"], getenv("X"))
    are added as `env: [X, ...]` to the stage's only operation section, when it is a block
    mapping with no env yet; otherwise each read is reported, as a job would silently
    read nothing."""
    reads = _env_reads(stage, secrets) if secrets else []
    if not reads:
        return text, []
    try:
        sections = list(_sections(text))
    except yaml.YAMLError:
        return text, []
    envs = {name.value: _env_names(_child(section, "env")) for name, section in sections}
    needed = sorted({name for name, _, _ in reads
                     if any(name not in env for env in envs.values())})
    if not needed:
        return text, []
    if len(sections) == 1:
        name_node, section = sections[0]
        items = list(_mapping_items(section))
        if items and _child(section, "env") is None and not getattr(section, "flow_style",
                                                                   False):
            lines = text.splitlines(keepends=True)
            first = items[0][0].start_mark
            indent = " " * first.column
            if lines[first.line][:first.column].strip() == "":
                end = "\r\n" if lines[first.line].endswith("\r\n") else "\n"
                line = f"{indent}env: [{', '.join(needed)}]  # read by the job (migrate){end}"
                lines.insert(first.line, line)
                return "".join(lines), []
    problems = []
    for name, script, number in reads:
        lacking = [section for section, env in envs.items() if name not in env]
        if lacking:
            where = ", ".join(f"client.operations.{s}" for s in lacking)
            problems.append(Problem(
                script, number,
                f"{name}: yt-framework gave every value of configs/secrets.env to every job, "
                f"yt-pipeline only those an operation's env lists: add {name} to env: of "
                f"{where} in {shown.as_posix()} if this job runs there"))
    return text, problems


def secrets_problems(root: Path) -> list[Problem]:
    """What yt-pipeline would refuse in the configs/secrets.env of each pipeline under
    `root` (a value too short to be masked, a line it cannot parse), found now rather than
    by the first run; the value is never shown."""
    return [problem for pipeline in pipeline_roots(root)
            for problem in _secrets_problems(pipeline)]


def secret_values_under(root: Path) -> list[str]:
    """The secrets of each pipeline under `root` (its configs/secrets.env, read as a run
    reads it) and of the environment: what migrate prints is masked with them."""
    from dotenv import dotenv_values

    from yt_pipeline.config import ENV_PREFIX, secret_values

    values: list[str] = []
    for pipeline in pipeline_roots(root):
        path = pipeline / "configs" / "secrets.env"
        try:
            found = dotenv_values(path, interpolate=False) if path.is_file() else {}
        except (OSError, UnicodeDecodeError):
            found = {}
        settings = {k: v for k, v in found.items() if v and k.startswith(ENV_PREFIX + "_")}
        secrets = {k: v for k, v in found.items() if v and k not in settings}
        values += secret_values(secrets, settings)
    return values


def _secrets_problems(root: Path) -> list[Problem]:
    from yt_pipeline.config import _read_secrets
    from yt_pipeline.errors import ConfigError

    path = root / "configs" / "secrets.env"
    if not path.is_file():
        return []
    try:
        _read_secrets(path, root)
    except ConfigError as error:
        message = str(error)
        prefix = f"{error.file}: {error.key}: " if error.key else f"{error.file}: "
        message = message[len(prefix):] if message.startswith(prefix) else message
        line = 1
        key = error.key or ""
        if key.startswith("line "):
            line = int(key.split()[1])
        elif key:
            text = path.read_text(encoding="utf-8", errors="replace").splitlines()
            line = next((n for n, t in enumerate(text, 1)
                         if t.strip().removeprefix("export ").lstrip().startswith(key)), 1)
        return [Problem(path, line, f"{key}: {message}" if key and not
                        key.startswith("line ") else message)]
    return []


def listify_upload_modules(text: str) -> str:
    """`upload_modules: my_pkg` (yt-framework took one name as a string) becomes
    `upload_modules: [my_pkg]`, the rest of the line (a comment) kept."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return text
    pipeline = _child(root, "pipeline") if root is not None else None
    value = _child(pipeline, "upload_modules") if pipeline is not None else None
    if not isinstance(value, yaml.ScalarNode) or value.tag != "tag:yaml.org,2002:str" \
            or not value.value.strip() or value.start_mark.line != value.end_mark.line \
            or value.style is not None:
        return text
    lines = text.splitlines(keepends=True)
    line = lines[value.start_mark.line]
    start, end = value.start_mark.column, value.end_mark.column
    lines[value.start_mark.line] = f"{line[:start]}[{line[start:end]}]{line[end:]}"
    return "".join(lines)


def pipeline_config_changes(root: Path) -> list[FileChange]:
    """The pipeline configs (configs/*.yaml with a `pipeline:` or `stages:` section) of each
    pipeline under `root`, with `listify_upload_modules` applied, and what yt-pipeline would
    refuse in each (checked as `yt-pipeline run --config FILE` would, on the new text)."""
    changes = []
    for pipeline in pipeline_roots(root):
        for path in sorted([*pipeline.glob("configs/*.yaml"), *pipeline.glob("configs/*.yml")]):
            try:
                before = read_source(path)
                data = yaml.safe_load(before)
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                continue  # yt-pipeline's own reading reports it when the file is used
            if not isinstance(data, dict) or not ({"pipeline", "stages"} & set(data)):
                continue
            after = listify_upload_modules(before)
            changes.append(FileChange(path, before, after,
                                      _pipeline_config_problems(pipeline, path, after)))
    return changes


def _pipeline_config_problems(pipeline: Path, path: Path, text: str) -> list[Problem]:
    """Load `text` as the pipeline's config, as a run would (without the environment and
    secrets.env, which secrets_problems reads); the first refusal, at the key's line."""
    import tempfile

    from yt_pipeline.config import load_config
    from yt_pipeline.errors import ConfigError

    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / path.relative_to(pipeline)
        copy.parent.mkdir(parents=True)
        copy.write_text(text, encoding="utf-8")
        try:
            load_config(scratch, copy, environ={})
        except ConfigError as error:
            message = str(error)
            shown = error.file or ""
            for prefix in (f"{shown}: {error.key}: ", f"{shown}: "):
                if message.startswith(prefix):
                    message = message[len(prefix):]
                    break
            key = error.key or ""
            return [Problem(path, _line_of(text, key), f"{key}: {message}" if key else message)]
    return []


def _line_of(text: str, dotted: str) -> int:
    """The line of a dotted key in a YAML mapping (1 when it cannot be found)."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return 1
    line = 1
    for part in dotted.split(".") if dotted else ():
        if node is None:
            break
        match = next(((k, v) for k, v in _mapping_items(node) if k.value == part), None)
        if match is None:
            break
        line, node = match[0].start_mark.line + 1, match[1]
    return line

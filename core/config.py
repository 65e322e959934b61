"""Pipeline configuration: layers merged, then validated with errors that name the file and
the key.

Layers, lowest first: built-in defaults < configs/config.yaml (or --config) < secrets.env
< environment variables (YTP_ prefix, `__` for nesting) < --set key=value. Values are taken
literally: YAML as YAML reads it, with no directives of any settings library, and the only
environment variables read are the YTP_ ones and the credentials (see `secret`).

secrets.env holds credentials (YT_PROXY, YT_TOKEN, ...). They are kept apart from the
settings, never printed (the `config` command shows them as ***), and reach a job only when
an operation names them. YT_PROXY is the exception to "never printed": it is the cluster's
address, which operation URLs show anyway.
"""

from __future__ import annotations

import copy
import io
import logging
import os
import re
import threading
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yt_pipeline.config_files import unreadable_reason
from yt_pipeline.confignode import ConfigNode
from yt_pipeline.display import display_path
from yt_pipeline.errors import ConfigError
from yt_pipeline.secret_forms import MIN_LENGTH, all_forms, mask_text
from yt_pipeline.yamlio import parse_scalar, read_yaml_mapping

ENV_PREFIX = "YTP"
REDACTED = "***"

DEFAULTS: dict[str, Any] = {
    "pipeline": {
        "mode": "dev",
        "build_folder": "//tmp/yt_pipeline/build",
        "upload_modules": [],
        "upload_paths": [],
        "workers": 4,
        "cache": False,
        "dev_dir": ".dev",
    },
    "stages": {},
}

log = logging.getLogger("yt_pipeline.config")

#: credentials that are no secret: shown in logs and messages (see `secret_values`)
_NOT_SECRET = frozenset({"YT_PROXY"})

# Settings that live in the environment but are not pipeline configuration.
_NOT_SETTINGS = {"disable_plugins", "strict_plugins", "log_level"}


@dataclass
class PipelineConfig:
    """The resolved configuration of one pipeline folder."""

    pipeline_dir: Path
    config_file: Path
    data: dict[str, Any]
    #: never in a repr: hook tracing and error messages print the settings
    secrets: dict[str, str] = field(default_factory=dict, repr=False)
    #: the YTP_ lines of secrets.env: settings, whose values are kept out of sight as the
    #: file's other values are
    secret_settings: dict[str, str] = field(default_factory=dict, repr=False)
    secrets_file: Path | None = None
    sources: dict[str, str] = field(default_factory=dict)
    #: False for the built-in defaults of a folder without a configuration file (a
    #: function-step pipeline): no secrets.env was looked for, credentials come from the
    #: environment alone, and advice must not point at a file nobody reads
    reads_secrets_file: bool = True

    @property
    def mode(self) -> str:
        return str(self.data["pipeline"]["mode"])

    @property
    def pipeline(self) -> ConfigNode:
        return ConfigNode(self.data.get("pipeline", {}), path="pipeline", file=self.display_file)

    @property
    def stages(self) -> ConfigNode:
        return ConfigNode(self.data.get("stages", {}), path="stages", file=self.display_file)

    @property
    def configs_dir(self) -> Path:
        return self.config_file.parent

    @property
    def display_file(self) -> str:
        return display_path(self.config_file, self.pipeline_dir)

    def as_node(self) -> ConfigNode:
        """The whole configuration as nested attribute-readable mappings."""
        return ConfigNode(self.data, file=self.display_file)

    def __getattr__(self, key: str) -> Any:
        """A top-level section by attribute (`pipeline_config.dataset.size`), as stages
        written for yt-framework read their own sections."""
        if key.startswith("_") or "data" not in self.__dict__:
            raise AttributeError(key)
        return self.as_node()[key]  # a missing one: an error naming the file and key

    def __getitem__(self, key: str) -> Any:
        return self.as_node()[key]

    def __contains__(self, key: object) -> bool:
        return key in self.data

    def get(self, dotted: str, default: Any = None) -> Any:
        node: Any = self.data
        for part in dotted.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return default
            node = node[part]
        return node

    def source_of(self, dotted: str) -> str:
        """Where a key's value came from: a file, an environment variable, --set, a default."""
        return self.sources.get(dotted, self.display_file)

    def secret(self, name: str) -> str | None:
        """A credential: the environment first, then secrets.env."""
        value = os.environ.get(name)
        if value:
            return value
        return self.secrets.get(name)

    def secret_values(self) -> list[str]:
        """Every secret value known, so log filters can mask them."""
        return secret_values(self.secrets, self.secret_settings)

    def redacted(self) -> dict[str, Any]:
        shown = copy.deepcopy(self.data)
        values = self.secret_values()  # longest first: a part never hides its whole
        shown["secrets"] = {k: _masked(v, values) if k in _NOT_SECRET else REDACTED
                            for k, v in sorted(self.secrets.items())}
        if self.secrets_file is not None:  # settings a YTP_ line of secrets.env gave
            from_secrets = display_path(self.secrets_file, self.pipeline_dir) + " "
            hidden: list[str] = []
            for dotted, source in sorted(self.sources.items()):
                # a mapping it set is hidden whole, the keys it holds with it
                if source.startswith(from_secrets) and not any(
                        dotted.startswith(done + ".") for done in hidden):
                    _set_dotted(shown, dotted, REDACTED)
                    hidden.append(dotted)
        return shown


def secret_values(secrets: Mapping[str, str], settings: Mapping[str, str]) -> list[str]:
    """The values of secrets.env (`secrets`, and its YTP_ lines, `settings`) and the
    credentials of the environment, longest first. A value holding an address is masked by
    its host name too: network errors quote the host and the port apart. A setting counts
    also as what it reads as: `[a-name, b-name]` is quoted in messages as `a-name`, and
    `'quoted'` as `quoted`.

    YT_PROXY is left out: it names the cluster, as every operation's URL does, and masked it
    made those URLs and the network errors useless. It is masked still when another secret
    (the token, say) has the same value."""
    hidden = {name: value for name, value in secrets.items() if name not in _NOT_SECRET}
    values = set(hidden.values()) | set(settings.values())
    for raw in settings.values():
        read = _read_setting(raw)
        values.update(_texts_within(read))
        values.update(_scalar_texts(read))
    # a credential set in the environment wins over secrets.env (see `secret`)
    for name in {"YT_TOKEN", *hidden}:
        if os.environ.get(name):
            values.add(os.environ[name])
    for proxy in (secrets.get("YT_PROXY"), os.environ.get("YT_PROXY")):
        values.update(_credentials_in_address(proxy))
    for value in list(values):
        if ":" in value or "." in value:
            values.add(_host_of(value))
    return sorted((v for v in values if v and len(v) >= MIN_LENGTH),
                  key=lambda v: (-len(v), v))


def _masked(value: str, hidden: list[str]) -> str:
    for secret in hidden:
        value = value.replace(secret, REDACTED)
    return value


def _credentials_in_address(address: str | None) -> list[str]:
    """What an address shown in the clear may still carry that is a credential: the
    password of a `user:password@` before its host, and a query (`?token=...`)."""
    if not address:
        return []
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(address if "//" in address else "//" + address)
    except ValueError:  # not an address at all: mask the whole value, to be safe
        return [address]
    found = []
    if parts.password:  # the user's name stays: alone it opens nothing
        found.append(parts.password)
    if parts.query:
        found.append(parts.query)
    return found


def _read_setting(raw: str) -> Any:
    try:
        return parse_scalar(raw, "")
    except ConfigError:  # refused when it was loaded: only its raw text is ever quoted
        return raw


def _texts_within(value: Any, depth: int = 0) -> Iterable[str]:
    """Every text key and leaf of a parsed setting. Not numbers: one in a list is no
    credential, and masked it would mangle every count and time that matches it."""
    if depth > 100:
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _texts_within(key, depth + 1)
            yield from _texts_within(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _texts_within(item, depth + 1)
    elif isinstance(value, str):
        yield value


def _scalar_texts(value: Any) -> list[str]:
    """How a setting read as one number, time or bytes value is written once a stage has
    it: YAML reads `0123456` as the octal 42798, `12_345_678` as 12345678, `0x1F2A3B` as
    2042427, `1:23:45` as 5025, so the text masked as written is not what a log line or a
    record shows of the value read. (A number within a list or mapping is no credential:
    see _texts_within.)"""
    import datetime

    if isinstance(value, bool) or value is None:
        return []  # `yes`, `~`: words, read as themselves by anyone
    if isinstance(value, (int, float)):
        return [str(value)]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return [str(value), value.isoformat()]
    if isinstance(value, bytes):  # `!!binary`: the bytes it decodes to
        return [value.decode("utf-8", "surrogateescape")]
    return []


@contextmanager
def _masking_errors(secrets: Mapping[str, str], settings: Mapping[str, str]) -> Iterator[None]:
    """A configuration error quotes the value it refuses, and that value may come from
    secrets.env (a YTP_ line): it is masked here, as nothing masks the command's output
    before the configuration has loaded."""
    try:
        yield
    except ConfigError as error:
        values = secret_values(secrets, settings)
        if values:
            error.args = (mask_text(str(error), all_forms(values)), *error.args[1:])
        raise


def default_config(pipeline_dir: Path) -> PipelineConfig:
    """The built-in defaults alone, for a folder without a configuration file (a function-step
    pipeline): nothing is read, neither files nor the environment."""
    return PipelineConfig(pipeline_dir=pipeline_dir,
                          config_file=pipeline_dir / "configs" / "config.yaml",
                          data=copy.deepcopy(DEFAULTS), reads_secrets_file=False)


def _host_of(address: str) -> str:
    from urllib.parse import urlsplit

    try:
        return urlsplit(address if "//" in address else "//" + address).hostname or ""
    except ValueError:
        return ""


def load_config(
    pipeline_dir: str | Path,
    config_file: str | Path | None = None,
    overrides: Iterable[str] = (),
    environ: Mapping[str, str] | None = None,
    *,
    modes: Collection[str] | None = None,
) -> PipelineConfig:
    """Resolve a pipeline folder's configuration, all layers, validated. `modes` are the
    modes `pipeline.mode` may name (default: those the installed plugins register)."""
    pipeline_dir = Path(pipeline_dir).resolve()
    if not pipeline_dir.is_dir():
        raise ConfigError("pipeline folder does not exist", file=pipeline_dir)
    cfg_path, shown = _config_path(pipeline_dir, config_file)

    # a file that is there and cannot be read is no missing file: not a folder without
    # configuration, nor a run without credentials
    secrets_file = cfg_path.parent / "secrets.env"
    for path in (cfg_path, secrets_file):
        problem = unreadable_reason(path)
        if problem is not None:  # the link's own name: its target may be nowhere
            raise ConfigError(problem, file=Path(display_path(path.parent, pipeline_dir))
                              / path.name)

    # Parse once ourselves: dynaconf's YAML errors are tracebacks without the key or file.
    file_data = (read_yaml_mapping(cfg_path, display=shown, memo=pipeline_dir)
                 if cfg_path.is_file() else {})
    sources = {key: shown for key in _flat_keys(file_data)}

    secrets = _read_secrets(secrets_file, pipeline_dir) if secrets_file.is_file() else {}

    credentials = {k: v for k, v in secrets.items() if not k.startswith(ENV_PREFIX + "_")}
    settings = {k: v for k, v in secrets.items() if k.startswith(ENV_PREFIX + "_")}
    with _masking_errors(credentials, settings):
        merged = _deep_merge(copy.deepcopy(DEFAULTS), _literal_file_layer(file_data, shown))
        secrets_shown = display_path(secrets_file, pipeline_dir)
        environ = os.environ if environ is None else environ
        for source, dotted, raw in [*_env_layers(secrets, secrets_shown, environ),
                                    *_set_layers(overrides)]:
            value = parse_scalar(raw, source)
            _set_dotted(merged, dotted, value, source)
            sources[dotted] = source
            if isinstance(value, Mapping):  # each key it holds came from this layer too
                sources.update((key, source) for key in _flat_keys(value, dotted + "."))

        config = PipelineConfig(
            pipeline_dir=pipeline_dir,
            config_file=cfg_path,
            data=merged,
            secrets=credentials,
            secret_settings=settings,
            secrets_file=secrets_file if secrets_file.is_file() else None,
            sources=sources,
        )
        from yt_pipeline.config_schema import validate

        validate(config, modes)
    return config


def secret_values_beside(folders: Iterable[Path]) -> list[str]:
    """secret_values of the secrets.env in each of `folders` (and of the environment), for
    an error raised before a configuration loads. The files are read as they are; their
    checks come when one loads."""
    from dotenv import dotenv_values

    values = set(secret_values({}, {}))  # the environment's credentials
    for folder in folders:
        try:
            found = dotenv_values(folder / "secrets.env", interpolate=False)
        except (OSError, UnicodeDecodeError, ValueError):  # ValueError: a NUL in the path
            continue
        texts = {k: v for k, v in found.items() if v is not None}
        values.update(secret_values(
            {k: v for k, v in texts.items() if not k.startswith(ENV_PREFIX + "_")},
            {k: v for k, v in texts.items() if k.startswith(ENV_PREFIX + "_")}))
    return sorted(values, key=lambda v: (-len(v), v))


def _config_path(pipeline_dir: Path, config_file: str | Path | None) -> tuple[Path, str]:
    """The configuration file, and how messages show it; a file named explicitly must exist."""
    if config_file is None:
        path = pipeline_dir / "configs" / "config.yaml"
        return path, display_path(path, pipeline_dir)
    path = Path(config_file)
    if not path.is_absolute():
        path = Path.cwd() / path
    shown = display_path(path, pipeline_dir)
    if not path.is_file():
        raise missing_config_file(unreadable_reason(path) or "configuration file does not exist",
                                  shown,
                                  [path.parent, pipeline_dir / "configs"])
    return path, shown


def missing_config_file(message: str, shown: str | Path, folders: Iterable[Path]) -> ConfigError:
    """The error for a configuration file that does not exist, masked with the secrets.env
    of each of `folders` (those the file would have been read with, and the pipeline's):
    the file's name is the user's to write and may hold a secret (`--config
    configs/<token>.yaml`), and nothing masks the command's output before a configuration
    has loaded."""
    values = secret_values_beside(folders)
    error = ConfigError(message, file=shown)
    if values:
        forms = all_forms(values)
        error.args = (mask_text(str(error), forms),)
        error.file = mask_text(str(shown), forms)
    return error


def _env_layers(secrets: Mapping[str, str], secrets_shown: str,
                environ: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(source, dotted key, raw value) of the YTP_ variables. secrets.env may carry them too
    (for instance the mode of a machine); they rank below the real environment."""
    found = [(f"{secrets_shown} {k}", k, v) for k, v in secrets.items()]
    found += [(f"environment {k}", k, v) for k, v in environ.items()]
    layers = []
    for source, name, raw in found:
        dotted = _env_key(name) if name.startswith(ENV_PREFIX + "_") else None
        if dotted is not None:
            layers.append((source, dotted, raw))
    return layers


def _set_layers(overrides: Iterable[str]) -> list[tuple[str, str, str]]:
    """(source, dotted key, raw value) of each --set key=value."""
    layers = []
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"expects key=value, got {item!r}", key="--set")
        # spaces around a part are the command line's, not the key's: kept, `pipeline .
        # mode` would set a key `pipeline ` that later checks blame on the file
        dotted = ".".join(part.strip() for part in key.split("."))
        if any(not part for part in dotted.split(".")):
            raise ConfigError(f"{dotted!r} has an empty part; name each level, like "
                              "pipeline.mode", key="--set")
        layers.append((f"--set {dotted}", dotted, raw))
    return layers


def _literal_file_layer(file_data: dict[str, Any], shown: str) -> dict[str, Any]:
    """The file layer: the YAML as YAML reads it, taken literally.

    dynaconf used to load this layer, and it rewrote strings (`@format {env[YT_TOKEN]}`
    copied a token into the settings, `@del` broke `config`, `1e3` became a float) and
    obeyed dozens of variables of its own (SETTINGS_FILE_FOR_DYNACONF replaced the file,
    AUTO_CAST_FOR_DYNACONF turned the rewriting back on), none of which pinning its
    arguments could switch off. The layers and their order are unchanged; dynaconf's
    in-file directives are refused by name rather than silently kept as settings.
    """
    for dotted in _flat_keys(file_data):
        if dotted.rsplit(".", 1)[-1].lower().startswith("dynaconf_"):
            raise ConfigError("dynaconf directives are not read: a configuration file is "
                              "plain YAML, taken literally", file=shown, key=dotted)
    return file_data


def _read_secrets(path: Path, pipeline_dir: Path) -> dict[str, str]:
    from dotenv import dotenv_values

    # the link's own name, not its target's (display_path follows links)
    shown = str(Path(display_path(path.parent, pipeline_dir)) / path.name)
    _check_secrets_file(path, pipeline_dir, shown)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read secrets: {exc.__class__.__name__}", file=shown) from None
    _check_secrets_lines(text, shown)
    values = dotenv_values(stream=io.StringIO(text), interpolate=False)
    found = {k: v for k, v in values.items() if v is not None}
    for key, value in found.items():
        # (a YTP_ line is a setting, `YTP_PIPELINE__WORKERS=8`: masked only when this long)
        if 0 < len(value) < MIN_LENGTH and not key.startswith(ENV_PREFIX + "_"):
            # masked, it would mangle every number and word it matches; unmasked, it shows
            raise ConfigError(
                f"the value of {key} has {len(value)} character(s): a secret must have "
                f"{MIN_LENGTH} or more to be masked wherever it appears (a setting that is "
                "not secret belongs in config.yaml or the environment)", file=shown, key=key)
    return found


def _check_secrets_file(path: Path, pipeline_dir: Path, shown: str) -> None:
    """A file any user may write is refused (they could swap the token, or add a YTP_
    setting), and so is a link out of the pipeline folder (and out of the configuration's
    folder, given elsewhere with --config): the credentials are where the folder says."""
    target = path.resolve()
    if path.is_symlink() and not any(target.is_relative_to(folder.resolve())
                                     for folder in (pipeline_dir, path.parent)):
        raise ConfigError("a link to a file outside the pipeline folder: copy the file here, "
                          "or set its names in the environment", file=shown)
    mode = target.stat().st_mode & 0o7777
    if mode & 0o002:
        raise ConfigError(f"any user of this machine may write it (mode {mode:04o}): "
                          f"chmod o-w {shown}", file=shown)
    if mode & 0o044:
        _warn_readable(target, mode, shown)


#: the secrets files warned about as readable by others, each with its mode: a run reads its
#: configuration more than once (function steps, each stack), and says it once
_warned_readable: set[tuple[str, int]] = set()
_warned_lock = threading.Lock()


def _warn_readable(target: Path, mode: int, shown: str) -> None:
    """A file the group or every user may read hands the token to them; it is read still
    (a shared machine's umask makes every new file so), and the line says how to close it."""
    with _warned_lock:
        if (str(target), mode) in _warned_readable:
            return
        _warned_readable.add((str(target), mode))
    who = "any user of this machine" if mode & 0o004 else "the file's group"
    log.warning("%s: %s may read the secrets in it (mode %04o): chmod 600 %s", shown, who,
                mode, shown)


#: a name a POSIX shell takes for a variable (the Base Definitions' "Name", section 3.235)
_SHELL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _check_secrets_lines(text: str, shown: str) -> None:
    """A line python-dotenv cannot parse is refused: left to it, the line is dropped with a
    warning that names no file, and a credential it held is later reported as not set. A
    name given twice is refused too: python-dotenv keeps the last value, silently."""
    from dotenv.parser import parse_stream

    first_line: dict[str, int] = {}
    for binding in parse_stream(io.StringIO(text)):
        if binding.key is not None and binding.value is None and not binding.error:
            # a bare name (dotenv's parse_binding gives it no value) is dropped by
            # dotenv_values' callers: a token written alone, or a name whose value was
            # forgotten, would be reported later as not set. The line may be the secret.
            raise ConfigError("expected NAME=value, found a line without '='", file=shown,
                              key=f"line {_binding_line(binding)}")
        if binding.key is not None and not binding.error:
            line = _binding_line(binding)
            if not _SHELL_NAME.fullmatch(binding.key):
                # python-dotenv takes any run of characters before "=" as a name (its
                # parser's _unquoted_key), so `MY-TOKEN=...` would set a variable no shell
                # and no setting can name. Neither the name nor the value is shown: a
                # token pasted before its "=" is the name.
                raise ConfigError("expected NAME=value, where NAME is letters, digits and "
                                  "'_', not starting with a digit", file=shown,
                                  key=f"line {line}")
            if binding.key in first_line:
                raise ConfigError(f"{binding.key} is given twice (first on line "
                                  f"{first_line[binding.key]}): keep one", file=shown,
                                  key=f"line {line}")
            first_line[binding.key] = line
        if binding.error:
            line = _binding_line(binding)
            blank = len(binding.original.string) - len(binding.original.string.lstrip())
            first = binding.original.string[blank:].split("\n", 1)[0]
            hint = "; is a quote left open?" if "=" in first else ""
            # the line itself is not shown: it may hold a secret
            raise ConfigError(f"expected NAME=value{hint}", file=shown, key=f"line {line}")


def _binding_line(binding: Any) -> int:
    """The line a python-dotenv statement is on; it may start with blank lines, which the
    line number it carries counts from."""
    blank = len(binding.original.string) - len(binding.original.string.lstrip())
    return int(binding.original.line) + binding.original.string[:blank].count("\n")


def _env_key(name: str) -> str | None:
    rest = name[len(ENV_PREFIX) + 1 :]
    parts = [p.lower() for p in rest.split("__") if p]
    if not parts or parts[0] in _NOT_SETTINGS:
        return None
    if len(parts) == 1 and parts[0] not in DEFAULTS:
        return None  # a YTP_ variable that is not a section, e.g. YTP_DEBUG
    return ".".join(parts)


def _set_dotted(data: dict[str, Any], dotted: str, value: Any,
                source: str | None = None) -> None:
    """Set `dotted` in `data`; `source` (--set, a variable) is what an error names."""
    parts = dotted.split(".")
    node = data
    for i, part in enumerate(parts[:-1]):
        child = node.get(part)
        if not isinstance(child, dict):
            if child is not None:
                raise ConfigError(
                    f"cannot set a nested key: {'.'.join(parts[: i + 1])} is not a mapping",
                    file=source, key=dotted,
                )
            child = node[part] = {}
        node = child
    if isinstance(value, Mapping) and isinstance(node.get(parts[-1]), dict):
        # a higher layer wins key by key: a mapping merges into the one below it (as the
        # file's does into the defaults), so `--set stages.graph={x: [a]}` keeps the rest
        _deep_merge(node[parts[-1]], value)
    else:
        node[parts[-1]] = value


def _deep_merge(base: dict[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _deep_merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def _flat_keys(data: Mapping[str, Any], prefix: str = "") -> Iterable[str]:
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        yield dotted
        if isinstance(value, Mapping):
            yield from _flat_keys(value, dotted + ".")

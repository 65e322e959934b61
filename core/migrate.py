"""`yt-pipeline migrate DIR`: rewrite a yt-framework pipeline's imports to yt-pipeline's.

The rewrite works on LibCST's syntax tree, so everything it does not touch (formatting,
comments, blank lines) stays byte for byte. `from yt_framework.X import a, b` becomes one
import per module of ours that provides the names (see migrate_rules.py); a name with no
counterpart stays where it is and is reported with its file, line and the reason, as is
every other use of `yt_framework` (a plain `import yt_framework...`, a name used through
its module), and every call of a client method yt-pipeline's client lacks, however the stage
reaches its client (migrate_client.py). Table creation through ytsaurus-client becomes the
client's create_path with the schema (migrate_create.py). A second run finds nothing to
change.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yt_pipeline.migrate_client import (
    CLIENT,
    MAYBE,
    Function,
    ModuleFacts,
    code_of,
    folder_facts,
)
from yt_pipeline.migrate_rules import (
    CLIENT_ATTRIBUTE,
    CLIENT_METHODS,
    COMPAT_OMEGACONF,
    STAGE_SIDE_FILES,
    is_framework,
    target_of,
    unsupported_reason,
)

#: where `migrate` keeps each file it rewrites, as it was (the same path below it)
ORIGINALS = ".yt-framework-originals"
#: folders a pipeline keeps things in that are not its code
SKIPPED_FOLDERS = {".git", ".dev", ".build", ".runs", ".venv", "venv", "__pycache__",
                   "node_modules", ".tox", ORIGINALS}


@dataclass
class Problem:
    path: Path
    line: int
    text: str
    #: a line migrate could not decide on (it may be right as it is), not one it could not
    #: convert
    check: bool = False

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text}"


@dataclass
class FileChange:
    path: Path
    before: str
    after: str
    problems: list[Problem] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def summary(self) -> str:
        """What changed, in a few words: `3 lines`, `1 line deleted`."""
        old, new = self.before.splitlines(), self.after.splitlines()
        matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
        replaced = deleted = added = 0
        for tag, a0, a1, b0, b1 in matcher.get_opcodes():
            if tag == "replace":
                replaced += max(a1 - a0, b1 - b0)
            elif tag == "delete":
                deleted += a1 - a0
            elif tag == "insert":
                added += b1 - b0
        parts = [f"{n} line{'s' if n != 1 else ''}{what}" for n, what in (
            (replaced, " changed"), (added, " added"), (deleted, " deleted")) if n]
        return ", ".join(parts) or "whitespace"

    def diff(self, root: Path) -> str:
        name = str(self.path.relative_to(root))
        return "".join(difflib.unified_diff(
            self.before.splitlines(keepends=True), self.after.splitlines(keepends=True),
            fromfile=f"a/{name}", tofile=f"b/{name}"))


def stage_side(path: Path) -> bool:
    """Code that runs in the pipeline's process, where `self.config` is a ConfigNode:
    stage.py, pipeline.py, and the modules beside a stage.py (stages/<name>/helpers.py),
    which no job runs (jobs run a stage's src/)."""
    if path.name in STAGE_SIDE_FILES:
        return True
    parent = path.parent
    return parent.parent.name == "stages" and (parent / "stage.py").is_file()


def dotted(node: Any) -> str:
    """`a.b.c` of an Attribute/Name node."""
    import libcst as cst

    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{dotted(node.value)}.{node.attr.value}"
    return ""


def _transformer() -> Any:
    import libcst as cst
    from libcst.metadata import PositionProvider

    class ImportRewriter(cst.CSTTransformer):
        METADATA_DEPENDENCIES = (PositionProvider,)

        def __init__(self, path: Path, facts: ModuleFacts):
            super().__init__()
            self.path = path
            self.problems: list[Problem] = []
            #: local names bound to a yt_framework module by a plain import
            self.module_aliases: dict[str, str] = {}
            #: where the client comes from in this module (and its folder)
            self.facts = facts
            #: the functions the rewriter is in, innermost last
            self.scopes: list[Function] = []
            #: the classes the rewriter is in, innermost last
            self.classes: list[cst.ClassDef] = []
            #: `X.client` on yt-framework's client, by id, until a call through it is
            #: rewritten
            self.inner_clients: dict[int, cst.Attribute] = {}

        def _line(self, node: cst.CSTNode) -> int:
            return int(self.get_metadata(PositionProvider, node).start.line)

        def report(self, node: cst.CSTNode, text: str) -> None:
            self.problems.append(Problem(self.path, self._line(node), text))

        def visit_Import(self, node: cst.Import) -> bool:
            for alias in node.names:
                module = dotted(alias.name)
                if module == "omegaconf" and stage_side(self.path):
                    self.report(node, "import omegaconf: in stage code self.config is not an "
                                      "OmegaConf config; write 'from omegaconf import "
                                      "OmegaConf' so that migrate points it to "
                                      "yt_pipeline.compat.omegaconf")
                if is_framework(module) or unsupported_reason(module):
                    reason = unsupported_reason(module) or "import the names it provides "\
                        "with 'from ... import ...' so they can be rewritten"
                    self.report(node, f"import {module}: {reason}")
                    local = dotted(alias.asname.name) if alias.asname else module.split(".")[0]
                    self.module_aliases[local] = module
            # the dotted names of an import are no use of a module through its alias
            return False

        def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
            # `from yt_framework.core import X` after an `import yt_framework` names the
            # module, it does not use it through the alias (leave_SimpleStatementLine
            # rewrites or reports the statement)
            return False

        def leave_SimpleStatementLine(self, original: cst.SimpleStatementLine,
                                      updated: cst.SimpleStatementLine) -> Any:
            if len(updated.body) != 1 or not isinstance(updated.body[0], cst.ImportFrom):
                return updated
            statement = updated.body[0]
            if statement.relative:
                return self._absolute(original, updated, statement)
            if statement.module is None:
                return updated
            module = dotted(statement.module)
            if module == "omegaconf" and stage_side(self.path):
                return self._omegaconf(updated, statement)
            if not (is_framework(module) or unsupported_reason(module)):
                return updated
            if isinstance(statement.names, cst.ImportStar):
                self.report(original, f"from {module} import *: name what you import, "
                                      "so each name can be rewritten")
                return updated
            return self._split(original, updated, statement, module)

        def _split(self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine,
                   statement: cst.ImportFrom, module: str) -> Any:
            by_target: dict[str, list[cst.ImportAlias]] = {}
            kept: list[cst.ImportAlias] = []
            for alias in statement.names:  # type: ignore[union-attr]
                name = dotted(alias.name)
                target, reason = target_of(module, name)
                if target is None:
                    self.report(original, f"{name} (from {module}): {reason}")
                    kept.append(alias)
                else:
                    by_target.setdefault(target, []).append(alias)
            if not by_target:
                return updated
            if len(by_target) == 1 and not kept:  # the usual case: only the module changes
                target = next(iter(by_target))
                return updated.with_changes(body=[statement.with_changes(
                    module=cst.parse_expression(target))])
            lines = []
            for target, aliases in by_target.items():
                cleaned = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in aliases]
                lines.append(updated.with_changes(body=[statement.with_changes(
                    module=cst.parse_expression(target), names=cleaned,
                    lpar=None if len(cleaned) < 2 else statement.lpar,
                    rpar=None if len(cleaned) < 2 else statement.rpar)]))
            if kept:
                cleaned = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in kept]
                lines.append(updated.with_changes(body=[statement.with_changes(names=cleaned)]))
            # the first line keeps the comments above the statement; the rest go bare
            first, rest = lines[0], [line.with_changes(leading_lines=[]) for line in lines[1:]]
            return cst.FlattenSentinel([first, *rest])

        def _absolute(self, original: cst.SimpleStatementLine,
                      updated: cst.SimpleStatementLine, statement: cst.ImportFrom) -> Any:
            """`from .helpers import x` in stages/<name>/stage.py: yt-framework imported it as
            the package module `stages.<name>.stage` (yt_framework/core/discovery.py), where
            a relative import works; yt-pipeline loads it from its file with the pipeline's
            folder on sys.path, so the import names the package from there. (The modules
            beside it are imported as `stages.<name>.helpers`: theirs keep working.)"""
            if self.path.name != "stage.py" or self.path.parent.parent.name != "stages":
                return updated
            package = ["stages", self.path.parent.name]
            level = len(statement.relative)
            if level > len(package):
                self.report(original, "a relative import above stages/: import the module "
                                      "by its name from the pipeline's folder")
                return updated
            parts = package[:len(package) - level + 1]
            if statement.module is not None:
                parts.append(dotted(statement.module))
            return updated.with_changes(body=[statement.with_changes(
                relative=[], module=cst.parse_expression(".".join(parts)))])

        def _omegaconf(self, updated: cst.SimpleStatementLine, statement: cst.ImportFrom) -> Any:
            """In stage code, `OmegaConf` takes the stage's config (a ConfigNode); the other
            names of the import (`DictConfig`) come through the compat module unchanged."""
            if isinstance(statement.names, cst.ImportStar) or "OmegaConf" not in [
                    dotted(a.name) for a in statement.names]:
                return updated
            return updated.with_changes(body=[statement.with_changes(
                module=cst.parse_expression(COMPAT_OMEGACONF))])

        def visit_ClassDef(self, node: cst.ClassDef) -> None:
            self.classes.append(node)

        def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
            self.classes.pop()
            return updated

        def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
            """Table creation through ytsaurus-client, as create_path (migrate_create.py)."""
            from yt_pipeline.migrate_create import (
                WRAPPER_CALLS,
                framework_client,
                params_of,
                wrapper_function,
            )

            scope = self.scopes[-1] if self.scopes else None
            holder, kind = framework_client(original.func, self.facts, scope)
            if holder is not None:
                params = params_of(original.func)
                if kind.what == MAYBE:
                    self.problems.append(Problem(self.path, self._line(original), (
                        f"{code_of(original.func)}(...): migrate cannot tell whether "
                        f"{code_of(holder)} is the YT client ({kind.why}); if it is: "
                        f"write {code_of(holder)}.create_path(path, \"table\", "
                        "schema=[...])"), check=True))
                    return updated
                return self._created(original, updated, params, holder, scope)
            function = wrapper_function(original.func, self.facts)
            if function is None or not stage_side(self.path):
                return updated  # job code may reach the cluster with yt.wrapper itself
            stage = scope.self_name if scope is not None and self._in_stage() else None
            if stage is None:
                self.report(original, f"{code_of(original.func)}(...) outside a stage's "
                                      "method: create the table with the stage's client, "
                                      "self.deps.yt_client.create_path(path, \"table\", "
                                      "schema=[...])")
                return updated
            client = cst.parse_expression(f"{stage}.deps.{CLIENT_ATTRIBUTE}")
            return self._created(original, updated, WRAPPER_CALLS[function], client, scope)

        def _created(self, original: cst.Call, updated: cst.Call, params: tuple[str, ...],
                     client: cst.BaseExpression, scope: Function | None) -> cst.BaseExpression:
            from yt_pipeline.migrate_create import rewrite

            made = rewrite(original, updated, params, client, self.facts, scope)
            if isinstance(original.func, cst.Attribute):
                # converted, or named with what to write instead: `X.client` says no more
                self.inner_clients.pop(id(original.func.value), None)
            for text, check in made.notes:
                self.problems.append(Problem(self.path, self._line(original), text, check))
            return made.call if made.call is not None else updated

        def _in_stage(self) -> bool:
            """In a method of a stage class: one deriving from a class named ...Stage, or
            any class of a stage.py."""
            if not self.classes:
                return False
            if self.path.name == "stage.py":
                return True
            return any(dotted(base.value).split(".")[-1].endswith("Stage")
                       for base in self.classes[-1].bases)

        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            outer = self.scopes[-1] if self.scopes else None
            self.scopes.append(self.facts.scope_of(node, outer))

        def leave_FunctionDef(self, original: cst.FunctionDef,
                              updated: cst.FunctionDef) -> cst.FunctionDef:
            self.scopes.pop()
            return updated

        def visit_Call(self, node: cst.Call) -> None:
            """A call of a yt-framework client method that this client lacks (it would
            fail with AttributeError only when the stage runs), on the client however the
            stage reaches it (migrate_client.py); on what might be the client through code
            migrate cannot follow, a line to check by hand."""
            function = node.func
            if not isinstance(function, cst.Attribute):
                return
            reason = CLIENT_METHODS.get(function.attr.value)
            if not reason:
                return
            kind = self.facts.kind(function.value, self.scopes[-1] if self.scopes else None)
            call = f"{code_of(function)}(...)"
            if kind.what == CLIENT:
                self.report(node, f"{call}: {reason}")
            elif kind.what == MAYBE:
                self.problems.append(Problem(self.path, self._line(node), (
                    f"{call}: migrate cannot tell whether {code_of(function.value)} is the "
                    f"YT client ({kind.why}); if it is: {reason}"), check=True))

        def visit_Attribute(self, node: cst.Attribute) -> None:
            name = dotted(node)
            head = name.split(".")[0]
            if head in self.module_aliases and name.count(".") == 1:
                self.report(node, f"{name}: used through the module {self.module_aliases[head]}")
            if node.attr.value == "client" and self.facts.kind(
                    node.value, self.scopes[-1] if self.scopes else None).what == CLIENT:
                self.inner_clients[id(node)] = node

        def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
            """`X.client` left once the creation calls through it are create_path: the
            yt.wrapper client yt-framework's prod client held, which this one has not."""
            for node in self.inner_clients.values():
                self.report(node, f"{code_of(node)}: yt-pipeline's client holds no "
                                  "ytsaurus client; call its own methods (create_path, "
                                  "write_table, read_table, exists, remove, list, row_count)")
            return updated

    return ImportRewriter


def migrate_text(path: Path, text: str,
                 folder: dict[str, ModuleFacts] | None = None) -> FileChange:
    """`text` of `path` rewritten; `folder` holds the other modules of its folder (where a
    helper returning the client may live: migrate_client.folder_facts)."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper

    try:
        tree = cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        return FileChange(path, text, text, [Problem(path, error.raw_line,
                                                     f"not valid Python: {error.message}")])
    wrapper = MetadataWrapper(tree)
    # the facts are read from the wrapper's copy of the tree, the one the rewriter visits
    rewriter = _transformer()(path, ModuleFacts(path, wrapper.module, folder or {}))
    after = wrapper.visit(rewriter).code
    # notes made when a node is left (a rewritten call) come after those of its insides
    return FileChange(path, text, after, sorted(rewriter.problems, key=lambda p: p.line))


def _parsed(path: Path) -> Any:
    """A module's syntax tree, or None when it cannot be read (reported where it is
    migrated itself)."""
    import libcst as cst

    try:
        return cst.parse_module(read_source(path))
    except (OSError, UnicodeDecodeError, cst.ParserSyntaxError):
        return None


def python_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).parts
        if not any(part in SKIPPED_FOLDERS for part in relative[:-1]):
            yield path


def read_source(path: Path) -> str:
    """The file's text as it is: UTF-8, its line ends kept (a CRLF file stays CRLF)."""
    return path.read_bytes().decode("utf-8")


def migrate_tree(root: Path, paths: Sequence[Path] | None = None) -> list[FileChange]:
    """What `migrate` would change in each Python file under `root` (nothing is written)."""
    changes = []
    folders: dict[Path, dict[str, ModuleFacts]] = {}
    for path in paths if paths is not None else python_files(root):
        try:
            text = read_source(path)
        except UnicodeDecodeError as error:
            changes.append(FileChange(path, "", "", [Problem(
                path, 1, f"not UTF-8 ({error.reason} at byte {error.start}): save it as "
                         "UTF-8 (as Python 3 reads it) and run migrate again")]))
            continue
        if not any(word in text for word in ("yt_framework", "ytjobs.s3", "omegaconf",
                                             CLIENT_ATTRIBUTE, *CLIENT_METHODS, "from .",
                                             ".create(", "create_table(")):
            continue  # no import or client call to look at: the parse is skipped
        if path.parent not in folders:
            folders[path.parent] = folder_facts(path, _parsed)
        changes.append(migrate_text(path, text, folders[path.parent]))
    return changes


def write_changes(changes: Sequence[FileChange], root: Path) -> int:
    """Write the changed files, all or none (migrate_write.py), each with the permissions
    it had; first each file as it was is copied to ORIGINALS under `root` (a copy already
    there, from an earlier run, is kept: it is the older one)."""
    from yt_pipeline.migrate_write import write_all

    return write_all(changes, root, ORIGINALS)

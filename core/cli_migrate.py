"""`yt-pipeline migrate DIR`: a yt-framework pipeline, rewritten to run on yt-pipeline."""

from __future__ import annotations

from pathlib import Path

import click

from yt_pipeline.errors import MigrationIncomplete, UsageError, YtPipelineError


@click.command()
@click.argument("pipeline_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--diff", "show_diff", is_flag=True,
              help="Print what would change as a unified diff; write nothing.")
def migrate(pipeline_dir: Path, show_diff: bool) -> None:
    """Rewrite the yt-framework imports of the pipeline in PIPELINE_DIR to yt-pipeline's.

    Every .py file under the folder is read (not .dev, .build, .git or virtual
    environments); each `from yt_framework... import ...` becomes the yt-pipeline import
    of the same names, formatting and comments kept. Names with no counterpart (the S3
    helpers, say), and keys of stages' config.yaml that yt-pipeline refuses
    (operation_description, user_slots, ...), are left as they are and listed with
    file:line and what to do instead, as are calls of client methods yt-pipeline's client
    lacks (run_map, upload_file, ...) however the stage reaches its client; a call that
    may be on the client through code migrate cannot follow is listed to check by hand.
    A table made through ytsaurus-client (`self.deps.yt_client.client.create("table",
    path, attributes={"schema": [...]})`, or yt.wrapper's `create`/`create_table` in a
    stage) becomes `create_path(path, "table", schema=[...])`, and what create_path does
    not do (optimize_for, force, ...) is listed. Then the exit code is 2. Each file it rewrites is
    listed, and kept as it was under PIPELINE_DIR/.yt-framework-originals/ first (with
    --diff, nothing is written). Running it again changes nothing.

    \b
    Examples:
      yt-pipeline migrate my_pipeline --diff   # preview
      yt-pipeline migrate my_pipeline          # rewrite in place
    """
    from yt_pipeline.logs import mask_secrets, masked
    from yt_pipeline.migrate import ORIGINALS, migrate_tree, python_files, stage_side, write_changes
    from yt_pipeline.migrate_config import (
        is_pipeline_tree,
        pipeline_config_changes,
        secret_values_under,
        secrets_problems,
        stage_config_changes,
    )

    root = pipeline_dir.resolve()
    if not is_pipeline_tree(root):
        raise UsageError(f"{pipeline_dir} is not a yt-framework pipeline: it has no "
                         "pipeline.py, stages/ or configs/config.yaml, and no .py file in it "
                         "imports yt_framework")
    # a file it reads may hold a secret's value (typed into a stage's config.yaml, say),
    # which a diff's context lines or a YAML error's excerpt would quote: all it prints is
    # masked, as a run's output is
    mask_secrets(secret_values_under(root))
    changes = migrate_tree(root) + stage_config_changes(root) + pipeline_config_changes(root)
    changed = [c for c in changes if c.changed]
    problems = [p for c in changes for p in c.problems] + secrets_problems(root)
    if show_diff:
        for change in changed:
            click.echo(masked(change.diff(root)), nl=False)
    else:
        try:
            write_changes(changed, root)
        except OSError as error:
            # write_changes wrote all or nothing: the pipeline is as it was
            raise YtPipelineError(f"cannot write {error.filename or pipeline_dir}: "
                                  f"{error.strerror or error}; nothing was rewritten") from error
    verb = "would rewrite" if show_diff else "rewrote"
    for change in changed:
        click.echo(f"{verb} {change.path.relative_to(root)} ({change.summary()})",
                   err=show_diff)
    click.echo(f"{verb} {len(changed)} file(s) under {pipeline_dir}", err=show_diff)
    if changed and not show_diff:
        click.echo(f"the files as they were: {pipeline_dir / ORIGINALS}")
    from yt_pipeline.migrate_job_imports import job_import_notes

    # not a line to convert (the exit code stays), but the first dev run would fail on it
    job_files = [path for path in python_files(root) if not stage_side(path)]
    for note in job_import_notes(root, job_files):
        click.echo(f"note: {note}", err=True)
    for problem in problems:
        problem.path = problem.path.relative_to(root)
        what = "check by hand" if problem.check else "cannot convert"
        click.echo(masked(f"{what}: {problem}"), err=True)
    to_check = sum(1 for p in problems if p.check)
    if to_check == len(problems) and problems:
        raise MigrationIncomplete(f"{to_check} line(s) to check by hand (see "
                                  "docs/coming-from-yt-framework.md)")
    if problems:
        also = f", and {to_check} to check" if to_check else ""
        raise MigrationIncomplete(f"{len(problems) - to_check} line(s) left to convert by "
                                  f"hand{also} (see docs/coming-from-yt-framework.md)")

"""map, reduce, map_reduce and sort in dev, each as YT runs them.

map pipes byte ranges of the inputs through N parallel jobs and joins their outputs in input
order; reduce sorts its inputs by sort_by (reduce_by without it), then hands each job whole
groups of reduce_by; sort sorts for real. With several input tables the jobs' input carries
table switches, and the jobs' output is split among the output tables by the switches they write (see
table_switches.py). Every output is written through the client's `writing` (a temporary
file renamed over the table, or staged in the stage's transaction), so a failed operation
leaves every table as it was.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Collection, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import NoReturn

from yt_pipeline import table_paths
from yt_pipeline.column_types import MAX_KEY_WEIGHT, HeavyKey, IncomparableKey, double_columns
from yt_pipeline.crashpoints import crash_point
from yt_pipeline.errors import BackendError, OperationFailed, TableNotFound
from yt_pipeline.join_keys import foreign_positions
from yt_pipeline.key_column_types import KeyedInput, reduce_key_types_differ, schema_key_columns
from yt_pipeline.key_filters import input_key, left_out_key_column
from yt_pipeline.operations import OperationSpec, check_reduce_keys
from yt_pipeline.schema_compat import (
    PREPARE_FAILED,
    checks_output_schema,
    incompatible_input,
    prepare_failure,
)
from yt_pipeline.sorted_writes import selected_only
from yt_pipeline.yql_presort import unfeedable_presort
from yt_pipeline.yql_type_v3 import declared_kind_v3
from yt_pipeline_dev.atomic import CHUNK, Bounded
from yt_pipeline_dev.client import PresortRefused, UnsortedWrite, normal
from yt_pipeline_dev.job_controls import (
    Places,
    control_of,
    plain_places,
    selection_places,
    with_controls,
)
from yt_pipeline_dev.join_reduce import segment_lines, write_joined
from yt_pipeline_dev.launcher import INPUTS_DIR, OperationRun
from yt_pipeline_dev.processes import JobFailure
from yt_pipeline_dev.selected_rows import select_rows
from yt_pipeline_dev.shards import Segment, split_by_groups, split_files
from yt_pipeline_dev.sort_work import sort_area
from yt_pipeline_dev.sorted_schema import order_job_outputs, sort_output_schema
from yt_pipeline_dev.sorting import SortStopped, line_key, merge_sorted, sort_files
from yt_pipeline_dev.table_switches import (
    BadSwitch,
    place_output,
    route_output,
    split_by_runs,
    take_output,
    with_switches,
)
from yt_pipeline_dev.tablelock import lock_file
from yt_pipeline_dev.whole_lines import vouch, vouched, vouched_file
from yt_pipeline_dev.yql_schema import RowOffSchema, declared_key, required_of, schema_of


def _inputs(op: OperationRun, *, ranges: bool = False) -> list[Path]:
    """The input tables' files as they are when the operation starts: hard links in its
    sandbox. An operation reads a snapshot of its inputs, as on a cluster: the split into
    shards and every job read the same version even when a parallel stage or another run
    commits a new one meanwhile (a commit renames a new file over the table; it never
    changes a table's file). Read through the table's name, the jobs fed after such a
    commit read the new file at the old one's offsets: rows of both versions, some lost.

    A staged file of the stage's own transaction does change: an append writes it in place
    (txn._appending_in_place). `ranges`: the caller reads the inputs only through byte
    ranges bounded by `_input_sizes`, so such a file is linked too, read to the length it
    had (an append in place only adds bytes past it, a failed one cuts back no shorter, an
    overwrite renames a new file over the name); otherwise it is copied as the stage sees
    it. The first call decides for the operation."""
    if op._inputs is None:
        folder = op.sandbox / INPUTS_DIR
        folder.mkdir(exist_ok=True)
        snapshot = []
        for index, text in enumerate(op.spec.input_tables):
            selected = table_paths.parse(text)
            table = selected.path
            live = op.client.existing_table(table)
            held = folder / f"{index}.jsonl"
            staged = op.client.txn is not None and live.parent == op.client.txn.dir
            if staged and ranges and not selected.selects:
                _link_seen(op, table, held)
            elif staged:
                _copy_seen(op, table, held)
                crash_point("dev: staged input copied")
            else:
                try:
                    os.link(live, held)
                except FileNotFoundError:
                    raise TableNotFound(table) from None  # removed this instant
                except OSError:  # no hard links here: a copy is a snapshot too
                    shutil.copyfile(live, held)
            if selected.selects:
                # a file of its own: its offsets are not the table's, so no fallback to it
                held, table_rows = select_rows(held, selected, op.client.root)
                op.selected_from[held] = table_rows
            elif not staged:
                op._snapshot_of[held] = live
            snapshot.append(held)
        op._inputs = snapshot
    return op._inputs


def _input_sizes(op: OperationRun) -> list[int]:
    """How many bytes of each input the operation reads: a linked staged file to the length
    it had when the operation started, the others whole."""
    return [op._input_ends.get(path, path.stat().st_size) for path in _inputs(op)]


def _copy_seen(op: OperationRun, table: str, held: Path) -> None:
    handle, status = op.client.open_table(table)
    with handle, held.open("wb") as out:
        shutil.copyfileobj(handle, out, CHUNK)
    if vouched(op.client.root, status):  # whole rows of a file of whole rows
        vouch(op.client.root, held)


def _link_seen(op: OperationRun, table: str, held: Path) -> None:
    """`held`: a hard link to the staged file of `table`, read to the length the stage sees
    now. Copied instead when the name no longer holds the file opened (an overwrite or a
    removal this instant) or the file system has no hard links."""
    assert op.client.txn is not None
    live = op.client.existing_table(table)
    try:
        handle, length = op.client.txn.open_staged(live)
    except FileNotFoundError:
        raise TableNotFound(table) from None  # removed this instant
    with handle:
        status = os.fstat(handle.fileno())
        try:
            os.link(live, held)
            same = held.stat()
            linked = (same.st_dev, same.st_ino) == (status.st_dev, status.st_ino)
        except OSError:
            linked = False
        if not linked:
            held.unlink(missing_ok=True)
            with held.open("wb") as out:
                shutil.copyfileobj(Bounded(handle, length), out, CHUNK)
    op._input_ends[held] = length
    if vouched(op.client.root, status):  # whole rows of a file of whole rows, cut at a row
        op._whole_inputs.add(held)


def _inputs_whole(op: OperationRun) -> bool:
    """True when every input table holds one row a line (whole_lines): then so does each
    job's input, whole lines of them and the table switches between them."""
    return all(path in op._whole_inputs if path in op._input_ends
               else vouched_file(op.client.root, path) for path in _inputs(op, ranges=True))


def _input_shards(op: OperationRun) -> list[list[Segment]]:
    shards = split_files(_inputs(op, ranges=True), op.job_count, _input_sizes(op))
    if len(op.spec.input_tables) > 1:
        shards = [with_switches(shard) for shard in shards]
    return shards


def _with_controls(op: OperationRun, shards: list[list[Segment]], phase: str,
                   key: list[str] | None = None,
                   doubles: frozenset[str] = frozenset()) -> list[list[Segment]]:
    """The jobs' input with the control rows the phase's job_io asks for (job_controls.py):
    row and range indexes of the input tables' rows for a map phase, key switches by `key`
    for a reduce phase. Only a map_reduce's reducer goes without table indexes."""
    spec = op.spec
    control = control_of(spec, phase)
    if not control.any:
        return shards
    trailer = op.sandbox / "end_of_stream"
    trailer.write_bytes(b"")
    with_index = len(spec.input_tables) > 1 and not (spec.kind == "map_reduce"
                                                     and phase == "reduce")
    inputs = _inputs(op)

    def places(index: int) -> Places:
        selected = table_paths.parse(spec.input_tables[index])
        if selected.ranges is None:
            return plain_places
        return selection_places(selected.ranges, op.selected_from[inputs[index]])

    try:
        return with_controls(shards, control, with_index, trailer,
                             places if phase == "map" else None,
                             line_key(key, doubles) if key and phase == "reduce" else None,
                             stopped=None if op.run_ended is None else op.run_ended.is_set)
    except SortStopped:
        # a look at every line of the input, as long as a merge for big inputs
        raise op.ended_before(phase, what="input reading") from None


def _run_scripts(op: OperationRun, script: str, phase: str, shards: list[list[Segment]],
                 targets: list[Path], *, whole_input: bool = False,
                 columns: list[dict[str, str] | None] | None = None,
                 keys: list[list[str] | None] | None = None) -> list[int]:
    """One job per shard; the outputs, in shard order, are split among `targets`. Returns
    the rows each target got. `whole_input`: the shards hold one row a line; `columns`: the
    strict schema of each target's table (None: none), which each job's rows must fit;
    `keys`: the key of each target's table of sorted schema, whose weight each row's key
    must stay under."""
    outputs = [op.sandbox / f"{phase}{i}.out" for i in range(len(shards))]
    # output tables 1, 2... each have a file of their own too: the job may write their rows
    # to fd 4, 7... instead of switching tables on stdout (job_fds.py)
    extras = [[op.sandbox / f"{phase}{i}.out{t}" for t in range(1, len(targets))]
              for i in range(len(shards))]
    jobs = [op.job(script, i, phase=phase, stdin=shard, stdout=outputs[i],
                   whole_stdin=whole_input, extra_outputs=extras[i], output_columns=columns,
                   output_keys=keys)
            for i, shard in enumerate(shards)]
    op.run(jobs, phase)
    rows = [0] * len(targets)
    for index, output in enumerate(outputs):
        rows = _place_job_output(op, jobs, index, output, extras[index], targets, rows, phase)
        crash_point(f"dev: {phase} job output placed")
        for target in targets:  # where this job's rows end in each output
            op.job_ends.setdefault(target, []).append(target.stat().st_size)
    return rows


def _place_job_output(op: OperationRun, jobs: list, index: int, output: Path,
                      extras: list[Path], targets: list[Path], rows: list[int],
                      phase: str) -> list[int]:
    """Append job `index`'s output to `targets`; returns the rows each target has got."""
    told = jobs[index].told
    if told is not None and told.switches == 0 and len(targets) == 1:
        # ytjobs wrote all of it, to table 0, and told its rows: nothing to read
        place_output(output, targets[0])
        return [rows[0] + told.rows]
    # the first output into an empty table becomes its file (most maps: one table)
    if index == 0 and len(targets) == 1 and targets[0].stat().st_size == 0:
        taken = take_output(output, targets[0])
        if taken is not None:
            return [taken]
    # stdout first, then fd 4, 7...: each starts at its own table and may switch
    for first, path in enumerate([output, *extras]):
        try:
            got = route_output(path, targets, first=first)
        except BadSwitch as bad:
            failure = JobFailure(index, None, "failed", jobs[index].stderr, detail=str(bad))
            raise op.failed(failure, phase, len(jobs)) from None
        rows = [a + b for a, b in zip(rows, got, strict=True)]
        path.unlink()
    return rows


def _incomparable(op: OperationRun, columns: list[str],
                  exc: IncomparableKey | HeavyKey) -> OperationFailed:
    """The sort's failure, as a cluster's sort fails (the operation, not the client)."""
    op.client.log(op.spec.kind, op.spec.title, extra="FAILED sort")
    return OperationFailed(f"cannot sort {', '.join(op.spec.input_tables)} by "
                           f"[{', '.join(columns)}]: {exc}", stage=op.spec.stage_name,
                           operation=op.spec.name, sandbox=op.sandbox)


def _input_doubles(op: OperationRun) -> frozenset[str]:
    """The columns of a double type in the strict schema of any of the operation's input
    tables: a non-finite double a YQL write left there is a text in dev (yql_doubles.py),
    sorted as the double it stands for (sorting.row_key)."""
    found: set[str] = set()
    for table in op.spec.input_tables:
        found |= double_columns(op.client.strict_columns(table_paths.plain(table)))
    return frozenset(found)


def _sort(op: OperationRun, sources: list[Path], target: Path, columns: list[str],
          doubles: frozenset[str] = frozenset()) -> int:
    try:
        # the sorted table's writer refuses a key of 16 KiB or more, as on a cluster; the
        # runs go to the dev folder's .sort/, where a later run removes a killed sort's
        return sort_files(sources, target, columns, work_dir=sort_area(op.client.root),
                          key_limit=MAX_KEY_WEIGHT, doubles=doubles,
                          stopped=None if op.run_ended is None else op.run_ended.is_set)
    except SortStopped:
        raise op.ended_before("sort", what="sort") from None
    except (IncomparableKey, HeavyKey) as exc:
        raise _incomparable(op, columns, exc) from None
    except ValueError as exc:
        raise BackendError(
            f"stage {op.spec.stage_name} operation {op.spec.name}: cannot sort "
            f"{', '.join(op.spec.input_tables)}: a line is not JSON ({exc})"
        ) from None


def reduce_sort_key(spec: OperationSpec) -> list[str]:
    """What a reduce or a map_reduce sorts its rows by: sort_by, or reduce_by when a spec
    built in code leaves sort_by out, as a cluster does (a reduce's controller takes
    `SortBy.empty() ? ReduceBy : SortBy`: TReduceController::AdjustSortColumns in yt/yt/
    server/controller_agent/controllers/sorted_controller.cpp; a map_reduce's spec
    postprocessor sets an empty sort_by to reduce_by, ascending: TMapReduceOperationSpec in
    yt/yt/ytlib/scheduler/config.cpp)."""
    return list(spec.sort_by or spec.reduce_by)


def _sorted_shards(op: OperationRun, sources: list[Path],
                   doubles: frozenset[str] = frozenset()) -> list[list[Segment]]:
    """The rows of `sources` sorted by sort_by, in shards of whole reduce_by groups. With
    several sources each is sorted alone and then merged, so that the rows of a key come
    ordered by table, with a switch wherever the table changes."""
    spec = op.spec
    sort_by = reduce_sort_key(spec)
    merged = op.sandbox / "sorted.jsonl"
    if len(sources) == 1:
        _sort(op, sources, merged, sort_by, doubles)
        runs = None
    else:
        parts = [op.sandbox / f"sorted{i}.jsonl" for i in range(len(sources))]
        with _dropped_after(parts):
            for source, part in zip(sources, parts, strict=True):
                _sort(op, [source], part, sort_by, doubles)
            runs = _merge(op, parts, merged, sort_by, doubles)
    try:
        cuts = split_by_groups(merged, op.job_count, line_key(spec.reduce_by))
    except IncomparableKey as exc:
        raise _incomparable(op, spec.reduce_by, exc) from None
    if runs is None:
        return [[cut] for cut in cuts]
    return [with_switches(split_by_runs(cut, runs)) for cut in cuts]


def _joined_shards(op: OperationRun, sources: list[Path]) -> list[list[Segment]]:
    """A reduce with foreign tables: the primary tables' rows sorted by sort_by and merged,
    in shards of whole reduce_by groups, each shard with the foreign rows of its join_by
    keys (join_reduce.py)."""
    spec = op.spec
    sort_by = reduce_sort_key(spec)
    foreign = foreign_positions(spec.input_tables)
    primary = [index for index in range(len(sources)) if index not in foreign]
    parts = [op.sandbox / f"sorted{index}.jsonl" for index in primary]
    doubles = _input_doubles(op)
    merged = op.sandbox / "sorted.jsonl"
    sorted_foreign = [(index, op.sandbox / f"foreign{index}.jsonl") for index in foreign]
    with _dropped_after([*parts, *(path for _, path in sorted_foreign)]):
        for index, part in zip(primary, parts, strict=True):
            _sort(op, [sources[index]], part, sort_by, doubles)
        for index, path in sorted_foreign:
            _sort(op, [sources[index]], path, spec.join_by, doubles)
        runs = [(offset, primary[part])
                for offset, part in _merge(op, parts, merged, sort_by, doubles)]
        stopped = None if op.run_ended is None else op.run_ended.is_set
        joined: list[Path] = []
        try:
            cuts = split_by_groups(merged, op.job_count, line_key(spec.reduce_by))
            shards = []
            for number, cut in enumerate(cuts):
                joined.append(op.sandbox / f"joined{number}.jsonl")
                lines = segment_lines(split_by_runs(cut, runs))
                table_runs = write_joined(lines, sorted_foreign, line_key(spec.join_by),
                                          joined[-1], stopped)
                whole = Segment(joined[-1], 0, joined[-1].stat().st_size)
                shards.append(with_switches(split_by_runs(whole, table_runs)))
        except IncomparableKey as exc:
            raise _incomparable(op, sort_by, exc) from None
        except SortStopped:
            # as long as the merge for big inputs, and stopped alike: what it wrote goes
            for path in [merged, *joined]:
                path.unlink(missing_ok=True)
            raise op.ended_before("join", what="join") from None
    return shards


def _merge(op: OperationRun, parts: list[Path], target: Path, sort_by: list[str],
           doubles: frozenset[str]) -> list[tuple[int, int]]:
    """merge_sorted, stopped as the sorts are once the run has ended: a merge of big
    inputs went on to its end after the run's, its stage's transaction open beside the
    next run. A stopped merge's target, incomplete, goes."""
    try:
        return merge_sorted(parts, target, sort_by, doubles,
                            stopped=None if op.run_ended is None else op.run_ended.is_set)
    except SortStopped:
        target.unlink(missing_ok=True)
        raise op.ended_before("merge", what="merge") from None
    except IncomparableKey as exc:
        raise _incomparable(op, sort_by, exc) from None


@contextmanager
def _dropped_after(paths: list[Path]) -> Iterator[None]:
    """The sorted copies of a reduce's inputs, removed once merged, or once the sorts or
    the merge failed or stopped: the sandbox kept then shows the operation, not copies of
    whole tables."""
    try:
        yield
    finally:
        for path in paths:
            path.unlink(missing_ok=True)


#: runs an operation's last jobs into the temporary files of its output tables, given the
#: strict schema of each table (None: it has none) and the key of each table of sorted
#: strict schema (None: not sorted); returns the rows added to each
Produce = Callable[[list[Path], list[dict[str, str] | None], list[list[str] | None]],
                   list[int]]


def _write_outputs(op: OperationRun, produce: Produce) -> None:
    """Run `produce` over the temporary files of the output tables; it returns the rows it
    added to each."""
    try:
        _write_all(op, produce)
    except UnsortedWrite as refused:
        # an output table of sorted strict schema the jobs' rows would unsort: the
        # operation fails, as on a cluster, and every output stays as it was
        op.client.log(op.spec.kind, op.spec.title, extra="FAILED output order")
        raise OperationFailed(f"{op.spec.kind} operation failed: {refused.refusal}",
                              stage=op.spec.stage_name, operation=op.spec.name,
                              sandbox=op.sandbox, kind=op.spec.kind) from None


def _write_all(op: OperationRun, produce: Produce) -> None:
    tables = op.spec.output_tables
    client = op.client
    with ExitStack() as stack:
        action = f"{op.spec.kind} operation"
        # outside a transaction each write takes its table's lock until the end: taken in
        # the order of the outputs in the spec, two takers of the same tables in other
        # orders (another operation, a commit finished by the next run, which takes them
        # in TableLocks' order) each held one and waited for the other's, forever
        opened: dict[int, Path] = {}
        in_lock_order = sorted(range(len(tables)),
                               key=lambda i: lock_file(client.root, normal(tables[i]), ".lock"))
        for index in in_lock_order:
            opened[index] = stack.enter_context(client.writing(
                tables[index], append=op.spec.append, by_jobs=True, action=action))
        tmps = [opened[index] for index in range(len(tables))]
        # every line a job wrote was checked as a row (job_output): a table holds one row a
        # line after the operation if it did before (an append) or was empty
        whole = [not op.spec.append or tmp.stat().st_size == 0 or client.vouched_for(table)
                 for table, tmp in zip(tables, tmps, strict=True)]
        starts = [tmp.stat().st_size for tmp in tmps]
        # each job's rows are checked against these as it ends, so that a row a table
        # refuses fails its job, as on a cluster (output_schema.py)
        columns = [client.strict_columns(table) for table in tables]
        # and a table of sorted strict schema is written by a sorted writer, which weighs
        # each row's key (output_schema.heavy_key)
        keys = [client.sort_order(table) for table in tables]
        for table, rows in zip(tables, produce(tmps, columns, keys), strict=True):
            op.rows[table] = rows
        for table, tmp, start in zip(tables, tmps, starts, strict=True):
            # a table of sorted strict schema takes the jobs' outputs in key order
            key = client.sort_order(table)
            refused = key and order_job_outputs(tmp, key, table, start,
                                                op.job_ends.get(tmp, []),
                                                client.unique_keys(table))
            if refused:
                raise UnsortedWrite(table, refused)
        for tmp, vouched in zip(tmps, whole, strict=True):
            if vouched:
                vouch(client.root, tmp)
        crash_point("dev: operation outputs written")


def _refuse_presort_inputs(op: OperationRun) -> None:
    """Fail an operation whose jobs would read, in JSON, a hidden sort column holding
    presort bytes that are no UTF-8, before any job runs: on a cluster the job proxy writes
    each job's input with the JSON writer read_table uses, and every job fails on them
    (yql_presort.unfeedable_presort). Only an input whose recorded schema has such a
    column among those its path reads is looked at (DevClient.presorted_columns); the
    others cost a look at their schema."""
    client = op.client
    for text in op.spec.input_tables:
        selected = table_paths.parse(text)
        presorted = client.presorted_columns(selected.path)
        if selected.columns is not None:
            presorted = presorted.intersection(selected.columns)
        if not presorted:
            continue
        try:
            for _ in client.read_columns(selected.path, sorted(presorted)):
                pass
        except PresortRefused as refused:
            op.client.log(op.spec.kind, op.spec.title, extra="FAILED presort input")
            message = unfeedable_presort(op.spec.kind, normal(selected.path), refused.column,
                                         client.own_columns(selected.path))
            raise OperationFailed(message, stage=op.spec.stage_name, operation=op.spec.name,
                                  sandbox=op.sandbox, kind=op.spec.kind) from None


def map(op: OperationRun) -> None:  # noqa: A001 - named after the operation kind
    spec = op.spec
    mapper = spec.mapper
    assert mapper is not None
    _refuse_presort_inputs(op)
    shards, whole = _with_controls(op, _input_shards(op), "map"), _inputs_whole(op)
    _write_outputs(op, lambda tmps, columns, keys: _run_scripts(
        op, mapper, "map", shards, tmps, whole_input=whole, columns=columns, keys=keys))


def _refuse_filters_without_key(op: OperationRun) -> None:
    """Fail the reduce before any job runs when an input sorted by its key is read through
    a column selection that leaves out a key column, as a cluster refuses it
    (yt_pipeline.key_filters). Only such an input reaches the cluster as written: prod
    sorts an unsorted one first, into a table of all its selected rows and columns, or
    runs a map_reduce (reduce_inputs.py in the prod plugin), where no sort order is asked."""
    spec, client = op.spec, op.client
    for text in spec.input_tables:
        selected = table_paths.parse(text)
        key = input_key(text, spec.sort_by, spec.reduce_by, spec.join_by)
        if (client.sort_order(selected.path) or [])[: len(key)] != key:
            continue
        refused = left_out_key_column(normal(selected.path), selected.columns, key)
        if refused:
            client.log(spec.kind, spec.title, extra="FAILED column filter")
            raise OperationFailed(f"{spec.kind} operation failed: {PREPARE_FAILED}: {refused}",
                                  stage=spec.stage_name, operation=spec.name,
                                  sandbox=op.sandbox, kind=spec.kind)


def _refuse_key_column_types(op: OperationRun) -> None:
    """Fail the reduce before any job runs when the inputs' schemas give a key column
    types that compare apart, as a cluster refuses it (yt_pipeline.key_column_types),
    unless the spec section turns the check off. A table of no strict schema has key
    columns of type any, which the check passes over; prod sorts an unsorted input into
    a table of its schema first, which keeps its columns' types (reduce_inputs.py)."""
    spec, client = op.spec, op.client
    if spec.extra_spec.get("validate_key_column_types") is False:
        return
    keyed = []
    for text in spec.input_tables:
        path = table_paths.parse(text).path
        try:
            schema = client.declared_schema(path)
        except TableNotFound:
            continue  # the reduce's reading of its inputs reports it
        keyed.append(KeyedInput(normal(path), schema_key_columns(schema),
                                not table_paths.is_foreign(text)))
    refused = reduce_key_types_differ(keyed, spec.reduce_by, spec.join_by)
    if refused is not None:
        message, attributes = refused
        shown = "; ".join(f"{name}: {value}" for name, value in attributes.items())
        client.log(spec.kind, spec.title, extra="FAILED key column types")
        raise OperationFailed(f"{spec.kind} operation failed: {PREPARE_FAILED}: {message} "
                              f"({shown})", stage=spec.stage_name, operation=spec.name,
                              sandbox=op.sandbox, kind=spec.kind)


def reduce(op: OperationRun) -> None:
    spec = op.spec
    reducer = spec.reducer
    assert reducer is not None
    check_reduce_keys(spec)
    _refuse_filters_without_key(op)
    _refuse_key_column_types(op)
    _refuse_presort_inputs(op)
    doubles = _input_doubles(op)
    if spec.join_by:
        shards = _joined_shards(op, _inputs(op))
    else:
        shards = _sorted_shards(op, _inputs(op), doubles)
    # a reduce's key switches compare join_by when it has one (control_rows.py)
    shards = _with_controls(op, shards, "reduce", spec.join_by or spec.reduce_by, doubles)
    _write_outputs(op, lambda tmps, columns, keys: _run_scripts(
        op, reducer, "reduce", shards, tmps, columns=columns, keys=keys))


def map_reduce(op: OperationRun) -> None:
    spec = op.spec
    reducer = spec.reducer
    assert spec.mapper is not None and reducer is not None
    check_reduce_keys(spec)
    _refuse_presort_inputs(op)
    mapped = op.sandbox / "mapped.jsonl"
    mapped.write_bytes(b"")
    # one intermediate stream: the mapper writes to it alone, and the reducer is told no
    # table index (YTsaurus docs, Switching between tables)
    _run_scripts(op, spec.mapper, "map", _with_controls(op, _input_shards(op), "map"),
                 [mapped], whole_input=_inputs_whole(op))
    shards = _with_controls(op, _sorted_shards(op, [mapped]), "reduce", spec.reduce_by)
    mapped.unlink()
    _write_outputs(op, lambda tmps, columns, keys: _run_scripts(
        op, reducer, "reduce", shards, tmps, columns=columns, keys=keys))


def sort(op: OperationRun) -> None:
    spec = op.spec
    inputs = _inputs(op)
    table = spec.output_tables[0]
    # a table of strict schema is sorted by the sort's columns after it (sorted_schema),
    # and one of no schema takes its inputs' strict schema, if they have one
    schema = _sort_schema(op, table)
    if schema is None:
        _refuse_inputs_off_schema(op, table)
    doubles = _input_doubles(op)
    try:
        with op.client.writing(table, sorted_by=list(spec.sort_by), action="sort operation",
                               schema=schema, stored_doubles=doubles) as tmp:
            op.rows[table] = _sort(op, inputs, tmp, spec.sort_by, doubles)
            crash_point("dev: sorted")
    except RowOffSchema as refused:
        # a row the output's writer refuses (a null in a required column, a column the
        # schema lacks: yt_pipeline.column_types.refused_row) fails the operation in its
        # words on a cluster, the table left as it was (the write is whole or nothing)
        _failed_on_schema(op, refused.refused)
    except UnsortedWrite as refused:
        # two rows of one key into a table that keeps its unique keys (the sort's writer:
        # client._refuse_unsorted), the table left as it was
        op.client.log(op.spec.kind, op.spec.title, extra="FAILED output order")
        raise OperationFailed(f"sort operation failed: {refused.refusal}",
                              stage=op.spec.stage_name, operation=op.spec.name,
                              sandbox=op.sandbox, kind=op.spec.kind) from None


def _sort_schema(op: OperationRun, table: str) -> list[tuple[str, str]] | None:
    """The schema a sort gives its output `table` when it has none: its inputs' strict
    schema (sorted_schema.sort_output_schema), or the operation fails as on a cluster."""
    client = op.client
    if schema_of(client.root, client.visible_file(table)) is not None:
        return None
    paths = [table_paths.parse(text) for text in op.spec.input_tables]
    files = [client.visible_file(path.path) for path in paths]
    inputs = [schema_of(client.root, file) for file in files]
    try:
        return sort_output_schema(inputs, declared_key(client.root, files[0]) if files else None,
                                  list(op.spec.sort_by),
                                  selected_only([path.columns for path in paths]))
    except ValueError as refused:
        client.log(op.spec.kind, op.spec.title, extra="FAILED output schema")
        raise OperationFailed(f"sort operation failed: {refused}", stage=op.spec.stage_name,
                              operation=op.spec.name, sandbox=op.sandbox,
                              kind=op.spec.kind) from None


def _types_v3(columns: list[tuple[str, str]],
              selected: Collection[str] | None = None) -> dict[str, object]:
    """name: type_v3 of a declared schema's columns (those a path selects), as a cluster's
    schema comparison reads them."""
    required = required_of(columns)
    return {name: declared_kind_v3(kind, name in required) for name, kind in columns
            if selected is None or name in selected}


def _refuse_inputs_off_schema(op: OperationRun, table: str) -> None:
    """Fail the sort before it reads a row, the output table left as it is, when an input
    of strict schema cannot go into the output's strict schema, as a cluster's controller
    finds before it reads a row (yt_pipeline.schema_compat: ValidateOutputSchemaCompatibility
    in yt/yt/server/controller_agent/controllers/operation_controller_detail.cpp). Inputs of
    no schema are not compared: their rows meet the output's writer."""
    client = op.client
    output = schema_of(client.root, client.visible_file(table))
    if output is None or not checks_output_schema(op.spec.extra_spec):
        return
    for text in op.spec.input_tables:
        selected = table_paths.parse(text)
        given = schema_of(client.root, client.visible_file(selected.path))
        if given is None:
            continue
        found = incompatible_input(_types_v3(given, selected.columns), _types_v3(output),
                                   required_of(output))
        if found is not None:
            _failed_on_schema(op, prepare_failure(found))


def _failed_on_schema(op: OperationRun, reason: str) -> NoReturn:
    op.client.log(op.spec.kind, op.spec.title, extra="FAILED output schema")
    raise OperationFailed(f"sort operation failed: {reason}", stage=op.spec.stage_name,
                          operation=op.spec.name, sandbox=op.sandbox, kind=op.spec.kind)

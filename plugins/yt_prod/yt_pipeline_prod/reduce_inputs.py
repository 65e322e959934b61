"""A reduce whose inputs are not all sorted by its key.

YT refuses to start a reduce over an input that is not sorted by its sort_by ("Input table
//t is not sorted": TOperationControllerBase::CheckInputTablesSorted in yt/yt/server/
controller_agent/controllers/operation_controller_detail.cpp), so the backend plans it:

- every input sorted by the key (sort_by a prefix of its `sorted_by`): the reduce runs as is;
- one input, unsorted: a map_reduce without a mapper, which sorts within one operation (what
  ytsaurus-client's own reduce does for unsorted input: `_run_reduce_optimizer` in
  yt/wrapper/run_operation_commands.py);
- several inputs, some unsorted: each of those is first sorted into a temporary table, then
  the reduce runs. A map_reduce without a mapper would lose which input table a row came
  from ("When no mapper is specified for a MapReduce type operation, there will be no data
  about which input tables entries came from at the reducer input": YTsaurus docs,
  Switching between tables), while a reduce keeps it and orders the rows of a key by table.

A reduce's foreign tables (`<foreign=%true>//t`) are sorted by its join_by instead (the reduce
controller asks that of them: AdjustSortColumns in yt/yt/server/controller_agent/
controllers/sorted_controller.cpp), and such a reduce never becomes a map_reduce, which has
no foreign tables (ytsaurus-client refuses that fallback too: "Reduce cannot fallback to
map_reduce operation since join_by is specified", run_operation_commands.py).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from yt_pipeline import key_filters, table_paths
from yt_pipeline_prod.failures import translated

if TYPE_CHECKING:
    from yt_pipeline.operations import OperationSpec
    from yt_pipeline_prod.client import ProdClient


def sort_order(client: ProdClient, path: str) -> list[str]:
    """The columns a table is sorted by; none for an unsorted table.

    An unsorted table has no `sorted_by` attribute at all (it is present only when the table
    is sorted: TTableNodeProxy::ListSystemAttributes in yt/yt/server/master/table_server/
    table_node_proxy_detail.cpp), and reading //t/@sorted_by there is a resolve error, which
    is why ytsaurus-client's get_sorted_by reads it with a default. The node itself, asked
    for with attributes=["sorted_by"], comes back without the attribute instead.
    """
    with translated(client, "read the sort order of", path):
        node = client.yt().get(path, attributes=["sorted_by"])
    attributes = getattr(node, "attributes", None) or {}
    return [str(column) for column in attributes.get("sorted_by") or []]


def input_key(spec: OperationSpec, path: str) -> list[str]:
    """What an input must be sorted by: join_by for a foreign table, else sort_by (or
    reduce_by)."""
    return key_filters.input_key(path, spec.sort_by, spec.reduce_by, spec.join_by)


def unsorted_inputs(client: ProdClient, spec: OperationSpec) -> list[int]:
    """Positions of the inputs not sorted by their key (input_key)."""
    # the sort order is the table's: a path's column selection or row range (//t{a}[#1:#9])
    # is no part of the node to ask
    found = []
    for index, path in enumerate(spec.input_tables):
        key = input_key(spec, path)
        if sort_order(client, table_paths.plain(path))[: len(key)] != key:
            found.append(index)
    return found


def sort_specs(client: ProdClient, spec: OperationSpec, unsorted: list[int]
               ) -> tuple[list[OperationSpec], OperationSpec]:
    """The sorts into temporary tables (created here, in the caller's transaction) and the
    reduce that reads them in place of the unsorted inputs, in the same positions, so that
    table indexes stay those of the configuration."""
    yt = client.yt()
    inputs = list(spec.input_tables)
    sorts = []
    for index in unsorted:
        source = inputs[index]
        with translated(client, "create a temporary table to sort", source):
            temporary = str(yt.create_temp_table(prefix="ytp-sorted-"))
        sorts.append(dataclasses.replace(
            spec, kind="sort", name=f"{spec.name}.sort{index}",
            input_tables=[table_paths.unmarked(source)], output_tables=[temporary],
            sort_by=input_key(spec, source), reduce_by=[], join_by=[], append=False,
            extra_spec={}))
        inputs[index] = table_paths.foreign(temporary) if table_paths.is_foreign(source) \
            else temporary
    return sorts, dataclasses.replace(spec, input_tables=inputs)


def remove_temporaries(client: ProdClient, sorts: list[OperationSpec]) -> None:
    yt = client.yt()
    for sort in sorts:
        with translated(client, "remove the temporary table", sort.output_tables[0]):
            yt.remove(sort.output_tables[0], force=True)

"""What a user job's file_paths entry may be: the controller reads each entry's type while it
prepares the operation and takes a file or a table, nothing else (TOperationControllerBase in
yt/yt/server/controller_agent/controllers/operation_controller_detail.cpp: "Object %v has
invalid type: expected %Qlv or %Qlv, actual %Qlv"), so the operation fails before any job.
"""

from __future__ import annotations

from yt_pipeline_prod.fake.protocol import YtFakeError


def check_user_file_type(path: str, node_type: str) -> None:
    if node_type == "file":
        return
    if node_type == "table":
        # a cluster mounts a table as its rows in the path's format; the fake has no such
        # file to give, and an empty one would let a job run on nothing
        raise YtFakeError(f"the fake proxy does not model table files ({path})")
    raise YtFakeError(f'Object {path} has invalid type: expected "file" or "table", '
                      f'actual "{node_type}"')

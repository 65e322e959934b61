"""Names yt-framework pipelines use that yt-pipeline's own API does not have.

`yt-pipeline migrate` points imports here; new code should use yt-pipeline's API instead
(docs/coming-from-yt-framework.md lists both):

- `yt_pipeline.compat.logging`: `log_header`, `log_operation`, `log_success`, `log_config`,
  `setup_logging`, `ColoredFormatter`;
- `yt_pipeline.compat.yql_requests`: `JoinTablesRequest` and its siblings, run with the
  client's `join_tables_request(...)` etc.;
- `yt_pipeline.compat.table`: `get_row_count`, `read_table`, `download_table`, each taking
  `(client, path, logger)`;
- `yt_pipeline.compat.sys_path`: `stage_src_path`.
"""

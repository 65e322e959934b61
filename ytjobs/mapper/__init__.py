"""Mappers with the names and calls yt-framework's jobs use: `StreamMapper`, `BatchMapper`
and `read_input_rows`, also under yt-framework's module paths (`ytjobs.mapper.mappers`,
`ytjobs.mapper.utils`)."""

from ytjobs.mapper.mappers import BatchMapper, StreamMapper
from ytjobs.mapper.utils import read_input_rows

__all__ = ["BatchMapper", "StreamMapper", "read_input_rows"]

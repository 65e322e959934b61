"""Logging for jobs, under the module path yt-framework's jobs import it from
(`from ytjobs.logging.logger import get_logger`)."""

from ytjobs.logging.logger import (
    get_logger,
    log_with_extra,
    manage_output,
    redirect_stdout_to_stderr,
    suppress_all_output,
)

__all__ = ["get_logger", "log_with_extra", "manage_output", "redirect_stdout_to_stderr",
           "suppress_all_output"]

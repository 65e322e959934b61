"""Logging for jobs, under the module paths yt-framework's jobs import it from
(`from ytjobs.logging.logger import get_logger`, `from ytjobs.logging.silencer import
manage_output`)."""

from ytjobs.logging.logger import TextFormatter, get_logger, log_with_extra
from ytjobs.logging.silencer import manage_output, redirect_stdout_to_stderr, suppress_all_output

__all__ = ["TextFormatter", "get_logger", "log_with_extra", "manage_output",
           "redirect_stdout_to_stderr", "suppress_all_output"]

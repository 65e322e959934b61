"""Logging for jobs, under the module path yt-framework's jobs import it from
(`from ytjobs.logging.logger import get_logger`)."""

from ytjobs.logging.logger import get_logger, log_with_extra, redirect_stdout_to_stderr

__all__ = ["get_logger", "log_with_extra", "redirect_stdout_to_stderr"]

"""This machine's name, written in run records and lock files."""

from __future__ import annotations

import os


def host_name() -> str:
    """What `socket.gethostname()` gives. On POSIX both read the kernel's node name, so it
    is taken from `os.uname()`: importing socket costs a run several milliseconds."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    return socket.gethostname()

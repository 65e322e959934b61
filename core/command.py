"""The installed `yt-pipeline` command's entry point.

It claims the process (owned_process: the cyclic collector set for start-up) before it imports
the command line and its dependencies, which is most of start-up; `yt_pipeline.cli` imports
click and more at its top, so the claim cannot wait until a function of it runs.
"""

from __future__ import annotations


def main() -> None:
    """Run `yt-pipeline` with the process's arguments and leave; never returns."""
    from yt_pipeline import owned_process

    owned_process.claim()
    from yt_pipeline.cli import console_main

    console_main()

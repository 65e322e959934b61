"""yt-pipeline dev backend: the whole pipeline on one machine, no cluster."""

__version__ = "0.1.0"

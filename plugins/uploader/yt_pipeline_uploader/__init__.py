"""yt-pipeline code uploader."""

__version__ = "0.1.0"

"""An example third-party plugin for yt-pipeline."""

__version__ = "0.1.0"

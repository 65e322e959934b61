"""A vanilla operation: a script run as N tasks, no input table (training, downloads)."""

from yt_pipeline import DefaultPipeline

if __name__ == "__main__":
    DefaultPipeline.main()

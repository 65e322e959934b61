"""Three stages in a chain; each passes what it learned to the next through `debug`."""

from yt_pipeline import DefaultPipeline

if __name__ == "__main__":
    DefaultPipeline.main()

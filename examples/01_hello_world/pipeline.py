"""Hello world: one stage writes a table and reads it back. `python pipeline.py` runs it."""

from yt_pipeline import DefaultPipeline

if __name__ == "__main__":
    DefaultPipeline.main()

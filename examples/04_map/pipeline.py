"""A map operation: a mapper script run over a table in two parallel jobs."""

from yt_pipeline import DefaultPipeline

if __name__ == "__main__":
    DefaultPipeline.main()

"""Load a table, then aggregate it with YQL (DuckDB in dev, the query tracker in prod)."""

from yt_pipeline import DefaultPipeline

if __name__ == "__main__":
    DefaultPipeline.main()

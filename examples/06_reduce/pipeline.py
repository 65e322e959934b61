"""Word count: a map_reduce (mapper splits, reducer sums), then a sort by count."""

from yt_pipeline import DefaultPipeline

if __name__ == "__main__":
    DefaultPipeline.main()

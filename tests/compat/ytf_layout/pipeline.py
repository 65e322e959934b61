from yt_pipeline import DefaultPipeline

if __name__ == "__main__":
    DefaultPipeline.main()

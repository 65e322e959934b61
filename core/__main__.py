from yt_pipeline.cli import console_main

if __name__ == "__main__":
    # the same command as `yt-pipeline`, leaving as it does: a normal interpreter teardown
    # would end the stage threads still inside DuckDB after Ctrl-C, and abort (fast_exit)
    console_main()

from yt_pipeline.command import main

if __name__ == "__main__":
    # the same command as `yt-pipeline`, leaving as it does: a normal interpreter teardown
    # would end the stage threads still inside DuckDB after Ctrl-C, and abort (fast_exit)
    main()

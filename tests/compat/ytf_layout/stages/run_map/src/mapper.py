#!/usr/bin/env python3
import json
import sys

from omegaconf import OmegaConf

from ytjobs.config import get_config_path


def main():
    config = OmegaConf.load(get_config_path())
    for line in sys.stdin:
        row = json.loads(line)
        out = {
            "id": row["id"],
            "processed_text": config.job.prefix + row["text"].upper(),
            "processed_value": row["value"] * config.job.multiplier,
        }
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()

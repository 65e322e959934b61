#!/usr/bin/env python3
import logging

from omegaconf import OmegaConf

from ytjobs.config import get_config_path
from ytjobs.logging.logger import get_logger


def main():
    logger = get_logger("vanilla", level=logging.INFO)
    config = OmegaConf.load(get_config_path())
    logger.info("Greeting: %s", config.job.greeting)
    for i in range(config.job.iterations):
        logger.info("Iteration %d/%d", i + 1, config.job.iterations)


if __name__ == "__main__":
    main()

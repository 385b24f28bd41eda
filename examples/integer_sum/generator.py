"""CALT's README demo: five random integers, answer their sum.

Run it with `synthset generate examples/integer_sum/configs/data.yaml` (or `make demo`).
The same function runs unchanged under calt-x: that is how bench/ compares the two.
"""

import random


def instance_generator(seed: int):
    rng = random.Random(seed)
    problem = [rng.randint(-1000, 1000) for _ in range(5)]
    return problem, sum(problem)


def statistics_calculator(problem, answer):
    return {
        "problem": {"num_terms": len(problem), "max_abs": max(abs(x) for x in problem)},
        "answer": {"abs": abs(answer)},
    }


if __name__ == "__main__":
    from omegaconf import OmegaConf

    from synthset.dataset import DatasetPipeline

    cfg = OmegaConf.load("examples/integer_sum/configs/data.yaml")
    DatasetPipeline.from_config(cfg.dataset, instance_generator=instance_generator,
                                statistics_calculator=statistics_calculator).run()

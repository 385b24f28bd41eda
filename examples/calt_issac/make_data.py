"""The data of a row of CALT's ISSAC 2026 results table, made by CALT's own generator through
synthset's CALT face: 100,000 train and 1,000 test samples from CALT's config and root seed.

    git clone -b experiment/issac2026 https://github.com/HiroshiKERA/calt
    python examples/calt_issac/make_data.py arithmetic_addition/GF7_full --calt calt
    synthset train +preset=calt_addition_gf7_full          # trains on what this wrote

ROW is a (task, pattern) of CALT's results table (``--list`` prints them). ``--calt`` is your
clone of CALT's ``experiment/issac2026`` branch: the generator is that checkout's
``issac2026_experiments/TASK/generate_dataset.py``, executed in this process (and in the run's
workers) with its ``calt.dataset`` imports read as ``synthset.dataset`` — running it is your
choice, as running CALT's own script would be. The config is the checkout's
``configs/.../data.yaml`` (its sizes, batch size and root seed; the workers are ``--n-jobs``).
Where CALT's training script derives its target when loading (``last_element``,
``reversed``), the generator is wrapped the same way (``targets.py``), so the run holds the
rows CALT trained and scored on. The run goes to datasets/calt_issac/TASK/PATTERN (``--out``),
with JSON Lines beside the ``_raw.txt`` files (``synthset train`` reads those);
``--train``/``--test`` make a smaller one (the first samples of the same data).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
WHERE = ("git clone -b experiment/issac2026 https://github.com/HiroshiKERA/calt")

# (task, setting) -> its config in a checkout, under issac2026_experiments/TASK/.
CONFIGS = {
    **{("arithmetic_addition", f): f"configs/{f}/data.yaml" for f in ("GF7", "GF31", "GF97", "ZZ")},
    ("arithmetic_factorization", "default"): "configs/data.yaml",
    ("digit_product", "default"): "configs/data.yaml",
    ("groebner", "GF7"): "configs/data_GF7.yaml",
    ("groebner", "QQ"): "configs/data.yaml",
}

# row -> (task, setting, target): the rows of CALT's table whose training synthset can make.
# ZZ (digit_group 0: one token per number) is left out: synthset trains on bytes, which is
# ZZ_dg1's one token per digit (ZZ_dg1's data is ZZ's: only CALT's tokenizer differs);
# arithmetic_factorization/reversed has no result in the table.
ROWS = {
    **{f"arithmetic_addition/{field}_{mode}": ("arithmetic_addition", setting, mode)
       for field, setting in [("GF7", "GF7"), ("GF31", "GF31"), ("GF97", "GF97"),
                              ("ZZ_dg1", "ZZ")]
       for mode in ("full", "last_element")},
    "arithmetic_factorization/default": ("arithmetic_factorization", "default", "full"),
    "digit_product/default": ("digit_product", "default", "full"),
    "digit_product/reversed": ("digit_product", "default", "reversed"),
    "groebner/GF7_degrevlex": ("groebner", "GF7", "full"),
}

# The generator class and statistics function each of CALT's scripts builds in its main().
BUILD = {
    "arithmetic_addition": ("ArithmeticAdditionGenerator", "arithmetic_addition_stats_calc"),
    "arithmetic_factorization": ("IntegerFactorizationGenerator", "integer_factor_stats_calc"),
    "digit_product": ("DigitProductGenerator", "digit_product_stats_calc"),
    "groebner": ("GroebnerGenerator", None),
}


def checkout(path) -> Path:
    """The CALT checkout at ``path``; a ConfigError naming ``--calt`` when it is not one."""
    from synthset.core.errors import ConfigError

    if not path:
        raise ConfigError(f"--calt: give the folder of a CALT checkout ({WHERE})")
    root = Path(path).expanduser().resolve()
    if not (root / "issac2026_experiments").is_dir():
        raise ConfigError(f"--calt: {path} has no issac2026_experiments folder; expected a "
                          f"checkout of CALT's experiment/issac2026 branch ({WHERE})")
    return root


def load_config(root: Path, task: str, setting: str):
    """CALT's config for (task, setting) from checkout ``root``, as an OmegaConf object.

    Groebner: the sampler's ``nonzero_coeff`` is made explicit, ``false`` unless the config
    says otherwise: the experiment branch's own ``calt`` (the code that made CALT's results)
    samples with that default, calt-x 1.5.0 and synthset's face with ``true``."""
    from omegaconf import OmegaConf

    from synthset.core.errors import ConfigError

    path = root / "issac2026_experiments" / task / CONFIGS[task, setting]
    if not path.is_file():
        raise ConfigError(f"--calt: {path} is missing; expected a checkout of CALT's "
                          f"experiment/issac2026 branch ({WHERE})")
    cfg = OmegaConf.load(path)
    if "sampler" in cfg and "nonzero_coeff" not in cfg.sampler:
        cfg.sampler.nonzero_coeff = False
    return cfg


def generator_for(root: Path, task: str, cfg, target: str):
    """CALT's generator for ``cfg`` (as its script's main() builds it), target applied."""
    from omegaconf import OmegaConf

    os.environ["CALT_CHECKOUT"] = str(root)  # calt_generators reads it, here and in workers
    sys.path.insert(0, str(HERE))  # calt_generators and targets, by name in every process
    import calt_generators
    import targets

    calt = calt_generators.load(task)
    gen_cfg = OmegaConf.to_container(cfg.problem_generator, resolve=True)
    cls, stats = BUILD[task]
    if "sampler" in cfg:
        gen_cfg["sampler"] = calt.PolynomialSampler(
            **OmegaConf.to_container(cfg.sampler, resolve=True))
    generator = getattr(calt, cls)(**gen_cfg)
    wrap = {"full": None, "last_element": targets.LastElement, "reversed": targets.Reversed}
    if wrap[target]:
        generator = wrap[target](generator)
    return generator, stats and getattr(calt, stats)


def make(row: str, calt, out: Path, train: int | None = None, test: int | None = None,
         n_jobs: int = -1) -> Path:
    from synthset.dataset import DatasetPipeline

    root = checkout(calt)
    task, setting, target = ROWS[row]
    cfg = load_config(root, task, setting)
    # save_json: synthset train reads a run's samples from its JSON Lines (CALT's factorisation
    # and Groebner configs save text only); the _raw.txt files are the same either way.
    cfg.dataset.update(save_dir=str(out), n_jobs=n_jobs, verbose=False, save_json=True)
    if train is not None:
        cfg.dataset.num_train_samples = train
    if test is not None:
        cfg.dataset.num_test_samples = test
    generator, stats = generator_for(root, task, cfg, target)
    DatasetPipeline.from_config(cfg.dataset, instance_generator=generator,
                                statistics_calculator=stats).run()
    return out


def main(argv=None) -> None:
    from synthset.core.errors import ConfigError

    ap = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        epilog="--calt runs the generator file of that checkout, in this process: give only a "
               "checkout you trust.")
    ap.add_argument("row", nargs="?", choices=sorted(ROWS), metavar="ROW")
    ap.add_argument("--calt", metavar="PATH",
                    help=f"your CALT checkout, whose generator is executed ({WHERE})")
    ap.add_argument("--list", action="store_true", help="print the rows")
    ap.add_argument("--out", help="the run folder (default: datasets/calt_issac/ROW)")
    ap.add_argument("--train", type=int, help="train samples (default: CALT's 100,000)")
    ap.add_argument("--test", type=int, help="test samples (default: CALT's 1,000)")
    ap.add_argument("--n-jobs", type=int, default=-1, help="worker processes (-1: every core)")
    args = ap.parse_args(argv)
    if args.list or not args.row:
        print("\n".join(sorted(ROWS)))
        return
    out = Path(args.out or Path("datasets") / "calt_issac" / args.row)
    try:
        make(args.row, args.calt, out, args.train, args.test, args.n_jobs)
    except ConfigError as exc:
        print(f"make_data.py: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    print(f"{args.row}: {out}")


if __name__ == "__main__":
    main()

# $ python examples/calt_issac/make_data.py digit_product/reversed --calt calt --train 3 \
#       --test 1 --out /tmp/d
# digit_product/reversed: /tmp/d
# $ cat /tmp/d/train_raw.txt
# 0003100047 # 7541000000
# 0000000074 # 0000000000
# 0003309824 # 2914230000

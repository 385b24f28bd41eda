"""What synthset's CALT face must do for CALT's ISSAC 2026 experiment generators, tested
without CALT's code: the face features those scripts rely on (each against calt-x 1.5.0's
golden files for generators of our own, tests/golden/calt_issac/issac_gens.py), and
examples/calt_issac/make_data.py's reading of a CALT checkout (on a checkout this test writes).
Byte parity on CALT's own scripts, read from a CALT checkout: bench/calt_issac_goldens.py
(its result: bench/results/calt_issac_parity.json)."""

import importlib
import importlib.util
import json
import textwrap
from pathlib import Path

import pytest

from synthset import ConfigError
from tests import gens
from tests.conftest import GOLDEN, make_run, read_outputs

ROOT = GOLDEN / "calt_issac"
REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "calt_issac"
PRESETS = REPO / "src" / "synthset" / "conf" / "train" / "preset"


@pytest.fixture
def issac_gens(monkeypatch):
    from synthset.algebra.backends.sagemath import load_sage

    load_sage()
    monkeypatch.syspath_prepend(str(ROOT))  # by name in the re-check's fresh process too
    return importlib.import_module("issac_gens")


# -- the face features CALT's experiment scripts rely on -------------------------------------
def test_from_config_takes_the_older_keyword_problem_generator(tmp_path):
    # The experiment branch's calt named it problem_generator=; calt-x 1.5.0 refuses that name.
    from omegaconf import OmegaConf

    from synthset.dataset import DatasetPipeline

    cfg = OmegaConf.create({"save_dir": str(tmp_path), "num_train_samples": 60,
                            "num_test_samples": 17, "batch_size": 25, "n_jobs": 1,
                            "root_seed": 42, "verbose": False, "backend": "sagemath"})
    DatasetPipeline.from_config(cfg, problem_generator=gens.integer_sum).run()
    assert read_outputs(tmp_path) == read_outputs(GOLDEN / "integer_sum")


def test_max_coeff_zero_over_gf7_is_taken_and_changes_no_draw(tmp_path, issac_gens):
    from sage.misc.randstate import set_random_seed

    from synthset.algebra.sage_sampler import PolynomialSampler as Own
    from synthset.dataset.sagemath import PolynomialSampler

    common = {"symbols": "a, b", "field_str": "GF7", "order": "lex", "max_num_terms": 4,
              "max_degree": 3, "min_degree": 1}
    draws = []
    for extra in ({}, {"max_coeff": 0}):
        set_random_seed(11)
        draws.append(PolynomialSampler(**common, **extra).sample(num_samples=5))
    assert draws[0] == draws[1]
    make_run(tmp_path, issac_gens.gf7_max_coeff_zero)
    assert read_outputs(tmp_path) == read_outputs(ROOT / "gf7_max_coeff_zero")
    # over ZZ max_coeff bounds the coefficients, and synthset's own sampler means it everywhere
    for cls, field in ((PolynomialSampler, "ZZ"), (Own, "GF7")):
        with pytest.raises(ConfigError,
                           match="max_coeff must be a positive integer or None, got 0"):
            cls(**{**common, "field_str": field}, max_coeff=0)


def test_nonzero_coeff_defaults_to_calt_x_s_true(tmp_path, issac_gens):
    # CALT's Groebner configs leave it out: the face draws as calt-x 1.5.0 (true); false is the
    # experiment branch's calt default, which make_data.py writes into the config.
    make_run(tmp_path / "default", issac_gens.gf7_max_coeff_zero)
    make_run(tmp_path / "false", issac_gens.gf7_zero_coeffs_allowed)
    assert read_outputs(tmp_path / "false") == read_outputs(ROOT / "gf7_zero_coeffs_allowed")
    assert read_outputs(tmp_path / "default") == read_outputs(ROOT / "gf7_max_coeff_zero") != \
        read_outputs(ROOT / "gf7_zero_coeffs_allowed")


def test_sage_integers_are_hashed_and_written_as_calt_x_writes_them(tmp_path, issac_gens):
    # The generator holds a list of Sage Integers (its identity reads their state) and returns
    # Sage Integers: written as calt-x writes them, in the text and as JSON strings.
    from synthset.core.identity import callable_identity

    same = callable_identity(issac_gens.PrimeProduct(60))
    assert callable_identity(issac_gens.prime_product) == same != \
        callable_identity(issac_gens.PrimeProduct(50))
    make_run(tmp_path, issac_gens.prime_product)
    assert read_outputs(tmp_path) == read_outputs(ROOT / "prime_product")
    first = json.loads((tmp_path / "train_data.jsonl").read_text().splitlines()[0])
    assert first == {"problem": "221", "answer": ["17", "13"]}


def test_a_generator_whose_first_import_is_a_sage_submodule_runs_in_fresh_processes(
        tmp_path, monkeypatch, capfd):
    # Spawned workers and the determinism re-check's fresh process import the generator by
    # name; passagemath imports sage.rings.integer_ring only once Sage is loaded, which they
    # do first when the driver has Sage loaded.
    from synthset.algebra.backends.sagemath import load_sage
    from synthset.engine.executors import local

    (tmp_path / "sage_first_gen.py").write_text(textwrap.dedent("""\
        from sage.rings.integer_ring import ZZ


        def gen(seed):
            from sage.misc.randstate import set_random_seed

            set_random_seed(seed)
            a, b = ZZ.random_element(1, 1000), ZZ.random_element(1, 1000)
            return f"{a},{b}", str(a * b)
        """))
    load_sage()
    monkeypatch.syspath_prepend(str(tmp_path))
    gen = importlib.import_module("sage_first_gen").gen
    make_run(tmp_path / "serial", gen, verify_determinism=0)
    monkeypatch.setattr(local, "default_start_method", lambda: "spawn")
    capfd.readouterr()
    make_run(tmp_path / "pool", gen, n_jobs=2, backend="multiprocessing",
             verify_determinism=16)
    assert "re-check runs in this process" not in capfd.readouterr().err
    assert read_outputs(tmp_path / "pool") == read_outputs(tmp_path / "serial")


# -- make_data.py on a CALT checkout (one this test writes: our generators, CALT's layout) ---
def make_data():
    spec = importlib.util.spec_from_file_location("calt_issac_make_data", EXAMPLE / "make_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# task -> (generator file, config): written for this test, named as make_data.py expects.
CHECKOUT = {
    "digit_product": ('''\
        import random

        from calt.dataset import DatasetPipeline  # noqa: F401  (read as synthset.dataset)


        class DigitProductGenerator:
            def __init__(self, length, max_digit_value):
                self.half = length // 2

            def __call__(self, seed):
                rng = random.Random(seed)
                a, b = rng.randrange(10 ** self.half), rng.randrange(10 ** self.half)
                return f"{a:05d}{b:05d}", f"{a * b:010d}"


        def digit_product_stats_calc(problem, answer):
            return {"answer_len": len(answer)}
        ''', "configs/data.yaml", '''\
        problem_generator:
          length: 10
          max_digit_value: 9
        dataset:
          save_dir: ./data
          num_train_samples: 100000
          num_test_samples: 1000
          batch_size: 25
          n_jobs: 8
          root_seed: 42
          backend: sagemath
          save_text: true
          save_json: false
        '''),
    "groebner": ('''\
        from calt.dataset import DatasetPipeline  # noqa: F401  (read as synthset.dataset)
        from calt.dataset.sagemath.utils.polynomial_sampler import PolynomialSampler  # noqa


        class GroebnerGenerator:
            def __init__(self, sampler, num_polynomials):
                self.sampler, self.num_polynomials = sampler, num_polynomials

            def __call__(self, seed):
                from sage.misc.randstate import set_random_seed

                set_random_seed(seed)
                F = self.sampler.sample(num_samples=self.num_polynomials)
                return F, sum(F)
        ''', "configs/data_GF7.yaml", '''\
        sampler:
          symbols: "x,y"
          field_str: "GF7"
          order: "degrevlex"
          max_num_terms: 3
          max_degree: 2
          max_coeff: 0
        problem_generator:
          num_polynomials: 2
        dataset:
          save_dir: ./data/GF7
          num_train_samples: 100000
          num_test_samples: 1000
          batch_size: 25
          n_jobs: 8
          root_seed: 42
          backend: sagemath
          save_text: true
          save_json: false
        '''),
}


def write_checkout(root: Path) -> Path:
    for task, (source, config, text) in CHECKOUT.items():
        folder = root / "issac2026_experiments" / task
        (folder / config).parent.mkdir(parents=True)
        (folder / "generate_dataset.py").write_text(textwrap.dedent(source))
        (folder / config).write_text(textwrap.dedent(text))
    return root


def direct_run(tmp_path, monkeypatch, task: str, out: Path) -> None:
    """The checkout's generator imported directly (imports written as synthset.dataset) on its
    config, as make_data.py sets it up: 60 + 17 samples, JSON Lines, Groebner's nonzero_coeff
    false."""
    from omegaconf import OmegaConf

    from synthset.dataset import DatasetPipeline
    from synthset.dataset.sagemath import PolynomialSampler

    source, _, text = CHECKOUT[task]
    folder = tmp_path / "direct"
    folder.mkdir(exist_ok=True)
    (folder / f"direct_{task}.py").write_text(
        textwrap.dedent(source).replace("calt.dataset", "synthset.dataset"))
    monkeypatch.syspath_prepend(str(folder))
    module = importlib.import_module(f"direct_{task}")
    cfg = OmegaConf.create(textwrap.dedent(text))
    gen_cfg = OmegaConf.to_container(cfg.problem_generator)
    if task == "groebner":
        gen = module.GroebnerGenerator(
            PolynomialSampler(**OmegaConf.to_container(cfg.sampler), nonzero_coeff=False),
            **gen_cfg)
        stats = None
    else:
        gen, stats = module.DigitProductGenerator(**gen_cfg), module.digit_product_stats_calc
    cfg.dataset.update(save_dir=str(out), num_train_samples=60, num_test_samples=17, n_jobs=1,
                       verbose=False, save_json=True)
    DatasetPipeline.from_config(cfg.dataset, instance_generator=gen,
                                statistics_calculator=stats).run()


@pytest.mark.parametrize("row, task", [("digit_product/default", "digit_product"),
                                       ("groebner/GF7_degrevlex", "groebner")])
def test_make_data_runs_a_checkout_s_generator_as_synthset_runs_it(tmp_path, monkeypatch,
                                                                  row, task):
    # calt.dataset read as synthset.dataset, the config read from the checkout: the same bytes
    # as the generator imported directly.
    monkeypatch.setenv("CALT_CHECKOUT", "")  # make_data.py sets it; undone after
    calt = write_checkout(tmp_path / "calt")
    make_data().main([row, "--calt", str(calt), "--train", "60", "--test", "17",
                      "--n-jobs", "1", "--out", str(tmp_path / "run")])
    direct_run(tmp_path, monkeypatch, task, tmp_path / "direct_run")
    assert read_outputs(tmp_path / "run") == read_outputs(tmp_path / "direct_run")
    assert (tmp_path / "run" / "train_raw.txt").read_text().count("\n") == 60


def test_a_row_s_target_is_derived_as_calt_s_training_script_does(tmp_path, monkeypatch):
    monkeypatch.setenv("CALT_CHECKOUT", "")  # make_data.py sets it; undone after
    calt = write_checkout(tmp_path / "calt")
    for row in ("digit_product/default", "digit_product/reversed"):
        make_data().main([row, "--calt", str(calt), "--train", "20", "--test", "5",
                          "--n-jobs", "1", "--out", str(tmp_path / row)])
    for split in ("train", "test"):
        full, reversed_ = (
            [line.split(" # ") for line in
             (tmp_path / row / f"{split}_raw.txt").read_text().splitlines()]
            for row in ("digit_product/default", "digit_product/reversed"))
        assert reversed_ == [[p, a[::-1]] for p, a in full]


CLONE = "(git clone -b experiment/issac2026 https://github.com/HiroshiKERA/calt)"


@pytest.mark.parametrize("args, message", [
    ([], f"make_data.py: --calt: give the folder of a CALT checkout {CLONE}"),
    (["--calt", "."], ("make_data.py: --calt: . has no issac2026_experiments folder; expected "
                       f"a checkout of CALT's experiment/issac2026 branch {CLONE}")),
])
def test_a_missing_checkout_is_one_line_naming_the_flag(tmp_path, monkeypatch, capsys, args,
                                                        message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        make_data().main(["digit_product/default", *args])
    assert exit_.value.code == 2
    assert capsys.readouterr().err == message + "\n"


def test_every_row_has_one_preset_on_its_data_within_the_parameter_budget():
    from omegaconf import OmegaConf

    from synthset.train.models import ModelConfig, build_model

    found = {}
    for path in sorted(PRESETS.glob("calt_*.yaml")):
        cfg = OmegaConf.load(path)
        row = str(cfg.data).removeprefix("datasets/calt_issac/")
        found[row] = path.stem
        # scored on all of CALT's 1,000 test samples; the comment names both commands
        assert cfg.eval.examples == 1000
        assert f"make_data.py {row} --calt calt\n" in path.read_text()
        assert f"synthset train +preset={path.stem}\n" in path.read_text()
        model = build_model(ModelConfig.from_dict(OmegaConf.to_container(cfg.model)),
                            vocab_size=258, n_positions=1024)  # bytes; the longest context
        assert sum(p.numel() for p in model.parameters()) <= 4_400_000
    assert sorted(found) == sorted(make_data().ROWS)

"""The generator's identity: changed code is refused on resume, the same code is recognised
whatever its module is called."""

import importlib
import subprocess
import sys
import textwrap

import pytest

from synthset import ResumeError
from tests.conftest import make_run

MODULE = '''
OFFSET = {offset}


def gen(seed):
    return [seed % 10], seed % 10 + OFFSET
'''


def test_a_module_constant_changed_before_a_resume_is_refused(tmp_path, monkeypatch):
    (tmp_path / "constgen.py").write_text(MODULE.format(offset=1))
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("constgen")
    make_run(tmp_path / "run", module.gen)
    make_run(tmp_path / "run", module.gen)  # the same code resumes

    (tmp_path / "constgen.py").write_text(MODULE.format(offset=20))  # the function is as it was
    module = importlib.reload(module)
    with pytest.raises(ResumeError, match=r"instance_generator: 'gen@\w+' -> 'gen@\w+'"):
        make_run(tmp_path / "run", module.gen)
    sys.modules.pop("constgen", None)


def test_a_helper_module_changed_before_a_resume_is_refused(tmp_path, monkeypatch):
    """The identity covers the user's own modules the generator uses, not only its own file:
    a constant changed in ``helper.py`` refuses the resume (it mixed old and new samples)."""
    (tmp_path / "helper4.py").write_text("BOUND = 350\n")
    (tmp_path / "usesh.py").write_text(
        "import helper4\n\n\ndef gen(seed):\n    return [seed % 10], seed % helper4.BOUND\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("usesh")
    from synthset.core.identity import helper_files

    assert helper_files(module.gen) == [str((tmp_path / "helper4.py").resolve())]
    make_run(tmp_path / "run", module.gen)
    make_run(tmp_path / "run", module.gen)  # the same code resumes
    (tmp_path / "helper4.py").write_text("BOUND = 750\n")
    with pytest.raises(ResumeError, match=r"instance_generator: 'gen@\w+' -> 'gen@\w+'; "
                                          r"code changed since the run: \S*helper4.py\)"):
        make_run(tmp_path / "run", module.gen)
    for name in ("usesh", "helper4"):
        sys.modules.pop(name, None)


def test_installed_and_standard_modules_are_not_helpers():
    from synthset.core.identity import helper_files
    from tests import gens

    assert helper_files(gens.integer_sum) == []  # os, random, time: the standard library


QUICK_START = '''
import random

def instance_generator(seed):
    rng = random.Random(seed)
    problem = [rng.randint(-1000, 1000) for _ in range(5)]
    return problem, sum(problem)

if __name__ == "__main__":
    from omegaconf import OmegaConf
    from synthset.dataset import DatasetPipeline

    cfg = OmegaConf.load("configs/data.yaml")
    DatasetPipeline.from_config(cfg.dataset, instance_generator=instance_generator).run()
'''


def test_the_quick_start_run_by_python_then_by_synthset_generate_is_one_run(tmp_path):
    """`python generator.py` records the function as __main__'s; `synthset generate` imports
    it as module `generator`: the same code, so the second command finds the run complete."""
    (tmp_path / "generator.py").write_text(QUICK_START)
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "data.yaml").write_text(textwrap.dedent("""\
        dataset:
          save_dir: datasets/sum
          num_train_samples: 2000
          num_test_samples: 100
          batch_size: 1000
          n_jobs: 1
          root_seed: 42
          verbose: false
          instance_generator: generator:instance_generator
        """))
    first = subprocess.run([sys.executable, "generator.py"], cwd=tmp_path, capture_output=True)
    assert first.returncode == 0, first.stderr.decode()
    made = _final_files(tmp_path / "datasets" / "sum")
    second = subprocess.run([sys.executable, "-m", "synthset.cli.main", "generate",
                             "configs/data.yaml"], cwd=tmp_path, capture_output=True)
    assert second.returncode == 0, second.stderr.decode()
    assert _final_files(tmp_path / "datasets" / "sum") == made  # not made again


def _final_files(folder):
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir() if p.is_file()}


@pytest.mark.parametrize("name", ["depo1", "brevo1", "mano10", "lano_cfg3f", "capo", "poly_gcd"])
def test_a_tasks_identity_does_not_change_as_it_makes_samples(name):
    """A task's identity is its state: a cache kept on it while it samples would change it
    (an export's or a card's identity would then depend on what ran before)."""
    import random

    from synthset.core.identity import callable_identity
    from synthset.tasks.registry import get_task

    task = get_task(name)
    before = callable_identity(task)
    for i in range(5):
        task.generate_example(random.Random(i))
    assert callable_identity(task) == before

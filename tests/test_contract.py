"""The task contract, checked on every registered task and every backend its extra installs.

A task added to the registry is covered here with no test edits.
"""

from __future__ import annotations

import dataclasses
import random
import re

import pytest

import synthset
from synthset import ValidationError
from synthset.core.task import field_kind
from synthset.tasks.registry import REGISTRY, task_class

# Small enough to keep the suite quick; every other field at the task's defaults.
SMALL = {"capo": {"N": 300}}


def _cases():
    for name in synthset.list_tasks():
        backends = synthset.get_task(name).describe()["backends"] or [None]
        for backend in backends:
            yield pytest.param(name, backend, id=f"{name}-{backend}" if backend else name)


def _task(name, backend=None, **extra):
    config = {**SMALL.get(name, {}), **extra}
    return synthset.get_task(name, backend=backend, **config) if backend else \
        synthset.get_task(name, **config)


def _examples(task, count, seed=0):
    rng = random.Random(seed)
    return [task.generate_example(rng) for _ in range(count)]


def test_every_builtin_is_registered_once():
    names = synthset.list_tasks()
    assert names == list(REGISTRY) and len(names) == len(set(names))
    families = {synthset.get_task(n).describe()["family"] for n in names}
    assert {"depo", "brevo", "mano", "lano", "capo"} <= families
    # every task is of the kind its entry says (the registry's counts are the true ones)
    assert [synthset.get_task(n).describe()["kind"] for n in names] == \
        [REGISTRY[n].kind for n in names]


# -- config fields: every one checked by its declared type -----------------------------------

def _fields(name):
    """The config fields of a registry entry: a reasoning task's Config dataclass, an algebra
    problem's own dataclass fields (``backend`` is get_task's argument, not a field)."""
    cls = task_class(name)
    fields = dataclasses.fields(cls.Config if REGISTRY[name].kind == "reasoning" else cls)
    return [f for f in fields if f.name != "backend" and not f.name.startswith("_")]


FIELDS = [(name, f.name) for name in REGISTRY if not REGISTRY[name].preset
          for f in _fields(name)]
FLAGS = [(name, f.name) for name in REGISTRY for f in _fields(name)
         if (field_kind(f.type) or ("",))[0] == "bool"]
# What each declared kind accepts, as the error words it, and a value of another type.
ACCEPTS = {"bool": "true or false", "int": "an integer", "float": "a number", "str": "a string"}
WRONG = {"bool": ["true", 1], "int": ["3", 3.0, True], "float": ["0.5", False], "str": [3]}


def test_the_flags_are_found():
    assert {("depo", "qa"), ("brevo2", "qa"), ("mano", "qa"), ("mano", "augment")} <= set(FLAGS)


@pytest.mark.parametrize("name, field", FIELDS)
def test_every_field_refuses_a_value_of_another_type(name, field):
    declared = next(f.type for f in _fields(name) if f.name == field)
    kind = field_kind(declared)
    assert kind, (f"{name}: field {field!r} is declared {declared!r}, a type check_fields "
                  f"does not check (bool, int, float or str, optionally | None)")
    words = ACCEPTS[kind[0]] + (" or null" if kind[1] else "")
    for bad in WRONG[kind[0]]:
        with pytest.raises(synthset.ConfigError,
                           match=f"^{re.escape(f'{field} must be {words}, got {bad!r}')}$"):
            synthset.get_task(name, **{field: bad})


@pytest.mark.parametrize("bad", ["yes", "false", 1, 0, 1.0, None])
@pytest.mark.parametrize("name, field", FLAGS)
def test_every_boolean_field_refuses_a_non_boolean(name, field, bad):
    with pytest.raises(synthset.ConfigError,
                       match=f"^{re.escape(f'{field} must be true or false, got {bad!r}')}$"):
        synthset.get_task(name, **{field: bad})
    for flag in (True, False):
        task = synthset.get_task(name, **{field: flag})
        assert getattr(getattr(task, "config", task), field) is flag  # a problem holds its own


@pytest.mark.parametrize("name, backend", list(_cases()))
def test_contract(name, backend):
    task = _task(name, backend)
    # same seed, same example
    assert task.generate_example(random.Random(5)) == task.generate_example(random.Random(5))
    examples = _examples(task, 200)
    for ex in examples:
        assert isinstance(ex["prompt"], str) and isinstance(ex["answer"], str)
        assert isinstance(ex["meta"], dict)
        task.validate_example(ex)
        assert task.score_answer(ex["answer"], ex) == 1.0
        assert task._score(ex["answer"], ex) == 1.0  # the verifier too (score_answer skips it)
        assert task.dedup_key(ex) == task.dedup_key(dict(ex))
    # a corrupted example fails validation
    victim = dict(examples[0])
    other = next(e["answer"] for e in examples[1:] if e["answer"] != victim["answer"])
    victim["answer"] = other
    with pytest.raises(ValidationError):
        task.validate_example(victim)
    # another example's answer is wrong for >= 90% of 50 pairs (where the strings differ)
    pairs = [(a, b) for a, b in zip(examples[:50], examples[50:100])
             if a["answer"] != b["answer"]]
    wrong = sum(task.score_answer(b["answer"], a) < 1 for a, b in pairs)
    assert pairs and wrong >= 0.9 * len(pairs)
    # garbage scores 0.0 and never raises
    ex = examples[0]
    for garbage in ["", "   ", "garbage", "<bos> <ans> | ||", "x" * 1_000_000,
                    b"\xff\xfe\x00".decode("latin-1"), "\udcff\udcfe", "1 / 0", "(((((", None,
                    42]:
        assert task.score_answer(garbage, ex) == 0.0
    # equal examples, equal keys; the key is a string
    again = task.generate_example(random.Random(5))
    assert task.dedup_key(again) == task.dedup_key(task.generate_example(random.Random(5)))
    assert isinstance(task.dedup_key(again), str)


@pytest.mark.parametrize("name, backend", list(_cases()))
def test_levels_get_harder(name, backend):
    means = {}
    for level in (1, 10):
        task = synthset.get_task(name, level=level, backend=backend) if backend else \
            synthset.get_task(name, level=level)
        assert task.describe()["level"] == level
        means[level] = sum(len(e["prompt"]) for e in _examples(task, 30, seed=level)) / 30
    assert means[10] > means[1], means


def test_level_fields_are_documented_and_explicit_fields_win():
    depo = synthset.get_task("depo", level=3)
    described = depo.describe()
    assert described["levels"][3] == {"N": 8, "K": 2}
    assert described["config"]["N"] == 8
    assert synthset.get_task("depo", level=3, N=20).config.N == 20
    assert synthset.get_task("depo2", level=1).config.min_len == 5  # the preset's word shape
    gcd = synthset.get_task("poly_gcd", level=1)
    assert gcd.symbols == "x" and gcd.describe()["config"]["symbols"] == "x"
    with pytest.raises(synthset.ConfigError, match="level must be an integer from 1 to 10"):
        synthset.get_task("mano", level=11)


def test_describe_names_fields_levels_and_backends():
    d = synthset.get_task("poly_factor").describe()
    assert d["name"] == "poly_factor" and d["kind"] == "algebra"
    assert d["backends"] == ["sympy", "flint", "sagemath"]
    assert {"symbols", "field", "k"} <= set(d["config"])
    assert sorted(d["levels"]) == list(range(1, 11))
    fields = {f["name"]: f for f in synthset.get_task("lano").describe()["fields"]}
    assert fields["grammar"]["default"] == "cfg3f" and "cfg3k" in fields["grammar"]["doc"]


def test_unknown_names_and_fields_are_one_line_errors():
    with pytest.raises(synthset.ConfigError, match="task must be one of .*did you mean 'depo'"):
        synthset.get_task("dep0")
    with pytest.raises(synthset.ConfigError, match="unknown task 'poly_gcd' key 'degree'"):
        synthset.get_task("poly_gcd", degree=3)
    with pytest.raises(synthset.ConfigError, match="unknown depo config key 'Q'"):
        synthset.get_task("depo", Q=1)


def test_brevo_scores_any_topological_order():
    task = synthset.get_task("brevo1", N=12)
    ex = next(e for e in _examples(task, 100) if len(e["answer"].split()) >= 4)
    _, parents, q = task._graph(ex)
    # every valid order of the ancestors is right: try a different one when there is one
    words = ex["answer"].split()
    ancestors = words[:-1]
    for i in range(len(ancestors) - 1):
        swapped = ancestors[:i] + [ancestors[i + 1], ancestors[i]] + ancestors[i + 2:]
        ids = [task.vocab.stoi[w] for w in swapped]
        valid = task.is_correct_answer(parents, q, task._token_words(ids) + [q])
        assert task.score_answer(" ".join(swapped + [words[-1]]), ex) == float(valid)
    assert task.score_answer(" ".join(words[:-1]), ex) == 0.0  # the query is missing


def test_depo_scores_the_fraction_of_answer_tokens_right():
    task = synthset.get_task("depo", N=12, K=2, V=12, max_len=1)
    ex = task.generate_example(random.Random(1))
    answers = ex["answer"].split(" | ")
    half = len(answers) // 2
    guess = answers[:half] + ["0"] * (len(answers) - half)
    assert task.score_answer(" | ".join(guess), ex) == pytest.approx(half / len(answers))


def test_factorisation_accepts_associates_in_any_order():
    task = synthset.get_task("poly_factor", symbols="x", field="QQ", k=2)
    ex = next(e for e in _examples(task, 50) if len(e["meta"]["answer"]) >= 3)
    constant, *factors = ex["meta"]["answer"]
    # scale the first factor by 2 and the constant by 1/2: the same factorisation
    from fractions import Fraction

    scaled = f"2*({factors[0]})"
    assert task.score_answer(" | ".join([constant, *reversed(factors)]), ex) == 1.0
    doubled = [str(Fraction(constant) / 2)] + [
        " + ".join(f"{2 * Fraction(c)}*{m}" if m else str(2 * Fraction(c))
                   for c, m in _terms(factors[0]))] + factors[1:]
    assert task.score_answer(" | ".join(doubled), ex) == 1.0, (doubled, scaled)
    assert task.score_answer(" | ".join([constant, factors[0]]), ex) == 0.0


def _terms(poly: str):
    """(coefficient, monomial) pairs of a univariate QQ polynomial string like '3/2*x^2 - x + 1'."""
    out = []
    for term in poly.replace(" - ", " + -").split(" + "):
        term = term.strip()
        sign = -1 if term.startswith("-") else 1
        term = term.lstrip("-")
        if "*" in term:
            c, m = term.split("*", 1)
        elif "x" in term:
            c, m = "1", term
        else:
            c, m = term, ""
        out.append((str(sign * __import__("fractions").Fraction(c)), m))
    return out


def test_user_generator_is_a_task():
    from synthset.tasks.user import UserTask

    def gen(seed):
        rng = random.Random(seed)
        xs = [rng.randint(0, 9) for _ in range(3)]
        return xs, sum(xs)

    plain = UserTask(gen)
    ex = plain.generate_example(random.Random(0))
    assert ex["prompt"].count(" | ") == 2
    assert plain.score_answer(f"  {ex['answer']} ", ex) == 1.0
    assert plain.score_answer(ex["answer"] + "0", ex) == 0.0

    checked = UserTask(gen, check=lambda p, a: sum(map(int, p)) == int(a))
    assert checked.score_answer(ex["answer"], ex) == 1.0
    assert checked.score_answer("-1", ex) == 0.0
    assert checked(123) == gen(123)  # the engine's view is the generator itself


def test_rewards_judge_completions_like_score_answer():
    from synthset.export import to_hf_dataset
    from synthset.rewards import reward_function

    ds = to_hf_dataset("depo", prompts=True, count=30, seed=3,
                       task_config={"N": 8, "K": 2, "V": 10, "max_len": 1})
    assert set(ds.column_names) == {"prompt", "answer", "example", "index"}
    task = synthset.get_task("depo", N=8, K=2, V=10, max_len=1)
    assert ds["prompt"] == [e["prompt"] for e in task.take(3, 30)]  # one seed rule
    reward = reward_function("depo", N=8, K=2, V=10, max_len=1)
    assert reward.__name__ == "synthset_depo"
    right = reward(prompts=ds["prompt"], completions=ds["answer"], example=ds["example"])
    assert right == [1.0] * 30
    chat = [[{"role": "assistant", "content": a}] for a in ds["answer"]]
    assert reward(prompts=ds["prompt"], completions=chat, example=ds["example"]) == right
    loop = []
    loop.append(loop)  # a list that holds itself
    garbage = ["", None, 7, "x" * 1_000_000, "\udcff", [{"content": "1 | 2"}], loop,
               [{"content": ["not", "text"]}]] * 3 + ["", None, 7, "", "", ""]
    wrong = reward(prompts=ds["prompt"], completions=garbage, example=ds["example"])
    assert wrong == [0.0] * 30
    with pytest.raises(synthset.ConfigError, match="no 'example' column"):
        reward(prompts=ds["prompt"], completions=ds["answer"])
    # GRPO's groups: one example, many completions (the example is read once a call).
    group = [ds["example"][0]] * 4
    answers = [ds["answer"][0], ds["answer"][1], ds["answer"][0], ""]
    assert reward(completions=answers, example=group) == \
        [reward(completions=[a], example=[ds["example"][0]])[0] for a in answers]
    assert reward(completions=answers[:2], example=[{"not": "ours"}, None]) == [0.0, 0.0]


def test_reward_of_a_run_with_a_user_check_and_a_time_limit(tmp_path):
    import yaml

    from synthset.cli.main import main
    from synthset.export import export_hf
    from synthset.rewards import reward_function

    (tmp_path / "rewardgen.py").write_text(
        "import random\n"
        "def gen(seed):\n"
        "    r = random.Random(seed)\n"
        "    xs = [r.randint(0, 9) for _ in range(3)]\n"
        "    return xs, sum(xs)\n"
        "def check(problem, answer):\n"
        "    if answer == '999':\n"
        "        while True:\n"
        "            pass\n"
        "    return sum(map(int, problem)) == int(answer)\n")
    cfg = {"dataset": {"save_dir": str(tmp_path / "run"), "num_train_samples": 20,
                       "num_test_samples": 5, "batch_size": 10, "n_jobs": 1, "root_seed": 1,
                       "verbose": False, "instance_generator": "rewardgen:gen",
                       "check": "rewardgen:check"}}
    (tmp_path / "data.yaml").write_text(yaml.safe_dump(cfg))
    assert main(["generate", str(tmp_path / "data.yaml")]) == 0
    export_hf(tmp_path / "run", tmp_path / "hf", prompts=True)
    import datasets

    ds = datasets.load_dataset("parquet", data_dir=str(tmp_path / "hf"))["train"]
    reward = reward_function(tmp_path / "run", timeout=0.2, trust_code=True)  # its check
    answers = [str(int(a) + (i % 2)) for i, a in enumerate(ds["answer"])]
    got = reward(prompts=ds["prompt"], completions=answers, example=ds["example"])
    assert got == [1.0 if i % 2 == 0 else 0.0 for i in range(20)]
    # a check that never returns is cut at the time limit and scores 0.0
    assert reward(completions=["999"], example=ds["example"][:1]) == [0.0]

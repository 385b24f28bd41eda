"""Curricula: which level each example of a stream is drawn at."""

import pytest

import synthset
import synthset.tasks as T
from synthset import ConfigError
from synthset.tasks.curriculum import Adaptive, Fixed, Linear, Step, bind, parse, task_at


def test_schedules_give_the_documented_levels():
    assert [Fixed(3).level(i) for i in (0, 10**9)] == [3, 3]
    lin = Linear(1, 10, over=900)
    assert [lin.level(i) for i in (0, 99, 100, 450, 899, 900, 10**6)] == [1, 1, 2, 5, 9, 10, 10]
    step = Step([1, 3, 5], every=100)
    assert [step.level(i) for i in (0, 99, 100, 250, 10**6)] == [1, 1, 3, 5, 5]
    assert parse("linear:1:10:900").level(450) == 5 and parse("null") is None
    assert parse("step:2,4:10").level(15) == 4 and parse("fixed:7").level(0) == 7


def test_adaptive_rises_on_reports_and_is_deterministic_given_them():
    a = Adaptive(start=2, target=0.8, top=4)
    a.report(0.5, index=100)  # below target: no change
    a.report(0.85, index=200)
    a.report(0.9, index=300)
    a.report(0.99, index=400)  # already at the top
    assert [a.level(i) for i in (0, 199, 200, 299, 300, 10**6)] == [2, 2, 3, 3, 4, 4]
    b = Adaptive(start=2, target=0.8, top=4)
    for acc, i in ((0.5, 100), (0.85, 200), (0.9, 300), (0.99, 400)):
        b.report(acc, i)
    assert [b.level(i) for i in range(0, 500, 7)] == [a.level(i) for i in range(0, 500, 7)]


@pytest.mark.parametrize("spec, message", [
    ("linear:1:11:5", "linear end level must be an integer from 1 to 10"),
    ("step::5", "is not one of"),
    ("adaptive:1:1.5", "adaptive target must be an accuracy in (0, 1]"),
    ("bogus", "is not one of fixed:L"),
    ("linear:1:5:0", "linear over must be a positive number"),
])
def test_bad_schedules_are_one_line_errors(spec, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("]", r"\]")):
        parse(spec)


def test_a_scheduled_stream_draws_each_example_at_its_level_from_its_own_seed():
    torch = pytest.importorskip("torch")  # noqa: F841 (the stream is a torch IterableDataset)
    task = synthset.get_task("mano")
    rows = list(task.iterable(seed=4, num_examples=40, level="step:1,3:20"))
    for i, row in enumerate(rows):
        level = 1 if i < 20 else 3
        want = synthset.get_task("mano", level=level).record(4, i)
        assert row == want  # the same row a plain stream at that level gives for index i
        assert row["meta"]["l"] <= {1: 1, 3: 3}[level]
    # explicit fields survive a curriculum unless the level sets them
    moved = task_at(synthset.get_task("depo", V=300, max_len=1), 2)
    assert moved.config.V == 300 and moved.config.N == 6


def test_adaptive_in_several_workers_is_refused():
    torch = pytest.importorskip("torch")
    stream = T.get("mano").iterable(seed=0, num_examples=8, level=Adaptive())
    loader = torch.utils.data.DataLoader(stream, num_workers=2, batch_size=None)
    with pytest.raises(Exception, match="adaptive curriculum follows one trainer"):
        list(loader)


def test_a_field_schedule_moves_one_field_and_keeps_the_others():
    torch = pytest.importorskip("torch")  # noqa: F841 (the stream is a torch IterableDataset)
    task = synthset.get_task("depo", N=16, K=4, V=20, min_len=1, max_len=1, num_queries=16)
    schedule = parse("K:step:1,2,4:30")
    assert repr(schedule) == "Step([1, 2, 4], every=30, field='K')"
    rows = list(task.iterable(seed=3, num_examples=90, level=schedule))
    for i, row in enumerate(rows):
        k = [1, 2, 4][i // 30]
        want = synthset.get_task("depo", N=16, K=k, V=20, min_len=1, max_len=1,
                                 num_queries=16).record(3, i)
        assert row == want
        assert max(row["meta"]["k"]) <= k
    assert max(max(r["meta"]["k"]) for r in rows[60:]) == 4
    moved = task_at(task, 2, "K")
    assert (moved.config.K, moved.config.N, moved.config.V) == (2, 16, 20)


def test_an_adaptive_field_schedule_rises_to_the_tasks_own_value():
    task = synthset.get_task("depo", N=16, K=3, V=20, min_len=1, max_len=1)
    a = bind(parse("K:adaptive:1:0.8"), task)
    for i in range(1, 6):
        a.report(0.9, index=100 * i)
    assert a.highest() == 3 and [a.level(i) for i in (0, 100, 200, 10**6)] == [1, 2, 3, 3]


@pytest.mark.parametrize("spec, message", [
    ("K:step:1,5:10", "curriculum Step([1, 5], every=10, field='K') reaches K=5, above the "
                      "task's own K=4 (the value it rises to)"),
    ("Q:fixed:1", "curriculum field 'Q': depo has no integer field of that name (integer "
                  "fields: K, N, V, max_len, min_len, num_queries)"),
    ("K:fixed:0", "fixed K must be a positive integer, got 0"),
    ("K:bogus:1", "is not one of fixed:L"),
])
def test_bad_field_schedules_are_one_line_errors(spec, message):
    task = synthset.get_task("depo", N=16, K=4, V=20, min_len=1, max_len=1)
    with pytest.raises(ConfigError) as err:
        bind(parse(spec), task)
    assert message in str(err.value) and "\n" not in str(err.value)

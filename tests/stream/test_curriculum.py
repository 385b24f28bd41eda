"""synthset.rewards.curriculum: the level a trainer's rewards move, exactly, given the rewards."""

import logging

import pytest

import synthset

from synthset.core.errors import ConfigError
from synthset.rewards.curriculum import RewardCurriculum
from synthset.rewards import reward_function
from synthset.rewards.stream import PromptRows, stream_reward

# Group mean rewards, and the level after each, for start=2, rise=0.75, fall=0.25, window=2,
# high=4: rises at groups 2 and 4, stays at the top (6), falls at 8, holds between the
# thresholds (10: mean 0.25 is not below 0.25), falls at 11 and 13, holds at the bottom
# (15), rises at 17.
MEANS = [1.0, 0.5, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.5, 0.0, 0.25, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0]
LEVELS = [2, 3, 3, 4, 4, 4, 4, 3, 3, 3, 2, 2, 1, 1, 1, 1, 2]


def _curriculum(**kw):
    return RewardCurriculum(**{"start": 2, "rise": 0.75, "fall": 0.25, "window": 2,
                               "high": 4, **kw})


def test_levels_follow_the_rewards_exactly():
    curriculum = _curriculum()
    levels = []
    for mean in MEANS:
        curriculum.report(mean)
        levels.append(curriculum.current)
    assert levels == LEVELS
    assert [(c["group"], c["from"], c["to"], c["mean"]) for c in curriculum.changes] == [
        (2, 2, 3, 0.75), (4, 3, 4, 1.0), (8, 4, 3, 0.0), (11, 3, 2, 0.125), (13, 2, 1, 0.0),
        (17, 1, 2, 1.0)]
    assert curriculum.groups == len(MEANS)


def test_the_same_rewards_give_the_same_levels_however_they_are_batched():
    one = _curriculum()
    for mean in MEANS:
        one.report(mean)
    # the same group means as batches of completions, 4 per group, grouped by their index
    batched = _curriculum()
    rewards = [m for m in MEANS for _ in range(4)]
    keys = [g for g in range(len(MEANS)) for _ in range(4)]
    for start in range(0, len(rewards), 12):
        batched.observe(rewards[start:start + 12], keys[start:start + 12])
    assert batched.changes == one.changes and batched.current == one.current == 2


def test_a_group_is_the_mean_of_its_completions_none_and_nan_left_out():
    curriculum = RewardCurriculum(start=1, rise=0.75, fall=None, window=1)
    # group 7: mean of 1, 0.5 (None and NaN unscorable) = 0.75 -> rises
    assert curriculum.observe([1.0, None, 0.5, float("nan")], [7, 7, 7, 7]) == 2
    assert curriculum.observe([None, None], [8, 8]) == 2  # an unscorable group is no group
    assert curriculum.groups == 1
    # consecutive completions of different prompts are different groups
    assert curriculum.observe([1.0, 0.0, 0.0], [1, 2, 2]) == 3
    assert [c["to"] for c in curriculum.changes] == [2, 3]


def test_without_fall_the_level_never_falls_and_it_stops_at_high():
    curriculum = RewardCurriculum(start=9, rise=0.5, fall=None, window=1)
    for mean in (1.0, 1.0, 1.0, 0.0, 0.0):
        curriculum.report(mean)
    assert curriculum.current == 10 and len(curriculum.changes) == 1


def test_a_move_is_logged(caplog):
    curriculum = RewardCurriculum(start=1, rise=0.5, fall=None, window=2)
    with caplog.at_level(logging.INFO, logger="synthset.rewards.curriculum"):
        curriculum.observe([1.0, 0.5])
    assert caplog.messages == ["reward curriculum: level 1 -> 2 after 2 groups (mean reward "
                               "0.75 of the last 2 >= rise 0.5)"]


def test_a_stream_reads_the_current_level_for_each_new_row():
    config = {"V": 8, "min_len": 1, "max_len": 1, "num_queries": 2}
    curriculum = RewardCurriculum(start=1, rise=0.5, fall=None, window=1)
    rows = PromptRows("depo", seed=3, level=curriculum, **config).rows()
    first = [next(rows) for _ in range(3)]
    curriculum.report(1.0)  # the trainer's reward: level 2 for every row made from now on
    later = [next(rows) for _ in range(3)]
    at = {lv: PromptRows("depo", seed=3, level=lv, **config) for lv in (1, 2)}
    assert first == [at[1].row(i) for i in range(3)]
    assert later == [at[2].row(i) for i in range(3, 6)]
    assert later != [at[1].row(i) for i in range(3, 6)]


def test_the_streams_reward_judges_each_row_at_the_level_it_was_drawn_at():
    # Brevo's N sets its node ids: a level-1 reward misreads a level-3 row's record
    curriculum = RewardCurriculum(start=1, rise=0.5, fall=None, window=1)
    rows = PromptRows("brevo", seed=0, level=curriculum)
    reward = stream_reward("brevo", level=curriculum)  # its own rows object: the same levels
    drawn = [rows.row(i) for i in range(3)]
    curriculum.observe([1.0, 1.0])
    drawn += [rows.row(i) for i in range(3, 6)]
    assert [curriculum.drawn_level(i) for i in range(7)] == [1, 1, 1, 3, 3, 3, 3]
    columns = {k: [r[k] for r in drawn] for k in drawn[0]}
    assert reward(completions=columns["answer"], **columns) == [1.0] * 6
    assert reward(completions=["garbage"] * 6, **columns) == [0.0] * 6
    level1 = reward_function("brevo", level=1)
    assert level1(completions=columns["answer"], example=columns["example"]) == \
        [1.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    with pytest.raises(ConfigError, match="a stream's reward needs the dataset's 'index' "
                                          "column"):
        reward(completions=columns["answer"], example=columns["example"])
    # read again from row 0 (a new iteration), the stream records its levels afresh
    rows.row(0)
    assert [curriculum.drawn_level(i) for i in (0, 3)] == [3, 3]


def test_a_field_curriculum_rises_to_the_tasks_own_value():
    curriculum = RewardCurriculum(start=1, rise=0.5, fall=0.1, window=1, field="K")
    depo = synthset.get_task("depo", level=3, K=3)  # a field curriculum: the task's level kept
    rows = PromptRows(depo, seed=0, level=curriculum)
    assert curriculum.top == 3  # bound to depo's own K
    for _ in range(5):
        curriculum.report(1.0)
    assert curriculum.current == 3 and rows.row(0)["example"] == \
        PromptRows(depo, seed=0).row(0)["example"]
    with pytest.raises(ConfigError, match="reaches K=5, above the task's own K=3"):
        PromptRows(depo, seed=0, level=RewardCurriculum(start=1, high=5, field="K"))
    with pytest.raises(ConfigError, match="depo has no integer field of that name"):
        PromptRows(depo, seed=0, level=RewardCurriculum(field="hops"))


class _Model:
    training = True


def test_watch_sees_training_groups_only_and_reports_the_level_to_trl():
    curriculum = RewardCurriculum(start=1, rise=0.5, fall=None, window=1)

    def synthset_depo(prompts=None, completions=None, **columns):
        return [1.0 for _ in completions]

    metrics = []
    watched = curriculum.watch(synthset_depo)
    assert watched.__name__ == "synthset_depo"  # the name TRL logs the reward under
    model = _Model()
    callback = curriculum.callback()
    callback.on_train_begin(None, None, None, model=model)
    kwargs = {"prompts": ["a", "a", "b", "b"], "completions": ["x"] * 4, "index": [0, 0, 1, 1],
              "log_metric": lambda name, value: metrics.append((name, value))}
    assert watched(**kwargs) == [1.0] * 4
    assert (curriculum.groups, curriculum.current, metrics) == (2, 3, [("curriculum/level", 3.0)])
    model.training = False  # TRL scores evaluation completions with the model in eval mode
    watched(**kwargs)
    assert (curriculum.groups, curriculum.current) == (2, 3)


def test_the_callback_refuses_rewards_the_curriculum_never_saw():
    callback = RewardCurriculum().callback()
    callback.on_train_begin(None, None, None, model=_Model())
    callback.on_log(None, None, None, logs={"eval_reward": 0.5})  # evaluation: not ours
    with pytest.raises(ConfigError, match=r"reward_funcs=curriculum.watch\(reward\)"):
        callback.on_log(None, None, None, logs={"reward": 0.5})


@pytest.mark.parametrize("kwargs, message", [
    ({"rise": 0.5, "fall": 0.5}, "fall must be below rise (the gap keeps the level from "
                                 "flapping), got fall=0.5, rise=0.5"),
    ({"rise": True}, "rise must be a mean reward (a finite number), got True"),
    ({"fall": float("nan")}, "fall must be a mean reward (a finite number), got nan"),
    ({"window": 0}, "window must be a positive number of groups, got 0"),
    ({"start": 11}, "start level must be an integer from 1 to 10, got 11"),
    ({"start": 1, "low": 2}, "start level 1 is outside low..high = 2..10"),
    ({"high": 0}, "high level must be an integer from 1 to 10, got 0"),
])
def test_bad_settings_are_one_line(kwargs, message):
    with pytest.raises(ConfigError) as info:
        RewardCurriculum(**kwargs)
    assert str(info.value) == f"reward curriculum {message}"

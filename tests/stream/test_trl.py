"""A real TRL GRPOTrainer run on the prompt stream, its level moved by the trainer's rewards."""

import pytest

import synthset
from synthset.rewards.curriculum import RewardCurriculum
from synthset.rewards.stream import PromptRows, prompt_stream, stream_reward

CONFIG = {"V": 8, "min_len": 1, "max_len": 1, "num_queries": 2}  # levels 1-2: N = 4, 6; K = 1


def _tokenizer(task):
    """A word-level tokenizer over the task's token names and the separator ``|``, built
    here: nothing is downloaded (as examples/rl/trl_grpo.py builds it)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    names = [*task.vocab.itos, "|"]
    core = Tokenizer(models.WordLevel({n: i for i, n in enumerate(names)}, unk_token="<pad>"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>",
                                   eos_token="<eos>", bos_token="<bos>")


def test_grpo_on_the_stream_moves_the_level_with_the_trainers_rewards(tmp_path):
    import transformers
    from trl import GRPOConfig, GRPOTrainer

    tokenizer = _tokenizer(synthset.get_task("depo", level=2, **CONFIG))
    model = transformers.GPT2LMHeadModel(transformers.GPT2Config(
        vocab_size=len(tokenizer), n_positions=64, n_embd=32, n_layer=2, n_head=2,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id))
    # rise=0: any reward moves level 1 to 2 after 2 groups (the untrained model scores ~0)
    curriculum = RewardCurriculum(start=1, rise=0.0, fall=None, window=2, high=2)
    train = prompt_stream("depo", seed=3, level=curriculum, **CONFIG)
    score = stream_reward("depo", level=curriculum, **CONFIG)  # each row at its own level
    scored = []  # (index, example, rewards) of each call TRL makes

    def synthset_depo(prompts, completions, example, index, **columns):
        # synthset's reward plus a length bonus, so that the rewards differ from call to call
        values = [s + len(c) / 100 for s, c in zip(
            score(prompts=prompts, completions=completions, example=example, index=index),
            completions)]
        scored.append((list(index), list(example), values))
        return values

    trainer = GRPOTrainer(
        model=model, processing_class=tokenizer, train_dataset=train,
        reward_funcs=curriculum.watch(synthset_depo), callbacks=[curriculum.callback()],
        args=GRPOConfig(output_dir=str(tmp_path), max_steps=4, per_device_train_batch_size=4,
                        num_generations=4, max_completion_length=8, learning_rate=1e-4,
                        logging_steps=1, report_to=[], use_cpu=True, save_strategy="no",
                        seed=0, shuffle_dataset=False))
    trainer.train()

    logged = [h for h in trainer.state.log_history if "reward" in h]
    # one prompt of 4 completions a step: each call is one group, row i at step i + 1
    assert [index for index, _, _ in scored] == [[i] * 4 for i in range(4)]
    assert [h["reward"] for h in logged] == pytest.approx(
        [sum(v) / 4 for _, _, v in scored], rel=1e-6)
    # the curriculum saw the trainer's rewards: it rose after group 2, on their mean
    assert curriculum.groups == 4
    assert [(c["group"], c["from"], c["to"]) for c in curriculum.changes] == [(2, 1, 2)]
    assert curriculum.changes[0]["mean"] == pytest.approx(
        (logged[0]["reward"] + logged[1]["reward"]) / 2, rel=1e-6)
    assert [h["curriculum/level"] for h in logged] == [1, 2, 2, 2]  # in TRL's own logs
    # the rows TRL read: 0-2 drawn at level 1 (the DataLoader reads one batch ahead), 3 at 2
    at = {lv: PromptRows("depo", seed=3, level=lv, **CONFIG) for lv in (1, 2)}
    drawn = [[lv for lv in (1, 2) if at[lv].row(i)["example"] == examples[0]]
             for i, (_, examples, _) in enumerate(scored)]
    assert drawn == [[1], [1], [1], [2]]

"""Streams across DataLoader workers and ranks; engine runs of tasks; inspector; tokenizers."""

import json

import pytest

import synthset.tasks as T
from synthset.cli.main import main
from tests.conftest import task_config

torch = pytest.importorskip("torch")


def _key(row):
    return tuple(row["input_ids"])


@pytest.mark.parametrize("workers", [0, 2])
def test_dataloader_workers_yield_the_single_process_stream(workers):
    task = T.get("brevo1", N=20)
    single = [_key(r) for r in task.iter_examples(4, 37)]
    loader = torch.utils.data.DataLoader(task.iterable(4, 37), batch_size=None,
                                         num_workers=workers)
    got = [_key(r) for r in loader]
    assert got == single  # same multiset, and the same order


def test_ranks_partition_the_stream():
    from synthset.tasks.stream import TaskStream

    task = T.get("mano")
    single = [_key(r) for r in task.iter_examples(1, 41)]
    parts = [[_key(r) for r in TaskStream(task, 1, 41, rank=r, world_size=3)] for r in range(3)]
    assert sorted(sum(parts, [])) == sorted(single)
    assert not set(parts[0]) & set(parts[1])


def test_packed_stream_windows():
    task = T.get("lano_cfg3f")
    windows = list(task.iterable(0, 20, context_length=512))
    assert windows and all(len(w["input_ids"]) == 512 for w in windows)


def test_generate_a_task_run_is_deterministic_across_executors(tmp_path):
    config = task_config(tmp_path / "data.yaml", tmp_path / "a", "depo1", 300, 20,
                         task_config={"N": 20}, formats=["parquet"])
    assert main(["generate", str(config)]) == 0
    assert main(["generate", str(config), f"save_dir={tmp_path / 'b'}", "n_jobs=2",
                 "batch_size=7"]) == 0
    for name in ("train_data.jsonl", "train_raw.txt", "data/train-00000-of-00001.parquet"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    task = T.get("depo1", N=20)
    rows = [json.loads(line) for line in (tmp_path / "a" / "train_data.jsonl").open()]
    assert len(rows) == 300
    for row in rows:
        task.validate_example(row)
    stats = (tmp_path / "a" / "train_stats.yaml").read_text()
    assert "row_stats:" in stats and "loss_tokens:" in stats


def test_datasets_reads_task_rows(tmp_path):
    datasets = pytest.importorskip("datasets")
    config = task_config(tmp_path / "data.yaml", tmp_path / "o", "mano", 30, 5,
                         save_text=False, save_json=False, formats=["parquet"])
    assert main(["generate", str(config)]) == 0
    ds = datasets.load_dataset("parquet", data_dir=str(tmp_path / "o"))
    row = ds["train"][0]
    assert set(row) == {"input_ids", "loss_mask", "labels", "meta", "index"}
    assert len(row["input_ids"]) == 2 * json.loads(row["meta"])["l"] + 5


def test_inspector_output_for_a_fixed_seed(capsys):
    assert main(["inspect", "dataset=mano", "dataset.config.L=2", "dataset.config.qa=true",
                 "--no-color"]) == 0
    out = capsys.readouterr().out.splitlines()
    task = T.get("mano", L=2, qa=True)
    row = task.example(0, 0)
    assert out[0] == f"--- mano example 0 (seed 0) l=2 value={row['meta']['value']}"
    assert out[1] == " ".join(task.decode(row["input_ids"]))
    assert out[2] == f"answer: {row['meta']['value']}"
    assert out[3] == "check: ok (score of this answer: 1)"


def test_inspector_shows_any_task_under_its_registry_name(capsys):
    assert main(["inspect", "dataset=integer_sum", "dataset.level=1", "show=2"]) == 0
    out = capsys.readouterr().out.splitlines()
    task = T.get("integer_sum", level=1)
    ex = task.example(0, 1)
    assert out[4:7] == ["--- integer_sum example 1 (seed 0) ", f"prompt: {ex['prompt']}",
                        f"answer: {ex['answer']}"]


def test_inspector_colours_the_loss_mask():
    from synthset.cli.inspect import DIM, GREEN, inspect

    text = inspect(["dataset=brevo", "max_tokens=-1"], color=True)
    assert f"{DIM}<bos>" in text and f"{GREEN}<ans>" in text and f"{GREEN}<eos>" in text


@pytest.mark.parametrize("override, message", [
    ("dataset=depo9", "dataset must be one of 'brevo', 'brevo1', 'brevo2', 'capo', 'depo', "
                      "'depo1', 'depo2', 'eigenvector'"),
    ("shw=2", "unknown override key 'shw' (did you mean 'show'?)"),
    ("dataset.config.Z=1", "unknown depo config key 'Z'"),
])
def test_inspector_errors_are_one_line(capsys, override, message):
    assert main(["inspect", override]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_local_tokenizer_keeps_the_mask_aligned(tmp_path):
    tokenizers = pytest.importorskip("tokenizers")
    from synthset.tasks.tokenize import load_tokenizer, render, retokenize

    task = T.get("brevo1", N=30)
    rows = task.take(0, 50)
    tok = tokenizers.Tokenizer(tokenizers.models.BPE(unk_token="[UNK]"))
    tok.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    trainer = tokenizers.trainers.BpeTrainer(vocab_size=200, special_tokens=["[UNK]"])
    tok.train_from_iterator([render(task, r)[0] for r in rows], trainer)
    tok.save(str(tmp_path / "tokenizer.json"))
    loaded = load_tokenizer(tmp_path)
    for row in rows[:10]:
        new = retokenize(task, row, loaded)
        trained_text = "".join(t for t, m in zip(new["tokens"], new["loss_mask"]) if m)
        answer = "".join(n for n, m in zip(task.decode(row["input_ids"]), row["loss_mask"]) if m)
        assert trained_text == answer
        assert new["labels"] == [t if m else -100 for t, m in zip(new["input_ids"],
                                                                  new["loss_mask"])]
    with pytest.raises(Exception, match="no tokenizer.json there.*no hub downloads"):
        load_tokenizer(tmp_path / "missing")
    # As a task option: the stream is re-encoded.
    streamed = T.get("brevo1", N=30, tokenizer_name_or_path=str(tmp_path)).iter_examples(0, 3)
    assert [r["input_ids"] for r in streamed] == [retokenize(task, r, loaded)["input_ids"]
                                                  for r in rows[:3]]


def test_a_byte_level_tokenizer_merging_trained_tokens_keeps_them_trained(tmp_path):
    """A byte-level BPE merges across the spaces (" 83 12" one token): a merge of trained
    tokens is trained, one reaching into the prompt is not; every answer token stays covered."""
    tokenizers = pytest.importorskip("tokenizers")
    from synthset.tasks.tokenize import render, retokenize

    task = T.get("lano_cfg3f")
    rows = task.take(0, 40)
    tok = tokenizers.Tokenizer(tokenizers.models.BPE())
    tok.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = tokenizers.decoders.ByteLevel()
    trainer = tokenizers.trainers.BpeTrainer(
        vocab_size=400, initial_alphabet=tokenizers.pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator([render(task, r)[0] for r in rows], trainer)
    for row in rows[:10]:
        text, spans = render(task, row)
        new = retokenize(task, row, tok)
        offsets = tok.encode(text).offsets
        for (start, end), m in zip(offsets, new["loss_mask"]):
            touched = [i for i, (a, b) in enumerate(spans) if a < end and start < b]
            assert m == (1 if touched and all(row["loss_mask"][i] for i in touched) else 0)
        trained = [i for i, m in enumerate(row["loss_mask"]) if m]
        covered = {i for (start, end), m in zip(offsets, new["loss_mask"]) if m
                   for i, (a, b) in enumerate(spans) if a < end and start < b}
        assert covered == set(trained)  # every trained original token is still trained


def test_scorers_judge_answer_text():
    depo = T.get("depo1", N=10)
    ex = depo.example(0, 0)
    assert depo.score_answer(ex["answer"], ex) == 1.0
    answers = ex["answer"].split(" | ")
    first = answers[0].split()
    first[0] = "0"  # one wrong token of the first answer
    k0 = ex["meta"]["k"][0]
    details = depo.score_details(" | ".join([" ".join(first), *answers[1:]]), ex)
    assert details[k0][0] == details[k0][1] - 1
    mano = T.get("mano")
    ex = mano.example(0, 0)
    assert mano.score_answer(ex["answer"], ex) == 1.0
    assert mano.score_answer(str((int(ex["answer"]) + 1) % 23), ex) == 0.0
    brevo = T.get("brevo1", N=15)
    ex = brevo.example(0, 1)
    assert brevo.score_answer(ex["answer"], ex) == 1.0
    # the stop token is the decoder's to cut (train/evaluate.py), not part of an answer
    assert brevo.score_answer(ex["answer"] + " <eos>", ex) == 0.0
    assert brevo.score_answer(" ".join(ex["answer"].split()[1:]), ex) == 0.0
    lano = T.get("lano_cfg3f")
    ex = lano.example(0, 0)
    assert lano.score_answer(ex["answer"], ex) == 1.0
    assert lano.score_answer(ex["answer"] + " <bos>", ex) == 0.0
    assert lano.score_answer(ex["answer"] + " 1", ex) == 0.0

"""Token counts under a real tokenizer: ``io.tokens`` (loading from disk, counting in batches,
the over-limit filter) and ``synthset check --tokenizer``: the report, tokens.json and the
dataset card, against counts made one sample at a time."""

import json
from pathlib import Path

import pytest

from synthset import ConfigError
from synthset.cli.main import main
from synthset.dataset import DatasetPipeline
from synthset.io.tokens import (TokenCounts, TokenFilter, count_tokens, load_tokenizer,
                                over_limit, summarize, tokenizer_digest)
from synthset.runs import RunFolder

from tests.local_tokenizer import word_tokenizer

BLOCK = {"num_train_samples": 200, "num_test_samples": 40, "batch_size": 100, "n_jobs": 1,
         "root_seed": 42, "verbose": False}


@pytest.fixture(scope="module")
def tok_path(tmp_path_factory):
    return word_tokenizer(tmp_path_factory.mktemp("tok") / "tokenizer.json")


@pytest.fixture(scope="module")
def sum_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sum") / "run"
    DatasetPipeline.from_config({**BLOCK, "save_dir": str(folder), "task": "integer_sum"}).run()
    return folder


def test_a_tokenizer_loads_from_its_file_or_its_folder(tok_path):
    by_file = load_tokenizer(tok_path)
    by_folder = load_tokenizer(tok_path.parent)
    assert by_file.to_str() == by_folder.to_str()
    assert tokenizer_digest(by_file) == tokenizer_digest(by_folder)
    assert len(tokenizer_digest(by_file)) == 16


def test_a_folder_of_vocabulary_files_is_read_with_transformers(tmp_path):
    """A GPT-2 style folder (vocab.json, merges.txt, tokenizer_config.json; no
    tokenizer.json) counts as the byte-level BPE it holds."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.train_from_iterator(["1 + 2 = 3", "x*y + 3 | 4"] * 20, trainers.BpeTrainer(
        vocab_size=300, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    folder = tmp_path / "gpt"
    folder.mkdir()
    bpe.model.save(str(folder))
    (folder / "tokenizer_config.json").write_text('{"tokenizer_class": "GPT2Tokenizer"}')
    tok = load_tokenizer(folder)
    texts = ["1 + 2 = 3", "x*y", "hello"]
    assert count_tokens(tok, texts[:2], texts[2:] + ["3"]) == \
        ([len(bpe.encode(t).ids) for t in texts[:2]], [len(bpe.encode("hello").ids), 1])


def test_a_bad_tokenizer_path_is_one_line(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_tokenizer(tmp_path / "missing.json")
    assert str(err.value) == (f"--tokenizer {str(tmp_path / 'missing.json')!r}: no such file "
                              "or folder (a tokenizer.json, or a folder holding one; "
                              "tokenizers are read from local files only)")
    bad = tmp_path / "bad.json"
    bad.write_text("not json")
    with pytest.raises(ConfigError, match=r"^--tokenizer '.*bad\.json': bad\.json is not a "
                                          r"tokenizers tokenizer\.json \(") as err:
        load_tokenizer(bad)
    assert "\n" not in str(err.value)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=r"^--tokenizer '.*empty': holds no tokenizer\.json "
                                          r"\(nor tokenizer_config\.json, vocab\.json"):
        load_tokenizer(tmp_path / "empty")
    with pytest.raises(ConfigError, match="no such file or folder"):
        load_tokenizer("https://huggingface.co/gpt2/tokenizer.json")


def test_counts_in_one_batch_are_the_counts_one_at_a_time(tok_path):
    tok = load_tokenizer(tok_path)
    prompts = ["1 + 2", "3 | 1 | 2 | x", "", "zzz 1"]
    answers = ["3", "- 2", "1", "y y y"]
    p, a = count_tokens(tok, prompts, answers)
    assert p == [3, 7, 0, 2]  # 'zzz' is one [UNK]
    assert a == [1, 2, 1, 3]
    assert p == [len(tok.encode(t, add_special_tokens=False).ids) for t in prompts]
    assert count_tokens(tok, [], []) == ([], [])


def test_summaries_are_exact_with_nearest_rank_percentiles():
    assert summarize({1: 2, 3: 1, 10: 1}) == {"samples": 4, "tokens": 15, "min": 1,
                                             "mean": 3.75, "max": 10, "p50": 1, "p90": 10,
                                             "p99": 10}
    hist = {v: 1 for v in range(1, 101)}  # 1..100 once each
    s = summarize(hist)
    assert (s["p50"], s["p90"], s["p99"], s["mean"], s["tokens"]) == (50, 90, 99, 50.5, 5050)
    assert summarize({})["samples"] == 0
    counts = TokenCounts(max_tokens=4)
    counts.add([1, 3], [2, 2])
    other = TokenCounts(max_tokens=4)
    other.add([5], [0])
    counts.merge(other)
    summary = counts.summary()
    assert summary["total"]["tokens"] == 13 and summary["over_max_tokens"] == 2
    assert summary["prompt"]["max"] == 5 and summary["answer"]["min"] == 0


def test_the_filter_skips_what_is_over_and_counts_it_the_same_in_any_chunks(tok_path):
    assert over_limit(3, 2, 5) is False and over_limit(3, 3, 5) is True
    prompts = ["1 + 2", "3 | 1 | 2 | x", "1", "1 2 3 1 2"]
    answers = ["3", "- 2", "1 2 3", "1"]
    whole = TokenFilter(tok_path, 5)
    assert whole.keep(prompts, answers) == [True, False, True, False]
    assert (whole.kept, whole.skipped) == (2, 2)
    one_by_one = TokenFilter(load_tokenizer(tok_path), 5)
    assert [one_by_one.keep([p], [a])[0] for p, a in zip(prompts, answers)] == \
        [True, False, True, False]
    assert (one_by_one.kept, one_by_one.skipped) == (2, 2)
    for bad in (0, -1, 2.5, True, "5"):
        with pytest.raises(ConfigError, match=r"^--max-tokens must be a positive integer"):
            TokenFilter(tok_path, bad)


def _expected(run: Path, tok_path: Path, limit: int) -> dict:
    """Each split's counts made one sample at a time, independently of the check."""
    tok = load_tokenizer(tok_path)
    folder = RunFolder(run)
    out = {}
    for split in folder.splits:
        p, a = [], []
        for example, _ in folder.examples(split):
            p.append(len(tok.encode(example["prompt"], add_special_tokens=False).ids))
            a.append(len(tok.encode(example["answer"], add_special_tokens=False).ids))
        out[split] = {"prompt": p, "answer": a, "total": [x + y for x, y in zip(p, a)]}
    for split, parts in out.items():
        out[split]["over"] = sum(1 for t in parts["total"] if t > limit)
    return out


def test_check_reports_token_counts_in_its_table_tokens_json_and_the_card(sum_run, tok_path,
                                                                           capsys):
    rc = main(["check", str(sum_run), "--tokenizer", str(tok_path), "--max-tokens", "12",
               "--no-figures", "-q"])
    out = capsys.readouterr().out
    assert rc == 0
    expected = _expected(sum_run, tok_path, 12)
    tokens = json.loads((sum_run / "tokens.json").read_text())
    report = json.loads((sum_run / "quality.json").read_text())
    assert report["tokens"] == tokens
    assert tokens["tokenizer"] == str(tok_path)
    assert tokens["digest"] == tokenizer_digest(load_tokenizer(tok_path))
    assert tokens["max_tokens"] == 12 and tokens["special_tokens"] is False
    assert list(tokens["splits"]) == ["train", "test"]
    for split, want in expected.items():
        got = tokens["splits"][split]
        for part in ("prompt", "answer", "total"):
            values = want[part]
            assert got[part]["samples"] == len(values) == BLOCK[f"num_{split}_samples"]
            assert got[part]["tokens"] == sum(values)
            assert (got[part]["min"], got[part]["max"]) == (min(values), max(values))
            assert got[part]["mean"] == round(sum(values) / len(values), 4)
            assert got[part]["p50"] == sorted(values)[-(-50 * len(values) // 100) - 1]
        assert got["over_max_tokens"] == want["over"]
    # integer_sum: five numbers joined by ' | ' make 9 tokens, the answer 1 (a '-' is its own)
    assert 9 <= tokens["splits"]["train"]["prompt"]["min"]
    assert 0 < expected["train"]["over"] < 200  # the limit cuts inside the distribution
    t = tokens["splits"]["train"]["total"]
    assert (f"train       total   {t['tokens']:>12,}{t['min']:>7}{t['mean']:>10.2f}"
            f"{t['p50']:>7}{t['p90']:>7}{t['p99']:>7}{t['max']:>7}"
            f"{tokens['splits']['train']['over_max_tokens']:>12,}") in out
    assert f"tokens under {tok_path} (prompt + answer, special tokens left out):" in out
    assert "wrote quality.json, tokens.json, README.md in" in out
    card = (sum_run / "README.md").read_text()
    assert "### Token counts" in card
    assert f"Under the tokenizer `tokenizer.json` (sha256 `{tokens['digest']}`)" in card
    assert (f"| train | total | {t['tokens']:,} | {t['min']} | {t['mean']:.2f} | {t['p50']} | "
            f"{t['p90']} | {t['p99']} | {t['max']} | "
            f"{tokens['splits']['train']['over_max_tokens']:,} |") in card
    # a check without --tokenizer keeps the counts (the data is the same)...
    assert main(["check", str(sum_run), "--no-figures", "-q"]) == 0
    assert "### Token counts" in (sum_run / "README.md").read_text()
    # ...and edited data drops them from the card
    path = sum_run / "test_data.jsonl"
    path.write_text(path.read_text())
    assert main(["check", str(sum_run), "--no-figures", "-q"]) == 0
    assert "### Token counts" not in (sum_run / "README.md").read_text()


def test_check_token_errors_are_one_line(sum_run, tok_path, capsys):
    assert main(["check", str(sum_run), "--max-tokens", "5", "-q"]) == 2
    assert capsys.readouterr().err.strip() == (
        "synthset check: error: --max-tokens counts tokens under a tokenizer: give "
        "--tokenizer PATH too (a tokenizer.json or a folder holding one)")
    assert main(["check", str(sum_run), "--tokenizer", str(tok_path), "--max-tokens", "0",
                 "-q"]) == 2
    assert capsys.readouterr().err.startswith("synthset check: error: --max-tokens must be a "
                                              "positive integer")
    assert main(["check", str(sum_run), "--tokenizer", str(sum_run / "nope"), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such file or folder" in err

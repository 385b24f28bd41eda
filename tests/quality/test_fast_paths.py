"""The check's shortcuts give what the plain steps give: pairs read as flat texts keep the
run's keys and the format messages, histograms merged in one pass equal pairwise merges,
whitespace squashed without splitting equals ``" ".join(text.split())``."""

import functools
import json
import random

from synthset.core.errors import FormatError
from synthset.core.nested import check_strings, text_field
from synthset.driver.dedup import sample_keyer, squashed
from synthset.quality.verify import (MergedDistribution, Range, RangeJob, TaskPlan, build,
                                     distribution, merge_distributions)


def test_pairs_read_fast_keep_their_keys_and_messages(tmp_path):
    rows = [
        {"problem": ["1", "2"], "answer": ["1", "3"]},
        {"problem": ["1", "2"], "answer": ["1", "4"]},  # wrong
        {"problem": "1 | 2", "answer": "1 | 3"},
        {"problem": [["1", "2"], ["3"]], "answer": ["1"]},
        {"problem": ["1", 2], "answer": ["1", "3"]},
        {"problem": {"a": "b"}, "answer": ["1"]},
        {"problem": ["1"], "answer": [[["1"]]]},
        {"problem": [], "answer": []},
        {"problem": ["  1", "2\u3000 ", ""], "solution": ["1", "3"]},
    ]
    lines = [json.dumps(r, ensure_ascii=False).encode() for r in rows]
    (tmp_path / "train_data.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    plan = TaskPlan("builtin", "gf17_addition", (), "sympy")
    task, _ = build(plan)
    job = RangeJob(str(tmp_path), str(tmp_path / "state"), plan, 0)
    result, digests, indices = job.verify(Range("train", 0, 0, len(rows), 0,
                                                len(b"\n".join(lines)) + 1))
    want_failures, keyed = [], []
    for index, row in enumerate(rows):
        answer = row.get("answer", row.get("solution"))
        try:
            check_strings(row["problem"])
            check_strings(answer)
        except FormatError as exc:
            want_failures.append([index, "format", f"line {index + 1}: {exc}"])
            continue
        keyed.append((index, sample_keyer(task)((row["problem"], answer))))
        try:
            if not task.verifies(row["problem"], answer):
                want_failures.append([index, "wrong", "the answer does not verify: "
                                      f"{text_field(answer)[:200]!r}"])
        except Exception as exc:
            want_failures.append([index, "error",
                                  f"the verifier raised {type(exc).__name__}: {exc}"])
    assert result["failures"] == want_failures
    assert [1, "wrong", "the answer does not verify: '1 | 4'"] in want_failures
    assert indices == [i for i, _ in keyed]
    assert digests == b"".join(k for _, k in keyed)


def test_one_pass_merges_equal_pairwise_merges():
    rng = random.Random(5)
    for _ in range(200):
        dists = []
        for _ in range(rng.randrange(1, 6)):
            kind = rng.randrange(4)
            values = [rng.randrange(-20, 20) for _ in range(rng.randrange(0, 30))]
            if kind == 1:
                values = [v * 12_345.678 for v in values]
            elif kind == 2 and values:
                values[0] = float("nan")
            dists.append(json.loads(json.dumps(distribution(values))))  # as ranges store them
        merged = MergedDistribution()
        for d in dists:
            merged.add(d)
        want = functools.reduce(merge_distributions, dists, None)
        assert json.dumps(merged.result()) == json.dumps(want)


def test_squashed_is_split_and_join():
    texts = ["", " ", "a", "a b", "a  b", " a", "a ", "x | y || z", "a\tb", "a\nb",
             "a\u00a0b", "a\u2028b", "a\u3000b", "a\x1cb", "a\u200bb", "\u00e9 \u4e2d"]
    texts += ["".join(random.Random(i).choice("ab \t\u00a0|") for _ in range(8))
              for i in range(300)]
    for text in texts:
        assert squashed(text) == " ".join(text.split()), repr(text)

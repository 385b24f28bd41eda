"""Dedup keys mean what docs/tasks.md says: equal for samples that pose the same problem (Depo:
the cycle's edges in any order plus the queries; Brevo: the edge set plus the query; Mano: the
prompt; Lano: the sentence), different for others, whether the row's tokens fit in a byte or
not."""

import random

import pytest

import synthset.tasks as T


def _edges_shuffled(task, row, stop_token: int, seed: int) -> dict:
    """``row`` with the edges between ``<bos>`` and the first ``stop_token`` (or later id) in
    another order."""
    ids = row["input_ids"]
    stop = next(i for i, t in enumerate(ids) if t >= stop_token)
    end = task.vocab.content(task.config.V)  # ids above it end a word
    words, cur = [], []
    for t in ids[1:stop]:
        cur.append(t)
        if t > end or getattr(task, "single", False):
            words.append(cur)
            cur = []
    edges = list(zip(words[::2], words[1::2]))
    random.Random(seed).shuffle(edges)
    again = [ids[0], *(t for p, c in edges for t in (*p, *c)), *ids[stop:]]
    assert again != ids
    return {**row, "input_ids": again}


@pytest.mark.parametrize("name, config", [("depo", {}), ("depo", {"V": 300}),
                                          ("depo1", {})])
def test_depo_keys_the_cycle_in_any_order_and_the_queries(name, config):
    task = T.get(name, **config)
    rows = [task.sample(random.Random(seed)) for seed in range(20)]
    keys = {task.dedup_key(row) for row in rows}
    assert len(keys) == 20
    first_query = task.vocab["<query_1>"]
    for seed, row in enumerate(rows):
        assert task.dedup_key(_edges_shuffled(task, row, first_query, seed)) == \
            task.dedup_key(row)
    row = rows[0]
    ids = list(row["input_ids"])
    ids[ids.index(first_query)] = task.vocab[f"<query_{task.config.K}>"]  # another query
    assert task.dedup_key({**row, "input_ids": ids}) != task.dedup_key(row)


@pytest.mark.parametrize("name", ["brevo1", "brevo2"])
def test_brevo_keys_the_edge_set_and_the_query_not_the_answer_order(name):
    task = T.get(name)
    rows = [task.sample(random.Random(seed)) for seed in range(20)]
    assert len({task.dedup_key(row) for row in rows}) == 20
    query = task.vocab["<query>"]
    for seed, row in enumerate(rows):
        shuffled = _edges_shuffled(task, row, query, seed)
        ids = shuffled["input_ids"]
        ans = ids.index(task.vocab["<ans>"])
        shuffled["input_ids"] = ids[:ans + 1] + ids[ans + 1:][::-1]  # the answer: unread
        assert task.dedup_key(shuffled) == task.dedup_key(row)


@pytest.mark.parametrize("config", [{"level": 1}, {"level": 1, "augment": True}])
def test_mano_keys_the_prompt(config):
    task = T.get("mano", **config)  # L=1: few problems, so many rows repeat one
    rows = [task.sample(random.Random(seed)) for seed in range(300)]
    prompts = [tuple(r["input_ids"][:-1]) for r in rows]
    keys = [task.dedup_key(r) for r in rows]
    assert len(set(prompts)) < 300
    assert len(set(zip(prompts, keys))) == len(set(prompts)) == len(set(keys))


def test_lano_keys_the_sentence():
    task = T.get("lano")
    rows = [task.sample(random.Random(seed)) for seed in range(10)]
    assert len({task.dedup_key(r) for r in rows}) == 10
    assert task.dedup_key({"input_ids": list(rows[0]["input_ids"])}) == \
        task.dedup_key(rows[0])

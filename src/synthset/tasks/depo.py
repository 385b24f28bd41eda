"""Depo — reasoning depth: the k-th successor on a cycle (docs/tasks.md).

``<bos>``, the n edges ``word(v_i) word(v_{i+1 mod n})`` of a random n-cycle in shuffled order,
then min(n, 10) queries with distinct starts: ``<query_k> word(q) <ans> word(succ^k(q))``, then
``<eos>`` (decision: emitted, outside the loss). Loss on ``<ans>`` and the answer word's tokens.
Words: l ~ U[min_len, max_len] tokens, the first l-1 in [1, V], the last in [V+1, 2V] (an
end-of-word marker: words are prefix-free); distinct within a sample.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from operator import add

from synthset.core.errors import ConfigError
from synthset.core.rand import fast_randint
from synthset.tasks.base import (TokenTask, ValidationError, check, check_labels,
                                 distinct_words, draw_size, make_row, require_int)
from synthset.tasks.rowkeys import (IGNORE, char_class, edge_patterns, row_text,
                                    sorted_edges, text_digest)
from synthset.tasks.vocab import Vocab


@dataclass
class DepoConfig:
    """Args:
        N: the largest number of nodes; training n follows p(n) ~ 1/(n + sqrt(N)) on {3..N}.
        K: the largest hop count; training k is uniform in [1, K] per query.
        V: word-piece alphabet size (content tokens 1..2V).
        min_len, max_len: tokens per word.
        qa: evaluation mode: n = N and k in {powers of 2 up to K} and K.
        fixed_k: every query asks this k.
        num_queries: queries per sample (min(n, num_queries)).
    """

    N: int = 225
    K: int = 8
    V: int = 50
    min_len: int = 1
    max_len: int = 2
    qa: bool = False
    fixed_k: int | None = None
    num_queries: int = 10

    def validate(self) -> None:
        require_int("N", self.N, 3)
        require_int("K", self.K, 1)
        require_int("V", self.V, 1)
        require_int("min_len", self.min_len, 1)
        require_int("max_len", self.max_len, self.min_len)
        require_int("num_queries", self.num_queries, 1)
        if self.fixed_k is not None:
            require_int("fixed_k", self.fixed_k, 1)
            if self.fixed_k > self.K:
                raise ConfigError(f"fixed_k={self.fixed_k} exceeds K={self.K} (there is no "
                                  f"<query_{self.fixed_k}> token)")
        words = sum(self.V ** l for l in range(self.min_len, self.max_len + 1))
        if words < self.N:
            raise ConfigError(f"only {words} distinct words exist with V={self.V} and lengths "
                              f"{self.min_len}..{self.max_len}, fewer than N={self.N} nodes")


class DepoTask(TokenTask):
    family = name = "depo"
    summary = "k-th successor of a word on a random cycle (reasoning depth)"
    score_group = "k"
    BUCKETS = ("n",)
    Config = DepoConfig
    # Level: more nodes and more hops.
    LEVELS = {lv: {"N": n, "K": k} for lv, (n, k) in enumerate(
        [(4, 1), (6, 1), (8, 2), (12, 2), (16, 3), (24, 4), (32, 4), (64, 6), (128, 8),
         (225, 8)], 1)}

    def build_vocab(self) -> Vocab:
        c = self.config
        specials = ["<bos>", "<eos>", "<ans>"] + [f"<query_{k}>" for k in range(1, c.K + 1)]
        return Vocab(2 * c.V, specials)

    def eval_hops(self) -> list[int]:
        """The k of evaluation queries: powers of two up to K, and K; for K = 32 also 24, as
        the reference generator's evaluation set has it."""
        K = self.config.K
        extra = {24} if K == 32 else set()
        return sorted({2 ** i for i in range(K.bit_length()) if 2 ** i <= K} | {K} | extra)

    def sample(self, rng) -> dict:
        c, voc = self.config, self.vocab
        randint = fast_randint(rng)
        n = draw_size(self, rng)
        words = distinct_words(rng, n, c.V, c.min_len, c.max_len)
        # words[i] -> words[i + 1 mod n] is the cycle (the words are already in random order).
        edges = list(range(n))
        rng.shuffle(edges)
        ids = [voc["<bos>"]]
        for i in edges:
            ids.extend(words[i])
            ids.extend(words[(i + 1) % n])
        mask = [0] * len(ids)
        hops = self.eval_hops()
        ks, spans = [], []
        for q in rng.sample(range(n), min(n, c.num_queries)):
            if c.fixed_k is not None:
                k = c.fixed_k
            elif c.qa:
                k = hops[randint(0, len(hops) - 1)]
            else:
                k = randint(1, c.K)
            answer = words[(q + k) % n]
            ids.append(voc[f"<query_{k}>"])
            ids.extend(words[q])
            ids.append(voc["<ans>"])
            start = len(ids)
            ids.extend(answer)
            mask.extend([0] * (1 + len(words[q])) + [1] * (1 + len(answer)))
            ks.append(k)
            spans.append([start, len(ids)])
        ids.append(voc["<eos>"])
        mask.append(0)
        return make_row(ids, mask, {"n": n, "k": ks, "answer_spans": spans})

    def validate_row(self, example: dict) -> None:
        if not self._row_holds(example):
            self._validate_row(example)  # the checks that say what is wrong

    def _row_holds(self, example: dict) -> bool:
        """Whether every check of ``_validate_row`` passes, decided from the row read as text
        (one character a token) by regular expressions, dicts and sets (C); False (or anything
        unexpected, such as ids that are no integers) sends the row to ``_validate_row``."""
        return self._holds(example) is not None

    def checked_key(self, row: dict) -> str | None:
        """``dedup_key(row)`` when ``validate_example(row)`` surely passes (``_row_holds``
        and no prompt or answer text to compare), else None: the key made from what the
        check found (the edge list ends where the queries start; its edges, sorted, are
        ``sorted_edges``' own), without reading the row again."""
        if "prompt" in row or "answer" in row:
            return None
        found = self._holds(row)
        if found is None:
            return None
        text, start, tails, heads = found
        return text_digest(text[:1] + "".join(sorted(map(add, tails, heads))) + text[start:])

    # statistics(row) as one tuple a row (quality.verify turns them into columns)
    STATISTICS_COLUMNS = (("row", "length"), ("row", "loss_tokens"), ("meta", "n"))

    def stored_statistic_values(self, row: dict) -> tuple:
        """``statistics(row)`` in the order of STATISTICS_COLUMNS, for a row whose ``meta``
        is a sample's: its integer ``n``, its lists ``k`` and ``answer_spans`` (anything else
        raises: the check then keeps no statistics)."""
        meta = row["meta"]
        n = meta["n"]
        if type(n) is not int or len(meta) != 3 or type(meta["k"]) is not list \
                or type(meta["answer_spans"]) is not list:
            raise ValueError("meta is not {n, k, answer_spans}")
        return len(row["input_ids"]), sum(row["loss_mask"]), n

    def __getstate__(self):
        """Without ``_fast_parts``' cache: a task's state is its identity (unchanged by having
        checked a row)."""
        return {k: v for k, v in self.__dict__.items() if k != "_fast"}

    def _fast_parts(self) -> tuple:
        """What ``_holds`` reads rows with (patterns, tokens, the config's rules), made once
        a task (left out of its state)."""
        parts = self.__dict__.get("_fast")
        if parts is None:
            c, voc = self.config, self.vocab
            patterns = _depo_patterns(voc.offset, c.V, c.min_len, c.max_len, voc["<bos>"],
                                      voc["<eos>"], voc["<ans>"], voc["<query_1>"], c.K)
            first_query, _, *rest = patterns  # (the edge list: tiled by words instead)
            parts = self._fast = (
                first_query, *rest, voc["<bos>"], voc["<eos>"], voc["<query_1>"], c.fixed_k,
                frozenset(self.eval_hops()) if c.qa else None, c.qa is not False, c.N,
                c.num_queries, [1] * (c.max_len + 1))
        return parts

    def _holds(self, example: dict):
        """``(text, start, tails, heads)`` of a row that passes every check (see
        ``_row_holds``): its ``row_text``, where its queries start, its edges' words; else
        None. One reading: the edge list's words tile it (findall's matches cover it, so it
        is a sequence of words), then each query's answer span is where the mask is 1 and the
        labels are the ids; the counts of 1, 0 and IGNORE say nothing else is (what
        ``labels_hold`` and the expected mask of ``_validate_row`` say)."""
        ids, mask, labels = example["input_ids"], example["loss_mask"], example["labels"]
        try:
            (first_query, word, queries, query, bos, eos, q1, fixed_k, hops, whole, N,
             num_queries, ones_list) = self._fast_parts()
            text = row_text(ids)
            size = len(text)
            if size < 2 or ord(text[0]) != bos or ord(text[-1]) != eos \
                    or len(mask) != size or len(labels) != size:
                return None
            found = first_query.search(text, 1)
            if found is None:
                return None
            start = found.start()
            words = word.findall(text, 1, start)
            if len(words) & 1 or sum(map(len, words)) != start - 1:
                return None
            tails, heads = words[::2], words[1::2]
            succ = dict(zip(tails, heads))
            n = len(succ)
            if n != len(tails) or succ.keys() != set(heads):
                return None
            origin = tails[0]
            node, steps = succ[origin], 1
            while node != origin:
                node, steps = succ[node], steps + 1
            if steps != n or (whole and n != N):
                return None
            if queries.fullmatch(text, start, size - 1) is None:
                return None
            starts, pos, ones = set(), start, 0
            for token, q, a in query.findall(text, start, size - 1):
                k = ord(token) - q1 + 1
                if (k != fixed_k) if fixed_k is not None else (hops is not None
                                                               and k not in hops):
                    return None
                if q not in succ or q in starts:
                    return None
                starts.add(q)
                target = q
                for _ in range(k):
                    target = succ[target]
                if a != target:
                    return None
                answer = pos + 1 + len(q)  # the <ans> token, then the answer word
                pos = answer + 1 + len(a)
                if mask[answer:pos] != ones_list[:pos - answer] \
                        or labels[answer:pos] != ids[answer:pos]:
                    return None
                ones += pos - answer
            if len(starts) != min(n, num_queries) or mask.count(1) != ones \
                    or mask.count(0) != size - ones or labels.count(IGNORE) != size - ones:
                return None
            return text, start, tails, heads
        except Exception:  # the slow checks raise what the row deserves
            return None

    def _validate_row(self, example: dict) -> None:
        c, voc = self.config, self.vocab
        ids, mask = example["input_ids"], example["loss_mask"]
        check_labels(example)
        check(ids and ids[0] == voc["<bos>"], "the row does not start with <bos>")
        check(ids[-1] == voc["<eos>"], "the row does not end with <eos>")
        query_ids = {voc[f"<query_{k}>"]: k for k in range(1, c.K + 1)}
        first_query = next((i for i, t in enumerate(ids) if t in query_ids), None)
        check(first_query is not None, "no <query_k> token")
        words = self._split_words(ids[1:first_query])
        check(len(words) % 2 == 0, "the edge list has an odd number of words")
        succ: dict = {}
        for a, b in zip(words[::2], words[1::2]):
            check(a not in succ, f"node {a} has two successors (not a cycle)")
            succ[a] = b
        n = len(succ)
        check(set(succ.values()) == set(succ), "the edges do not form a permutation of the nodes")
        node, steps = next(iter(succ)), 0
        while True:
            node, steps = succ[node], steps + 1
            if node == next(iter(succ)):
                break
        check(steps == n, f"the edges form several cycles, not one {n}-cycle")
        check(c.qa is False or n == c.N, f"evaluation rows need n = N = {c.N}, got {n}")
        # queries
        pos, expected_mask, starts = first_query, [0] * first_query, set()
        while pos < len(ids) - 1:
            check(ids[pos] in query_ids, f"token {pos} should be a <query_k>")
            k = query_ids[ids[pos]]
            if c.fixed_k is not None:
                check(k == c.fixed_k, f"query asks k={k}, fixed_k is {c.fixed_k}")
            elif c.qa:
                check(k in self.eval_hops(), f"evaluation query asks k={k}, not one of "
                                             f"{self.eval_hops()}")
            q, pos = self._read_word(ids, pos + 1)
            check(q in succ, f"query word {q} is not a node")
            check(q not in starts, f"query start {q} repeats")
            starts.add(q)
            check(ids[pos] == voc["<ans>"], f"token {pos} should be <ans>")
            a, end = self._read_word(ids, pos + 1)
            target = q
            for _ in range(k):
                target = succ[target]
            check(a == target, f"wrong answer for <query_{k}> {q}: {a}, expected {target}")
            expected_mask += [0] * (1 + len(q)) + [1] * (1 + len(a))
            pos = end
        check(len(starts) == min(n, c.num_queries), "wrong number of queries")
        expected_mask.append(0)
        check(list(mask) == expected_mask, "loss_mask is not 1 exactly on <ans> and the answers")

    def _split_words(self, tokens) -> list[tuple]:
        c, words, cur = self.config, [], []
        offset, top = self.vocab.offset, 2 * c.V  # vocab.value, inlined: a hot loop
        for t in tokens:
            v = t - offset
            if not 1 <= v <= top:
                raise ValidationError(f"token {t} is not a word piece")
            cur.append(v)
            if v > c.V:
                if not c.min_len <= len(cur) <= c.max_len:  # the message only when it fails
                    raise ValidationError(f"word {tuple(cur)} has {len(cur)} tokens, not "
                                          f"{c.min_len}..{c.max_len}")
                words.append(tuple(cur))
                cur = []
        check(not cur, "the edge list ends inside a word")
        return words

    def _read_word(self, ids, pos):
        c, cur = self.config, []
        while pos < len(ids):
            v = self.vocab.value(ids[pos])
            if not 1 <= v <= 2 * c.V:
                raise ValidationError(f"token {pos} is not a word piece")
            cur.append(v)
            pos += 1
            if v > c.V:
                return tuple(cur), pos
        raise ValidationError("a word runs past the end of the row")

    # -- the contract ----------------------------------------------------------------------
    def texts(self, row: dict) -> tuple[str, str]:
        """Prompt: ``<bos>``, the edges, every query (``<query_k>`` and its word) in order, then
        one ``<ans>``. Answer: every answer word in query order, `` | `` between answers. (A
        row interleaves queries and answers; a prompt asks them all at once.)"""
        return self._prompt_text(row), self._answer_text(row)

    def _prompt_text(self, row: dict) -> str:
        ids = row["input_ids"]
        first = self.vocab["<query_1>"]  # query ids follow every content id
        start = next(i for i, t in enumerate(ids) if t >= first)
        decode, asked, prev = self.vocab.decode, [], start
        for a, b in row["meta"]["answer_spans"]:
            asked.extend(decode(ids[prev:a - 1]))  # <query_k> and its word, without the <ans>
            prev = b
        return " ".join([*decode(ids[:start]), *asked, "<ans>"])

    def _answer_text(self, row: dict) -> str:
        ids, decode = row["input_ids"], self.vocab.decode
        return " | ".join(" ".join(decode(ids[a:b])) for a, b in row["meta"]["answer_spans"])

    def example_for_reward(self, row: dict) -> dict:
        """``example_of(row)`` as the rewards read it (``synthset.rewards.examples_of``): its
        prompt (the edge list, ~2,000 tokens at the top levels) decoded only when read, as
        the verifier reads only the answer. Equal to ``example_of(row)`` in every way but
        one: a serializer that reads a dict's storage directly (orjson) misses the prompt
        until it is read, so the rewards only score it."""
        return _Example(self, row, self._answer_text(row))

    def answer_spans(self, row: dict) -> list[list[int]]:
        return row["meta"]["answer_spans"]

    def score_details(self, text: str, example: dict) -> dict[int, tuple[int, int]]:
        """``{k: (right tokens, answer tokens)}``: the i-th answer of ``text`` (answers split
        by ``|``) against the i-th query's answer, token by token; a missing answer or token is
        wrong. Summed over k this is the teacher-forced answer-token accuracy."""
        got = [part.split() for part in text.split("|")]
        names = self.vocab.decode
        ids = example["input_ids"]
        out: dict[int, list[int]] = {}
        for i, (k, (a, b)) in enumerate(zip(example["meta"]["k"],
                                            example["meta"]["answer_spans"])):
            want = names(ids[a:b])
            mine = got[i] if i < len(got) else []
            acc = out.setdefault(k, [0, 0])
            if len(mine) == len(want):  # a word of another length is wrong in every token
                acc[0] += sum(1 for x, y in zip(mine, want) if x == y)
            acc[1] += len(want)
        return {k: (c, t) for k, (c, t) in sorted(out.items())}

    def _score(self, text: str, example: dict) -> float:
        parts = self.score_details(text, example).values()
        return sum(c for c, _ in parts) / max(1, sum(t for _, t in parts))

    def dedup_key(self, example: dict) -> str:
        """The cycle (its edges, in any order) and the queries asked: the row with its edges
        sorted."""
        V, offset = self.config.V, self.vocab.offset
        edges = edge_patterns(offset + 1, offset + V + 1, offset + 2 * V)
        return text_digest(sorted_edges(row_text(example["input_ids"]), 1, edges))


@lru_cache(maxsize=None)
def _depo_patterns(offset: int, V: int, min_len: int, max_len: int, bos: int, eos: int,
                   ans: int, query_1: int, K: int):
    """How a Depo row read as text (``row_text``) is spelled: the first ``<query_k>``, the
    edge list (pairs of words of ``min_len .. max_len`` pieces) and the query section
    (``<query_k> word <ans> word`` repeated; words of any length, as ``_read_word`` reads
    them), with the patterns of one edge-list word and of one query."""
    inner = char_class(offset + 1, offset + V)
    end = char_class(offset + V + 1, offset + 2 * V)
    word = f"{inner}{{{min_len - 1},{max_len - 1}}}{end}"
    any_word = f"{inner}*{end}"
    query = char_class(query_1, query_1 + K - 1)
    asked = f"({query})({any_word}){char_class(ans, ans)}({any_word})"
    return (re.compile(query), re.compile(f"(?:{word}{word})*"), re.compile(word),
            re.compile(f"(?:{asked})*"), re.compile(asked))


class _Example(dict):
    """``{**row, "prompt": ..., "answer": ...}`` whose prompt text is made by its task when
    first read: by key, ``get``, ``in``, iteration, comparison or a copy (then it is a plain
    entry, in its place before ``answer``). Pickled and copied as a plain dict."""

    __slots__ = ("_task",)

    def __init__(self, task, row: dict, answer: str):
        super().__init__(row)
        dict.pop(self, "prompt", None)
        dict.pop(self, "answer", None)
        dict.__setitem__(self, "answer", answer)
        self._task = task

    def _whole(self) -> "_Example":
        task = self._task
        if task is not None:
            self._task = None
            answer = dict.pop(self, "answer")
            dict.__setitem__(self, "prompt", task._prompt_text(self))
            dict.__setitem__(self, "answer", answer)
        return self

    def __missing__(self, key):
        if key == "prompt" and self._task is not None:
            return dict.__getitem__(self._whole(), key)
        raise KeyError(key)

    def get(self, key, default=None):
        if key == "prompt":
            self._whole()
        return dict.get(self, key, default)

    def __contains__(self, key):
        return key == "prompt" and self._task is not None or dict.__contains__(self, key)

    def __len__(self):
        return dict.__len__(self) + (self._task is not None)

    def __iter__(self):
        return dict.__iter__(self._whole())

    def keys(self):
        return dict.keys(self._whole())

    def values(self):
        return dict.values(self._whole())

    def items(self):
        return dict.items(self._whole())

    def copy(self):
        return dict(self.items())

    def __eq__(self, other):
        if isinstance(other, _Example):
            other._whole()
        return dict.__eq__(self._whole(), other)

    def __ne__(self, other):
        return not self == other

    __hash__ = None

    def __repr__(self):
        return dict.__repr__(self._whole())

    def __reduce__(self):
        return dict, (dict(self.items()),)

    def __reduce_ex__(self, protocol):
        return self.__reduce__()

    def pop(self, key, *default):
        self._whole()
        return dict.pop(self, key, *default)

    def popitem(self):
        return dict.popitem(self._whole())

    def setdefault(self, key, default=None):
        self._whole()
        return dict.setdefault(self, key, default)

    def update(self, *args, **kwargs):
        self._whole()
        dict.update(self, *args, **kwargs)

    def __setitem__(self, key, value):
        self._whole()
        dict.__setitem__(self, key, value)

    def __delitem__(self, key):
        self._whole()
        dict.__delitem__(self, key)

    def __or__(self, other):
        return dict(self.items()) | other

    def __ror__(self, other):
        return other | dict(self.items())

    def __ior__(self, other):
        self.update(other)
        return self

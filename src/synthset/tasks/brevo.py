"""Brevo — reasoning breadth: every ancestor of a node in a random DAG, in topological order.

Nodes (Brevo1: distinct single tokens from [1, N]; Brevo2: distinct words of V=4 pieces,
length 2-4) take a hidden random order; the first L are roots, L ~ U[1, floor((n-1)/4)+1];
every later node takes 1..min(4, #eligible) parents among earlier nodes whose out-degree is
still < 4. Layout: ``<bos>`` edges ``parent child`` (shuffled) ``<query> q <ans> a_1 ... a_p q
<eos>``: the ancestors of q in a valid topological order, then q. The query is uniform among
nodes with in-degree >= 1 in the last quarter of the hidden order (a decision: docs/tasks.md). Loss
on ``<ans>``, the answer and ``<eos>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from operator import add, eq

from synthset.core.errors import ConfigError
from synthset.core.rand import fast_randint
from synthset.tasks.base import (TokenTask, check, check_labels, distinct_words, draw_size,
                                 make_row, require_int)
from synthset.tasks.rowkeys import (IGNORE, char_class, edge_patterns, row_text,
                                    sorted_edges, text_digest)
from synthset.tasks.vocab import Vocab

MAX_DEGREE = 4


@dataclass
class BrevoConfig:
    """Args:
        N: the largest number of nodes (n ~ 1/(n + sqrt(N)) on {3..N}; n = N with qa).
        V, min_len, max_len: node words (single tokens 1..N when max_len == 1).
        qa: evaluation mode (n = N).
    """

    N: int = 70
    V: int = 4
    min_len: int = 1
    max_len: int = 1
    qa: bool = False

    def validate(self) -> None:
        require_int("N", self.N, 3)
        require_int("V", self.V, 1)
        require_int("min_len", self.min_len, 1)
        require_int("max_len", self.max_len, self.min_len)
        if self.max_len > 1:
            words = sum(self.V ** l for l in range(self.min_len, self.max_len + 1))
            if words < self.N:
                raise ConfigError(f"only {words} distinct words exist, fewer than N={self.N}")


class BrevoTask(TokenTask):
    family = name = "brevo"
    summary = "every ancestor of a node in a random DAG, in topological order (breadth)"
    Config = BrevoConfig
    decoding = "greedy"
    BUCKETS = ("n", "num_ancestors")
    # Level: more nodes (larger graphs, more ancestors to list).
    LEVELS = {lv: {"N": n} for lv, n in enumerate([4, 6, 8, 12, 16, 24, 32, 48, 60, 70], 1)}

    @property
    def single(self) -> bool:
        return self.config.max_len == 1

    def build_vocab(self) -> Vocab:
        c = self.config
        return Vocab(c.N if self.single else 2 * c.V, ["<bos>", "<eos>", "<query>", "<ans>"])

    def _words(self, rng, randint, n) -> list[tuple]:
        c = self.config
        if self.single:
            return [(v,) for v in rng.sample(range(1, c.N + 1), n)]
        return distinct_words(rng, n, c.V, c.min_len, c.max_len)

    def sample(self, rng) -> dict:
        voc = self.vocab
        randint = fast_randint(rng)
        n = draw_size(self, rng)
        while True:
            parents = _random_dag(n, rng, randint)
            last = [v for v in range(n - n // 4 - (n % 4 > 0), n) if parents[v]]
            if last:
                break
        q = last[randint(0, len(last) - 1)]
        words = self._words(rng, randint, n)  # words[v] names hidden-order node v
        edges = [(p, v) for v in range(n) for p in parents[v]]
        rng.shuffle(edges)
        order = random_topological_order(parents, q, randint)  # the ancestors, then q
        ids = [voc["<bos>"]]
        for p, v in edges:
            ids.extend(words[p])
            ids.extend(words[v])
        ids.append(voc["<query>"])
        ids.extend(words[q])
        ids.append(voc["<ans>"])
        mask = [0] * (len(ids) - 1) + [1]
        start = len(ids)
        for v in order:
            ids.extend(words[v])
        ids.append(voc["<eos>"])
        mask.extend([1] * (len(ids) - start))
        return make_row(ids, mask, {"n": n, "num_ancestors": len(order) - 1,
                                    "answer_span": [start, len(ids) - 1]})

    # -- checking --------------------------------------------------------------------------
    def parse(self, example: dict):
        """(edges as word pairs, query word, answer words) read back from the tokens."""
        voc, ids = self.vocab, example["input_ids"]
        check(ids[0] == voc["<bos>"], "the row does not start with <bos>")
        check(ids[-1] == voc["<eos>"], "the row does not end with <eos>")
        qpos = ids.index(voc["<query>"]) if voc["<query>"] in ids else None
        check(qpos is not None, "no <query> token")
        apos = ids.index(voc["<ans>"]) if voc["<ans>"] in ids else None
        check(apos is not None and apos > qpos, "no <ans> after <query>")
        words = self._split(ids[1:qpos])
        check(len(words) % 2 == 0, "the edge list has an odd number of words")
        (q,) = self._split(ids[qpos + 1:apos]) or [None]
        answer = self._split(ids[apos + 1:-1])
        return list(zip(words[::2], words[1::2])), q, answer

    def _split(self, tokens) -> list[tuple]:
        c = self.config
        if self.single:
            out = []
            for t in tokens:
                v = self.vocab.value(t)
                check(1 <= v <= c.N, f"token {t} is not a node id")
                out.append((v,))
            return out
        words, cur = [], []
        for t in tokens:
            v = self.vocab.value(t)
            check(1 <= v <= 2 * c.V, f"token {t} is not a word piece")
            cur.append(v)
            if v > c.V:
                check(c.min_len <= len(cur) <= c.max_len, f"word {tuple(cur)} has a bad length")
                words.append(tuple(cur))
                cur = []
        check(not cur, "a word is cut off")
        return words

    def validate_row(self, example: dict) -> None:
        if not self._row_holds(example):
            self._validate_row(example)  # the checks that say what is wrong

    # ``statistics`` as one tuple of these columns (what ``synthset check`` keeps of every
    # stored row: one tuple a row instead of a dict of dicts)
    STATISTICS_COLUMNS = (("row", "length"), ("row", "loss_tokens"), ("meta", "n"),
                          ("meta", "num_ancestors"))

    def stored_statistic_values(self, row: dict) -> tuple:
        """``statistics(row)`` in the order of STATISTICS_COLUMNS, for a row whose ``meta``
        is a sample's: its integers ``n`` and ``num_ancestors`` and its ``answer_span``
        (anything else raises: the check then keeps no statistics)."""
        meta = row["meta"]
        n, ancestors = meta["n"], meta["num_ancestors"]
        if type(n) is not int or type(ancestors) is not int or len(meta) != 3 \
                or type(meta["answer_span"]) is not list:
            raise ValueError("meta is not {n, num_ancestors, answer_span}")
        return len(row["input_ids"]), sum(row["loss_mask"]), n, ancestors

    def _row_holds(self, example: dict) -> bool:
        """Whether every check of ``_validate_row`` passes (see ``_holds``); False (or
        anything unexpected) sends the row to ``_validate_row``."""
        return self._holds(example) is not None

    def checked_key(self, row: dict) -> str | None:
        """``dedup_key(row)`` when ``validate_example(row)`` surely passes (``_holds`` and no
        prompt or answer text to compare), else None: the key made from the edges the check
        read (sorted, they are ``sorted_edges``' own), without reading the row again."""
        if "prompt" in row or "answer" in row:
            return None
        found = self._holds(row)
        if found is None:
            return None
        text, qpos, apos, edges = found
        return text_digest(text[:1] + "".join(sorted(edges)) + text[qpos:apos])

    def _holds(self, example: dict):
        """``(text, qpos, apos, edges)`` of a row that passes every check of
        ``_validate_row`` (its ``row_text``, where ``<query>`` and ``<ans>`` are, its edges'
        texts, parent word then child word), else None: decided from the row read as text
        (one character a token: words are substrings) with regular expressions and set
        operations."""
        c, voc = self.config, self.vocab
        ids, mask, labels = example["input_ids"], example["loss_mask"], example["labels"]
        try:
            if not len(ids) == len(mask) == len(labels):
                return None
            words_of, word = _brevo_patterns(
                voc.content(1), voc.content(c.N if self.single else c.V),
                voc.content(2 * c.V), c.min_len, c.max_len, self.single)
            text = row_text(ids)
            size = len(text)
            if size < 2 or ord(text[0]) != voc["<bos>"] or ord(text[-1]) != voc["<eos>"]:
                return None
            qpos, apos = text.find(chr(voc["<query>"])), text.find(chr(voc["<ans>"]))
            if qpos < 0 or apos <= qpos:
                return None
            for a, b in ((1, qpos), (qpos + 1, apos), (apos + 1, size - 1)):
                if words_of.fullmatch(text, a, b) is None:
                    return None
            if self.single:
                words, asked, answer = text[1:qpos], text[qpos + 1:apos], text[apos + 1:-1]
            else:
                words = word.findall(text, 1, qpos)
                asked = word.findall(text, qpos + 1, apos)
                answer = word.findall(text, apos + 1, size - 1)
            if len(words) % 2 or len(asked) != 1:
                return None
            q = asked[0]
            tails, heads = words[::2], words[1::2]
            # an edge's text: its two words, which it spells in one way only (a word ends
            # with its end-of-word piece)
            edges = list(map(add, tails, heads))
            if len(set(edges)) != len(edges):  # distinct edges
                return None
            parents: dict = {}  # node -> its parents
            for p, v in zip(tails, heads):
                if v in parents:
                    parents[v].append(p)
                else:
                    parents[v] = [p]
            # in and out degrees: a tail more than MAX_DEGREE times is one equal to the tail
            # MAX_DEGREE places after it, once they are sorted
            ordered = sorted(tails)
            if max(map(len, parents.values())) > MAX_DEGREE or \
                    any(map(eq, ordered, ordered[MAX_DEGREE:])):
                return None
            nodes = set(tails)
            nodes.update(parents)
            n = example["meta"]["n"]
            if not (len(nodes) <= n <= c.N and (not c.qa or n == c.N)):
                return None
            if q not in parents or not answer or answer[-1] != q:
                return None
            # The answer before q, read backwards: each node is a parent of q or of a node
            # after it (so an ancestor of q) and neither it nor any of its parents comes
            # after it; at the end every parent met is in the answer (so every ancestor is)
            # and no node twice. The answer is then a topological order of q's ancestors,
            # a set holding every parent of its nodes: no cycle passes through them or q.
            got = answer[:-1]
            needed, seen = set(parents[q]), set()
            for v in reversed(got):
                if v not in needed or v in seen:
                    return None
                ps = parents.get(v)
                if ps:
                    if v in ps or not seen.isdisjoint(ps):
                        return None
                    needed.update(ps)
                seen.add(v)
            if len(needed) != len(seen):
                return None
            # the rest of the graph peeled from the roots, q and its ancestors
            seen.add(q)
            seen.update(nodes.difference(parents))
            if not _acyclic(parents, seen):
                return None
            # what labels_hold and the expected mask say, by counts and one slice: the mask
            # is 0 before <ans> (its first 1) and 1 from it on, the labels IGNORE before it
            # and the ids from it on (ids are no IGNORE)
            if mask.index(1) != apos or mask.count(1) != size - apos \
                    or mask.count(0) != apos or labels.count(IGNORE) != apos \
                    or labels[apos:] != ids[apos:]:
                return None
            return text, qpos, apos, edges
        except Exception:  # the slow checks raise what the row deserves
            return None

    def _validate_row(self, example: dict) -> None:
        check_labels(example)
        edges, q, answer = self.parse(example)
        parents: dict = {}
        children: dict = {}
        for p, v in edges:
            parents.setdefault(v, set()).add(p)
            children.setdefault(p, set()).add(v)
            parents.setdefault(p, set())
        for v, ps in parents.items():
            check(len(ps) <= MAX_DEGREE, f"node {v} has in-degree {len(ps)} > 4")
            check(len(children.get(v, ())) <= MAX_DEGREE, f"node {v} has out-degree > 4")
        check(len(edges) == len(set(edges)), "an edge repeats")
        check(_is_acyclic(parents), "the graph has a cycle")
        check(q in parents and parents[q], f"the query {q} has no parent")
        c = self.config
        n = example["meta"]["n"]  # a node without edges does not show in the tokens
        check(len(parents) <= n <= c.N, f"{len(parents)} nodes in the edges, meta n = {n}")
        check(not c.qa or n == c.N, f"evaluation rows need n = N = {c.N}, got {n}")
        check(self.is_correct_answer(parents, q, answer), "the answer is not the ancestors of "
              "the query in a topological order followed by the query")
        ids, mask = example["input_ids"], example["loss_mask"]
        apos = ids.index(self.vocab["<ans>"])
        check(list(mask) == [0] * apos + [1] * (len(ids) - apos),
              "loss_mask is not 1 exactly on <ans>, the answer and <eos>")

    @staticmethod
    def is_correct_answer(parents: dict, q, answer: list) -> bool:
        """Exact: the ancestors of q, each once, in an order where every parent comes before
        its child, then q. Any valid order is accepted; no partial credit."""
        if not answer or answer[-1] != q:
            return False
        want = _ancestors(parents, q)
        got = answer[:-1]
        if len(got) != len(set(got)) or set(got) != want:
            return False
        seen = set()
        for v in got:
            if any(p not in seen for p in parents.get(v, ())):
                return False
            seen.add(v)
        return True

    # -- the contract ----------------------------------------------------------------------
    def texts(self, row: dict) -> tuple[str, str]:
        """Prompt: the tokens up to ``<ans>``. Answer: the ancestors and the query, without
        ``<eos>``."""
        names = self.vocab.decode(row["input_ids"])
        start, stop = row["meta"]["answer_span"]
        return " ".join(names[:start]), " ".join(names[start:stop])

    def answer_spans(self, row: dict) -> list[list[int]]:
        return [row["meta"]["answer_span"]]

    def _graph(self, example: dict):
        """(edges, parents, query) of the row, nodes as token ids (single-token nodes) or
        tuples of ids (words): a scorer's fast read of tokens the generator wrote."""
        ids, voc = example["input_ids"], self.vocab
        qpos = ids.index(voc["<query>"])
        apos = ids.index(voc["<ans>"], qpos)
        words = self._token_words(ids[1:qpos])
        q = self._token_words(ids[qpos + 1:apos])[0]
        edges = list(zip(words[::2], words[1::2]))
        parents: dict = {}
        for p, v in edges:
            parents.setdefault(v, set()).add(p)
            parents.setdefault(p, set())
        return edges, parents, q

    def _token_words(self, tokens) -> list:
        if self.single:
            return list(tokens)
        end = self.vocab.content(self.config.V)  # ids above it end a word
        words, cur = [], []
        for t in tokens:
            cur.append(t)
            if t > end:
                words.append(tuple(cur))
                cur = []
        return words + ([tuple(cur)] if cur else [])

    def _score(self, text: str, example: dict) -> float:
        """Exact: the ancestors of the query, each once, in any order where every parent
        comes before its child, then the query."""
        words = text.split()
        stoi = self.vocab.stoi
        try:
            ids = [stoi[w] for w in words]
        except KeyError:
            return 0.0
        if not ids or any(t >= stoi["<bos>"] for t in ids):
            return 0.0
        parents, q, want = self._score_graph(example)
        answer = self._token_words(ids)
        if answer[-1] != q or len(answer) - 1 != len(want):  # is_correct_answer, graph read once
            return 0.0
        got = answer[:-1]
        if len(set(got)) != len(got) or set(got) != want:
            return 0.0
        seen = set()
        for v in got:
            if not parents.get(v, set()) <= seen:
                return 0.0
            seen.add(v)
        return 1.0

    def _score_graph(self, example: dict):
        """``(parents, query, ancestors)`` of the example, read from its tokens once: a GRPO
        group scores many completions of one example, and reading the graph costs more than
        judging an answer. Keyed by the prompt, which holds the graph and the query."""
        cache = self.__dict__.setdefault("_graphs", {})
        key = example.get("prompt")
        got = cache.get(key) if key is not None else None
        if got is None:
            _, parents, q = self._graph(example)
            got = (parents, q, _ancestors(parents, q))
            if key is not None:
                if len(cache) >= 4096:  # a bounded memory: the oldest half goes
                    for old in list(cache)[:2048]:
                        cache.pop(old, None)
                cache[key] = got
        return got

    def dedup_key(self, example: dict) -> str:
        """The graph (its edges, in any order) and the query: the row up to ``<ans>`` with its
        edges sorted."""
        c, voc = self.config, self.vocab
        text = row_text(example["input_ids"])
        edges = edge_patterns(voc.content(1), voc.content(1 if self.single else c.V + 1),
                              voc.content(c.N if self.single else 2 * c.V))
        return text_digest(sorted_edges(text[:text.index(chr(voc["<ans>"]))], 1, edges))


def _random_dag(n, rng, randint) -> list[list[int]]:
    roots = randint(1, (n - 1) // 4 + 1)
    out_deg = [0] * n
    parents: list[list[int]] = [[] for _ in range(n)]
    for v in range(roots, n):
        eligible = [u for u in range(v) if out_deg[u] < MAX_DEGREE]
        if not eligible:
            continue
        k = randint(1, min(MAX_DEGREE, len(eligible)))
        chosen = rng.sample(eligible, k)
        for u in chosen:
            out_deg[u] += 1
        parents[v] = chosen
    return parents


def random_topological_order(parents, q, randint) -> list[int]:
    """The ancestors of ``q`` and then ``q``, in a random topological order (every parent
    before its children), drawn as the reference generator draws it: Kahn's algorithm from
    ``q`` towards the roots, each step taking a uniformly random node among those whose
    children in the ancestor graph are all taken, then reversed. Never the hidden generation
    order, which would put every root first."""
    pending: dict = {q: 0}  # per node: its children among q and its ancestors not yet taken
    stack = [q]
    while stack:
        for p in parents[stack.pop()]:
            if p not in pending:
                pending[p] = 0
                stack.append(p)
            pending[p] += 1
    ready, order = [q], []
    while ready:
        v = ready.pop(randint(0, len(ready) - 1))
        order.append(v)
        for p in parents[v]:
            pending[p] -= 1
            if not pending[p]:
                ready.append(p)
    order.reverse()
    return order


def _ancestors(parents, q) -> set:
    seen, stack = set(), list(parents[q])
    while stack:
        v = stack.pop()
        if v not in seen:
            seen.add(v)
            stack.extend(parents[v])
    return seen


def _is_acyclic(parents: dict) -> bool:
    state: dict = {}
    for start in parents:
        if start in state:
            continue
        stack = [(start, iter(parents[start]))]
        state[start] = 1
        while stack:
            v, it = stack[-1]
            for p in it:
                if state.get(p) == 1:
                    return False
                if p not in state:
                    state[p] = 1
                    stack.append((p, iter(parents.get(p, ()))))
                    break
            else:
                state[v] = 2
                stack.pop()
    return True


@lru_cache(maxsize=None)
def _brevo_patterns(first: int, end: int, last: int, min_len: int, max_len: int,
                    single: bool):
    """How a Brevo row read as text spells a run of node words, and one word: single tokens
    ``first .. end``, or ``min_len .. max_len`` pieces, pieces ``first .. end`` then one
    end-of-word piece ``end + 1 .. last``."""
    if single:
        word = char_class(first, end)
    else:
        word = f"{char_class(first, end)}{{{min_len - 1},{max_len - 1}}}{char_class(end + 1, last)}"
    return re.compile(f"(?:{word})*"), re.compile(word)


def _acyclic(parents: dict, roots: set) -> bool:
    """Whether the graph of ``parents`` (node -> its parents; ``roots``: the nodes without
    any, missing from it, and any nodes known to lie on no cycle, with every parent of theirs
    among them) has no cycle: Kahn's peeling by set tests. Pass after pass, a node whose
    parents are all placed is placed; a pass that places nothing leaves a cycle."""
    placed = set(roots)
    pending = [item for item in parents.items() if item[0] not in placed]
    while pending:
        rest = []
        for v, ps in pending:
            if placed.issuperset(ps):
                placed.add(v)
            else:
                rest.append((v, ps))
        if len(rest) == len(pending):
            return False
        pending = rest
    return True

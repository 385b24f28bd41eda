"""Lano — hierarchical structure: sentences of the synthetic CFGs cfg3f, cfg3j, cfg3k.

Terminals 1, 2, 3; every rule uniform; expanded pre-order, left to right, one
``randint(0, len(rules) - 1)`` per non-terminal — the reference generator's call order, so
``random.Random(7711)`` gives its sentences (pinned in tests). A row is ``<bos>`` and one
sentence; packing joins rows, so sequences are sentences separated by ``<bos>``. Loss on all
tokens. ``parses(sentence)`` decides membership in milliseconds; ``next_token_distribution``
gives the grammar's exact distribution of the next terminal after a prefix (for KL).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import lru_cache

from synthset.core.errors import ConfigError, bad_choice
from synthset.core.rand import fast_randint
from synthset.tasks.base import TokenTask, check, check_labels, make_row
from synthset.tasks.rowkeys import row_text, text_digest
from synthset.tasks.grammars import GRAMMARS
from synthset.tasks.vocab import Vocab


@dataclass
class LanoConfig:
    """Args:
        grammar: ``cfg3f``, ``cfg3j`` or ``cfg3k``.
        prefix: the fraction of a sentence given as the prompt; the rest is the answer (any
            completion the grammar derives is right). Rows are the same for every value.
    """

    grammar: str = "cfg3f"
    prefix: float = 0.5

    def validate(self) -> None:
        if self.grammar not in GRAMMARS:
            raise bad_choice("grammar", self.grammar, sorted(GRAMMARS))
        if isinstance(self.prefix, bool) or not isinstance(self.prefix, (int, float)) \
                or not 0 <= self.prefix < 1:
            raise ConfigError(f"prefix must be a fraction in [0, 1), got {self.prefix!r}")


class LanoTask(TokenTask):
    family = name = "lano"
    summary = "sentences of a synthetic context-free grammar (hierarchical structure)"
    Config = LanoConfig
    decoding = "sample"
    # Level: deeper grammars with longer sentences.
    LEVELS = {lv: {"grammar": g} for lv, g in enumerate(
        ["cfg3f"] * 4 + ["cfg3j"] * 3 + ["cfg3k"] * 3, 1)}

    def build_vocab(self) -> Vocab:
        return Vocab(3, ["<bos>"])

    @property
    def grammar(self):
        return GRAMMARS[self.config.grammar]

    def sentence(self, rng, trace: list | None = None) -> list[int]:
        """One sentence (terminals 1..3), the reference's order of draws. ``trace`` collects
        ``(non-terminal, rule index)`` for every choice made (for distribution tests)."""
        root, rules = self.grammar
        randint = fast_randint(rng)
        out: list[int] = []
        stack = [root]
        while stack:  # pre-order, left to right, without recursion
            sym = stack.pop()
            options = rules.get(sym)
            if options is None:
                out.append(sym)
                continue
            r = randint(0, len(options) - 1)
            if trace is not None:
                trace.append((sym, r))
            stack.extend(reversed(options[r]))
        return out

    def sample(self, rng) -> dict:
        s = self.sentence(rng)
        ids = [self.vocab["<bos>"], *s]
        return make_row(ids, [1] * len(ids), {"length": len(s)})

    def validate_row(self, example: dict) -> None:
        check_labels(example)
        ids = example["input_ids"]
        check(ids[0] == self.vocab["<bos>"], "the row does not start with <bos>")
        check(all(1 <= t <= 3 for t in ids[1:]), "a token is not a terminal 1..3")
        check(all(m == 1 for m in example["loss_mask"]), "Lano trains on every token")
        check(self.parses(ids[1:]), f"the sentence is not in {self.config.grammar}")

    def parses(self, sentence) -> bool:
        """Whether the grammar derives ``sentence`` (a list of terminals)."""
        return _parser(self.config.grammar)(tuple(sentence))

    # -- the contract ----------------------------------------------------------------------
    def split_point(self, row: dict) -> int:
        """Index of the first answer token: ``<bos>`` and the prefix come before it."""
        length = len(row["input_ids"]) - 1
        return 1 + min(length - 1, max(1, int(length * self.config.prefix)))

    def texts(self, row: dict) -> tuple[str, str]:
        """Prompt: ``<bos>`` and the first ``prefix`` of the sentence. Answer: the rest."""
        names = self.vocab.decode(row["input_ids"])
        cut = self.split_point(row)
        return " ".join(names[:cut]), " ".join(names[cut:])

    def answer_spans(self, row: dict) -> list[list[int]]:
        return [[self.split_point(row), len(row["input_ids"])]]

    def _score(self, text: str, example: dict) -> float:
        """The prompt's prefix followed by ``text`` is a sentence of the grammar."""
        words = text.split()
        if not words or any(w not in ("1", "2", "3") for w in words):
            return 0.0
        prefix = example["input_ids"][1:self.split_point(example)]
        return float(self.parses([*prefix, *map(int, words)]))

    def dedup_key(self, example: dict) -> str:
        """The whole sentence."""
        return text_digest(row_text(example["input_ids"]))


@lru_cache(maxsize=None)
def _parser(name: str):
    """A membership test for grammar ``name``.

    Every rule of these grammars maps a symbol of one level to symbols of the level below, so a
    symbol derives only strings of a known length range. The parse is top-down from the root at
    position 0, memoised on (symbol, start): ``ends(X, i)`` is the set of j with X =>* w[i:j],
    as a bit mask; spans whose length cannot fit the symbol are never tried. A cfg3k sentence of
    ~600 terminals takes a few milliseconds (the reference's pure-Python DP: 20-90 s).
    """
    root, rules = GRAMMARS[name]
    lo: dict = {}
    hi: dict = {}

    def bounds(sym):
        if sym not in rules:
            return 1, 1
        if sym not in lo:
            spans = [tuple(map(sum, zip(*(bounds(s) for s in rhs)))) for rhs in rules[sym]]
            lo[sym] = min(a for a, _ in spans)
            hi[sym] = max(b for _, b in spans)
        return lo[sym], hi[sym]

    bounds(root)

    def parse(w: tuple) -> bool:
        n = len(w)
        memo: dict = {}

        def ends(sym, i) -> int:
            key = (sym, i)
            got = memo.get(key)
            if got is not None:
                return got
            if sym not in rules:
                mask = (1 << (i + 1)) if i < n and w[i] == sym else 0
            elif n - i < lo[sym]:
                mask = 0
            else:
                mask = 0
                for rhs in rules[sym]:
                    frontier = 1 << i
                    for s in rhs:
                        nxt = 0
                        while frontier:
                            low = frontier & -frontier
                            nxt |= ends(s, low.bit_length() - 1)
                            frontier ^= low
                        frontier = nxt
                        if not frontier:
                            break
                    mask |= frontier
            memo[key] = mask
            return mask

        if not lo[root] <= n <= hi[root]:
            return False
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, 10_000))
        try:
            return bool(ends(root, 0) >> n & 1)
        finally:
            sys.setrecursionlimit(limit)

    return parse


def next_token_distribution(grammar: str, prefix) -> dict[int, float]:
    """The exact distribution of the next terminal after ``prefix`` under the grammar with
    uniform rule choices (by enumeration of the leftmost-derivation frontier; exact, and fast
    enough for the KL evaluation of short prefixes). Keys are 1..3; probabilities sum to 1."""
    root, rules = GRAMMARS[grammar]
    from fractions import Fraction

    # A state is a stack of symbols still to expand (top last); its probability accumulates.
    prefix = tuple(prefix)
    states = {(root,): Fraction(1)}
    for position in range(len(prefix) + 1):
        # expand until every state's top is a terminal
        ready: dict = {}
        while states:
            stack, p = states.popitem()
            top = stack[-1]
            if top not in rules:
                ready[stack] = ready.get(stack, 0) + p
                continue
            options = rules[top]
            for rhs in options:
                new = stack[:-1] + tuple(reversed(rhs))
                states[new] = states.get(new, 0) + p / len(options)
        if position == len(prefix):
            dist: dict = {}
            for stack, p in ready.items():
                dist[stack[-1]] = dist.get(stack[-1], 0) + p
            total = sum(dist.values())
            return {t: float(dist.get(t, 0) / total) for t in (1, 2, 3)}
        token = prefix[position]
        states = {}
        for stack, p in ready.items():
            if stack[-1] == token and len(stack) > 1:
                states[stack[:-1]] = states.get(stack[:-1], 0) + p
            elif stack[-1] == token and position == len(prefix) - 1:
                states[()] = states.get((), 0) + p  # the sentence may end here
        states.pop((), None)
        if not states:
            raise ValueError(f"prefix {prefix[:position + 1]} is not a prefix of {grammar}")
    raise AssertionError("unreachable")

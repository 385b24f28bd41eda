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


# A symbol steps as masks (one per length it derives) while it derives at most this many.
SPELLED_LENGTHS = 8


@lru_cache(maxsize=None)
def _parser(name: str):
    """A membership test for grammar ``name``.

    Every rule of these grammars maps a symbol of one level to symbols of the level below, so a
    symbol derives only strings of a known length range. The parse is top-down from the root at
    position 0, memoised on (symbol, start): ``ends(X, i)`` is the set of j with X =>* w[i:j],
    as a bit mask; spans whose length cannot fit the symbol are never tried. The terminals and
    the lowest symbols (those deriving at most SPELLED_LENGTHS lengths) are not parsed per
    start: per length, the mask of every start where they derive the sentence's next tokens is
    made once per sentence, and a frontier of starts steps through them with a few integer
    operations (a cfg3f sentence of ~250 terminals: ~0.5 ms instead of ~1.4 ms). A cfg3k
    sentence of ~600 terminals takes a few milliseconds (the reference's pure-Python DP: 20-90
    s).
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

    terminals = sorted({s for rhs_list in rules.values() for rhs in rhs_list for s in rhs
                        if s not in rules})
    # The symbols that step as masks (see ``parse``), bottom-up: those whose rules use only
    # terminals and such symbols, while they derive at most SPELLED_LENGTHS lengths.
    lengths: dict = {}

    def derived(sym) -> set:
        if sym not in rules:
            return {1}
        if sym not in lengths:
            out: set = set()
            for rhs in rules[sym]:
                acc = {0}
                for s in rhs:
                    acc = {a + b for a in acc for b in derived(s)}
                out |= acc
            lengths[sym] = out
        return lengths[sym]

    flat: list = []
    while True:
        more = [sym for sym, options in rules.items() if sym not in flat
                and len(derived(sym)) <= SPELLED_LENGTHS
                and all(s not in rules or s in flat for rhs in options for s in rhs)]
        if not more:
            break
        flat += more

    def parse(w: tuple) -> bool:
        n = len(w)
        memo: dict = {}
        # A terminal step moves every position of a frontier at once: the positions i with
        # w[i] == t, as a bit mask, taken from the frontier and shifted by one. A symbol of
        # terminals only steps as a few such masks: per length d, the positions where one of
        # its rules of length d is spelled.
        at = _positions(w, terminals)
        spelled: dict = {t: [(1, m)] for t, m in at.items()}
        for sym in flat:  # lower symbols first
            by_length: dict = {}
            for rhs in rules[sym]:
                starts = {0: -1}  # length so far -> the start positions that reach it
                for s in rhs:
                    nxt: dict = {}
                    for d0, m0 in starts.items():
                        for d, m in spelled[s]:
                            hit = m0 & (m >> d0)
                            if hit:
                                nxt[d0 + d] = nxt.get(d0 + d, 0) | hit
                    starts = nxt
                for d, m in starts.items():
                    by_length[d] = by_length.get(d, 0) | m
            spelled[sym] = list(by_length.items())

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
                        if s in spelled:
                            nxt = 0
                            for d, m in spelled[s]:
                                nxt |= (frontier & m) << d
                            frontier = nxt
                        else:
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


def _positions(w: tuple, terminals) -> dict:
    """terminal -> the bit mask of the positions i with ``w[i]`` equal to it (bit i), for the
    grammar's terminals; by bytes translation when every token is a byte (C), else a loop."""
    try:
        data = bytes(w)[::-1]
    except (TypeError, ValueError):
        return {t: sum(1 << i for i, x in enumerate(w) if x == t) for t in terminals}
    out = {}
    for t in terminals:
        if type(t) is not int or not 0 <= t < 256:
            out[t] = sum(1 << i for i, x in enumerate(w) if x == t)
        else:
            out[t] = int(data.translate(_digit_of(t)) or b"0", 2)
    return out


@lru_cache(maxsize=None)
def _digit_of(t: int) -> bytes:
    """The bytes table that maps byte ``t`` to "1" and every other byte to "0"."""
    return bytes(0x31 if b == t else 0x30 for b in range(256))


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

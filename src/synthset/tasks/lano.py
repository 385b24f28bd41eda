"""Lano — hierarchical structure: sentences of the synthetic CFGs cfg3f, cfg3j, cfg3k.

Terminals 1, 2, 3; every rule uniform; expanded pre-order, left to right, one
``randint(0, len(rules) - 1)`` per non-terminal — the reference generator's call order, so
``random.Random(7711)`` gives its sentences (pinned in tests). A row is ``<bos>`` and one
sentence; packing joins rows, so sequences are sentences separated by ``<bos>``. Loss on all
tokens. ``parses(sentence)`` decides membership in one left-to-right pass (``_Recognizer``: a
cfg3f sentence ~0.1 ms); ``next_token_distribution`` gives the grammar's exact distribution of
the next terminal after a prefix (for KL).
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from heapq import heappop, heappush

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
        ids, mask = example["input_ids"], example["loss_mask"]
        try:  # a row as made: <bos>, terminals as small ints, trained everywhere (fast path)
            if type(ids) is list and ids and ids[0] == self.vocab["<bos>"] \
                    and example["labels"] == ids and type(mask) is list \
                    and len(mask) == len(ids) and mask.count(1) == len(ids):
                data = bytes(ids[1:])
                grammar = _grammar(self.config.grammar)
                if grammar.recognizer is not None and not data.translate(None, b"\x01\x02\x03"):
                    check(grammar.parses(data),
                          f"the sentence is not in {self.config.grammar}")
                    return
        except (TypeError, ValueError):  # the checks below say what is wrong
            pass
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
        ids, cut = row["input_ids"], self.split_point(row)
        itos = self.vocab.itos
        names = _names(tuple(itos))
        try:  # every id a name: looked up from bytes (a reward reads a row per prompt)
            data = bytes(ids)
            if max(data, default=0) >= len(itos):
                raise ValueError
        except (TypeError, ValueError):
            names = self.vocab.decode(ids)
            return " ".join(names[:cut]), " ".join(names[cut:])
        return " ".join(map(names, data[:cut])), " ".join(map(names, data[cut:]))

    def answer_spans(self, row: dict) -> list[list[int]]:
        return [[self.split_point(row), len(row["input_ids"])]]

    def _score(self, text: str, example: dict) -> float:
        """The prompt's prefix followed by ``text`` is a sentence of the grammar."""
        words = text.split()
        if not words or not _TERMINALS.issuperset(words):
            return 0.0
        prefix = tuple(example["input_ids"][1:self.split_point(example)])
        rest = "".join(words).encode().translate(_DIGITS)  # "1" -> 1, ...: the terminals
        return float(_grammar(self.config.grammar).continues(prefix, rest))

    def dedup_key(self, example: dict) -> str:
        """The whole sentence."""
        return text_digest(row_text(example["input_ids"]))


_TERMINALS = frozenset(("1", "2", "3"))  # an answer's words
_DIGITS = bytes.maketrans(b"123", b"\x01\x02\x03")
# A symbol steps as masks (one per length it derives) while it derives at most this many.
SPELLED_LENGTHS = 8
# A frontier of at most this many starts steps through such a symbol by looking its strings
# up; a wider one makes the symbol's masks.
FEW_STARTS = 6
# A symbol is tried at a start only if the next this many terminals begin one of its strings.
OPENING = 8
# Prompts whose state (``_Recognizer.state``) is kept a process: GRPO scores a group per prompt.
CUT_CACHE = 1024
# Past this many interned sets of stacks (upper and lower, see ``_Recognizer``) a recognizer's
# tables start over: memory stays under ~60 MB (cfg3k's sets are the largest); what it costs
# is a warm-up again (cfg3f: ~0.2 s of CPU for its first 1,000 sentences, then ~0.1 ms each).
STATES = 50_000
# A cut keeps the first this many terminals of every continuation of its prompt: a completion
# that begins otherwise is refused by one look-up (about half of wrong ones in cfg3f).
LEAD = 4


@lru_cache(maxsize=None)
def _parser(name: str):
    """A membership test for grammar ``name``: ``_parser(name)(sentence)`` (see ``_Grammar``)."""
    return _grammar(name).parses


@lru_cache(maxsize=None)
def _grammar(name: str) -> "_Grammar":
    return _Grammar(*GRAMMARS[name])


class _Grammar:
    """Membership for one grammar, whole or as a prompt's prefix plus a completion.

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

    A prompt's prefix P and a completion C (``continues``, the reward's case): P + C is a
    sentence exactly when C derives from one of P's *stacks* — every sequence of symbols R such
    that a leftmost derivation from the root reads exactly P and leaves R to expand (the right
    siblings of the path to P's last token, lowest level on top: what a left-to-right
    recognizer holds after P). ``_cut`` parses P once into these stacks, shared as a graph of
    (symbol, start) nodes, with the first LEAD terminals of every string they derive
    (``_leads``), and keeps both per prompt from the prompt's first completion that is not the
    stored answer on (GRPO scores a group of completions per prompt; see ``_cut_of``).
    ``continues`` refuses a completion that begins with none of those (one look-up: about half
    of wrong ones), then parses C alone: every node gets the positions of C where its symbol
    can end, from its stacks' tops down, each node and each (symbol, frontier) step once. A
    wrong completion dies in the first symbols of most stacks: another example's answer to a
    cfg3f prompt ~50 us (the whole parse ~270 us), a right answer other than the stored ~250
    us (~400 us). The cut and its leads cost about two whole parses of a wrong answer.
    """

    def __init__(self, root, rules):
        self.root, self.rules = root, rules
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

        for sym in rules:
            bounds(sym)
        self.lo, self.hi = lo, hi
        self.terminals = sorted({s for rhs_list in rules.values() for rhs in rhs_list
                                 for s in rhs if s not in rules})
        # The symbols that step as masks (see ``chart``), bottom-up: those whose rules use
        # only terminals and such symbols, while they derive at most SPELLED_LENGTHS lengths.
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
        self.flat, self.flat_set = flat, frozenset(flat)
        # Their strings by length, as bytes: a frontier of a few starts steps through such a
        # symbol by looking the next tokens up (a completion's first steps), not by masks.
        words: dict = {}

        def spellings(sym) -> set:
            if sym not in rules:
                return {bytes([sym])} if type(sym) is int and 0 <= sym < 256 else set()
            if sym not in words:
                out: set = set()
                for rhs in rules[sym]:
                    acc = {b""}
                    for s in rhs:
                        acc = {a + b for a in acc for b in spellings(s)}
                    out |= acc
                words[sym] = out
            return words[sym]

        self.words = {}
        for sym in flat:
            by_length: dict = {}
            for word in spellings(sym):
                by_length.setdefault(len(word), set()).add(word)
            self.words[sym] = tuple((d, frozenset(ws)) for d, ws in sorted(by_length.items()))
        # The first OPENING terminals of the strings of every symbol that derives no shorter
        # string: reading a completion or a prompt's cut, a symbol is tried at a start only if
        # the tokens there begin one of them; ``beginnings`` adds their beginnings, for a
        # symbol that crosses a prompt's cut.
        firsts: dict = {}

        def first(sym) -> set:
            if sym not in rules:
                return spellings(sym)
            if sym not in firsts:
                out: set = set()
                for rhs in rules[sym]:
                    acc = {b""}
                    for s in rhs:
                        acc = {(a + b)[:OPENING] if len(a) < OPENING else a
                               for a in acc for b in (first(s) if len(a) < OPENING else [b""])}
                    out |= acc
                firsts[sym] = out
            return firsts[sym]

        self.opening = {sym: frozenset(first(sym)) for sym in rules if lo[sym] >= OPENING}
        # Per symbol and per r <= LEAD, the first r terminals of its strings (whole when
        # shorter): what ``_leads`` joins into a cut's continuations. None when a terminal is
        # not a byte (the look-up then is skipped).
        self.leads = None
        if all(type(t) is int and 0 <= t < 256 for t in self.terminals):
            self.leads = {}
            for sym in [*rules, *self.terminals]:
                table = [((), ())]
                for r in range(1, LEAD + 1):  # (those of r terminals, the shorter ones)
                    heads = {w[:r] for w in first(sym)}
                    table.append((tuple(w for w in heads if len(w) == r),
                                  tuple(w for w in heads if len(w) < r)))
                self.leads[sym] = table
        self.beginnings = {sym: frozenset(w[:k] for w in ws for k in range(1, len(w) + 1))
                           for sym, ws in self.opening.items()}
        # The proper beginnings of their strings: where such a symbol crosses a prompt's cut.
        self.starting = {sym: frozenset(w[:k] for w in spellings(sym) for k in range(1, len(w)))
                         for sym in flat}
        # Per rule, each symbol with the ones after it and the longest they all derive.
        self.tails = {x: [[(y, tuple(rhs[k + 1:]), sum(hi.get(s, 1) for s in rhs[k:]))
                           for k, y in enumerate(rhs)] for rhs in options]
                      for x, options in rules.items()}
        # ``tails`` as ``_cut`` reads them: each symbol y with the ones after it, the longest
        # they derive, y's longest (0 for a terminal) and the look-ups that refuse a start of
        # y crossing the cut (``starting``, ``beginnings``; None: none)
        self.plan = {x: [[(y, siblings, longest, hi.get(y, 0), self.starting.get(y),
                           self.beginnings.get(y)) for y, siblings, longest in rule]
                         for rule in rule_list] for x, rule_list in self.tails.items()}
        # prefix -> its state (``_Threads``, or ``(cut, leads)``), the last CUT_CACHE
        self._cuts: OrderedDict = OrderedDict()
        self._lock = threading.Lock()  # verl and OpenRLHF score from worker threads
        # The one-pass recognizer, when the grammar is layered and its terminals are bytes
        # (all three are); else every decision is the chart's.
        self.recognizer = _Recognizer.of(root, rules)

    def _cut_of(self, prefix: tuple):
        """The state after ``prefix``, made the first time the prefix is scored and kept for
        the last CUT_CACHE prefixes (a GRPO group scores several completions of a prompt): the
        recognizer's threads (``_Recognizer.state``), or, without a recognizer or for tokens
        that are not bytes, ``(nodes, leads)``: its cut (``_cut``) and the first LEAD
        terminals of its continuations (``_leads``)."""
        with self._lock:
            got = self._cuts.get(prefix)
            if got is not None:
                self._cuts.move_to_end(prefix)
                return got
        got = None if self.recognizer is None else self.recognizer.state(prefix)
        if got is None:
            nodes = self._cut(prefix)
            got = nodes, self._leads(nodes)
        with self._lock:
            self._cuts[prefix] = got
            if len(self._cuts) > CUT_CACHE:
                self._cuts.popitem(last=False)
        return got

    def chart(self, w: tuple, look_up: bool = False, whole: bool = False):
        """``(ends, step)`` over ``w``: ``ends(X, i)`` the mask of the j with X =>* w[i:j];
        ``step(X, frontier)`` the ends of X from every start in ``frontier`` (a mask).
        ``look_up``: a frontier of at most FEW_STARTS starts steps through a lowest symbol by
        looking its strings up, until a wider one makes its masks (a completion read from a
        prompt's stacks takes few steps: a whole parse takes many, and masks pay). ``whole``:
        a whole sentence's parse, which reaches fewer starts that the look-up of a symbol's
        openings would refuse than it costs (measured), so it skips that look-up."""
        rules, lo = self.rules, self.lo
        n = len(w)
        memo: dict = {}
        # A terminal step moves every position of a frontier at once: the positions i with
        # w[i] == t, as a bit mask, taken from the frontier and shifted by one. A symbol of
        # terminals only steps as a few such masks: per length d, the positions where one of
        # its rules of length d is spelled.
        at = _positions(w, self.terminals)
        spelled: dict = {t: [(1, m)] for t, m in at.items()}
        flat = self.flat_set

        def spell(sym) -> list:
            """``sym``'s (length, starts) masks, made when a step first needs them."""
            by_length: dict = {}
            for rhs in rules[sym]:
                starts = {0: -1}  # length so far -> the start positions that reach it
                for s in rhs:
                    nxt: dict = {}
                    for d, m in (spelled[s] if s in spelled else spell(s)):
                        for d0, m0 in starts.items():
                            hit = m0 & (m >> d0)
                            if hit:
                                nxt[d0 + d] = nxt.get(d0 + d, 0) | hit
                    starts = nxt
                    if not starts:
                        break
                for d, m in starts.items():
                    by_length[d] = by_length.get(d, 0) | m
            out = spelled[sym] = list(by_length.items())
            return out

        try:
            data = bytes(w)
        except (TypeError, ValueError):
            data = None
        looks = data if look_up else None
        words, opening = self.words, ({} if whole else self.opening)

        def step(s, frontier) -> int:
            masks = spelled.get(s)
            if masks is None and s in flat:
                if looks is not None and frontier.bit_count() <= FEW_STARTS:
                    nxt = 0
                    while frontier:
                        low = frontier & -frontier
                        q = low.bit_length() - 1
                        frontier ^= low
                        for d, spelled_d in words[s]:
                            if data[q:q + d] in spelled_d:
                                nxt |= low << d
                    return nxt
                masks = spell(s)
            if masks is not None:
                nxt = 0
                for d, m in masks:
                    nxt |= (frontier & m) << d
                return nxt
            nxt = 0
            while frontier:
                low = frontier & -frontier
                nxt |= ends(s, low.bit_length() - 1)
                frontier ^= low
            return nxt

        def ends(sym, i) -> int:
            key = (sym, i)
            got = memo.get(key)
            if got is not None:
                return got
            if sym not in rules:
                mask = (1 << (i + 1)) if i < n and w[i] == sym else 0
            elif n - i < lo[sym]:
                mask = 0
            elif data is not None and sym in opening and data[i:i + OPENING] not in opening[sym]:
                mask = 0  # no string of sym begins as w does at i
            else:
                mask = 0
                for rhs in rules[sym]:
                    frontier = 1 << i
                    for s in rhs:
                        masks = spelled.get(s)
                        if masks is None:
                            if s in flat:
                                frontier = step(s, frontier)
                            else:
                                nxt = 0
                                while frontier:
                                    low = frontier & -frontier
                                    nxt |= ends(s, low.bit_length() - 1)
                                    frontier ^= low
                                frontier = nxt
                        else:
                            nxt = 0
                            for d, m in masks:
                                nxt |= (frontier & m) << d
                            frontier = nxt
                        if not frontier:
                            break
                    mask |= frontier
            memo[key] = mask
            return mask

        if not look_up:  # a whole parse steps through every lowest symbol many times
            for sym in self.flat:
                if sym not in spelled:
                    spell(sym)
        return ends, step

    def parses(self, w: tuple) -> bool:
        """Whether the grammar derives ``w`` (a tuple of terminals): the recognizer's pass,
        or the chart's parse (``chart_parses``) for tokens that are not bytes."""
        if self.recognizer is not None:
            got = self.recognizer.parses(w)
            if got is not None:
                return got
        return self.chart_parses(w)

    def chart_parses(self, w: tuple) -> bool:
        """Whether the grammar derives ``w``, by the top-down parse (see the class)."""
        n = len(w)
        if not self.lo[self.root] <= n <= self.hi[self.root]:
            return False
        ends, _ = self.chart(w, whole=True)
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, 10_000))
        try:
            return bool(ends(self.root, 0) >> n & 1)
        finally:
            sys.setrecursionlimit(limit)

    def _cut(self, prefix: tuple) -> tuple:
        """The stacks after ``prefix`` (see the class), shared as they are made: a node for
        each symbol x that starts at i and spans past the prefix, children before parents and
        the root's last, as its entries: for each rule of x and each of its symbols y that
        crosses the cut, ``(below, path, after)`` — the index of y's node (-1 when y ends
        exactly at the cut), x's symbols after y (read in order) each with the
        ``(shortest, longest)`` it, the ones after it and what follows x may derive (over
        every path to the root), and that of what follows x. () when no sentence starts with
        ``prefix``.
        """
        hi, root = self.hi, self.root
        p = len(prefix)
        if not p:
            return self._bounded({(root, 0): (((root,), None),)})
        _, step = self.chart(prefix)
        inside = (1 << p) - 1
        nodes: dict = {}
        try:
            text = bytes(prefix)
        except (TypeError, ValueError):
            text = None
        if text is None:  # no look-ups: every start of a symbol is tried
            plan = {x: [[(y, siblings, longest, hi.get(y, 0), None, None)
                         for y, siblings, longest, _, _, _ in rule] for rule in rule_list]
                    for x, rule_list in self.plan.items()}
        else:
            plan = self.plan

        def cross(x, i) -> bool:
            """Make ``nodes[x, i]`` (its entries, or none: then False)."""
            got = nodes.get((x, i))
            if got is not None:
                return bool(got)
            out: set = set()
            for rule in plan[x]:
                frontier = 1 << i
                for y, siblings, longest, y_hi, ends_in, begins in rule:
                    # the starts of y from which x can still reach past the cut
                    k = p - longest + 1
                    starts = frontier & inside & -(1 << k) if k > 0 else frontier & inside
                    if not starts:
                        break
                    if siblings:  # where y ends is needed only for what follows it
                        frontier = step(y, starts)
                        if frontier >> p & 1:  # y ends exactly at the cut
                            out.add((siblings, None))
                    if not y_hi:  # a terminal
                        continue
                    k = p - y_hi + 1
                    if k > 0:
                        starts &= -(1 << k)  # y may span past the cut
                    while starts:
                        low = starts & -starts
                        j = low.bit_length() - 1
                        starts ^= low
                        # a lowest symbol crosses the cut where the prefix's end begins one
                        # of its strings (a look-up, not a parse)
                        if ends_in is not None and text[j:] not in ends_in:
                            continue
                        if begins is not None and text[j:j + OPENING] not in begins:
                            continue  # no string of y begins as the prefix does at j
                        if cross(y, j):
                            out.add((siblings, (y, j)))
            nodes[x, i] = tuple(out)
            return bool(out)

        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, 10_000))
        try:
            cross(root, 0)
        finally:
            sys.setrecursionlimit(limit)
        return self._bounded(nodes)

    def _bounded(self, nodes: dict) -> tuple:
        """``_cut``'s nodes with their bounds, children first."""
        root, lo, hi = (self.root, 0), self.lo, self.hi
        # How many tokens may follow each node's symbol (over every path to the root), then
        # per entry and per sibling the lengths what is left from that sibling on may take:
        # ``continues`` keeps only the positions from which the rest can end exactly at the
        # end of the completion. A child is made before its parents: parents first, reversed.
        after: dict = {root: (0, 0)}
        out: dict = {}
        for key in reversed(nodes):
            entries = nodes[key]
            if not entries or key not in after:
                continue
            tail = after[key]
            made = []
            for siblings, below in entries:
                s_lo, s_hi = tail
                path = []
                for sym in reversed(siblings):
                    s_lo += lo.get(sym, 1)
                    s_hi += hi.get(sym, 1)
                    path.append((sym, s_lo, s_hi))
                path.reverse()
                if below is not None:
                    old = after.get(below)
                    after[below] = (s_lo, s_hi) if old is None else (
                        min(old[0], s_lo), max(old[1], s_hi))
                made.append((below, tuple(path), tail))
            out[key] = made
        if not out.get(root):
            return ()
        # children first, the root last; an entry as (its below's index or -1, its siblings
        # each with the bounds from it on, the bounds of what follows the node)
        order = list(reversed(out))
        index = {key: k for k, key in enumerate(order)}
        return tuple(tuple((-1 if below is None else index[below], path, tail)
                           for below, path, tail in out[key]) for key in order)

    def _leads(self, nodes: tuple) -> frozenset | None:
        """The first LEAD terminals of every string the stacks of cut ``nodes`` derive (the
        whole string when shorter), as bytes: a completion of at least LEAD terminals
        continues the prefix only if it begins with one of them, a shorter one exactly when
        it is one. Joined children first like ``continues``; None when ``leads`` is."""
        firsts = self.leads
        if firsts is None:
            return None
        made: list = []  # per node: (its beginnings of LEAD terminals, its shorter strings)
        for entries in nodes:
            full: set = set()
            whole: set = set()
            for below, path, _ in entries:
                if below >= 0:
                    got, short = made[below]
                    full |= got
                else:
                    short = _NOTHING
                for sym, _, _ in path:
                    if not short:
                        break
                    table, more = firsts[sym], set()
                    for a in short:
                        longs, shorts = table[LEAD - len(a)]
                        full.update([a + b for b in longs])
                        if shorts:
                            more.update([a + b for b in shorts])
                    short = more
                whole |= short
            made.append((full, whole))
        if not made:
            return frozenset()
        full, whole = made[-1]
        return frozenset(full | whole)

    def continues(self, prefix: tuple, rest) -> bool:
        """Whether ``prefix + rest`` is a sentence (``rest`` a tuple of terminals or their
        bytes): the recognizer's threads after ``prefix`` (kept per prefix) read on through
        ``rest``, or without them ``continues_cut``."""
        m = len(rest)
        if not m:
            return self.parses(prefix)
        if not self.lo[self.root] <= len(prefix) + m <= self.hi[self.root]:
            return False
        state = self._cut_of(prefix)
        if type(state) is _Threads:
            return state.accepts(rest)
        return self.continues_cut(state, tuple(rest))

    def continues_cut(self, state: tuple, rest: tuple) -> bool:
        """Whether ``rest`` (not empty) derives from one of a prefix's stacks, given as its
        cut and leads (``state``, see ``_cut_of``). Each node of the cut, children first, gets
        the positions of ``rest`` where its symbol can end (its stacks' tops read from
        position 0), kept only where what follows the node can still end exactly at the end
        of ``rest``; a node none of whose entries reads on adds nothing above it."""
        m = len(rest)
        nodes, leads = state
        if not nodes:
            return False
        if leads is not None:
            try:
                head = bytes(rest[:LEAD])
            except (TypeError, ValueError):  # not a terminal: no sentence holds it
                return False
            if head not in leads:
                return False
            if m < LEAD:  # a continuation shorter than LEAD is one of them whole
                return True
        _, step = self.chart(rest, look_up=True)
        seen: dict = {}  # (symbol, frontier) -> its step: nodes share steps
        done: list = []
        out = 0
        for entries in nodes:  # children first: the root last
            out = 0
            for below, path, (shortest, longest) in entries:
                if below < 0:
                    frontier = 1
                else:
                    frontier = done[below]
                    if not frontier:  # nothing of rest reads to where below ends
                        continue
                for sym, first, last in path:
                    # the positions from which this sibling, the next ones and what follows
                    # the node fit
                    if m < first:
                        break
                    frontier &= (2 << (m - first)) - (1 << max(0, m - last))
                    if not frontier:
                        break
                    got = seen.get((sym, frontier))
                    if got is None:
                        got = seen[sym, frontier] = step(sym, frontier)
                    frontier = got
                else:  # where the node may end: what follows it fits after
                    if frontier and m >= shortest:
                        out |= frontier & (2 << (m - shortest)) - (1 << max(0, m - longest))
            done.append(out)
        return bool(out >> m & 1)


class _Recognizer:
    """Membership in one left-to-right pass, for a layered grammar (every rule maps a symbol
    of one level to symbols of the next) whose terminals are bytes: cfg3f, cfg3j and cfg3k.

    What a left-to-right recognizer holds after a prefix is the set of its pending *stacks*
    (the right siblings still to expand along the path to the last token, lowest level on
    top). Those sets are exact but seldom recur: cfg3f's 20,000 first sentences reach
    ~970,000 distinct ones (~100 stacks each; 82% of transitions seen before at the end), too
    many to memoise. Cut at level ``mid`` (half the depth), a stack is an *upper* part (symbols
    of levels <= mid) under a *lower* part (deeper levels), and sets of either part do recur
    (cfg3f, 1,000 sentences: ~450 upper sets, ~1,300 lower): each is interned as an int, a
    lower set steps on a terminal by one list look-up (``_Tables.low``), an upper set on a
    level-mid symbol by one dict look-up. A state is a few *threads* (upper set, lower set),
    meaning every upper stack under every lower one: one per way of cutting what was read
    into level-mid symbols that is still alive.

    ``run`` takes threads in order of the position they start from; each reads on alone
    through the lower sets until it dies or the input ends. Where its lower set holds the
    empty stack (its level-mid symbol may end before the next terminal t), it also starts,
    for each level-mid symbol X that can begin with t, a thread (its upper set after X, X's
    lower set after t) at the next position, where threads of one upper set join (their lower
    sets' union). A sentence is accepted when a thread at its end holds both empty stacks.
    Measured per sentence, after warm-up (CPU, this machine, the chart parse in brackets):
    cfg3f ~0.11 ms (0.43), cfg3j ~0.24 ms (0.9), cfg3k ~0.9 ms (1.3).
    """

    def __init__(self, root, rules, level: dict):
        self.root = root
        depth = max(level.values())
        mid = depth // 2
        terminals = sorted(x for x in level if x not in rules)
        self.terminals = bytes(terminals)
        self.stride = terminals[-1] + 1  # a lower set's row in ``_Tables.low``
        self.up = _pushes(rules, level, mid)
        self.down = _pushes(rules, level, depth)
        self.mid = [(x, self.down[x]) for x in level if level[x] == mid]
        self.tables = _Tables(self)
        self._lock = threading.Lock()

    @classmethod
    def of(cls, root, rules) -> "_Recognizer | None":
        """The recognizer of a grammar, or None when it is not layered or a terminal is not
        a byte."""
        level = {root: 0}
        todo = [root]
        while todo:
            x = todo.pop()
            for rhs in rules[x]:
                for y in rhs:
                    if level.setdefault(y, level[x] + 1) != level[x] + 1:
                        return None
                    if y in rules:
                        todo.append(y)
        if any(y not in rules and not (type(y) is int and 0 <= y < 256) for y in level):
            return None
        return cls(root, rules, level)

    def _current(self) -> "_Tables":
        """The tables, started over once they hold STATES sets (a state made from the old
        ones keeps them)."""
        tables = self.tables
        if len(tables.lower) + len(tables.upper) > STATES:
            with self._lock:
                if self.tables is tables:
                    self.tables = _Tables(self)
                tables = self.tables
        return tables

    def _data(self, w) -> bytes | None:
        """``w`` as bytes; None when a token is not a byte (b"\\0" when it is a byte but no
        terminal: no sentence holds it)."""
        if type(w) is not bytes:
            try:
                w = bytes(w)
            except (TypeError, ValueError):
                return None
        return b"\0" if w.translate(None, self.terminals) else w

    def parses(self, w) -> bool | None:
        """Whether the grammar derives ``w``; None when a token is not a byte."""
        data = self._data(w)
        if data is None:
            return None
        tables = self._current()
        return tables.accepts(tables.run(tables.start, data))

    def state(self, prefix) -> "_Threads | None":
        """The threads after ``prefix``; None when a token is not a byte."""
        data = self._data(prefix)
        if data is None:
            return None
        tables = self._current()
        return _Threads(tables, tables.run(tables.start, data))


def _pushes(rules, level: dict, bottom: int) -> dict:
    """symbol x -> {y: the stacks (top last) that expanding x leftmost down to y, a symbol of
    level ``bottom``, leaves pending: the right siblings on the way, lowest on top}, for every
    x of a level up to ``bottom``."""
    memo: dict = {}

    def first(x) -> dict:
        got = memo.get(x)
        if got is None:
            if level[x] == bottom:
                got = {x: frozenset([()])}
            else:
                acc: dict = {}
                for rhs in rules[x]:
                    below = tuple(reversed(rhs[1:]))
                    for y, pending in first(rhs[0]).items():
                        acc.setdefault(y, set()).update(below + p for p in pending)
                got = {y: frozenset(p) for y, p in acc.items()}
            memo[x] = got
        return got

    for x, d in level.items():
        if d <= bottom:
            first(x)
    return memo


class _Tables:
    """A recognizer's interned sets of stacks and their memoised steps.

    A lower set is known by its *code*: its index times the stride, negative when it holds the
    empty stack (its level-mid symbol may end there); ``low[code + t]`` is the code after
    terminal t (0: no stack reads t; None: not made yet). Upper sets are indices; ``ups[u, X]``
    the upper set after level-mid symbol X. Everything is made under ``lock`` (the reward is
    scored from worker threads); a step already made is read without it.
    """

    def __init__(self, recognizer: _Recognizer):
        self.rec = recognizer
        self.stride = recognizer.stride
        self.upper: list = []   # upper sets (frozensets of stacks), by index
        self.upper_ids: dict = {}
        self.done: list = []    # per upper set: it holds the empty stack (the root is read)
        self.ups: dict = {}
        self.lower: list = []   # lower sets, by code // stride
        self.lower_ids: dict = {}
        self.low: list = []
        self.joins: dict = {}   # (code, code) -> the code of their union
        self.lock = threading.Lock()
        with self.lock:
            self._upper(frozenset())
            self._lower(frozenset())
            start = self._upper(frozenset([(recognizer.root,)]))
            # a thread of the root before the first terminal: ready for a level-mid symbol
            self.start = {start: self._lower(frozenset([()]))}
            # per terminal t: (X, the code of X's lower set after t) for the level-mid X
            # that begin with t
            self.starts = [tuple((x, self._lower(after[t])) for x, after in recognizer.mid
                                 if t in after) for t in range(self.stride)]

    def _upper(self, stacks: frozenset) -> int:
        got = self.upper_ids.get(stacks)
        if got is None:
            got = len(self.upper)
            self.upper.append(stacks)
            self.done.append(() in stacks)
            self.upper_ids[stacks] = got
        return got

    def _lower(self, stacks: frozenset) -> int:
        got = self.lower_ids.get(stacks)
        if got is None:
            got = len(self.lower) * self.stride
            if () in stacks:
                got = -got
            self.lower.append(stacks)
            self.low.extend([None] * self.stride)  # before the code is known to anyone
            self.lower_ids[stacks] = got
        return got

    def step_low(self, code: int, t: int) -> int:
        """The code after terminal ``t`` from lower set ``code`` (>= 0), made."""
        with self.lock:
            got = self.low[code + t]
            if got is None:
                down = self.rec.down
                got = self.low[code + t] = self._lower(frozenset(
                    stack[:-1] + p for stack in self.lower[code // self.stride] if stack
                    for p in down[stack[-1]].get(t, ())))
        return got

    def step_up(self, u: int, x) -> int:
        """The upper set after level-mid symbol ``x`` from upper set ``u``, made."""
        with self.lock:
            got = self.ups.get((u, x))
            if got is None:
                up = self.rec.up
                got = self.ups[u, x] = self._upper(frozenset(
                    stack[:-1] + p for stack in self.upper[u] if stack
                    for p in up[stack[-1]].get(x, ())))
        return got

    def join(self, a: int, b: int) -> int:
        """The code of the union of two lower sets."""
        key = (a, b) if a < b else (b, a)
        got = self.joins.get(key)
        if got is None:
            with self.lock:
                lower, stride = self.lower, self.stride
                got = self.joins[key] = self._lower(lower[abs(a) // stride]
                                                    | lower[abs(b) // stride])
        return got

    def run(self, threads: dict, data: bytes) -> dict:
        """The threads (upper set -> lower code) after ``data`` from ``threads``."""
        low, ups, starts = self.low, self.ups, self.starts
        buckets = {0: threads}  # position -> the threads that start there
        order = [0]
        out: dict = {}
        while order:
            i = heappop(order)
            for u, code in buckets.pop(i).items():
                j = i
                for t in data[i:]:
                    if code < 0:  # the level-mid symbol may end: the next ones start at t
                        code = -code
                        for x, after in starts[t]:
                            v = ups.get((u, x))
                            if v is None:
                                v = self.step_up(u, x)
                            if v:
                                there = buckets.get(j + 1)
                                if there is None:
                                    there = buckets[j + 1] = {}
                                    heappush(order, j + 1)
                                old = there.get(v)
                                there[v] = after if old is None or old == after \
                                    else self.join(old, after)
                    nxt = low[code + t]
                    if nxt is None:
                        nxt = self.step_low(code, t)
                    if not nxt:
                        break
                    code = nxt
                    j += 1
                else:  # read to the end
                    old = out.get(u)
                    out[u] = code if old is None or old == code else self.join(old, code)
        return out

    def accepts(self, threads: dict) -> bool:
        """A thread holds the empty stack in both parts: a whole sentence was read."""
        done = self.done
        return any(code < 0 and done[u] for u, code in threads.items())


class _Threads:
    """A prompt's state: its threads after the prefix and the tables they index."""

    __slots__ = ("tables", "threads")

    def __init__(self, tables: _Tables, threads: dict):
        self.tables, self.threads = tables, threads

    def accepts(self, rest) -> bool:
        """Whether the prefix followed by ``rest`` (terminals, or their bytes) is a
        sentence."""
        if not self.threads:
            return False
        data = self.tables.rec._data(rest)
        if data is None:  # a token that is not a byte is no terminal
            return False
        return self.tables.accepts(self.tables.run(self.threads, data))


_NOTHING = frozenset((b"",))  # what an empty stack top derives


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
def _names(itos: tuple):
    """``itos.__getitem__``, made once per vocabulary."""
    return itos.__getitem__


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

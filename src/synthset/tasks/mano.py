"""Mano — knowledge manipulation: modular arithmetic in one step.

``<bos> <len_l> prefix-expression <ans> value``: l operators (+, -, *) and l+1 operands in
[0, modulus); the value modulo ``modulus``. gen(0) = operand; gen(l) = op, l1 ~ U{0..l-1},
gen(l1), gen(l-1-l1). l ~ U[1, L] in training, l = L in evaluation (qa), or ``fixed_len``.
Length 2l+5. Loss on every token (the paper's choice) or only the answer (``loss_on: answer``).
"""

from __future__ import annotations

from dataclasses import dataclass

from synthset.core.errors import bad_choice
from synthset.core.rand import fast_randint
from synthset.tasks.base import TokenTask, check, check_labels, make_row, require_int
from synthset.tasks.rowkeys import labels_hold, row_text, text_digest
from synthset.tasks.vocab import Vocab

OPS = ("+", "-", "*")
# The reference generator's "knowledge augment" surface forms (``augment: true``): a second
# spelling of <bos>, of each operator, of each <len_l>, and a length-dependent answer marker in
# two spellings, each drawn per occurrence with probability 1/2. Same values, other tokens.
ALT_OPS = ("+'", "-'", "*'")


@dataclass
class ManoConfig:
    """Args:
        L: the most operators (training l is uniform in 1..L).
        modulus: values are taken modulo this (23).
        qa: evaluation mode (l = L).
        fixed_len: every expression has this many operators.
        loss_on: ``all`` tokens (the paper's choice) or the ``answer`` only.
        augment: the reference's two spellings of <bos>, each operator and each <len_l>, and a
            length-dependent answer marker <ans_l> / <ans_l'>, each drawn at random.
    """

    L: int = 10
    modulus: int = 23
    qa: bool = False
    fixed_len: int | None = None
    loss_on: str = "all"
    augment: bool = False

    def validate(self) -> None:
        require_int("L", self.L, 1)
        require_int("modulus", self.modulus, 2)
        if self.fixed_len is not None:
            require_int("fixed_len", self.fixed_len, 1)
        if self.loss_on not in ("all", "answer"):
            raise bad_choice("loss_on", self.loss_on, ["all", "answer"])


class ManoTask(TokenTask):
    family = name = "mano"
    summary = "value of a prefix expression mod 23 in one step (knowledge manipulation)"
    Config = ManoConfig
    BUCKETS = ("l",)
    # Level: more operators.
    LEVELS = {lv: {"L": L} for lv, L in enumerate([1, 2, 3, 4, 5, 6, 8, 10, 13, 16], 1)}

    def build_vocab(self) -> Vocab:
        c = self.config
        top = max(c.L, c.fixed_len or 0)
        specials = ["<bos>", "<ans>", *OPS] + [f"<len_{i}>" for i in range(1, top + 1)]
        if c.augment:  # after the plain tokens: plain rows keep their ids
            specials += ["<bos'>", *ALT_OPS] + [f"<len_{i}'>" for i in range(1, top + 1)] + [
                f"<ans_{i}{p}>" for i in range(1, top + 1) for p in ("", "'")]
        return Vocab(c.modulus, specials, first_content=0)

    def _spell(self, name: str, randint) -> int:
        """The id of ``name`` or, augmented, of its second spelling with probability 1/2."""
        if self.config.augment and randint(0, 1):
            return self.vocab[name[:-1] + "'>" if name.endswith(">") else name + "'"]
        return self.vocab[name]

    def sample(self, rng) -> dict:
        c, voc = self.config, self.vocab
        randint = fast_randint(rng)
        length = c.fixed_len or (c.L if c.qa else randint(1, c.L))
        op_ids = [voc[o] for o in OPS]
        alt_ids = [voc[o] for o in ALT_OPS] if c.augment else None
        m = c.modulus
        tokens: list[int] = []

        def gen(ell: int) -> int:
            if ell == 0:
                v = randint(0, m - 1)
                tokens.append(voc.content(v))
                return v
            op = randint(0, 2)
            tokens.append(alt_ids[op] if alt_ids and randint(0, 1) else op_ids[op])
            left = randint(0, ell - 1)
            a = gen(left)
            b = gen(ell - 1 - left)
            return (a + b) % m if op == 0 else (a - b) % m if op == 1 else (a * b) % m

        value = gen(length)
        if c.augment:
            marker = voc[f"<ans_{length}'>" if randint(0, 1) else f"<ans_{length}>"]
            ids = [self._spell("<bos>", randint), self._spell(f"<len_{length}>", randint),
                   *tokens, marker, voc.content(value)]
        else:
            ids = [voc["<bos>"], voc[f"<len_{length}>"], *tokens, voc["<ans>"],
                   voc.content(value)]
        mask = [1] * len(ids) if c.loss_on == "all" else [0] * (len(ids) - 2) + [1, 1]
        return make_row(ids, mask, {"l": length, "value": value})

    def evaluate(self, tokens: list[int]) -> tuple[int, int]:
        """(value, operators) of a prefix expression given as token ids; raises on bad ones."""
        voc, m = self.vocab, self.config.modulus
        ops = {voc[o]: o for o in OPS}
        if self.config.augment:
            ops.update({voc[a]: o for a, o in zip(ALT_OPS, OPS)})
        pos = 0

        def walk():
            nonlocal pos
            check(pos < len(tokens), "the expression ends early")
            t = tokens[pos]
            pos += 1
            if t in ops:
                a, na = walk()
                b, nb = walk()
                o = ops[t]
                v = a + b if o == "+" else a - b if o == "-" else a * b
                return v % m, na + nb + 1
            v = voc.value(t)
            check(0 <= v < m, f"token {t} is neither an operator nor an operand")
            return v, 0

        value, count = walk()
        check(pos == len(tokens), "tokens left after the expression")
        return value, count

    # ``statistics`` as one tuple of these columns (what ``synthset check`` keeps of every
    # stored row: one tuple a row instead of a dict of dicts)
    STATISTICS_COLUMNS = (("row", "length"), ("row", "loss_tokens"), ("meta", "l"),
                          ("meta", "value"))

    def stored_statistic_values(self, row: dict) -> tuple:
        """``statistics(row)`` in the order of STATISTICS_COLUMNS, for a row whose ``meta``
        holds its two integers (anything else raises: the check then keeps no statistics)."""
        meta = row["meta"]
        length, value = meta["l"], meta["value"]
        if type(length) is not int or type(value) is not int or len(meta) != 2:
            raise ValueError("meta is not {l, value}")
        return len(row["input_ids"]), sum(row["loss_mask"]), length, value

    def validate_row(self, example: dict) -> None:
        if not self._row_holds(example):
            self._validate_row(example)  # the checks that say what is wrong

    def _row_holds(self, example: dict) -> bool:
        """Whether every check of ``_validate_row`` passes (see ``_holds``); False (or
        anything unexpected) sends the row to ``_validate_row``."""
        return self._holds(example) is not None

    def checked_key(self, row: dict) -> str | None:
        """``dedup_key(row)`` when ``validate_example(row)`` surely passes (``_holds`` and no
        prompt or answer text to compare), else None: the key of the text the check read."""
        if "prompt" in row or "answer" in row:
            return None
        text = self._holds(row)
        return None if text is None else text_digest(text[:-1])

    def _holds(self, example: dict) -> str | None:
        """The row's ``row_text`` when every check of ``_validate_row`` passes, else None:
        the expression evaluated right to left on a stack (its tokens checked at once
        against the operators and operands; an operator short of two operands empties the
        stack), the vocabulary's tables made once."""
        c = self.config
        ids, mask = example["input_ids"], example["loss_mask"]
        try:
            text = row_text(ids)  # ids that are no integers go to the slow checks
            everywhere = c.loss_on == "all"
            if everywhere:  # labels_hold with every mask value 1: the labels are the ids
                if len(mask) != len(ids) or mask.count(1) != len(ids) \
                        or example["labels"] != ids:
                    return None
            elif not labels_hold(ids, mask, example["labels"]):
                return None
            key = (c.modulus, c.L, c.fixed_len, c.augment)
            tables = _TABLES.get(key)
            if tables is None:
                tables = _TABLES[key] = _mano_tables(self.vocab, c)
            firsts, lengths, markers, kinds, offset, tokens = tables
            length = lengths.get(ids[1])
            size = len(ids)
            if ids[0] not in firsts or length is None or size != 2 * length + 5 \
                    or ids[-2] not in markers[length]:
                return None
            expression = ids[2:-2]
            if not tokens.issuperset(expression):
                return None
            m, stack = c.modulus, []
            push, pop = stack.append, stack.pop
            for t in reversed(expression):
                k = kinds[t]  # an operand's value, or -1 (+), -2 (-), -3 (*)
                if k >= 0:
                    push(k)
                else:
                    a = pop()
                    b = stack[-1]
                    stack[-1] = (a + b) % m if k == -1 else (a - b) % m if k == -2 else a * b % m
            # one value left of 2l + 1 tokens: l operators, as <len_l> says
            if len(stack) != 1 or ids[-1] - offset != stack[0]:
                return None
            if (c.qa or c.fixed_len) and length != (c.fixed_len or c.L):
                return None
            if everywhere:  # (counted above)
                return text
            return text if mask.index(1) == size - 2 and mask.count(1) == 2 else None
        except Exception:  # the slow checks raise what the row deserves
            return None

    def _validate_row(self, example: dict) -> None:
        c, voc = self.config, self.vocab
        check_labels(example)
        ids, mask = example["input_ids"], example["loss_mask"]
        first, name, marker = voc.decode([ids[0], ids[1], ids[-2]])
        check(first in (("<bos>", "<bos'>") if c.augment else ("<bos>",)),
              "the row does not start with <bos>")
        check(name.startswith("<len_"), "token 1 is not <len_l>")
        length = int(name[5:].rstrip(">'"))
        check(len(ids) == 2 * length + 5, f"length {len(ids)} is not 2l+5 = {2 * length + 5}")
        markers = (f"<ans_{length}>", f"<ans_{length}'>") if c.augment else ("<ans>",)
        check(marker in markers, f"{' or '.join(markers)} is not second to last")
        value, count = self.evaluate(ids[2:-2])
        check(count == length, f"the expression has {count} operators, <len_{length}> says")
        check(voc.value(ids[-1]) == value, f"answer {voc.value(ids[-1])} != value {value}")
        if c.qa or c.fixed_len:
            check(length == (c.fixed_len or c.L), f"evaluation rows need l = {c.fixed_len or c.L}")
        want = [1] * len(ids) if c.loss_on == "all" else [0] * (len(ids) - 2) + [1, 1]
        check(list(mask) == want, f"loss_mask does not match loss_on={c.loss_on!r}")

    # -- the contract ----------------------------------------------------------------------
    def texts(self, row: dict) -> tuple[str, str]:
        """Prompt: ``<bos> <len_l>``, the expression and ``<ans>``. Answer: the value."""
        names = self.vocab.decode(row["input_ids"])
        return " ".join(names[:-1]), names[-1]

    def dedup_key(self, example: dict) -> str:
        """The prompt: every token but the answer (the ids themselves, not their names)."""
        return text_digest(row_text(example["input_ids"][:-1]))

    def answer_spans(self, row: dict) -> list[list[int]]:
        n = len(row["input_ids"])
        return [[n - 1, n]]

    def _score(self, text: str, example: dict) -> float:
        """The expression re-evaluated from the prompt's tokens; the answer is its value."""
        value, _ = self.evaluate(example["input_ids"][2:-2])
        return float(int(text.strip()) == value)


# (modulus, L, fixed_len, augment) -> ``_mano_tables``: the same vocabulary for the same four.
_TABLES: dict = {}


def _mano_tables(voc, c) -> tuple:
    """The ids ``_holds`` reads: the ``<bos>`` spellings, ``<len_l>`` id -> l, l -> its
    answer markers, a list from id to an operand's value or -1 (+), -2 (-), -3 (*), the
    content ids' offset, and the ids an expression may hold (operators, operands
    0 .. modulus - 1: the list's ids that mean something)."""
    top = max(c.L, c.fixed_len or 0)
    firsts = {voc["<bos>"], voc["<bos'>"]} if c.augment else {voc["<bos>"]}
    lengths = {voc[f"<len_{i}>"]: i for i in range(1, top + 1)}
    if c.augment:
        lengths.update({voc[f"<len_{i}'>"]: i for i in range(1, top + 1)})
    markers = {i: ({voc[f"<ans_{i}>"], voc[f"<ans_{i}'>"]} if c.augment else {voc["<ans>"]})
               for i in range(1, top + 1)}
    ops = {voc[o]: i for i, o in enumerate(OPS)}
    if c.augment:
        ops.update({voc[a]: i for i, a in enumerate(ALT_OPS)})
    tokens = frozenset(ops).union(range(voc.offset, voc.offset + c.modulus))
    kinds = [0] * (max(tokens) + 1)  # id -> an operand's value, or -1 - the operator
    for t in tokens:
        kinds[t] = -1 - ops[t] if t in ops else t - voc.offset
    return firsts, lengths, markers, kinds, voc.offset, tokens

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
from synthset.tasks.vocab import Vocab

OPS = ("+", "-", "*")


@dataclass
class ManoConfig:
    """Args: L (most operators), modulus (23), qa (l = L), fixed_len (l), loss_on
    (``all`` or ``answer``)."""

    L: int = 10
    modulus: int = 23
    qa: bool = False
    fixed_len: int | None = None
    loss_on: str = "all"

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
    # Level: more operators.
    LEVELS = {lv: {"L": L} for lv, L in enumerate([1, 2, 3, 4, 5, 6, 8, 10, 13, 16], 1)}

    def build_vocab(self) -> Vocab:
        c = self.config
        top = max(c.L, c.fixed_len or 0)
        return Vocab(c.modulus, ["<bos>", "<ans>", *OPS] + [f"<len_{i}>" for i in range(1, top + 1)],
                     first_content=0)

    def sample(self, rng) -> dict:
        c, voc = self.config, self.vocab
        randint = fast_randint(rng)
        length = c.fixed_len or (c.L if c.qa else randint(1, c.L))
        op_ids = [voc[o] for o in OPS]
        m = c.modulus
        tokens: list[int] = []

        def gen(ell: int) -> int:
            if ell == 0:
                v = randint(0, m - 1)
                tokens.append(voc.content(v))
                return v
            op = randint(0, 2)
            tokens.append(op_ids[op])
            left = randint(0, ell - 1)
            a = gen(left)
            b = gen(ell - 1 - left)
            return (a + b) % m if op == 0 else (a - b) % m if op == 1 else (a * b) % m

        value = gen(length)
        ids = [voc["<bos>"], voc[f"<len_{length}>"], *tokens, voc["<ans>"], voc.content(value)]
        mask = [1] * len(ids) if c.loss_on == "all" else [0] * (len(ids) - 2) + [1, 1]
        return make_row(ids, mask, {"l": length, "value": value})

    def evaluate(self, tokens: list[int]) -> tuple[int, int]:
        """(value, operators) of a prefix expression given as token ids; raises on bad ones."""
        voc, m = self.vocab, self.config.modulus
        ops = {voc[o]: o for o in OPS}
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

    def validate_row(self, example: dict) -> None:
        c, voc = self.config, self.vocab
        check_labels(example)
        ids, mask = example["input_ids"], example["loss_mask"]
        check(ids[0] == voc["<bos>"], "the row does not start with <bos>")
        name = voc.decode([ids[1]])[0]
        check(name.startswith("<len_"), "token 1 is not <len_l>")
        length = int(name[5:-1])
        check(len(ids) == 2 * length + 5, f"length {len(ids)} is not 2l+5 = {2 * length + 5}")
        check(ids[-2] == voc["<ans>"], "<ans> is not second to last")
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

    def answer_spans(self, row: dict) -> list[list[int]]:
        n = len(row["input_ids"])
        return [[n - 1, n]]

    def _score(self, text: str, example: dict) -> float:
        """The expression re-evaluated from the prompt's tokens; the answer is its value."""
        value, _ = self.evaluate(example["input_ids"][2:-2])
        return float(int(text.strip()) == value)

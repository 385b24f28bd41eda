"""A task's vocabulary: readable token names, one id each, and the fallback decoder.

Content tokens (word pieces, node ids, operands, terminals) are named by their integers and get
the id of that integer (id 0 is ``<pad>`` and never a content token); special tokens
(``<bos>``, ``<eos>``, ``<ans>``, ``<query>``, ``<query_3>``, ``<len_7>``, ``+``...) follow the
largest content id. No id has two meanings.
"""

from __future__ import annotations

PAD = "<pad>"


class Vocab:
    """Args:
        num_content: content tokens are ids 1..num_content, named "1".."num_content"
            (``first_content=0`` makes them 0..num_content-1, shifted up by one id).
        specials: names of the special tokens, in id order after the content tokens.
    """

    def __init__(self, num_content: int, specials: list[str], first_content: int = 1):
        self.first_content = first_content
        self.offset = 1 - first_content  # id = value + offset
        content = [str(v) for v in range(first_content, first_content + num_content)]
        self.itos = [PAD, *content, *specials]
        if len(set(self.itos)) != len(self.itos):
            raise ValueError("a token name is used twice")
        self.stoi = {name: i for i, name in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def __getitem__(self, name: str) -> int:
        return self.stoi[name]

    def content(self, value: int) -> int:
        """The id of content value ``value``."""
        return value + self.offset

    def value(self, token_id: int) -> int:
        return token_id - self.offset

    def decode(self, ids) -> list[str]:
        """Token names (the synthetic fallback decoder)."""
        itos = self.itos
        return [itos[i] if 0 <= i < len(itos) else f"<unk:{i}>" for i in ids]

    def text(self, ids) -> str:
        return " ".join(self.decode(ids))

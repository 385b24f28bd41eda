"""A small tokenizer made on the spot (tests never download one)."""

from pathlib import Path


def word_tokenizer(path: Path) -> Path:
    """A word-level tokenizer trained on a few strings, saved as ``path``: a number, a sign
    and '|' are a token each, anything else is [UNK] (one token too)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(["1 2 3 | - + x y"],
                            trainers.WordLevelTrainer(special_tokens=["[UNK]"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    tok.save(str(path))
    return path

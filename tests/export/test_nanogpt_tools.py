"""A task export read by nanoGPT's and ReaLLM-Forge's own code, copied here as written there:
nanoGPT's sample.py (meta.pkl's stoi/itos; its ``start``, "\\n" unless ``--start=...`` is given,
which its configurator.py parses) and ReaLLM-Forge's sampling during training (train.py encodes
``--sample_start_tokens``, "\\n" by default, with sample.py's ``get_tokenizer_functions``)."""

import json
import pickle
import sys

import numpy as np
import pytest

import synthset.tasks as T
from synthset.export import export_nanogpt

# karpathy/nanoGPT configurator.py (3adf61e) without its docstring: sample.py runs it with
# exec(), and it overrides sample.py's globals from `--key=value` arguments.
CONFIGURATOR = """
import sys
from ast import literal_eval

for arg in sys.argv[1:]:
    if '=' not in arg:
        # assume it's the name of a config file
        assert not arg.startswith('--')
        config_file = arg
        print(f"Overriding config with {config_file}:")
        with open(config_file) as f:
            print(f.read())
        exec(open(config_file).read())
    else:
        # assume it's a --key=value argument
        assert arg.startswith('--')
        key, val = arg.split('=')
        key = key[2:]
        if key in globals():
            try:
                # attempt to eval it it (e.g. if bool, number, or etc)
                attempt = literal_eval(val)
            except (SyntaxError, ValueError):
                # if that goes wrong, just use the string
                attempt = val
            # ensure the types match ok
            assert type(attempt) == type(globals()[key])
            # cross fingers
            print(f"Overriding: {key} = {attempt}")
            globals()[key] = attempt
        else:
            raise ValueError(f"Unknown config key: {key}")
"""


def nanogpt_start(monkeypatch, *argv) -> str:
    """sample.py's ``start`` once its configurator has read ``argv``."""
    settings = {"start": "\n", "num_samples": 10}  # sample.py's defaults, as it sets them
    monkeypatch.setattr(sys, "argv", ["sample.py", *argv])
    exec(CONFIGURATOR, settings)
    return settings["start"]


def reallm_forge_tokenizer_functions(meta):
    """ReaLLM-Forge sample.py's get_tokenizer_functions (42dfe7f), the branches a meta.pkl
    of ours takes ('tokenizer' is "task": none of its named tokenizers, so its fallback)."""
    if 'tokenizer' not in meta:
        # Default character-level tokenizer
        stoi, itos = meta['stoi'], meta['itos']
        encode = lambda s: [stoi[c] for c in s]  # noqa: E731
        decode = lambda l: ''.join([itos[i] for i in l])  # noqa: E731, E741
        return encode, decode
    assert meta['tokenizer'] not in ('tiktoken', 'custom_char_with_byte_fallback',
                                     'json_byte_fallback')
    # Default fallback
    stoi, itos = meta['stoi'], meta['itos']
    encode = lambda s: [stoi[c] for c in s]  # noqa: E731
    decode = lambda l: ''.join([itos[i] for i in l])  # noqa: E731, E741
    return encode, decode


@pytest.mark.parametrize("name, config", [("brevo", {"N": 20}), ("mano10", {}),
                                          ("depo1", {})])
def test_nanogpt_and_reallm_forge_sample_a_task_export(tmp_path, monkeypatch, capsys, name,
                                                       config):
    export_nanogpt(name, "d", out=tmp_path, tokenizer="task", count=40, task_config=config)
    folder = tmp_path / "d"
    with open(folder / "meta.pkl", "rb") as f:  # nanoGPT's sample.py from here on
        meta = pickle.load(f)
    stoi, itos = meta['stoi'], meta['itos']
    encode = lambda s: [stoi[c] for c in s]  # noqa: E731
    decode = lambda l: ''.join([itos[i] for i in l])  # noqa: E731, E741
    bos = T.get(name, **config).vocab["<bos>"]
    assert meta["token_names"][bos] == "<bos>"
    assert json.loads((folder / "meta.json").read_text())["token_names"] == meta["token_names"]
    for split in ("train", "val"):
        ids = np.memmap(folder / f"{split}.bin", dtype=np.uint16, mode="r").tolist()
        text = decode(ids)
        assert len(text) == len(ids) and encode(text) == ids
        # "\n" is where every sample starts, and nowhere else: one sample per printed line
        starts = np.fromfile(folder / f"{split}.starts.bin", dtype="<u8").tolist()
        assert [i for i, c in enumerate(text) if c == "\n"] == starts
    # sample.py with no --start: its default "\n" is <bos>, the start of a sample
    start = nanogpt_start(monkeypatch)
    assert encode(start) == [bos]
    # Any token typed as --start=C stays the string C (no digit, space or literal) ...
    for i, c in itos.items():
        assert nanogpt_start(monkeypatch, f"--start={c}") == c and encode(c) == [i]
        assert c == "\n" if i == bos else not (c.isdigit() or c.isspace() or c == "=")
    # ... and so does a whole prompt: the first sample up to its first trained token
    ids = np.fromfile(folder / "train.bin", dtype="<u2")
    mask = np.fromfile(folder / "train.mask.bin", dtype=np.uint8)
    prompt = decode(ids[:int(np.argmax(mask))].tolist())
    assert encode(nanogpt_start(monkeypatch, f"--start={prompt}")) == \
        ids[:int(np.argmax(mask))].tolist()
    # ReaLLM-Forge during training: encode_fn(args.sample_start_tokens), default "\n"
    encode_fn, decode_fn = reallm_forge_tokenizer_functions(meta)
    assert encode_fn("\n") == [bos]
    assert decode_fn(ids.tolist()) == decode(ids.tolist())
    assert "Overriding: start = " in capsys.readouterr().out  # the configurator ran


def test_the_start_token_is_a_newline_and_the_other_ids_letters_in_id_order():
    """Brevo N=20's and mano10's <bos> were once spelled "6" and "9" (printable ASCII in id
    order), which nanoGPT's configurator turns into an int; now "\\n", and <pad> and the
    other ids take CJK ideographs from U+4E00 in id order, one each."""
    from synthset.export import task_spelling

    for name, config in (("brevo", {"N": 20}), ("mano10", {})):
        names = T.get(name, **config).vocab.itos
        chars = task_spelling(names)
        assert chars[names.index("<bos>")] == "\n" and len(set(chars)) == len(chars)
        assert chars[:3] == ["一", "丁", "丂"]  # <pad>, then the ids in order: U+4E00 on

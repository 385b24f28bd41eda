"""The GPT-2 of ``type: gpt2``: transformers' GPT-2 in weights, outputs and checkpoints; its
activation key; its attention equal to explicitly masked attention."""

import json
import math

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import synthset.tasks as T  # noqa: E402
from synthset.cli.main import main  # noqa: E402
from synthset.core.errors import ConfigError  # noqa: E402
from synthset.train.checkpoint import load_checkpoint, save_checkpoint  # noqa: E402
from synthset.train.loop import train  # noqa: E402
from synthset.train.models import ModelConfig, build_model  # noqa: E402

TINY = {"type": "gpt2", "n_layer": 2, "n_embd": 32, "n_head": 2}
# The losses of this run with gelu_new, measured before GPT-2 became synthset's own module
# (then transformers' GPT2LMHeadModel): asking for gelu_new trains the same model.
GELU_NEW_LOSSES = [3.292060613632202, 3.122196674346924, 2.9459691047668457,
                   2.862192153930664, 2.825080394744873, 2.8071987628936768]


def _model(**config):
    torch.manual_seed(0)
    return build_model(ModelConfig.from_dict({**TINY, **config}), 30, 64).eval()


def _transformers_gpt2(activation, weights=None):
    """transformers' GPT2LMHeadModel of TINY's shape, holding ``weights`` (a model's
    ``state_dict``) when given: its own initialisation differs between transformers
    versions, the model does not."""
    torch.manual_seed(0)
    config = transformers.GPT2Config(vocab_size=30, n_positions=64, n_embd=32, n_layer=2,
                                     n_head=2, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                                     bos_token_id=None, eos_token_id=None,
                                     activation_function=activation)
    model = transformers.GPT2LMHeadModel(config).eval()
    if weights is not None:
        mine = model.state_dict()
        assert {n: t.shape for n, t in mine.items()} == \
            {n: weights[n].shape for n in mine}  # the same names and shapes
        model.load_state_dict({n: weights[n] for n in mine})
    return model


def test_a_run_asking_for_gelu_new_trains_as_before():
    task = T.get("depo1", N=6, K=2, V=10, max_len=1)
    _, res = train(task, {**TINY, "activation": "gelu_new"}, steps=6, batch_size=8, lr=3e-3,
                   warmup=2, eval_examples=2, log=None, device="cpu")
    assert res.losses == pytest.approx(GELU_NEW_LOSSES, rel=1e-5)


@pytest.mark.parametrize("activation", ["gelu", "gelu_new"])
def test_the_model_is_transformers_gpt2(activation):
    ours = _model(activation=activation)
    theirs = _transformers_gpt2(activation, ours.state_dict())
    x = torch.randint(0, 30, (3, 12))
    a, b = ours(input_ids=x, labels=x), theirs(input_ids=x, labels=x)
    assert torch.allclose(a.logits, b.logits, atol=1e-6) and torch.allclose(a.loss, b.loss)


def test_the_activation_is_gelu_unless_asked_and_a_checkpoint_keeps_it(tmp_path):
    x = torch.randint(0, 30, (2, 10))
    outputs = {}
    for activation in ("gelu", "gelu_new"):
        model = _model() if activation == "gelu" else _model(activation=activation)
        folder = tmp_path / activation
        folder.mkdir()
        save_checkpoint(folder, model, {"kind": "task", "tokens": []}, {"spec": None}, {}, {})
        assert json.loads((folder / "config.json").read_text())["activation_function"] == \
            activation
        loaded = load_checkpoint(folder).model
        assert loaded.config.activation_function == activation
        outputs[activation] = model(input_ids=x).logits
        assert torch.equal(loaded(input_ids=x).logits, outputs[activation])
        # transformers reads the folder as its own GPT-2 with the same activation
        theirs = transformers.AutoModelForCausalLM.from_pretrained(folder).eval()
        assert torch.allclose(theirs(input_ids=x).logits, outputs[activation], atol=1e-6)
    assert not torch.allclose(outputs["gelu"], outputs["gelu_new"])  # the same weights


def test_a_checkpoint_transformers_wrote_loads_with_its_activation(tmp_path):
    """Checkpoints saved before (transformers' GPT-2, gelu_new) read back the same."""
    theirs = _transformers_gpt2("gelu_new")
    theirs.save_pretrained(tmp_path)
    loaded = load_checkpoint(tmp_path).model
    assert loaded.config.activation_function == "gelu_new"
    x = torch.randint(0, 30, (2, 10))
    assert torch.allclose(loaded(input_ids=x).logits, theirs(input_ids=x).logits, atol=1e-6)


def test_attention_equals_explicitly_masked_attention():
    model = _model()
    attn = model.transformer.h[0].attn
    x = torch.randn(2, 9, 32)
    q, k, v = (t.view(2, 9, 2, 16).transpose(1, 2) for t in attn.c_attn(x).split(32, dim=2))
    scores = q @ k.transpose(-1, -2) / math.sqrt(16)
    scores = scores.masked_fill(torch.ones(9, 9, dtype=torch.bool).triu(1), float("-inf"))
    explicit = attn.c_proj((scores.softmax(-1) @ v).transpose(1, 2).reshape(2, 9, 32))
    assert torch.allclose(attn(x), explicit, atol=1e-6)
    # the whole model against transformers' eager attention (an explicit causal mask)
    eager = _transformers_gpt2("gelu", model.state_dict())
    eager.config._attn_implementation = "eager"
    ids = torch.randint(0, 30, (2, 9))
    assert torch.allclose(model(input_ids=ids).logits, eager(input_ids=ids).logits, atol=1e-6)


def test_a_bad_activation_is_one_line(capsys):
    assert main(["train", "task=depo", "device=cpu", "output_dir=null",
                 "model.activation=relu"]) == 2
    assert capsys.readouterr().err == ("synthset train: error: model.activation must be one of "
                                       "'gelu', 'gelu_new', got 'relu' (did you mean "
                                       "'gelu'?)\n")
    with pytest.raises(ConfigError, match="model.activation is available for type gpt2 only, "
                                          "not 'recurrent_olmo3'"):
        build_model(ModelConfig.from_dict({"type": "recurrent_olmo3", "n_embd": 32,
                                           "n_head": 2, "activation": "gelu_new"}), 30, 64)

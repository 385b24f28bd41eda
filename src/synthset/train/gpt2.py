"""GPT-2 in plain torch: the model of ``type: gpt2``.

Why not ``transformers.GPT2LMHeadModel``: importing transformers' modelling code costs a
training process about 170 MB (it loads scipy, sympy and torch's compiler), and its forward
pass does work a training step does not need (mask building, cache and output bookkeeping).
This module is the same network with the same parameter names, shapes and initialisation
(for a seed, the same weights as transformers builds), so a checkpoint is a Hugging Face GPT-2
folder: ``config.json`` in GPT2Config's keys and ``model.safetensors`` with the tied LM head
left out; ``transformers.AutoModelForCausalLM.from_pretrained`` reads it (without its Canon
layers), and ``GPT2.from_folder`` reads the folders transformers writes for GPT-2.

Attention is ``torch.nn.functional.scaled_dot_product_attention`` with ``is_causal``: no mask
is built. The MLP's activation is exact GELU (``gelu``) or GPT-2's tanh approximation
(``gelu_new``).

Imports ``core`` (torch; safetensors for checkpoints).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

from synthset.core.deps import require
from synthset.core.errors import ConfigError

torch = require("torch", "train", "synthset train")
nn, F = torch.nn, torch.nn.functional
INIT_STD = 0.02  # GPT-2's initializer_range
# config.json keys whose GPT-2 variants this module does not implement, with the value it does
PLAIN = {"add_cross_attention": False, "scale_attn_by_inverse_layer_idx": False,
         "scale_attn_weights": True, "tie_word_embeddings": True}


def gelu_new(x):
    """GPT-2's tanh approximation of GELU, as transformers computes it."""
    inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))
    return 0.5 * x * (1.0 + torch.tanh(inner))


# Exact GELU is torch's one kernel (nothing extra kept for the backward pass); GPT-2's tanh
# approximation is eight element-wise ops whose intermediates autograd keeps: slower, and
# more memory.
ACTIVATION = {"gelu": F.gelu, "gelu_new": gelu_new}


class Dense(nn.Module):
    """GPT-2's linear layer (transformers' ``Conv1D``): the weight stored (in, out)."""

    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))
        nn.init.normal_(self.weight, std=INIT_STD)

    def forward(self, x):
        out = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        return out.view(*x.shape[:-1], -1)


class Attention(nn.Module):
    def __init__(self, n_embd: int, n_head: int, dropout: float):
        super().__init__()
        self.c_attn, self.c_proj = Dense(n_embd, 3 * n_embd), Dense(n_embd, n_embd)
        self.n_head, self.attn_pdrop = n_head, dropout
        self.resid_dropout = nn.Dropout(dropout)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = (t.view(B, T, self.n_head, -1).transpose(1, 2)
                   for t in self.c_attn(x).split(C, dim=2))
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=self.attn_pdrop if self.training
                                           else 0.0, is_causal=T > 1)
        return self.resid_dropout(self.c_proj(y.transpose(1, 2).reshape(B, T, C)))


class MLP(nn.Module):
    def __init__(self, n_embd: int, activation: str, dropout: float):
        super().__init__()
        self.c_fc, self.c_proj = Dense(n_embd, 4 * n_embd), Dense(4 * n_embd, n_embd)
        self.act = ACTIVATION[activation]
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return self.dropout(self.c_proj(self.act(self.c_fc(x))))


class Block(nn.Module):
    def __init__(self, n_embd: int, n_head: int, activation: str, dropout: float, eps: float):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd, eps=eps)
        self.attn = Attention(n_embd, n_head, dropout)
        self.ln_2 = nn.LayerNorm(n_embd, eps=eps)
        self.mlp = MLP(n_embd, activation, dropout)

    def forward(self, x):
        x = self.attn(self.ln_1(x)) + x
        return x + self.mlp(self.ln_2(x))


def _init_weights(root: nn.Module, n_layer: int) -> None:
    """transformers' GPT-2 initialisation, drawn in its order (each module after its children),
    so a seed gives its weights: normal(0, 0.02) weights and zero biases, the two residual
    projections of a block at 0.02 / sqrt(2 n_layer)."""
    for child in root.children():
        _init_weights(child, n_layer)
    if isinstance(root, (Dense, nn.Linear, nn.Embedding)):
        nn.init.normal_(root.weight, std=INIT_STD)
        if getattr(root, "bias", None) is not None:
            nn.init.zeros_(root.bias)
    if isinstance(root, (Attention, MLP)):
        nn.init.normal_(root.c_proj.weight, std=INIT_STD / math.sqrt(2 * n_layer))


class CanonLayer(nn.Module):
    """``h + conv(h)``: a causal depthwise 1-D convolution over the sequence (each channel
    mixes the current and the ``kernel - 1`` previous positions), added back to its input."""

    def __init__(self, width: int, kernel: int):
        super().__init__()
        self.conv = nn.Conv1d(width, width, kernel, groups=width, padding=kernel - 1)

    def forward(self, h):
        return h + self.conv(h.transpose(1, 2))[..., : h.shape[1]].transpose(1, 2)

    def hook(self, module, args, output):
        """A forward hook: the Canon layer applied to ``module``'s output."""
        return self(output)


class Output:
    """What a forward pass returns, as a Hugging Face causal LM's output: ``logits`` and, with
    labels, ``loss`` (the looped model adds its halting figures)."""

    loss = logits = mean_steps = halting = kl = None

    def __init__(self, logits=None, loss=None):
        self.logits, self.loss = logits, loss


class GPT2(nn.Module):
    """``forward(input_ids, labels=None)``: labels aligned to the ids (shifted inside, -100
    ignored), as a Hugging Face causal LM. ``canon`` > 0: a Canon layer (``CanonLayer``) on
    the normalised input of every attention (Canon-A) and MLP (Canon-C)."""

    def __init__(self, vocab_size: int, n_positions: int, n_embd: int, n_layer: int,
                 n_head: int, activation: str = "gelu", dropout: float = 0.0, canon: int = 0,
                 layer_norm_epsilon: float = 1e-5):
        super().__init__()
        # Read as a Hugging Face model's (model.config.vocab_size), saved as GPT2Config's keys
        self.config = SimpleNamespace(
            vocab_size=vocab_size, n_positions=n_positions, n_embd=n_embd, n_layer=n_layer,
            n_head=n_head, activation_function=activation, resid_pdrop=dropout,
            embd_pdrop=dropout, attn_pdrop=dropout, layer_norm_epsilon=layer_norm_epsilon,
            canon=canon)
        self.vocab_size = vocab_size
        self.transformer = nn.Module()
        t = self.transformer
        t.wte, t.wpe = nn.Embedding(vocab_size, n_embd), nn.Embedding(n_positions, n_embd)
        t.drop = nn.Dropout(dropout)
        t.h = nn.ModuleList(Block(n_embd, n_head, activation, dropout, layer_norm_epsilon)
                            for _ in range(n_layer))
        t.ln_f = nn.LayerNorm(n_embd, eps=layer_norm_epsilon)
        _init_weights(t, n_layer)  # transformers initialises the body before the head exists
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
        _init_weights(self.lm_head, n_layer)
        self.lm_head.weight = t.wte.weight
        if canon:
            for block in t.h:
                block.canon_a = CanonLayer(n_embd, canon)
                block.canon_c = CanonLayer(n_embd, canon)
                block.ln_1.register_forward_hook(block.canon_a.hook)
                block.ln_2.register_forward_hook(block.canon_c.hook)

    def forward(self, input_ids, labels=None, **_):
        t = self.transformer
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        x = t.drop(t.wte(input_ids) + t.wpe(positions))
        for block in t.h:
            x = block(x)
        logits = self.lm_head(t.ln_f(x))
        if labels is None:
            return Output(logits)
        targets = F.pad(labels, (0, 1), value=-100)[..., 1:]
        loss = F.cross_entropy(logits.float().view(-1, logits.shape[-1]), targets.reshape(-1),
                               ignore_index=-100)
        return Output(logits, loss)

    def save_pretrained(self, folder) -> None:
        """``config.json`` (GPT2Config's keys) and ``model.safetensors`` in ``folder``."""
        from safetensors.torch import save_file

        folder = Path(str(folder))
        folder.mkdir(parents=True, exist_ok=True)
        config = {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"],
                  **vars(self.config), "n_inner": None, "initializer_range": INIT_STD, **PLAIN,
                  "bos_token_id": None, "eos_token_id": None}
        (folder / "config.json").write_text(json.dumps(config, indent=1) + "\n")
        tensors = {k: v.detach().contiguous() for k, v in self.state_dict().items()
                   if k != "lm_head.weight"}
        save_file(tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})

    @staticmethod
    def readable(config: dict) -> bool:
        """Whether a config.json describes a GPT-2 this module implements."""
        return (config.get("model_type") == "gpt2"
                and config.get("activation_function", "gelu_new") in ACTIVATION
                and config.get("n_inner") in (None, 4 * config.get("n_embd", 768))
                and all(config.get(k, v) == v for k, v in PLAIN.items()))

    @classmethod
    def from_folder(cls, folder: Path, config: dict) -> GPT2:
        """The model in a checkpoint folder (``readable(config)``, a model.safetensors), in
        evaluation mode."""
        from safetensors.torch import load_file

        path = folder / "model.safetensors"
        with torch.random.fork_rng(devices=[]):  # the caller's random stream left as it was
            model = cls(int(config["vocab_size"]), int(config["n_positions"]),
                        int(config["n_embd"]), int(config["n_layer"]), int(config["n_head"]),
                        config.get("activation_function", "gelu_new"),
                        float(config.get("resid_pdrop", 0.0)), int(config.get("canon") or 0),
                        float(config.get("layer_norm_epsilon", 1e-5)))
        tensors = load_file(str(path))
        tensors.setdefault("lm_head.weight", tensors.get("transformer.wte.weight"))
        missing, unexpected = model.load_state_dict(tensors, strict=False)
        unexpected = [k for k in unexpected if not k.endswith((".attn.bias",
                                                                ".attn.masked_bias"))]
        if missing or unexpected:
            raise ConfigError(f"{path}: not the weights its config.json describes (missing "
                              f"{missing[:3]}, unexpected {unexpected[:3]})")
        return model.eval()

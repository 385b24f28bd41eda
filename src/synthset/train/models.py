"""Models: a randomly initialised GPT-2 from a config (``gpt2``: ``synthset.train.gpt2``, in
plain torch, saved as a Hugging Face GPT-2), a local checkpoint, or a looped-depth (recurrent)
causal LM built from transformers' OLMo-2 decoder blocks; ``save_model`` and ``load_model``
write and read any of them in a checkpoint folder (safetensors, no pickles).

The recurrent model: a prelude of blocks, a recurrent stack applied ``loops`` times, a coda,
then the LM head. Options:
- ``inject_input_each_step``: add the input embedding to the loop state at every step;
- ``random_init_loop_state``: the loop starts from Gaussian noise, not the prelude's output
  (the prelude output is then injected);
- ``tbptt_steps``: gradients flow through the last n loop steps only (the state is detached
  before them);
- ``act``: adaptive computation — a halting head gives a probability per loop step (they sum
  to one: a stick-breaking distribution); the output is the expectation of the per-step
  logits, and ``kl_weight`` * KL(halting || geometric prior) joins the loss. ``mean_steps``
  reports the expected number of steps used.

Imports ``core`` and ``gpt2`` (torch, safetensors; transformers for the looped model and
checkpoints of other architectures only).
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from synthset.core.deps import require
from synthset.core.errors import ConfigError, bad_choice, unknown_key
from synthset.train.gpt2 import ACTIVATION, GPT2, Output

MODEL_TYPES = ("gpt2", "recurrent_olmo3", "from_pretrained")
ACTIVATIONS = tuple(ACTIVATION)  # GPT-2's MLP activations (synthset.train.gpt2)


@dataclass
class ACTConfig:
    enabled: bool = False
    kl_weight: float = 0.01
    prior_halt: float = 0.5  # the geometric prior's per-step halting probability


@dataclass
class RecurrentConfig:
    prelude_layers: int = 1
    recurrent_layers: int = 1
    coda_layers: int = 1
    loops: int = 4
    inject_input_each_step: bool = True
    random_init_loop_state: bool = False
    tbptt_steps: int | None = None


@dataclass
class ModelConfig:
    """Args:
        type: ``gpt2``, ``recurrent_olmo3`` or ``from_pretrained``.
        n_layer, n_embd, n_head, dropout: the transformer's size (GPT-2 naming).
        name_or_path: a local checkpoint folder (``from_pretrained``; no hub downloads).
        canon: kernel size of Canon layers (``gpt2`` only; 0 = none): a causal depthwise
            convolution added back to the input of every attention and MLP (Allen-Zhu,
            "Physics of Language Models: Part 4.1"), so each position sees its neighbours.
        activation: the MLP's activation (``gpt2`` only): ``gelu`` or ``gelu_new``
            (``ACTIVATIONS``); a checkpoint records it in config.json and loads with it.
        recurrent, act: the looped model's options.
    """

    type: str = "gpt2"
    n_layer: int = 2
    n_embd: int = 128
    n_head: int = 4
    dropout: float = 0.0
    name_or_path: str | None = None
    canon: int = 0
    activation: str = "gelu"
    recurrent: RecurrentConfig = field(default_factory=RecurrentConfig)
    act: ACTConfig = field(default_factory=ACTConfig)

    @classmethod
    def from_dict(cls, d: dict) -> ModelConfig:
        d = dict(d or {})
        rec = RecurrentConfig(**d.pop("recurrent", {}) or {})
        act = ACTConfig(**d.pop("act", {}) or {})
        names = {f for f in cls.__dataclass_fields__}
        for key in d:
            if key not in names:
                raise unknown_key(key, names, where="model")
        return cls(**d, recurrent=rec, act=act)

    def validate(self) -> None:
        if self.type not in MODEL_TYPES:
            raise bad_choice("model.type", self.type, MODEL_TYPES)
        if self.type == "from_pretrained":
            if not self.name_or_path or not Path(self.name_or_path).is_dir():
                raise ConfigError(
                    f"model.name_or_path {self.name_or_path!r} is not a local folder: synthset "
                    "loads checkpoints from local paths only (the hub is not reachable); save "
                    "one with model.save_pretrained(PATH)")
        elif isinstance(self.canon, bool) or not isinstance(self.canon, int) or self.canon < 0:
            raise ConfigError(f"model.canon must be a kernel size >= 0 (0 = no Canon layers), "
                              f"got {self.canon!r}")
        elif self.canon and self.type != "gpt2":
            raise ConfigError(f"model.canon is available for type gpt2 only, not "
                              f"{self.type!r}")
        elif self.activation not in ACTIVATIONS:
            raise bad_choice("model.activation", self.activation, ACTIVATIONS)
        elif self.activation != "gelu" and self.type != "gpt2":
            raise ConfigError(f"model.activation is available for type gpt2 only, not "
                              f"{self.type!r}")
        elif self.n_embd % self.n_head:
            raise ConfigError(f"model.n_embd ({self.n_embd}) must be a multiple of n_head "
                              f"({self.n_head})")


def build_model(cfg: ModelConfig, vocab_size: int, n_positions: int):
    cfg.validate()
    if cfg.type == "from_pretrained":
        return load_model(cfg.name_or_path)
    if cfg.type == "gpt2":
        return GPT2(vocab_size, n_positions, cfg.n_embd, cfg.n_layer, cfg.n_head,
                    cfg.activation, cfg.dropout, cfg.canon)
    return LoopedLM(cfg, vocab_size, n_positions)


LOOPED = "synthset_looped"  # config.json's model_type for the looped model


def save_model(model, folder) -> None:
    """The model's ``config.json`` and ``model.safetensors`` in ``folder``: GPT-2 and a
    transformers model through ``save_pretrained``; the looped model as its ModelConfig,
    vocabulary size and context in config.json and its state dict in safetensors."""
    folder = Path(folder)
    if isinstance(model, GPT2):
        model.save_pretrained(folder)
        return
    if not isinstance(model, LoopedLM):
        with _no_progress_bars():
            model.save_pretrained(folder, safe_serialization=True)
        return
    from safetensors.torch import save_model as save_tensors

    config = {"model_type": LOOPED, "vocab_size": model.vocab_size,
              "n_positions": model.n_positions, "synthset": asdict(model.cfg)}
    (folder / "config.json").write_text(json.dumps(config, indent=1) + "\n")
    save_tensors(model, str(folder / "model.safetensors"))


def load_model(folder):
    """A model saved in a local folder (``save_model``, or any transformers causal LM saved
    with ``save_pretrained``), in evaluation mode. Reads JSON and safetensors (or an older
    ``pytorch_model.bin`` through transformers, which loads it with ``weights_only=True``);
    never runs code from the folder. A GPT-2 in safetensors loads as ``gpt2.GPT2``, without
    importing transformers."""
    folder = Path(str(folder))
    path = folder / "config.json"
    if not path.is_file():
        raise ConfigError(f"{folder}: not a local checkpoint folder (no config.json); "
                          "synthset loads models from local files only")
    try:
        config = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path} is not a readable JSON file ({exc})") from None
    if config.get("model_type") == LOOPED:
        from safetensors.torch import load_model as load_tensors

        cfg = ModelConfig.from_dict(config["synthset"])
        model = LoopedLM(cfg, int(config["vocab_size"]), int(config["n_positions"]))
        if not (folder / "model.safetensors").is_file():
            raise ConfigError(f"{folder}: no model.safetensors beside its config.json")
        load_tensors(model, str(folder / "model.safetensors"))
        return model.eval()
    if GPT2.readable(config) and (folder / "model.safetensors").is_file():
        return GPT2.from_folder(folder, config)
    transformers = require("transformers", "train", "loading a checkpoint")
    with _no_progress_bars():
        return transformers.AutoModelForCausalLM.from_pretrained(
            str(folder), local_files_only=True, trust_remote_code=False).eval()


@contextmanager
def _no_progress_bars():
    """transformers' progress bars off: a bar per checkpoint would break up the log."""
    from transformers.utils import logging

    shown = logging.is_progress_bar_enabled()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        if shown:
            logging.enable_progress_bar()


def model_vocab_size(model) -> int:
    """How many token ids the model reads."""
    if isinstance(model, (LoopedLM, GPT2)):
        return model.vocab_size
    return int(model.get_input_embeddings().num_embeddings)


def _torch():
    return require("torch", "train", "synthset train")


class LoopedLM(_torch().nn.Module):
    """The looped-depth causal LM (see the module docstring). ``forward(input_ids, labels)``
    returns an object with ``loss`` and ``logits`` like a Hugging Face causal LM, plus
    ``mean_steps`` and ``halting`` (B, T, loops) when ACT is on."""

    def __init__(self, cfg: ModelConfig, vocab_size: int, n_positions: int):
        torch = _torch()
        super().__init__()
        from transformers import Olmo2Config
        from transformers.models.olmo2 import modeling_olmo2 as olmo

        self.cfg, self.vocab_size, self.n_positions = cfg, vocab_size, n_positions
        r = cfg.recurrent
        if r.loops < 1:
            raise ConfigError(f"model.recurrent.loops must be >= 1, got {r.loops}")
        if r.tbptt_steps is not None and not 1 <= r.tbptt_steps <= r.loops:
            raise ConfigError(f"model.recurrent.tbptt_steps must be in [1, loops={r.loops}], "
                              f"got {r.tbptt_steps}")
        oc = Olmo2Config(vocab_size=vocab_size, hidden_size=cfg.n_embd,
                         intermediate_size=4 * cfg.n_embd, num_attention_heads=cfg.n_head,
                         num_hidden_layers=r.prelude_layers + r.recurrent_layers + r.coda_layers,
                         max_position_embeddings=n_positions, bos_token_id=None,
                         eos_token_id=None, pad_token_id=None)
        oc._attn_implementation = "eager"
        self.embed = torch.nn.Embedding(vocab_size, cfg.n_embd)
        self.rotary = olmo.Olmo2RotaryEmbedding(oc)
        layer = iter(range(oc.num_hidden_layers))
        self.prelude = torch.nn.ModuleList(olmo.Olmo2DecoderLayer(oc, next(layer))
                                           for _ in range(r.prelude_layers))
        self.recurrent = torch.nn.ModuleList(olmo.Olmo2DecoderLayer(oc, next(layer))
                                             for _ in range(r.recurrent_layers))
        self.coda = torch.nn.ModuleList(olmo.Olmo2DecoderLayer(oc, next(layer))
                                        for _ in range(r.coda_layers))
        self.norm = olmo.Olmo2RMSNorm(cfg.n_embd, eps=oc.rms_norm_eps)
        self.head = torch.nn.Linear(cfg.n_embd, vocab_size, bias=False)
        self.halt = torch.nn.Linear(cfg.n_embd, 1) if cfg.act.enabled else None
        self.apply(self._init)

    @staticmethod
    def _init(module):
        torch = _torch()
        if isinstance(module, (torch.nn.Linear, torch.nn.Embedding)):
            torch.nn.init.normal_(module.weight, std=0.02)
            if getattr(module, "bias", None) is not None:
                torch.nn.init.zeros_(module.bias)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def _stack(self, layers, h, mask, pe):
        for layer in layers:
            h = layer(h, attention_mask=mask, position_embeddings=pe)
        return h

    def forward(self, input_ids, labels=None, attention_mask=None, **_):
        torch = _torch()
        F = torch.nn.functional
        r, act = self.cfg.recurrent, self.cfg.act
        B, T = input_ids.shape
        pos = torch.arange(T, device=input_ids.device)[None].expand(B, -1)
        x = self.embed(input_ids)
        pe = self.rotary(x, pos)
        mask = torch.full((T, T), float("-inf"), device=x.device).triu(1)[None, None]
        h = self._stack(self.prelude, x, mask, pe)
        inject = h if r.random_init_loop_state else x
        state = torch.randn_like(h) * 0.02 if r.random_init_loop_state else h
        per_step_logits, halts = [], []
        for step in range(r.loops):
            if r.tbptt_steps is not None and step == r.loops - r.tbptt_steps:
                state = state.detach()
            if r.inject_input_each_step or (r.random_init_loop_state and step == 0):
                state = state + inject
            state = self._stack(self.recurrent, state, mask, pe)
            if act.enabled:
                per_step_logits.append(self.head(self.norm(self._stack(self.coda, state, mask,
                                                                       pe))))
                halts.append(torch.sigmoid(self.halt(state)).squeeze(-1))
        out = Output()
        if act.enabled:
            # Stick-breaking: p_t = h_t * prod_{s<t} (1 - h_s); the last step takes the rest,
            # so the probabilities over steps sum to one.
            probs, remaining = [], torch.ones_like(halts[0])
            for t, h_t in enumerate(halts):
                p_t = remaining if t == r.loops - 1 else remaining * h_t
                probs.append(p_t)
                remaining = remaining * (1 - h_t)
            p = torch.stack(probs, dim=-1)  # (B, T, loops)
            logp = torch.stack([F.log_softmax(lg, -1) for lg in per_step_logits], dim=-2)
            logits = torch.logsumexp(logp + torch.log(p.clamp_min(1e-12))[..., None], dim=-2)
            prior = torch.tensor([act.prior_halt * (1 - act.prior_halt) ** t
                                  for t in range(r.loops)], device=x.device)
            prior = prior / prior.sum()
            kl = (p * (torch.log(p.clamp_min(1e-12)) - torch.log(prior))).sum(-1).mean()
            steps = torch.arange(1, r.loops + 1, device=x.device, dtype=p.dtype)
            out.halting, out.kl = p, kl
            out.mean_steps = float((p.detach() * steps).sum(-1).mean())
        else:
            logits = self.head(self.norm(self._stack(self.coda, state, mask, pe)))
            out.mean_steps = float(r.loops)
        out.logits = logits
        if labels is not None:
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]),
                                   labels[:, 1:].reshape(-1), ignore_index=-100)
            if act.enabled:
                loss = loss + act.kl_weight * out.kl
            out.loss = loss
        return out


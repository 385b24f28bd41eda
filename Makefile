# Two commands (README): `make demo` and `make test`. Each makes its own .venv and installs
# what it needs (a stamp file per install; editing pyproject.toml reinstalls).
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
# The test run installs the ray, hf, sage and rl extras too: executors, loaders, the Sage backend
# and the GRPO example are tested for real (passagemath, with
# `sage.all`: ~3 min here, ~3.6 GB).
TEST_EXTRAS ?= test,ray,hf,sage,rl

.PHONY: demo test bench clean peers reference

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.core: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

# torch is pinned first: the CPU build of 2.13.0 is on this machine's disk; an unpinned torch
# would pull a multi-GB CUDA build.
$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[$(TEST_EXTRAS)]"
	# OpenRLHF's reward loader and dataset code without its GPU stack (flash-attn does not
	# build without CUDA): what tests/rl/ import of it comes with the extras above.
	$(BIN)/pip install --quiet --no-deps openrlhf==0.11.2
	touch $@

demo: $(VENV)/.core
	$(BIN)/synthset generate examples/integer_sum/configs/data.yaml
	$(BIN)/synthset status datasets/demo
	@echo "--- datasets/demo/train_stats.yaml"; cat datasets/demo/train_stats.yaml

test: $(VENV)/.test
	$(BIN)/python -m pytest -q

# docs/reference/ is written from the code (tests/test_reference.py says when it is stale).
reference: $(VENV)/.core
	$(BIN)/python scripts/make_reference.py

bench: $(VENV)/.test peers
	$(BIN)/python bench/bench_engine.py --write

# Peers for bench/ (never dependencies of synthset): calt-x in its own git-ignored venv.
# torch is pinned first: unpinned, pip pulls a 5.8 GB CUDA build.
# calt-x's Sage backend runs on the modular passagemath wheels (the version the Sage golden
# files in tests/golden/ were made with, and synthset's test venv holds): calt-x imports
# `sage.all`, which those wheels provide as `sage.all__sagemath_singular`, so the peer venv
# (only it) gets bench/sage_all_shim.py as its `sage/all.py`.
PASSAGEMATH ?= 10.8.13
PEER = bench/.peers/calt
peers: $(PEER)/bin/python $(PEER)/.sage
$(PEER)/bin/python:
	$(PYTHON) -m venv $(PEER)
	$(PEER)/bin/pip install --quiet torch==2.13.0
	$(PEER)/bin/pip install --quiet calt-x==1.5.0
$(PEER)/.sage: bench/sage_all_shim.py | $(PEER)/bin/python
	$(PEER)/bin/pip install --quiet passagemath-singular==$(PASSAGEMATH) \
		passagemath-flint==$(PASSAGEMATH)
	cp bench/sage_all_shim.py "$$($(PEER)/bin/python -c 'import os, sage.all__sagemath_singular as m; print(os.path.dirname(m.__file__))')/all.py"
	$(PEER)/bin/python -c "from sage.all import PolynomialRing, ZZ; import calt.dataset.sagemath"
	touch $@

# nanoGPT for bench/bench_nanogpt.py (its train.py, run beside synthset's trainer; nothing of it
# is imported by synthset), at a pinned commit. NANOGPT_REPO: where to clone it from (a mirror).
NANOGPT_REPO ?= https://github.com/karpathy/nanoGPT
NANOGPT_COMMIT = 3adf61e154c3fe3fca428ad6bc3818b27a3b8291
NANOGPT = bench/.peers/nanoGPT
peers: $(NANOGPT)/.pinned
$(NANOGPT)/.pinned:
	rm -rf $(NANOGPT)
	git clone --quiet $(NANOGPT_REPO) $(NANOGPT)
	git -C $(NANOGPT) checkout --quiet $(NANOGPT_COMMIT)
	touch $@

# reasoning-gym for bench/bench_score.py (its score_answer, run beside synthset's), pinned.
RG_VERSION = 0.1.25
RG_PEER = bench/.peers/rg
peers: $(RG_PEER)/.installed
$(RG_PEER)/.installed:
	$(PYTHON) -m venv $(RG_PEER)
	$(RG_PEER)/bin/pip install --quiet reasoning-gym==$(RG_VERSION)
	touch $@

clean:
	rm -rf $(VENV) datasets build src/*.egg-info

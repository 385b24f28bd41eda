# Two commands (README): `make demo` and `make test`. Each makes its own .venv and installs
# what it needs (a stamp file per install; editing pyproject.toml reinstalls).
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
# The test run installs the ray, hf and sage extras too: executors, loaders and the Sage backend
# are tested for real (passagemath installs in ~20 s here, 1.3 GB).
TEST_EXTRAS ?= test,ray,hf,sage

.PHONY: demo test bench clean peers

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
	touch $@

demo: $(VENV)/.core
	$(BIN)/synthset generate examples/integer_sum/configs/data.yaml
	$(BIN)/synthset status datasets/demo
	@echo "--- datasets/demo/train_stats.yaml"; cat datasets/demo/train_stats.yaml

test: $(VENV)/.test
	$(BIN)/python -m pytest -q

bench: $(VENV)/.test peers
	$(BIN)/python bench/bench_engine.py --write

# Peers for bench/ (never dependencies of synthset): calt-x in its own git-ignored venv.
# torch is pinned first: unpinned, pip pulls a 5.8 GB CUDA build.
peers: bench/.peers/calt/bin/python
bench/.peers/calt/bin/python:
	$(PYTHON) -m venv bench/.peers/calt
	bench/.peers/calt/bin/pip install --quiet torch==2.13.0
	bench/.peers/calt/bin/pip install --quiet calt-x==1.5.0

clean:
	rm -rf $(VENV) datasets build src/*.egg-info

# Two commands (README): `make demo` and `make test`. Each makes its own .venv.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
# The test run installs the ray and hf extras too: their executors and loaders are tested for real.
EXTRAS ?= test,ray,hf

.PHONY: demo test venv bench clean peers

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

venv: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[$(EXTRAS)]"

demo: venv
	$(BIN)/synthset generate examples/integer_sum/configs/data.yaml
	$(BIN)/synthset status datasets/demo
	@echo "--- datasets/demo/train_stats.yaml"; cat datasets/demo/train_stats.yaml

test: venv
	SYNTHSET_TEST=1 $(BIN)/python -m pytest -q

bench: venv
	$(BIN)/python bench/bench_engine.py --write

clean:
	rm -rf $(VENV) datasets build src/*.egg-info

# Peers for bench/ (never dependencies of synthset): calt-x in its own git-ignored venv.
# torch is pinned first: unpinned, pip pulls a 5.8 GB CUDA build.
peers: bench/.peers/calt/bin/python
bench/.peers/calt/bin/python:
	$(PYTHON) -m venv bench/.peers/calt
	bench/.peers/calt/bin/pip install --quiet torch==2.13.0
	bench/.peers/calt/bin/pip install --quiet calt-x==1.5.0

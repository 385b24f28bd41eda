# Two commands (README): `make demo` and `make test`. Each makes its own .venv.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
# The test run installs the ray and hf extras too: their executors and loaders are tested for real.
EXTRAS ?= test,ray,hf

.PHONY: demo test venv bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

venv: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[$(EXTRAS)]"

demo: venv
	$(BIN)/synthset generate examples/integer_sum/configs/data.yaml

test: venv
	SYNTHSET_TEST=1 $(BIN)/python -m pytest -q

bench: venv
	$(BIN)/python bench/bench_engine.py

clean:
	rm -rf $(VENV) datasets build src/*.egg-info

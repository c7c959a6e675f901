# Backprop, tested: the two commands are `make book` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Determinism for everything run from here.
export PYTHONHASHSEED := 0
export SOURCE_DATE_EPOCH := 1767225600

.PHONY: help venv export clean-nbs sync-check lint nbtest pytest book book-only determinism test serve lab bench clean

help:
	@echo "make book   build the HTML book into _build/html (sets up .venv first)"
	@echo "make test   every check: export sync, clean notebooks, lint, types, nbdev_test, book, pytest"
	@echo "make serve  serve the built book on http://127.0.0.1:8000"
	@echo "make lab    JupyterLab on nbs/"
	@echo "make bench  the performance benchmark (not part of make test)"

$(STAMP): requirements.txt pyproject.toml
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PY=...)")'
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

venv: $(STAMP)

# Notebooks -> package.
export: venv
	$(BIN)/nbdev_export

# Strip outputs and metadata from the notebooks (they are stored clean).
clean-nbs: venv
	$(BIN)/nbdev_clean

# Fails if nbdev_export or nbdev_clean would change anything.
sync-check: venv
	PATH=$(CURDIR)/$(BIN):$$PATH bash tools/check_sync.sh

lint: venv
	$(BIN)/ruff check backprop_book tests $(wildcard bench) tools _ext
	$(BIN)/mypy

nbtest: venv
	TQDM_DISABLE=1 MPLBACKEND=Agg $(BIN)/nbdev_test --n_workers 2 --do_print

book-only: venv
	$(BIN)/jupyter-book build . -W --keep-going --all
	@echo "The book is at $(CURDIR)/_build/html/index.html"

book: export book-only

# Chapters re-executed after the build; their text outputs must match the built book exactly.
DETERMINISM_CHAPTERS ?= 01_gradcheck 02_perceptron 11_rhw1986
determinism: venv
	$(BIN)/python tools/check_determinism.py $(DETERMINISM_CHAPTERS)

pytest: venv
	$(BIN)/python -m pytest -n 2

test: venv sync-check lint nbtest book-only determinism pytest
	@echo "make test: all checks passed"

serve:
	@test -f _build/html/index.html || { echo "No built book: run 'make book' first"; exit 1; }
	$(PY) -m http.server --bind 127.0.0.1 --directory _build/html 8000

lab: venv
	$(BIN)/jupyter lab nbs/

bench: venv
	$(BIN)/python bench/run.py

clean:
	rm -rf _build .pytest_cache .mypy_cache .ruff_cache .hypothesis

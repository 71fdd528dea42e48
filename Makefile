# Every target sets itself up: the first one run creates .venv and installs the
# pinned dependencies of pyproject.toml (Python 3.11 and make are all it needs).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
JOBS   ?= $(shell nproc 2>/dev/null || echo 2)
# Jupyter refuses to run as root (a container, a fresh VM) unless told it may.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: help setup book test lab release grade validate bench clean

help:
	@echo "make book      build the HTML book into _build/html"
	@echo "make test      run every test (dlcore, notebooks, grading pipeline, book)"
	@echo "make lab       JupyterLab with nbgrader, opened on chapters/ (students)"
	@echo "make release   regenerate chapters/ from solutions/ with nbgrader"
	@echo "make grade     autograde submitted/<student>/<chapter>/ -> grades.csv, feedback/"
	@echo "make validate  solutions score full marks, stubs score zero, chapters/ in sync"
	@echo "make bench     performance benchmarks (ratios measured side by side)"

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is needed, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[course]"
	$(BIN)/jupyter labextension list 2>&1 | grep -q nbgrader || echo "warning: nbgrader's lab extension is not listed"
	touch $(STAMP)

book: $(STAMP)
	rm -rf _build/html _build/jupyter_execute _build/.doctrees
	DLCORE_EXPLORER=static $(BIN)/jupyter-book build --all -W -n --keep-going .
	@echo
	@echo "The book is built. Open: file://$(CURDIR)/_build/html/index.html"

test: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) --dist loadgroup

lab: $(STAMP)
	DLCORE_EXPLORER=live $(BIN)/jupyter lab --notebook-dir=chapters $(ALLOW_ROOT)

release: $(STAMP)
	$(BIN)/python -m dlcore.course release

grade: $(STAMP)
	$(BIN)/python -m dlcore.course grade --jobs $(JOBS)

validate: $(STAMP)
	$(BIN)/python -m dlcore.course validate

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf _build .pytest_cache .hypothesis

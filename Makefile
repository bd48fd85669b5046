# Two commands do everything (see README):
#   make train   creates .venv if missing, then trains and evaluates on the real Quick, Draw! bitmaps
#   make test    creates .venv if missing, then runs every notebook's tests (nbdev_test) and the repo checks
# Extra arguments for the main job: make train ARGS="--epochs 3 --arch resnet10t"

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
ARGS   ?=

.PHONY: train test env export clean-nbs readme docs

env: $(STAMP)

$(STAMP): settings.ini setup.py constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

train: $(STAMP)
	$(BIN)/qd_train $(ARGS)

test: $(STAMP)
	$(BIN)/python tools/run_tests.py $(ARGS)

export: $(STAMP)
	$(BIN)/nbdev_export

clean-nbs: $(STAMP)
	$(BIN)/nbdev_clean

readme: $(STAMP)
	$(BIN)/python tools/make_readme.py

docs: $(STAMP)
	$(BIN)/python tools/build_docs.py

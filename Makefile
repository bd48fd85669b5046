# Two commands do everything (see README):
#   make train   creates .venv if missing, then trains and evaluates the bitmaps recipe on the real Quick, Draw! bitmaps
#                (../shared/data/quickdraw/bitmap beside the checkout, else downloaded into data/)
#   make test    creates .venv if missing, then runs every notebook's tests (nbdev_test) and the repo checks
# Extra arguments for the main job: make train ARGS="--epochs 3 --arch resnet10t"

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
ARGS   ?=
# the real bitmaps beside this checkout, when they are there (the library itself never looks for ../shared)
SHARED_BITMAPS := $(wildcard ../shared/data/quickdraw/bitmap)
TRAIN_DATA := $(if $(SHARED_BITMAPS),--data $(SHARED_BITMAPS))

.PHONY: train test browser env export clean-nbs readme docs

env: $(STAMP)

$(STAMP): settings.ini setup.py constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@avail=$$(df -Pk . | awk 'NR==2{print $$4}'); [ "$$avail" -ge 8000000 ] || echo "make env: warning: $$((avail/1048576)) GB free here; the environment (torch with its CUDA libraries) needs about 7 GB" >&2
	$(BIN)/python -m pip install --disable-pip-version-check -q -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

train: $(STAMP)
	$(BIN)/qd_train $(TRAIN_DATA) --recipe bitmaps $(ARGS)

test: $(STAMP) browser
	$(BIN)/python tools/run_tests.py $(ARGS)

# the serve notebook tests its drawing page in headless Chromium: Debian's package (playwright downloads no browser)
browser:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	  { echo 'installing Debian chromium for the browser test (apt-get, ~1 minute)'; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium) >/dev/null 2>&1 || \
	    echo 'could not install chromium: install it (Debian/Ubuntu: apt-get install chromium) for the browser test' >&2; }

export: $(STAMP)
	$(BIN)/nbdev_export

clean-nbs: $(STAMP)
	$(BIN)/nbdev_clean

readme: $(STAMP)
	$(BIN)/python tools/make_readme.py

docs: $(STAMP)
	$(BIN)/python tools/build_docs.py

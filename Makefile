# Two commands do all the set-up: `make course` and `make test` (see README.md).
# Both create the virtual environment .venv if it is missing and fetch the data.

PYTHON  ?= $(shell command -v python3.11 || command -v python3)
VENV    := .venv
BIN     := $(VENV)/bin
PROFILE ?=
# A CPU build of PyTorch, installed before the `backends` extra so that pip does not pull a
# CUDA build of several GB (on a machine with an NVIDIA GPU, set TORCH to a CUDA build).
TORCH   ?= torch==2.13.0
DEBIAN_FMNIST := /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz

.PHONY: help env data course test test-torch-notebooks lab clean

help:
	@echo "make course [PROFILE=smoke|cpu|gpu]  run every notebook headless into build/"
	@echo "make test                            run the whole test suite"
	@echo "make test-torch-notebooks            run every notebook on PyTorch (not part of make test)"
	@echo "make lab                             open the notebooks in JupyterLab"
	@echo "make data                            find or download Fashion-MNIST"
	@echo "make clean                           remove build/ (keeps .venv)"

env: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "Python 3.10 or newer is needed, found " + sys.version' 
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[cpu,backends,course,dev]"
	touch $@

# Debian's dataset-fashion-mnist package gives the data offline; installed when we are root
# with apt. Otherwise (or if that fails) the library downloads it, verified by checksum.
data: env
	@if [ ! -e $(DEBIAN_FMNIST) ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's dataset-fashion-mnist"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null) \
		|| echo "apt-get could not install dataset-fashion-mnist; falling back to the download"; \
	fi
	$(BIN)/python -m prodimg_lib.data fetch

course: data
	$(BIN)/prodimg course $(if $(PROFILE),--profile $(PROFILE))

# The suite on the three Keras backends: TensorFlow (library, notebooks, nbval), then JAX
# (library and notebooks) and PyTorch (library) with TensorFlow made unimportable. The tests
# spread over TEST_WORKERS processes (pytest-xdist; the notebooks run in order on one of them).
TEST_WORKERS ?= auto
PYTEST := $(BIN)/python -m pytest -n $(TEST_WORKERS)
test: env
	-@$(MAKE) --no-print-directory data
	KERAS_BACKEND=tensorflow $(PYTEST)
	KERAS_BACKEND=jax PRODIMG_BLOCK_TENSORFLOW=1 $(PYTEST) tests
	KERAS_BACKEND=torch PRODIMG_BLOCK_TENSORFLOW=1 $(PYTEST) tests --ignore=tests/test_notebooks.py

# The notebooks on PyTorch (not in `make test`, which would then run past 30 minutes on 2 cores).
test-torch-notebooks: env
	KERAS_BACKEND=torch PRODIMG_BLOCK_TENSORFLOW=1 $(BIN)/python -m pytest tests/test_notebooks.py

lab: env
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf build

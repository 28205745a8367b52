# AnyScene: `make demo`, `make test`, `make bench`.
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
EXTRAS ?= dev
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(EXTRAS)

.PHONY: setup demo test bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@if ! ldconfig -p 2>/dev/null | grep -q libusb-1.0.so.0; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    (apt-get install -y libusb-1.0-0 >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y libusb-1.0-0 >/dev/null)); \
	  else echo "open3d needs libusb: run 'sudo apt-get install -y libusb-1.0-0'"; exit 1; fi; fi
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q "$(TORCH_SPEC)"
	@$(PY) -m pip install -q -e ".[$(EXTRAS)]"
	@touch $@

demo: $(STAMP)
	@$(VENV)/bin/anyscene generate layouts/urban_street.yaml --out out/demo --duration 4 --resolution 800x450 --overwrite

test: $(STAMP)
	@$(PY) -m pytest -q

bench: $(STAMP)
	@$(PY) tools/bench.py --out bench.json

clean:
	rm -rf $(VENV) out bench.json

# AnyScene: `make demo`, `make test`, `make bench`. Set-up is part of each and is quick when nothing changed.
PYTHON ?= python3
VENV ?= .venv
# A user with a GPU may pick another build, e.g. `make test TORCH_SPEC="torch==2.13.0 --index-url ..."`.
TORCH_SPEC ?= torch==2.13.0
EXTRAS ?= dev
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(EXTRAS)
LOG := $(VENV)/install.log
DEMO_LAYOUT ?= layouts/urban_street.yaml
DEMO_OUT ?= out/demo

.PHONY: setup demo test bench bench-sim2real clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@if ! ldconfig -p 2>/dev/null | grep -q libusb-1.0.so.0; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "installing libusb-1.0-0 (needed by open3d)"; \
	    (apt-get install -y libusb-1.0-0 >/dev/null 2>&1 || \
	     (apt-get update >/dev/null 2>&1 && apt-get install -y libusb-1.0-0 >/dev/null 2>&1)) || \
	     { echo "could not install libusb-1.0-0: run 'apt-get install -y libusb-1.0-0'"; exit 1; }; \
	  else echo "open3d needs libusb: run 'sudo apt-get install -y libusb-1.0-0'"; exit 1; fi; fi
	@# chromium + chromium-driver: the editor's end-to-end browser test (it skips, saying why, without them)
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "installing chromium and chromium-driver (editor browser test)"; \
	    (apt-get install -y chromium chromium-driver >/dev/null 2>&1 || \
	     (apt-get update >/dev/null 2>&1 && apt-get install -y chromium chromium-driver >/dev/null 2>&1)) || \
	     echo "could not install chromium: the editor's browser test will be skipped"; \
	  else echo "hint: 'sudo apt-get install -y chromium chromium-driver' enables the editor's browser test"; fi; fi
	@if ! ldconfig -p 2>/dev/null | grep -q libEGL.so.1 || ! ls /usr/lib/*/dri/swrast_dri.so >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "installing libegl1 libgl1-mesa-dri (headless OpenGL for the GL camera path)"; \
	    (apt-get install -y libegl1 libgl1-mesa-dri >/dev/null 2>&1 || \
	     (apt-get update >/dev/null 2>&1 && apt-get install -y libegl1 libgl1-mesa-dri >/dev/null 2>&1)) || \
	     { echo "could not install libegl1 libgl1-mesa-dri: run 'apt-get install -y libegl1 libgl1-mesa-dri'"; exit 1; }; \
	  else echo "the GL camera path needs EGL: run 'sudo apt-get install -y libegl1 libgl1-mesa-dri'"; exit 1; fi; fi
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "installing into $(VENV) (log: $(LOG))"
	@$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install $(TORCH_SPEC) >$(LOG) 2>&1 || { cat $(LOG); exit 1; }
	@$(PY) -m pip install -e ".[$(EXTRAS)]" >>$(LOG) 2>&1 || { tail -50 $(LOG); exit 1; }
	@touch $@

demo: $(STAMP)
	@$(VENV)/bin/anyscene generate $(DEMO_LAYOUT) --out $(DEMO_OUT) --duration 4 --resolution 800x450 --overwrite
	@echo "dataset: $(DEMO_OUT)  (nuScenes version v1.0-anyscene)"
	@echo "preview video: $$(ls $(DEMO_OUT)/previews/*.mp4)"

test: $(STAMP)
	@$(PY) -m pytest -q --durations=15

bench: $(STAMP)
	@$(PY) tools/bench.py --out bench.json

# the detector benchmark on real nuScenes (docs/perception.md); SIM2REAL_ARGS e.g. "--steps 300" or "--quick"
bench-sim2real: $(STAMP)
	@$(PY) tools/bench_sim2real.py $(SIM2REAL_ARGS)

clean:
	rm -rf $(VENV) out bench.json

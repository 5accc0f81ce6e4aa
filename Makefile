# Two commands do all the set-up on a fresh machine (see README.md):
#   make demo   install eventcoder and run the whole pipeline on the bundled demo (no server)
#   make test   install eventcoder, a Label Studio server, headless Chromium and a Java runtime,
#               run ruff, mypy and every test
PYTHON ?= python3
VENV := .venv
LS_VENV := .ls-venv
LS_VERSION := 1.23.2

.PHONY: demo test install install-test label-studio chromium java

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip

install: $(VENV)/bin/python
	$(VENV)/bin/python -m pip install --quiet -e .

# irrcac (the reference the Fleiss/AC1 tests compare against) pins scipy==1.12.0 and pandas<3,
# which cannot live beside label-studio-sdk's numpy>=2.2: it goes in without its pins (its code
# runs on current scipy and pandas; the tests prove it on every run).
install-test: $(VENV)/bin/python
	$(VENV)/bin/python -m pip install --quiet -e '.[test]'
	$(VENV)/bin/python -m pip install --quiet --no-deps 'irrcac>=0.4.4'

# Label Studio is 1 GB of dependencies that eventcoder itself does not need: it lives in its own
# virtualenv and the tests start it from there.
label-studio: $(LS_VENV)/bin/label-studio
$(LS_VENV)/bin/label-studio:
	$(PYTHON) -m venv $(LS_VENV)
	$(LS_VENV)/bin/python -m pip install --quiet label-studio==$(LS_VERSION)

# The HTML report is checked in a real headless Chromium (Debian packages).
chromium:
	@command -v chromedriver >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium chromium-driver >/dev/null; fi; }

# A test reads a partitioned release with Spark (pyspark, in the test extra), which needs a Java 17+
# runtime: Debian's default one, installed only when there is no java at all.
java:
	@command -v java >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq default-jre-headless >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq default-jre-headless >/dev/null; fi; }

demo: install
	$(VENV)/bin/eventcoder demo

# Lint and types first (seconds), then every test.
test: install-test label-studio chromium java
	$(VENV)/bin/ruff check eventcoder tests bench
	$(VENV)/bin/mypy
	EVENTCODER_LABEL_STUDIO=$(CURDIR)/$(LS_VENV)/bin/label-studio $(VENV)/bin/python -m pytest

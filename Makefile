# The commands of the README: `make sandbox`, `make run` and `make test`. Each sets everything up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run sandbox test chromium lint format i18n-extract i18n-update bench clean

# The browser test of the sandbox drives Debian's chromium (never a downloaded browser).
CHROMIUM ?= /usr/bin/chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-fake: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[fake]"
	touch $@ $(VENV)/.installed-run

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@ $(VENV)/.installed-run $(VENV)/.installed-fake

run: $(VENV)/.installed-run
	@$(BIN)/cadrebot run

# Try the bot without Telegram: a fake Telegram, the bot, a demo organisation, a chat page.
sandbox: $(VENV)/.installed-fake
	@$(BIN)/cadrebot sandbox

test: $(VENV)/.installed-test lint chromium
	$(BIN)/python -m pytest -q

# Installs chromium when missing (sudo only when not root). A failure is not fatal here: the
# browser test then fails and says why.
chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
		echo "Installing Debian's chromium for the sandbox's browser test..."; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		{ $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null 2>&1 \
			|| echo "Could not install chromium (apt-get install -y chromium); the browser test will fail."; \
	fi

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Translations: extract the messages from the code, then merge them into the catalogs.
i18n-extract: $(VENV)/.installed-test
	$(BIN)/pybabel extract -F babel.cfg -k N_ -o locales/messages.pot --no-location --sort-output --width 100 \
		--project cadrebot --copyright-holder "cadrebot" .

i18n-update: i18n-extract
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching --ignore-obsolete --width 100

bench: $(VENV)/.installed-test
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

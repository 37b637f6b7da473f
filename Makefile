# The two commands of the README: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
PIP_VERSION := 26.3
HOST ?= 127.0.0.1:8000

.PHONY: run reminders test screenshots install install-test migrate demo lint format check deploy-check bench clean

$(BIN)/python:
	@PY=$$(.ci/find-python.sh) && echo "Using $$PY" && "$$PY" -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip==$(PIP_VERSION)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet --build-constraint .ci/build-constraints.txt .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PIP) install --quiet --build-constraint .ci/build-constraints.txt ".[test]"
	@touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

migrate: install
	$(BIN)/python manage.py migrate --no-input

demo: migrate
	$(BIN)/python manage.py load_demo --address $(HOST)

# The demo's users have no authenticator app, so the demo does not require two-factor
# sign-in; `make run CLINIC_REQUIRE_TWO_FACTOR=true` serves it as production has it.
CLINIC_REQUIRE_TWO_FACTOR ?= false

## Serve the demo clinic on SQLite at http://$(HOST)/, with the worker that sends reminders
run: demo
	@$(BIN)/python manage.py db_worker --no-startup-delay & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT; \
	CLINIC_REQUIRE_TWO_FACTOR=$(CLINIC_REQUIRE_TWO_FACTOR) $(BIN)/python manage.py runserver $(HOST)

## Enqueue the reminders that are due (cron runs this every few minutes in production)
reminders: install
	$(BIN)/python manage.py enqueue_reminders

## The whole test suite (browser tests too when Chromium is installed)
test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## The browser tests alone; each saves its pages at desktop and phone width in screenshots/
screenshots: install-test
	@test -x /usr/bin/chromium || { echo "No Chromium at /usr/bin/chromium: apt-get install -y chromium" >&2; exit 1; }
	$(BIN)/python -m pytest -m browser tests/browser $(PYTEST_ARGS)
	@echo "Screenshots in screenshots/:" && ls screenshots

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: install
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run
	DJANGO_DEBUG=false SECRET_KEY=$$(head -c 48 /dev/urandom | base64) ALLOWED_HOSTS=clinic.example \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

## Benchmarks print figures (set DATABASE_URL to measure on PostgreSQL)
bench: install-test
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/booking.py
	$(BIN)/python bench/schedule.py
	$(BIN)/python bench/recall.py
	$(BIN)/python bench/audit.py

clean:
	rm -rf $(VENV) staticfiles db.sqlite3

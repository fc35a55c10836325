# Sankaku: `make run` to try it, `make test` to check it. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The targets here are for a developer's own machine: the public development SECRET_KEY is
# accepted (production refuses it; README, "Production").
export SANKAKU_DEVELOPMENT ?= 1
FLASK := $(BIN)/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint format translations migrate demo serve clean bench bench-national vnu \
	a11y-results screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.test-installed: requirements-test.txt requirements-bench.txt $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -r requirements-test.txt
	touch $@

$(VENV)/.bench-installed: requirements-bench.txt $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -r requirements-bench.txt
	touch $@

# The Nu HTML Checker that the browser tests run over every page they visit: the npm package
# vnu-jar, pinned in tests/e2e/package-lock.json, run with the machine's java (its download
# script is not run). Without npm the check is skipped, except in CI (.ci/run installs npm).
VNU_JAR := tests/e2e/node_modules/vnu-jar/build/dist/vnu.jar
$(VNU_JAR): tests/e2e/package.json tests/e2e/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/e2e --ignore-scripts --no-audit --no-fund --loglevel=error && touch $@; \
	else \
		echo "npm not found: the browser tests will skip the Nu HTML Checker"; \
	fi

vnu: $(VNU_JAR)

translations: $(VENV)/.installed
	@$(FLASK) translate compile

migrate: $(VENV)/.installed translations
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo load

# Development server on the embedded SQLite database (instance/sankaku.sqlite3), with demo data.
# Cookies are not marked Secure here because the development server speaks plain HTTP.
run: demo
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	SESSION_COOKIE_SECURE=0 $(FLASK) run --host $(HOST) --port $(PORT)

# The whole suite on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL too. The two runs
# go side by side: each is one Python process that spends much of its time waiting (on the
# browser, the database, the HTML checker), so on two cores together they take little longer
# than one. The PostgreSQL run's output is printed after the SQLite run's; either failing fails.
PG_LOG := .pytest-postgresql.log
# The slowest tests of each run, so that what keeps .ci/run under its 45 minutes is measured.
DURATIONS ?= --durations=25 --durations-min=5
test: $(VENV)/.test-installed translations $(VNU_JAR)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== on SQLite, and on PostgreSQL ($$TEST_DATABASE_URL) at the same time"; \
		SANKAKU_TEST_BACKEND=postgresql $(BIN)/python -m pytest -p no:cacheprovider $(DURATIONS) \
			>$(PG_LOG) 2>&1 & pg=$$!; \
		$(BIN)/python -m pytest $(DURATIONS); sqlite=$$?; \
		wait $$pg; postgresql=$$?; \
		echo "== on PostgreSQL"; cat $(PG_LOG); \
		echo "== SQLite: exit $$sqlite; PostgreSQL: exit $$postgresql"; \
		[ $$sqlite -eq 0 ] && [ $$postgresql -eq 0 ]; \
	else \
		$(BIN)/python -m pytest $(DURATIONS); \
	fi

# The accessibility test-results page (/accessibility/results) shows the browser suite's own
# axe-core run: this runs it and rewrites data/accessibility-results.json (commit the file).
A11Y_TESTS ?= tests/e2e
a11y-results: $(VENV)/.test-installed translations $(VNU_JAR)
	SANKAKU_WRITE_A11Y_RESULTS=1 $(BIN)/python -m pytest -q -p no:cacheprovider $(A11Y_TESTS)

# PNGs of the main public pages at 390 and 1280 px in Japanese and English, for review (not
# compared by any test), from a server on the demo data in a temporary database.
screenshots: $(VENV)/.test-installed translations
	$(BIN)/python -m bench.screenshots --out screenshots

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(VENV)/.test-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Benchmarks (docs/BENCHMARKS.md): generate a scale into a fresh database, count statements and
# time reports (bench.pages), then load gunicorn with 16 clients per endpoint (bench.run).
# Results go to bench/results/. SQLite by default; for PostgreSQL name an empty database:
#   make bench BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench
BENCH_DIR ?= instance/bench
BENCH_SECONDS ?= 10
define bench_scale
	mkdir -p $(BENCH_DIR)
	@if [ -z "$(BENCH_DATABASE_URL)" ]; then rm -f $(BENCH_DIR)/$(1).sqlite3*; fi
	DATABASE_URL=$${BENCH_DATABASE_URL:-sqlite:///$(abspath $(BENCH_DIR))/$(1).sqlite3} \
		$(BIN)/python -m bench.generate --scale $(1)
	DATABASE_URL=$${BENCH_DATABASE_URL:-sqlite:///$(abspath $(BENCH_DIR))/$(1).sqlite3} \
		$(BIN)/python -m bench.pages --scale $(1)
	DATABASE_URL=$${BENCH_DATABASE_URL:-sqlite:///$(abspath $(BENCH_DIR))/$(1).sqlite3} \
		$(BIN)/python -m bench.run --scale $(1) --seconds $(BENCH_SECONDS)
endef

bench: $(VENV)/.bench-installed translations
	$(call bench_scale,city)

# Ten years of a national portal: generation takes about 3 minutes on SQLite, the load about 6.
# Statement counts must equal the city's (run `make bench` first).
bench-national: $(VENV)/.bench-installed translations
	$(call bench_scale,national)
	backend=$$(case "$(BENCH_DATABASE_URL)" in postgresql*) echo postgresql;; *) echo sqlite;; esac); \
	$(BIN)/python -m bench.pages --compare bench/results/pages-city-$$backend.json \
		bench/results/pages-national-$$backend.json

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
	find . -name '*.mo' -delete

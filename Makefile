# The two commands of the README: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PORT ?= 5000
STAMP := $(VENV)/.installed

.PHONY: run test test-postgres translations extract-messages update-messages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# Compiled catalogs are build output; a missing or broken one must stop the build.
translations: $(STAMP)
	$(BIN)/pybabel compile -d emergency/translations --statistics 2>&1 | tee $(VENV)/babel.log
	@for lang in zh en; do \
	  test -s emergency/translations/$$lang/LC_MESSAGES/messages.mo || { echo "missing $$lang catalog"; exit 1; }; \
	done

run: translations
	$(FLASK) db upgrade
	$(FLASK) compliance seed-rules
	$(FLASK) demo load
	$(FLASK) compliance scan > /dev/null
	@echo "Serving on http://127.0.0.1:$(PORT) with the scheduler (Ctrl-C stops both)"
	@# The scheduler runs in the background; the trap stops it however gunicorn ends (a
	@# background job of a non-interactive shell ignores the terminal's Ctrl-C).
	@$(FLASK) scheduler run & scheduler=$$!; \
	trap 'kill -TERM $$scheduler 2>/dev/null; wait $$scheduler' EXIT INT TERM; \
	$(BIN)/gunicorn --bind 127.0.0.1:$(PORT) --workers 2 --threads 4 --timeout 120 wsgi:app

test: translations
	$(BIN)/python -m pytest -p no:cacheprovider $(PYTEST_ARGS)

extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
	  -o $(VENV)/messages.pot .

update-messages: extract-messages
	$(BIN)/pybabel update -i $(VENV)/messages.pot -d emergency/translations --no-fuzzy-matching \
	  --ignore-obsolete
	$(BIN)/python scripts/fill_english.py emergency/translations/en/LC_MESSAGES/messages.po

clean:
	rm -rf $(VENV) instance

# Benchmarks (bench/): figures are printed, never asserted. DB is a SQLAlchemy URL, e.g.
# postgresql+psycopg://postgres@127.0.0.1:5432/bench_city or sqlite:////tmp/bench_city.db
SIZE ?= city
DB ?= sqlite:////tmp/bench_$(SIZE).db
BENCH_ARGS ?=
.PHONY: bench-generate bench-scan bench-http bench-reminders

bench-generate: translations
	$(BIN)/python -m bench.generate --size $(SIZE) --database $(DB) --reset $(BENCH_ARGS)

bench-scan: translations
	$(BIN)/python -m bench.scan --database $(DB) $(BENCH_ARGS)

bench-http: translations
	$(BIN)/python -m bench.http --database $(DB) $(BENCH_ARGS)

# Resets DB: give it a database of its own.
bench-reminders: translations
	$(BIN)/python -m bench.reminders --database $(DB) $(BENCH_ARGS)

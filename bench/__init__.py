"""Benchmarks: synthetic city/province data, compliance scan vs a raw-SQL floor, HTTP, reminders.

Run with the project's venv, e.g. ``.venv/bin/python -m bench.generate --size city --database URL``.
They print figures; nothing here is a timed assertion.
"""

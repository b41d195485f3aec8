"""Copy the database out and back in: SQLite's online backup API, or pg_dump / pg_restore.

Each dump comes with the row count of every table *as of the dump*, so the manifest describes
exactly what the archive holds even while the app keeps writing.
"""

import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine, make_url

from emergency.backup.archive import BackupError

PG_TIMEOUT_SECONDS = 3600


# --- SQLite ------------------------------------------------------------------------------------


def sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(database)


def sqlite_table_counts(connection: sqlite3.Connection) -> dict[str, int]:
    names = [row[0] for row in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]
    return {name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
            for name in names}


def sqlite_dump(engine: Engine, target: Path, busy_timeout_ms: int) -> dict[str, int]:
    """Copy the live database into target with the online backup API; return its row counts.

    Connection.backup copies a consistent snapshot page by page and is safe while the app runs
    (WAL readers and writers carry on); counting in the copy describes exactly what was saved.
    """
    source_path = sqlite_path(engine)
    if not source_path.exists():
        raise BackupError(f"The database file {source_path} does not exist.")
    with closing(sqlite3.connect(source_path, timeout=busy_timeout_ms / 1000)) as source, \
            closing(sqlite3.connect(target)) as copy:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file in the archive
        return sqlite_table_counts(copy)


def sqlite_check(path: Path) -> dict[str, int]:
    """Check a staged SQLite file's integrity and return its row counts."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
            result = connection.execute("PRAGMA integrity_check").fetchone()[0]
            if result != "ok":
                raise BackupError(f"The database in the backup is damaged: {result}.")
            return sqlite_table_counts(connection)
    except sqlite3.DatabaseError as error:
        raise BackupError(f"The database in the backup is damaged ({error}).") from error


def sqlite_load(engine: Engine, staged: Path, busy_timeout_ms: int) -> None:
    """Replace the live database's content with the staged copy in one step.

    The backup API writes the destination inside one transaction: readers see the old or the
    new database, never a mixture, and a failure leaves the old one.
    """
    engine.dispose()
    target = sqlite_path(engine)
    with closing(sqlite3.connect(f"file:{staged}?mode=ro", uri=True)) as source, \
            closing(sqlite3.connect(target, timeout=busy_timeout_ms / 1000)) as live:
        source.backup(live)
        live.execute("PRAGMA journal_mode=WAL")


# --- PostgreSQL --------------------------------------------------------------------------------


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not on PATH; install the PostgreSQL client tools "
                          "(Debian: apt-get install postgresql-client) of the server's version.")
    return path


def _libpq(engine: Engine) -> tuple[str, dict]:
    """Return a libpq URI without the password, and an environment carrying it (not argv)."""
    url = engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = make_url(str(url.set(drivername="postgresql", password=None).render_as_string(
        hide_password=False)))
    return plain.render_as_string(hide_password=False), env


def _run(args: list[str], env: dict, *, stdin=None, what: str) -> None:
    try:
        result = subprocess.run(args, env=env, stdin=stdin, capture_output=True, text=True,
                                timeout=PG_TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BackupError(f"{what} failed: {error}") from error
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.strip()[-2000:]}")


def pg_table_counts(connection) -> dict[str, int]:
    names = sorted(inspect(connection).get_table_names(schema="public"))
    return {name: connection.execute(text(f'SELECT count(*) FROM public."{name}"')).scalar()
            for name in names}


def pg_dump(engine: Engine, target: Path) -> dict[str, int]:
    """pg_dump --format=custom into target, counting rows in the very snapshot it dumps."""
    uri, env = _libpq(engine)
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
        snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar()
        counts = pg_table_counts(connection)
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
              f"--snapshot={snapshot}", f"--file={target}", f"--dbname={uri}"], env,
             what="pg_dump")
        connection.rollback()
    return counts


_COPY = re.compile(r'^COPY public\.("?)([a-z_][a-z0-9_]*)\1 \(.*\) FROM stdin;$')


def pg_check(path: Path) -> dict[str, int]:
    """Read the whole dump through pg_restore and count the rows of every table in it.

    In COPY text format each row is one line (newlines inside values are escaped), so counting
    the lines of each COPY block counts rows without a scratch database.
    """
    counts, current = {}, None
    with subprocess.Popen([_tool("pg_restore"), "--data-only", "--file=-", str(path)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          encoding="utf-8", errors="replace") as process:
        for line in process.stdout:
            line = line.rstrip("\n")
            if current is None:
                match = _COPY.match(line)
                if match:
                    current = match.group(2)
                    counts[current] = 0
            elif line == "\\.":
                current = None
            else:
                counts[current] += 1
        error = process.stderr.read()
    if process.returncode != 0:
        raise BackupError(f"The database dump in the backup is damaged: {error.strip()[-2000:]}")
    return counts


def pg_load(engine: Engine, staged: Path, expected: dict[str, int]) -> None:
    """Replace the schema with the dump in ONE transaction that also checks every row count.

    pg_restore turns the dump into SQL; psql runs "drop schema, recreate, load, verify counts"
    with --single-transaction, so a failure or a count mismatch rolls everything back.
    """
    uri, env = _libpq(engine)
    engine.dispose()
    with _restore_script(staged, expected, env) as script:
        _run([_tool("psql"), "--no-psqlrc", "--quiet", "-v", "ON_ERROR_STOP=1",
              "--single-transaction", f"--file={script}", f"--dbname={uri}"], env,
             what="Restoring the PostgreSQL dump")


@contextmanager
def _restore_script(staged: Path, expected: dict[str, int], env: dict) -> Iterator[Path]:
    script = staged.with_suffix(".sql")
    try:
        with script.open("w", encoding="utf-8") as out:
            out.write("DROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n")
            out.flush()
            result = subprocess.run([_tool("pg_restore"), "--no-owner", "--no-privileges",
                                     "--file=-", str(staged)], env=env, stdout=out,
                                    stderr=subprocess.PIPE, text=True,
                                    timeout=PG_TIMEOUT_SECONDS, check=False)
            if result.returncode != 0:
                raise BackupError(f"pg_restore failed: {result.stderr.strip()[-2000:]}")
        with script.open("a", encoding="utf-8") as out:
            out.write(_count_checks(expected))
        yield script
    finally:
        script.unlink(missing_ok=True)


def _count_checks(expected: dict[str, int]) -> str:
    checks = "\n".join(
        f"  IF (SELECT count(*) FROM public.\"{name}\") <> {int(count)} THEN "
        f"RAISE EXCEPTION 'row count of {name} differs from the manifest'; END IF;"
        for name, count in sorted(expected.items()))
    return f"\nDO $check$\nBEGIN\n{checks}\nEND\n$check$;\n"

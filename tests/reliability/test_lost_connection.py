"""A connection the server cuts after the request's work is done must not turn into a 500.

PostgreSQL only: it is the database a restart or failover takes away under a running app.
"""

import pytest
from sqlalchemy import create_engine, text

from emergency.database import close_session_safely
from emergency.extensions import db
from tests.reliability.live import on_postgresql

pytestmark = pytest.mark.skipif(not on_postgresql(), reason="needs TEST_DATABASE_URL on PostgreSQL")


def test_a_connection_cut_before_teardown_is_dropped_and_the_next_request_gets_a_new_one(app):
    pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()  # a transaction is open
    killer = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with killer.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    killer.dispose()

    close_session_safely()  # Flask-SQLAlchemy's plain remove() raises OperationalError here

    assert db.session.execute(text("SELECT pg_backend_pid()")).scalar() != pid

"""SQL storage: one engine and session factory per app, bound in `init_app`.

SQLite is the embedded default and PostgreSQL the production database; the same
models and migrations serve both.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import current_app
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session, sessionmaker

log = logging.getLogger(__name__)

_AFTER_COMMIT = "wardlink.after_commit"
"""Key in `session.info` of the actions waiting for the session's next commit."""


def on_commit(session: Session, action: Callable[[], None]) -> None:
    """Run `action` once the session's current transaction commits; drop it on rollback.

    Services use it for what must follow the data, never precede it: a job queued before
    the commit could run before its rows are visible, or for rows that are then rolled
    back. The caller (a CLI command, an API view, a job) just commits.
    """
    if not session.in_transaction():
        # Bind the action to a transaction (no connection is taken yet), so that a rollback
        # before any SQL still drops it.
        session.begin()
    session.info.setdefault(_AFTER_COMMIT, []).append(action)


def pending_actions(session: Session) -> int:
    """How many actions wait for the session's commit (for tests and checks)."""
    return len(session.info.get(_AFTER_COMMIT, ()))


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the outer transaction may still roll back
    for action in session.info.pop(_AFTER_COMMIT, []):
        try:
            action()
        except Exception:
            # The data is committed; what follows it has its own recovery (the reaper
            # starts a broadcast whose fan-out was never queued).
            log.exception("an action after commit failed")


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(_AFTER_COMMIT, None)


def default_sqlite_url(instance_path: str) -> str:
    """The embedded database: a SQLite file in the instance folder."""
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    return "sqlite:///" + str(Path(instance_path) / "wardlink.sqlite3")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the web process read while a worker writes; busy_timeout makes the
    # single-writer lock wait instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine with the settings wardlink needs on either backend."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("sqlite"):
        # A request may hold two connections (its session's and a lookup's): room for
        # 25 threads per web process (WEB_THREADS is 8); SQLite connections are cheap.
        engine = create_engine(
            url, connect_args={"timeout": 5}, hide_parameters=True, pool_size=10, max_overflow=40
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # No pre-ping: it costs a round trip per request. A connection broken by a database
    # restart fails one request (answered politely) and the pool replaces it.
    return create_engine(
        url,
        pool_recycle=1800,
        # Error messages must not quote bound values (phone numbers, SMS text) into logs.
        hide_parameters=True,
        pool_size=10,
        max_overflow=20,
        # A statement that hangs must not hold a USSD request past the provider's deadline.
        connect_args={"connect_timeout": 3, "options": "-c statement_timeout=8000"},
    )


class _BoundDatabase:
    """One app's engine and scoped session."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        # Same pool. On PostgreSQL each statement commits by itself: a lookup is one round
        # trip, not BEGIN, SELECT, ROLLBACK. SQLite's driver opens no transaction for a
        # SELECT anyway, and switching its mode per checkout costs more than it saves.
        self.reader = (
            self.engine
            if self.engine.dialect.name == "sqlite"
            else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        self.session = scoped_session(sessionmaker(bind=self.engine, expire_on_commit=False))


class Database:
    """The SQL extension: unbound until `init_app`; each app keeps its own engine."""

    KEY = "wardlink.db"

    def init_app(self, app) -> None:
        """Bind to the app's DATABASE_URL and close the session after each request."""
        url = app.config.get("DATABASE_URL") or default_sqlite_url(app.instance_path)
        app.config["DATABASE_URL"] = url
        bound = _BoundDatabase(url)
        app.extensions[self.KEY] = bound

        @app.teardown_appcontext
        def remove_session(_exc=None):
            bound.session.remove()

    @staticmethod
    def _bound() -> _BoundDatabase:
        return current_app.extensions[Database.KEY]

    @property
    def engine(self) -> Engine:
        """The current app's engine."""
        return self._bound().engine

    @property
    def reader(self) -> Engine:
        """An engine for single-statement lookups on the hot path, outside the session's
        transaction (autocommit on PostgreSQL); never for writes, which belong in the
        session's transaction."""
        return self._bound().reader

    @property
    def session(self) -> scoped_session:
        """The current app's scoped session (`db.session()` gives the Session)."""
        return self._bound().session

    @property
    def url(self) -> str:
        """The current app's database URL."""
        return self._bound().url

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on error."""
        session = self.session()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

    def dispose(self) -> None:
        """Close every pooled connection of the current app."""
        self._bound().session.remove()
        self._bound().engine.dispose()

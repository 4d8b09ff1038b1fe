"""The database: one SQLAlchemy session per worker, shared by the extensions that declare ``WorkerSessions``.

The session is committed by the entrypoint (see ``entrypoints``) before the caller is answered or the
event acknowledged, and rolled back when the worker fails. Neither dialect blocks the eventlet hub:
PostgreSQL through psycogreen's wait callback, SQLite by running each call on eventlet's thread pool.
"""
import sqlite3
import time
import weakref

import sqlalchemy as sa
from nameko.extensions import DependencyProvider, SharedExtension
from sqlalchemy import event, exc
from sqlalchemy.orm import Session

from anchang_common.config import DATABASE_URL
from anchang_common.errors import DependencyUnavailable
from anchang_common.health import HealthChecks

SQLITE_BUSY_TIMEOUT_SECONDS = 15
#: a PostgreSQL connection idle for longer is checked before use
PING_IDLE_SECONDS = 5


def _eventlet_active():
    try:
        from eventlet import patcher
    except ImportError:  # pragma: no cover - eventlet is a nameko dependency
        return False
    return patcher.is_monkey_patched("socket")


def _sqlite_creator(path):
    def connect():
        connection = sqlite3.connect(path, check_same_thread=False, timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
        if _eventlet_active():
            from anchang_common import green_sqlite
            return green_sqlite.GreenConnection(connection)
        return connection
    return connect


def make_engine(url, **kwargs):
    """An engine for ``url`` that cooperates with eventlet; SQLite in WAL mode with foreign keys on."""
    url = sa.engine.make_url(url)
    if url.get_backend_name() == "sqlite":
        path = url.database or ":memory:"
        engine = sa.create_engine(url, creator=_sqlite_creator(path), poolclass=sa.pool.QueuePool,
                                  pool_size=10, max_overflow=10, **kwargs)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
        return engine
    if url.get_backend_name() == "postgresql" and _eventlet_active():
        from psycogreen.eventlet import patch_psycopg
        patch_psycopg()
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("connect_args", {"connect_timeout": 5})
    engine = sa.create_engine(url, **kwargs)
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine):
    """Check a pooled connection before use only when it sat idle for ``PING_IDLE_SECONDS``: a busy
    service saves a round trip per call, and a connection a database restart killed while idle is
    replaced before use. (One that dies while in steady use fails its call with
    ``DependencyUnavailable``, and SQLAlchemy then drops every pooled connection.)"""
    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record):
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection, record, _proxy):
        returned_at = record.info.get("returned_at")
        if returned_at is not None and time.monotonic() - returned_at < PING_IDLE_SECONDS:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
        except Exception as error:  # any failure here means: use another connection
            raise exc.DisconnectionError() from error


def is_unavailable(error):
    """Whether a SQLAlchemy error means the database could not be reached or used, not bad SQL."""
    return isinstance(error, (exc.OperationalError, exc.InterfaceError, exc.TimeoutError)) or (
        isinstance(error, exc.DBAPIError) and error.connection_invalidated)


class WorkerSessions(SharedExtension):
    """The container's engine and one ``Session`` per worker, shared by every extension that declares
    it (the storage, the token check, the outbox, the unit of work), so that they all write in the
    worker's one transaction. Registers the readiness check ``database``."""

    health = HealthChecks()

    def __init__(self, url_key=DATABASE_URL):
        super().__init__()
        self.url_key = url_key
        self.engine = None
        self._sessions = weakref.WeakKeyDictionary()

    def setup(self):
        self.engine = make_engine(self.container.config[self.url_key])
        self.health.register("database", self.health_check)

    def stop(self):
        self.engine.dispose()

    def session(self, worker_ctx):
        """The worker's session, opened on first use."""
        session = self._sessions.get(worker_ctx)
        if session is None:
            session = self._sessions[worker_ctx] = Session(self.engine, expire_on_commit=False)
        return session

    def close(self, worker_ctx):
        session = self._sessions.pop(worker_ctx, None)
        if session is not None:
            session.close()  # rolls back anything the entrypoint did not commit

    def health_check(self):
        started = time.perf_counter()
        try:
            with self.engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except exc.SQLAlchemyError as error:
            raise DependencyUnavailable("database unavailable") from error
        return time.perf_counter() - started


class Storage(DependencyProvider):
    """Base of a service's storage provider: injects ``wrapper(session)``, a documented object holding
    the service's queries and its row <-> domain mapping (``service.py`` stays free of SQL)."""

    sessions = WorkerSessions()
    #: the class whose instance workers get; it takes the worker's session
    wrapper = None

    def get_dependency(self, worker_ctx):
        return self.wrapper(self.sessions.session(worker_ctx))

    def worker_teardown(self, worker_ctx):
        self.sessions.close(worker_ctx)


class Database(Storage):
    """Injects the worker's ``sqlalchemy.orm.Session`` itself (for services without a storage wrapper)."""

    def get_dependency(self, worker_ctx):
        return self.sessions.session(worker_ctx)

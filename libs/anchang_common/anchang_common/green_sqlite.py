"""SQLite under eventlet: every statement runs on eventlet's thread pool, so a slow query never
blocks the hub, and each statement is one hand-off to the pool, not one per DB-API call.

``GreenConnection(sqlite3_connection)`` is a DB-API connection whose cursors execute *and fetch* in
one pool call and serve the rows from memory (results here are small: SQLite is the development
database); commit and rollback are one pool call each, and skipped when no transaction is open.

One sqlite3 connection is never used by two pool threads at once (a lock per connection, taken
inside the pool thread): a worker killed while its statement runs leaves that statement running in
the pool, and the rollback or close that its teardown sends would otherwise run beside it on
another pool thread — which can crash the process inside SQLite.
"""
from collections import deque

from eventlet import patcher, tpool

_RealLock = patcher.original("threading").Lock


def _locked(lock, call):
    """``call()`` on a pool thread while holding ``lock`` (a real OS lock, not a green one)."""
    def run():
        with lock:
            return call()
    return tpool.execute(run)


class BufferedCursor:
    """A DB-API cursor whose ``execute`` runs the statement and fetches every row in one pool call."""

    arraysize = 1

    def __init__(self, connection, lock):
        self._connection = connection
        self._lock = lock
        self._rows = deque()
        self.description = None
        self.rowcount = -1
        self.lastrowid = None

    def _run(self, method, sql, parameters):
        def run():
            cursor = self._connection.cursor()
            try:
                getattr(cursor, method)(sql, parameters)
                rows = cursor.fetchall() if cursor.description else []
                return cursor.description, rows, cursor.rowcount, cursor.lastrowid
            finally:
                cursor.close()
        self.description, rows, self.rowcount, self.lastrowid = _locked(self._lock, run)
        self._rows = deque(rows)
        return self

    def execute(self, sql, parameters=()):
        return self._run("execute", sql, parameters)

    def executemany(self, sql, seq_of_parameters):
        return self._run("executemany", sql, seq_of_parameters)

    def fetchone(self):
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size=None):
        size = size or self.arraysize
        return [self._rows.popleft() for _ in range(min(size, len(self._rows)))]

    def fetchall(self):
        rows, self._rows = list(self._rows), deque()
        return rows

    def __iter__(self):
        while self._rows:
            yield self._rows.popleft()

    def close(self):
        self._rows.clear()


class GreenConnection:
    """A sqlite3 connection for eventlet (see the module docstring); anything else it is asked for
    (``create_function``, ``isolation_level``, ...) is the sqlite3 connection's own."""

    def __init__(self, connection):
        object.__setattr__(self, "_connection", connection)
        object.__setattr__(self, "_lock", _RealLock())

    def cursor(self):
        return BufferedCursor(self._connection, self._lock)

    def commit(self):
        if self._connection.in_transaction:
            _locked(self._lock, self._connection.commit)

    def rollback(self):
        if self._connection.in_transaction:
            _locked(self._lock, self._connection.rollback)

    def close(self):
        _locked(self._lock, self._connection.close)

    def __getattr__(self, name):
        return getattr(self._connection, name)

    def __setattr__(self, name, value):
        setattr(self._connection, name, value)


"""SQLite under eventlet: a statement still running on the thread pool is never overlapped by
another call on the same connection (a killed worker's teardown), which could crash SQLite."""
import sqlite3
import time

import eventlet

from anchang_common.green_sqlite import GreenConnection

SLOW = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) "
        "SELECT count(*) FROM n")


def test_a_close_waits_for_the_statement_running_in_the_pool(tmp_path):
    connection = GreenConnection(sqlite3.connect(tmp_path / "db.sqlite", check_same_thread=False))
    finished = {}

    def statement():
        rows = connection.cursor().execute(SLOW).fetchall()
        finished["statement"] = time.monotonic()
        return rows

    running = eventlet.spawn(statement)
    deadline = time.monotonic() + 10
    while not connection._lock.locked():  # until the statement runs on a pool thread
        assert time.monotonic() < deadline
        eventlet.sleep(0.001)
    connection.close()  # what a killed worker's teardown does
    closed = time.monotonic()
    assert running.wait() == [(3000000,)]
    assert finished["statement"] <= closed

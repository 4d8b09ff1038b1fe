"""Throwaway PostgreSQL databases for the tests and the benchmarks, and where to find a server.

A server is the one ``ANCHANG_TEST_PG_URL`` names, else whatever answers at ``DEFAULT_PG_URL`` (a
local PostgreSQL as Debian installs it). Its user must be allowed to create databases.
"""
import os

import sqlalchemy as sa

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
CONNECT_TIMEOUT_SECONDS = 3


def postgres_error(url):
    """None when a connection to ``url`` opens, else the reason (one line)."""
    engine = sa.create_engine(url, connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
                              poolclass=sa.pool.NullPool)
    try:
        with engine.connect():
            return None
    except sa.exc.SQLAlchemyError as error:  # refused, unknown host, authentication, no driver
        return str(getattr(error, "orig", error)).strip().splitlines()[0]
    finally:
        engine.dispose()


def find_postgres(environ=os.environ):
    """``(url or None, why)``: the server the tests use and, in words, why (or why none)."""
    url = environ.get("ANCHANG_TEST_PG_URL")
    if url:
        return url, "ANCHANG_TEST_PG_URL"
    error = postgres_error(DEFAULT_PG_URL)
    if error is None:
        return DEFAULT_PG_URL, "ANCHANG_TEST_PG_URL is unset; a server answers at the default address"
    return None, f"ANCHANG_TEST_PG_URL is unset and nothing answers at {DEFAULT_PG_URL} ({error})"


def _admin(admin_url):
    return sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def create_database(admin_url, name):
    """Create database ``name`` on the server of ``admin_url``; return its URL (password kept)."""
    admin = _admin(admin_url)
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_databases(admin_url, names):
    """Drop the databases ``names``, closing their connections first."""
    if not names:
        return
    admin = _admin(admin_url)
    try:
        with admin.connect() as connection:
            for name in names:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()

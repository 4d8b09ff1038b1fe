"""The local stack's files are its owner's only (docs/architecture.md#security-model): ``.run/``
0700, every file in it 0600, whether the stack writes it itself or a process it starts does (a
service's SQLite database)."""
import os
import stat
import sys
from pathlib import Path

import pytest

from deploy.local import files, processes, services


@pytest.fixture
def open_umask():
    """A umask that would leave files world-readable, as most shells have; restored afterwards."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def modes(root):
    found = {}
    for directory, _, names in os.walk(root):
        found[Path(directory)] = stat.S_IMODE(os.stat(directory).st_mode)
        for name in names:
            found[Path(directory) / name] = stat.S_IMODE(os.stat(Path(directory) / name).st_mode)
    return found


def test_run_directory_and_everything_written_in_it_are_private(tmp_path, monkeypatch, open_umask):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ANCHANG_ADMIN_PASSWORD", raising=False)
    old = tmp_path / ".run" / "staff.db"  # left world-readable by an older version of the stack
    old.parent.mkdir(mode=0o755)
    old.write_text("")
    old.chmod(0o644)

    files.make_private(files.RUN)
    services.ensure_admin_password()
    files.VAULT_DIR.mkdir()
    files.write_private_file(files.VAULT_DIR / "staff.token", "s.token\n")
    # a child of the stack creates a SQLite database, as the migrations and the services do
    child_db = tmp_path / ".run" / "ticket.db"
    child = processes.spawn("migrate", [sys.executable, "-c",
                                        "import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("
                                        "'CREATE TABLE t (x)')", str(child_db)])
    assert child.wait(timeout=30) == 0

    found = modes(tmp_path / ".run")
    expected = {files.RUN / "admin-password", files.VAULT_DIR / "staff.token", files.RUN / "migrate.pid",
                files.LOGS / "migrate.log", files.RUN / "ticket.db", files.RUN / "staff.db"}
    assert {path.relative_to(tmp_path) for path in found} >= expected
    wrong = {str(path): oct(mode) for path, mode in found.items()
             if mode != (0o700 if path.is_dir() else 0o600)}
    assert wrong == {}

"""A PostgreSQL cluster of a test's own (``initdb``/``pg_ctl``), on its own port and data directory,
so a test may stop and start it (a database outage) without touching the machine's server.

    cluster = PostgresCluster().start()
    url = create_database(cluster.url(), "ticket")      # anchang_common.testing.databases
    cluster.stop(); ...; cluster.start()                 # same data: the outage is over
    cluster.destroy()

PostgreSQL refuses to run as root: under root the commands run as the ``postgres`` user, in a data
directory that user owns. ``postgres_bin_dir()`` says where the binaries are (``None`` if absent).
"""
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

START_TIMEOUT_SECONDS = 60


def postgres_bin_dir():
    """The directory of ``initdb`` and ``pg_ctl`` (``ANCHANG_PG_BIN`` first, then Debian's newest
    /usr/lib/postgresql/<version>/bin, then PATH), or ``None``."""
    candidates = [os.environ.get("ANCHANG_PG_BIN")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True)
    found = shutil.which("initdb")
    candidates.append(os.path.dirname(found) if found else None)
    for directory in candidates:
        if directory and os.access(os.path.join(directory, "pg_ctl"), os.X_OK):
            return directory
    return None


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresCluster:
    """One cluster, trust authentication for ``postgres`` on 127.0.0.1 only."""

    def __init__(self, bin_dir=None, port=None):
        self.bin_dir = bin_dir or postgres_bin_dir()
        if self.bin_dir is None:
            raise RuntimeError("the PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        self.port = port or _free_port()
        # not under a test's tmp_path: that is private to root, and the server may run as postgres
        self.directory = Path(tempfile.mkdtemp(prefix="anchang-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "server.log"
        self._user = None
        if os.geteuid() == 0:
            self._user = pwd.getpwnam("postgres")
            os.chown(self.directory, self._user.pw_uid, self._user.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")

    def _run(self, command, *args, check=True):
        argv = [os.path.join(self.bin_dir, command), *args]
        if self._user is not None:
            argv = ["runuser", "-u", self._user.pw_name, "--", *argv]
        result = subprocess.run(argv, cwd=self.directory, capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            raise RuntimeError(f"{command} failed ({result.returncode}): {result.stderr.strip()}\n{self.log_tail()}")
        return result

    def url(self, database="postgres"):
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self):
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w",
                  "-t", str(START_TIMEOUT_SECONDS), "start")
        self._wait_for_connections()
        return self

    def _wait_for_connections(self):
        engine = sa.create_engine(self.url(), poolclass=sa.pool.NullPool, connect_args={"connect_timeout": 2})
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        try:
            while True:
                try:
                    with engine.connect():
                        return
                except sa.exc.OperationalError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
        finally:
            engine.dispose()

    def stop(self, mode="fast"):
        """Stop the server: ``fast`` ends every connection (the outage clients see), ``immediate``
        is a crash."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    @property
    def running(self):
        return self._run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def destroy(self):
        if self.data.exists():
            self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)

    def log_tail(self, lines=20):
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

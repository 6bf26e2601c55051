"""A private PostgreSQL cluster for one test module, with password authentication.

The shared PostgreSQL on 127.0.0.1:5432 trusts every local login, so a wrong password
logs in there too; tests that must see a password fail use this cluster instead. It is
created with `initdb --auth=scram-sha-256` in a temporary directory, listens on a free
loopback port (its unix socket in the same directory), and is stopped and deleted by
`destroy()`. initdb refuses to run as root: as root every PostgreSQL command runs as the
`postgres` user (`runuser`), and the directory is handed to that user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from conftest import LOOPBACK, free_port

try:
    import pg8000.native
except ImportError:  # reported by the test modules that need it
    pg8000 = None


def pg_bin(name: str) -> str:
    """The newest installed PostgreSQL's `name` binary."""
    found = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if found:
        return found[-1]
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"no PostgreSQL {name} binary (looked under /usr/lib/postgresql/*/bin)")
    return path


class PgCluster:
    """A running private cluster; `superuser`/`password` is its bootstrap superuser."""

    def __init__(self, superuser: str = "postgres", password: str = "bootstrap-secret"):
        self.superuser = superuser
        self.password = password
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="tresor-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self._owner = None
        if os.geteuid() == 0:
            self._owner = pwd.getpwnam("postgres")
            os.chown(self.dir, self._owner.pw_uid, self._owner.pw_gid)
        self.dir.chmod(0o700)
        pwfile = self.dir / "pwfile"
        pwfile.write_text(password + "\n")
        if self._owner:
            os.chown(pwfile, self._owner.pw_uid, self._owner.pw_gid)
        try:
            self._run(
                pg_bin("initdb"), "-D", self.data, "-U", superuser, "--auth=scram-sha-256",
                f"--pwfile={pwfile}", "--no-sync", "-E", "UTF8", "--locale=C",
            )
            pwfile.unlink()
            self.start()
        except BaseException:
            self.destroy()
            raise

    # -- processes ----------------------------------------------------------------------

    def _run(self, *argv, timeout: float = 60.0) -> subprocess.CompletedProcess:
        argv = [str(a) for a in argv]
        if self._owner:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        p = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, cwd=self.dir,
            stdin=subprocess.DEVNULL,
        )
        if p.returncode != 0:
            raise RuntimeError(
                f"{' '.join(argv)} -> {p.returncode}\n{p.stdout}\n{p.stderr}\n{self.log_tail()}"
            )
        return p

    def log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses={LOOPBACK} -c fsync=off"
        self._run(pg_bin("pg_ctl"), "-D", self.data, "-l", self.log, "-o", opts, "-w", "-t", "30", "start")
        deadline = time.monotonic() + 15
        while True:
            try:
                self.admin().close()
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def start_if_stopped(self) -> None:
        if not self.running:
            self.start()

    def stop(self) -> None:
        """Stops at once (existing sessions are cut)."""
        if self.running:
            self._run(pg_bin("pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop")

    def destroy(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- connections --------------------------------------------------------------------

    def url(self, user: str | None = None, password: str | None = None, database: str = "postgres") -> str:
        """A connection URL; `{{username}}:{{password}}` templated when no user is given."""
        auth = f"{user}:{password}" if user else "{{username}}:{{password}}"
        return f"postgresql://{auth}@{LOOPBACK}:{self.port}/{database}?sslmode=disable"

    def connect(self, user: str, password: str, database: str = "postgres") -> pg8000.native.Connection:
        return pg8000.native.Connection(
            user, host=LOOPBACK, port=self.port, password=password, database=database, timeout=10
        )

    def admin(self) -> pg8000.native.Connection:
        return self.connect(self.superuser, self.password)

    def can_login(self, user: str, password: str) -> bool:
        """Whether `user` logs in with `password` (a refused password is False)."""
        try:
            conn = self.connect(user, password)
        except pg8000.native.DatabaseError as e:
            code = e.args[0].get("C") if e.args and isinstance(e.args[0], dict) else None
            if code in ("28P01", "28000"):  # invalid_password, invalid_authorization
                return False
            raise
        try:
            return conn.run("SELECT current_user")[0][0] == user
        finally:
            conn.close()

    def query(self, sql: str, **params):
        conn = self.admin()
        try:
            return conn.run(sql, **params)
        finally:
            conn.close()

    def role(self, name: str):
        """`(rolname, rolvaliduntil)` of a role, or None."""
        rows = self.query("SELECT rolname, rolvaliduntil FROM pg_roles WHERE rolname = :n", n=name)
        return rows[0] if rows else None

"""The PostgreSQL cluster the project owns: ``<state>/pg`` on a free local port.

``start`` is idempotent (a running cluster is left alone), ``stop`` too. When the process runs
as root, ``initdb`` and the server run as the ``postgres`` user, because PostgreSQL refuses to
run as root. When ``CSC_PG_HOST`` points at an external server, nothing is started: the
commands only check that the server answers and the databases exist.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from csc_warehouse.config import Settings


class DatabaseError(RuntimeError):
    """The warehouse database cannot be started or reached (exit code 3)."""


@dataclass
class Status:
    running: bool
    external: bool
    port: int
    data_dir: Path | None
    detail: str


# Settings tuned for a one-machine warehouse on 2 cores; durable (fsync on), but a commit does
# not wait for the WAL flush (a crash can lose the last fraction of a second, never corrupt).
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "shared_buffers": "512MB",
    "work_mem": "64MB",
    "maintenance_work_mem": "256MB",
    "max_wal_size": "4GB",
    "synchronous_commit": "off",
    "max_connections": "100",
    "log_min_duration_statement": "-1",
    "log_statement": "none",  # never log statements: they could hold personal data
    "timezone": "UTC",
    "datestyle": "ISO, DMY",
}


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def find_pg_bin() -> Path | None:
    """Directory holding initdb/pg_ctl: PATH, pg_config --bindir, /usr/lib/postgresql/*/bin."""
    candidates: list[Path] = []
    for name in ("pg_ctl", "initdb"):
        found = shutil.which(name)
        if found:
            candidates.append(Path(found).resolve().parent)
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True
            ).stdout.strip()
            candidates.append(Path(out))
        except (OSError, subprocess.CalledProcessError):
            pass
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for directory in candidates:
        if (directory / "initdb").exists() and (directory / "pg_ctl").exists():
            return directory
    return None


def ensure_pg_bin(log=print) -> Path:
    found = find_pg_bin()
    if found:
        return found
    if _is_root() and shutil.which("apt-get"):
        log("PostgreSQL binaries not found: installing Debian's postgresql package ...")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "postgresql"], check=True, env=env)
        found = find_pg_bin()
        if found:
            return found
    raise DatabaseError(
        "PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH, via pg_config or "
        "under /usr/lib/postgresql/*/bin. Install them (Debian/Ubuntu: "
        "`sudo apt-get install postgresql`), or point CSC_PG_HOST/CSC_PG_PORT at an existing "
        "server."
    )


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _pick_port(preferred: int) -> int:
    for port in range(preferred, preferred + 200):
        if _port_free(port):
            return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalCluster:
    def __init__(self, settings: Settings, log=print):
        self.settings = settings
        self.log = log

    # ---- layout ----------------------------------------------------------------------------
    @property
    def base(self) -> Path:
        return self.settings.pg_dir

    @property
    def cluster_dir(self) -> Path:
        """Where the cluster's files live: ``<state>/pg/cluster``.

        When running as root in a checkout the ``postgres`` user cannot reach (e.g. under
        /root), the cluster lives in ``/var/tmp/csc-warehouse-<hash>`` and ``<state>/pg/cluster``
        is a symlink to it.
        """
        return self.base / "cluster"

    @property
    def data_dir(self) -> Path:
        return self.cluster_dir / "data"

    @property
    def run_dir(self) -> Path:
        return self.cluster_dir / "run"

    @property
    def log_file(self) -> Path:
        return self.cluster_dir / "postgres.log"

    @property
    def port_file(self) -> Path:
        return self.base / "port"

    # ---- commands ----------------------------------------------------------------------------
    def _as_owner(self, args: list[str], **kw) -> subprocess.CompletedProcess:
        if _is_root():
            args = ["runuser", "-u", "postgres", "--", *args]
        kw.setdefault("capture_output", True)
        kw.setdefault("text", True)
        return subprocess.run(args, **kw)

    def _postgres_can_reach(self, path: Path) -> bool:
        if not _is_root():
            return True
        res = subprocess.run(
            ["runuser", "-u", "postgres", "--", "test", "-x", str(path)], capture_output=True
        )
        return res.returncode == 0

    def _prepare_dirs(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        if self.cluster_dir.exists() or self.cluster_dir.is_symlink():
            return
        if self._postgres_can_reach(self.base):
            self.cluster_dir.mkdir()
        else:
            digest = hashlib.sha1(str(self.base.resolve()).encode()).hexdigest()[:12]
            outside = Path("/var/tmp") / f"csc-warehouse-{digest}"
            outside.mkdir(parents=True, exist_ok=True)
            self.cluster_dir.symlink_to(outside)
        if _is_root():
            shutil.chown(self.cluster_dir.resolve(), "postgres", "postgres")

    def initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def _initdb(self, bindir: Path) -> None:
        self.log(f"Creating a PostgreSQL cluster in {self.data_dir} ...")
        password = self.settings.pg_password
        with tempfile.NamedTemporaryFile(
            "w", delete=False, dir=self.cluster_dir.resolve(), prefix=".pw"
        ) as fh:
            fh.write(password + "\n")
            pwfile = fh.name
        try:
            if _is_root():
                shutil.chown(pwfile, "postgres", "postgres")
            res = self._as_owner(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(self.data_dir.resolve()),
                    "-U",
                    self.settings.pg_user,
                    f"--pwfile={pwfile}",
                    "--auth-host=scram-sha-256",
                    "--auth-local=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                    "--no-instructions",
                ]
            )
        finally:
            os.unlink(pwfile)
        if res.returncode != 0:
            raise DatabaseError(f"initdb failed:\n{res.stdout}\n{res.stderr}")
        conf = self.data_dir / "postgresql.conf"
        extra = "\n# --- csc-warehouse settings ---\n" + "".join(
            f"{k} = '{v}'\n" for k, v in SERVER_SETTINGS.items()
        )
        self._as_owner(["sh", "-c", f"cat >> '{conf.resolve()}'"], input=extra)

    def status(self) -> Status:
        if self.settings.external:
            ok, detail = self._ping()
            return Status(ok, True, self.settings.pg_port, None, detail)
        if not self.initialised():
            return Status(
                False,
                False,
                self.settings.pg_port,
                self.data_dir,
                "no cluster yet (run `csc-warehouse db start`)",
            )
        bindir = find_pg_bin()
        if bindir is None:
            return Status(
                False, False, self.settings.pg_port, self.data_dir, "PostgreSQL binaries missing"
            )
        res = self._as_owner([str(bindir / "pg_ctl"), "status", "-D", str(self.data_dir.resolve())])
        running = res.returncode == 0
        if running:
            ok, detail = self._ping()
            return Status(ok, False, self.settings.pg_port, self.data_dir, detail)
        return Status(False, False, self.settings.pg_port, self.data_dir, "stopped")

    def _ping(self) -> tuple[bool, str]:
        try:
            with psycopg.connect(self.settings.conninfo("postgres"), connect_timeout=5) as conn:
                version = conn.execute("show server_version").fetchone()[0]
            return True, f"PostgreSQL {version} accepting connections"
        except psycopg.Error as exc:
            return False, f"not reachable: {str(exc).strip().splitlines()[0]}"

    def start(self) -> Status:
        self.settings.ensure_secrets()
        if self.settings.external:
            ok, detail = self._ping()
            if not ok:
                raise DatabaseError(
                    f"external Postgres at {self.settings.pg_host}:{self.settings.pg_port} {detail}"
                )
            self.ensure_databases()
            return self.status()
        current = self.status()
        if current.running:
            self.ensure_databases()
            return current
        bindir = ensure_pg_bin(self.log)
        self._prepare_dirs()
        if not self.initialised():
            self._initdb(bindir)
        port = self.settings.pg_port
        if not self.port_file.exists() or not _port_free(port):
            port = _pick_port(port if self.port_file.exists() else 55432)
        self.port_file.write_text(f"{port}\n")
        self._as_owner(["mkdir", "-p", str(self.run_dir.resolve())])
        self.log(f"Starting PostgreSQL on 127.0.0.1:{port} ...")
        res = self._as_owner(
            [
                str(bindir / "pg_ctl"),
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                str(self.data_dir.resolve()),
                "-l",
                str(self.log_file.resolve()),
                "-o",
                f"-p {port} -k {self.run_dir.resolve()}",
            ]
        )
        if res.returncode != 0:
            tail = ""
            if self.log_file.exists():
                tail = "\n".join(self.log_file.read_text(errors="replace").splitlines()[-15:])
            raise DatabaseError(f"pg_ctl start failed:\n{res.stdout}{res.stderr}\n{tail}")
        for _ in range(50):
            ok, _detail = self._ping()
            if ok:
                break
            time.sleep(0.2)
        self.ensure_databases()
        return self.status()

    def stop(self) -> Status:
        if self.settings.external:
            return self.status()
        if not self.initialised():
            return self.status()
        bindir = find_pg_bin()
        if bindir is None:
            raise DatabaseError("PostgreSQL binaries missing: cannot stop the cluster")
        res = self._as_owner([str(bindir / "pg_ctl"), "status", "-D", str(self.data_dir.resolve())])
        if res.returncode == 0:
            self.log("Stopping PostgreSQL ...")
            res = self._as_owner(
                [
                    str(bindir / "pg_ctl"),
                    "stop",
                    "-w",
                    "-m",
                    "fast",
                    "-D",
                    str(self.data_dir.resolve()),
                ]
            )
            if res.returncode != 0:
                raise DatabaseError(f"pg_ctl stop failed:\n{res.stdout}{res.stderr}")
        return self.status()

    def ensure_databases(self) -> None:
        """Create the warehouse and Airflow metadata databases if missing."""
        wanted = [self.settings.pg_database, self.settings.airflow_database]
        with psycopg.connect(self.settings.conninfo("postgres"), autocommit=True) as conn:
            have = {r[0] for r in conn.execute("select datname from pg_database")}
            for name in wanted:
                if name not in have:
                    self.log(f"Creating database {name} ...")
                    conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        # pgcrypto: hmac() for pseudonymous keys (PostgreSQL's contrib, part of Debian's
        # postgresql package and of every managed Postgres).
        with psycopg.connect(self.settings.conninfo(), autocommit=True) as conn:
            conn.execute("create extension if not exists pgcrypto")

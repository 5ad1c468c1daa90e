"""Helpers shared by the benchmark scripts: machine facts, statistics, PostgreSQL databases, results.

The scripts in bench/ are run as files (``python bench/updates.py``), so this module is imported as
``benchlib`` from the script's own directory. Nothing here asserts on timings: the scripts measure
and report, and ``run_all.py`` writes the figures into docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import pstats
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"

# The server every PostgreSQL figure is measured on. The benchmarks create (and can drop) their own
# databases next to the one named here; they never touch that database's contents.
DEFAULT_PG_ADMIN = os.environ.get("SHOTLOG_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")


def ensure_out() -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    return OUT


# -- arguments --------------------------------------------------------------------------------------


def common_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pg-admin-url",
        default=DEFAULT_PG_ADMIN,
        help="a PostgreSQL URL used to CREATE/DROP the benchmark databases (default: %(default)s)",
    )
    parser.add_argument("--no-pg", action="store_true", help="skip the PostgreSQL measurements")
    parser.add_argument("--json", type=Path, default=None, help="also write the results to this file")


def backend_arg(parser: argparse.ArgumentParser) -> None:
    """``--backend sqlite|postgresql|both`` (default both), read back by ``chosen_backends``."""
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")


def chosen_backends(args: argparse.Namespace) -> list[str]:
    """The backends ``--backend`` (sqlite, postgresql or both) names, less PostgreSQL under ``--no-pg``."""
    chosen = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    return [b for b in chosen if not (args.no_pg and b == "postgresql")]


# -- statistics -------------------------------------------------------------------------------------


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct`` percentile (0-100) by linear interpolation between closest ranks."""
    data = sorted(values)
    if not data:
        return float("nan")
    k = (len(data) - 1) * pct / 100.0
    lo = int(k)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (k - lo)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def latency_stats(seconds: Sequence[float]) -> dict[str, float]:
    """Milliseconds: median, p95, min, max, and the number of samples."""
    ms = [s * 1000.0 for s in seconds]
    return {
        "n": len(ms),
        "median_ms": median(ms),
        "p95_ms": percentile(ms, 95),
        "min_ms": min(ms),
        "max_ms": max(ms),
    }


def timed_calls(fn: Callable[[], Any], reps: int, warmup: int) -> tuple[list[float], list[float]]:
    """Wall-clock and this process's CPU seconds of each of ``reps`` calls, after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(reps):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        t1, c1 = time.perf_counter(), time.process_time()
        wall.append(t1 - t0)
        cpu.append(c1 - c0)
    return wall, cpu


def rate_runs(
    op: Callable[[int], None], *, duration: float, runs: int, warmup: float, calibrate_ops: int = 50
) -> dict[str, Any]:
    """Call ``op(i)`` in timed runs of about ``duration`` seconds each, after ``warmup`` seconds.

    The number of operations per run is fixed from the warm-up rate, so every run does the same
    work. Returns the per-run rates (ops/s), their median, and CPU seconds per operation.
    """
    counter = 0
    start = time.perf_counter()
    done = 0
    while True:
        for _ in range(calibrate_ops):
            op(counter)
            counter += 1
        done += calibrate_ops
        elapsed = time.perf_counter() - start
        if elapsed >= warmup:
            break
    per_run = max(calibrate_ops, int(done / elapsed * duration))
    rates: list[float] = []
    cpu: list[float] = []
    for _ in range(runs):
        c0, t0 = time.process_time(), time.perf_counter()
        for _ in range(per_run):
            op(counter)
            counter += 1
        t1, c1 = time.perf_counter(), time.process_time()
        rates.append(per_run / (t1 - t0))
        cpu.append((c1 - c0) / per_run)
    return {
        "ops_per_run": per_run,
        "runs": rates,
        "median": median(rates),
        "cpu_ms_per_op": median(cpu) * 1000.0,
    }


# -- machine ----------------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def pg_server_version(admin_url: str) -> str | None:
    try:
        import psycopg

        with psycopg.connect(_libpq(admin_url), connect_timeout=5) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else None
    except Exception:
        return None


def machine_info(admin_url: str | None = DEFAULT_PG_ADMIN) -> dict[str, Any]:
    import psycopg
    import sqlalchemy

    try:
        import psutil

        ram = f"{psutil.virtual_memory().total / 2**30:.0f} GiB"
    except ImportError:  # pragma: no cover - psutil is a dev dependency
        ram = "?"
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "ram": ram,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg_server_version(admin_url) if admin_url else None,
        "sqlalchemy": sqlalchemy.__version__,
        "psycopg": psycopg.__version__,
        # the machine may be shared: the 1-minute load average when the benchmark started
        "loadavg": round(os.getloadavg()[0], 2),
        "git": git_state(),
    }


def git_state() -> str:
    """The commit measured, flagged when src/ has uncommitted changes."""
    import subprocess

    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}{' + uncommitted changes in src/' if dirty else ''}"


def print_machine(info: dict[str, Any]) -> None:
    print(
        f"machine: {info['cpu']}, {info['cores']} cores, {info['ram']} RAM, {info['os']}; "
        f"Python {info['python']}, SQLite {info['sqlite']}, PostgreSQL {info['postgresql']}, "
        f"SQLAlchemy {info['sqlalchemy']}, psycopg {info['psycopg']}; load average {info.get('loadavg')}"
    )


def announce_machine(args: argparse.Namespace) -> dict[str, Any]:
    """The machine facts (PostgreSQL's version unless ``--no-pg``), printed and returned for the results."""
    info = machine_info(None if args.no_pg else args.pg_admin_url)
    print_machine(info)
    return info


# -- processes --------------------------------------------------------------------------------------


def start_serve(db_url: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """``shotlog serve`` on a free port with ``env`` added to this environment; returns once
    /healthz answers (the process and its base URL)."""
    import httpx

    port = free_port()
    cmd = [sys.executable, "-m", "shotlog", "serve", "--database", db_url, "--port", str(port)]
    proc = subprocess.Popen(
        [*cmd, "--log-level", "warning"],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"shotlog serve exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("shotlog serve did not start")


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """SIGTERM, then SIGKILL if the process has not exited within ``timeout`` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now, for a server the benchmark starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- memory -----------------------------------------------------------------------------------------


def rss_mib() -> float:
    import psutil

    return float(psutil.Process().memory_info().rss) / 2**20


def peak_rss_mib() -> float:
    """This process's peak resident memory (VmHWM).

    Not ``getrusage``: on Linux its max RSS survives exec, so a benchmark started by a process that
    had just built a large dataset would report the parent's peak as its own.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0  # kB
    raise RuntimeError("no VmHWM in /proc/self/status")


# -- PostgreSQL databases ---------------------------------------------------------------------------


def _libpq(url: str) -> str:
    """A SQLAlchemy-style URL as libpq accepts it (no ``+driver``)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def pg_url(admin_url: str, dbname: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(_libpq(admin_url)).set(database=dbname).render_as_string(hide_password=False)


def pg_database_exists(admin_url: str, dbname: str) -> bool:
    import psycopg

    with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone() is not None


def pg_create(admin_url: str, dbname: str, *, recreate: bool) -> str:
    """Create database ``dbname`` on the admin URL's server (dropping it first if ``recreate``)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        if exists and recreate:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(dbname)))
            exists = None
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    return pg_url(admin_url, dbname)


def pg_drop(admin_url: str, dbname: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))


def pg_settings(url: str, names: Sequence[str]) -> dict[str, str]:
    import psycopg

    with psycopg.connect(_libpq(url)) as conn:
        return {n: str(conn.execute(f"SHOW {n}").fetchone()[0]) for n in names}  # type: ignore[index]


# -- SQLite files -----------------------------------------------------------------------------------


def remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


# -- capturing the SQL a public call compiles to ----------------------------------------------------


@contextmanager
def captured_sql() -> Iterator[list[tuple[str, Any]]]:
    """Collect (statement, parameters) of every statement SQLAlchemy executes inside the block."""
    import sqlalchemy as sa
    from sqlalchemy import event

    seen: list[tuple[str, Any]] = []

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(sa.engine.Engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(sa.engine.Engine, "before_cursor_execute", before)


# -- profiles ----------------------------------------------------------------------------------------


def shotlog_breakdown(prof: Any, ops: int, unit: str, min_share: float = 0.03, top_own: int = 8) -> str:
    """The shotlog functions (and the driver's commit) taking at least ``min_share`` of the time, as
    cumulative and own milliseconds per operation: a profile summary that survives line renumbering."""
    stats = pstats.Stats(prof)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = max(ct for (_f, _l, _n), (_cc, _nc, _tt, ct, _c) in raw.items())
    rows = []
    for (filename, line, name), (_cc, ncalls, tottime, cumtime, _callers) in raw.items():
        shotlog_fn = "/shotlog/" in filename.replace("\\", "/")
        commit = name.startswith("<method 'commit'")
        if not (shotlog_fn or commit) or cumtime < min_share * total:
            continue
        where = filename.replace("\\", "/").split("/shotlog/", 1)[-1] if shotlog_fn else "driver"
        rows.append((cumtime, f"{where}:{line}({name})" if shotlog_fn else name, ncalls, tottime))
    rows.sort(reverse=True)
    head = f"  {'function':58s} {'calls/' + unit:>10s} {'cum ms/' + unit:>12s} {'own ms/' + unit:>12s}"
    out = [head + "  share"]
    for cumtime, label, ncalls, tottime in rows:
        out.append(
            f"  {label[:58]:58s} {ncalls / ops:10.1f} {cumtime / ops * 1000:12.3f} "
            f"{tottime / ops * 1000:12.3f}  {cumtime / total:6.1%}"
        )
    out.append(f"  top own time, any module (ms/{unit}):")
    own = sorted(raw.items(), key=lambda kv: -kv[1][2])[:top_own]
    for (filename, line, name), (_cc, ncalls, tottime, _ct, _c) in own:
        short = "/".join(filename.replace("\\", "/").split("/")[-2:]) if filename != "~" else ""
        label = f"{short}:{line}({name})" if short else name
        out.append(f"    {tottime / ops * 1000:8.3f}  {ncalls / ops:8.1f} calls  {label[:90]}")
    return "\n".join(out)


# -- results ----------------------------------------------------------------------------------------


def write_json(path: Path | None, data: dict[str, Any]) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    print(f"results written to {path}")


def command_line() -> str:
    args = " ".join(sys.argv[1:])
    script = Path(sys.argv[0])
    with suppress(ValueError):
        script = script.resolve().relative_to(ROOT)
    return f"python {script} {args}".strip()


def fmt_rate(x: float) -> str:
    return f"{x:,.0f}"


def fmt_ms(x: float) -> str:
    return f"{x:.2f}"
